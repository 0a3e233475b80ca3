/**
 * Plumbing shared by the parts of BusyBox's `ip` applet (networking/libiproute, 1.35.0): the
 * keyword matching, the number and address parsing with their quirks, the error messages and the
 * exit codes they die with, and the names of scopes, tables and route types.
 */
import type { Device } from '../../../linux/device';
import type { NetNs } from '../../../linux/netns';
import { busyboxUsage } from './banner';
import { indexInSubstrings } from './libbb';

/** preferred_family: -4, -6, -0 or -f inet|inet6|link; unspec by default. */
export type Family = 'unspec' | 'inet' | 'inet6' | 'packet';

/** Thrown to end the applet: what it wrote to stderr last, and its exit status. */
export class BbIpExit extends Error {
  constructor(
    readonly code: number,
    readonly stderr: string,
  ) {
    super(stderr);
  }
}

const IP_USAGE = `Usage: ip [OPTIONS] address|route|link|tunnel|neigh|rule [ARGS]

OPTIONS := -f[amily] inet|inet6|link | -o[neline]

ip addr add|del IFADDR dev IFACE | show|flush [dev IFACE] [to PREFIX]
ip route list|flush|add|del|change|append|replace|test ROUTE
ip link set IFACE [up|down] [arp on|off] [multicast on|off]
\t[promisc on|off] [mtu NUM] [name NAME] [qlen NUM] [address MAC]
\t[master IFACE | nomaster] [netns PID]
ip tunnel add|change|del|show [NAME]
\t[mode ipip|gre|sit] [remote ADDR] [local ADDR] [ttl TTL]
ip neigh show|flush [to PREFIX] [dev DEV] [nud STATE]
ip rule [list] | add|del SELECTOR ACTION
`;

/** bb_show_usage: the banner and usage on stderr, exit 1 (0 for a lone --help). */
export function ipUsage(code = 1): BbIpExit {
  return new BbIpExit(code, busyboxUsage(IP_USAGE));
}

/** One run of the applet: its namespace, global options, stdout so far, and how it dies. */
export class BbIp {
  out = '';
  err = '';
  /** xfunc_error_retval: 1, but `ip link` sets 2 before doing anything. */
  dieCode = 1;
  constructor(
    readonly ns: NetNs,
    readonly family: Family,
    readonly oneline: boolean,
    /** CAP_NET_ADMIN: never in the model's containers. */
    readonly netAdmin: boolean,
    /** Whether /proc/sys/net/ipv4/route/flush is on a read-only mount (a container's). */
    readonly procSysReadOnly: boolean,
  ) {}

  print(text: string): void {
    this.out += text;
  }

  /** A warning that does not end the run (bb_error_msg). */
  warn(msg: string): void {
    this.err += `ip: ${msg}\n`;
  }

  /** bb_error_msg_and_die: the message, then exit with xfunc_error_retval. */
  die(msg: string): never {
    throw new BbIpExit(this.dieCode, `${this.err}ip: ${msg}\n`);
  }

  /** Ends the run with `code`, after `stderr` (already formatted). */
  exit(code: number, stderr = ''): never {
    throw new BbIpExit(code, this.err + stderr);
  }

  /** xll_name_to_index: if_nametoindex, or "can't find device". */
  dev(name: string): Device {
    return this.ns.device(name) ?? this.die(`can't find device '${name}'`);
  }

  /** The name ll_index_to_name gives an index: a device of this namespace, else "ifN". */
  indexName(index: number): string {
    return this.ns.deviceByIndex(index)?.name ?? `if${index}`;
  }

  /**
   * The kernel's answer to a change without CAP_NET_ADMIN, as BusyBox reports it. With the
   * capability (never the case in a container) the change itself is not modelled.
   */
  refuse(what: string, code: number): never {
    if (this.netAdmin)
      this.exit(2, 'packet-life: BusyBox ip making changes (with CAP_NET_ADMIN) is not modelled\n');
    this.exit(code, `ip: ${what}: Operation not permitted\n`);
  }

  /** rtnl_talk's EPERM: "RTNETLINK answers: Operation not permitted", exit 2. */
  refuseRtnl(): never {
    return this.refuse('RTNETLINK answers', 2);
  }

  /** flush_update's EPERM: "can't send flush request", exit 1. */
  refuseFlush(): never {
    return this.refuse("can't send flush request", 1);
  }

  invarg(arg: string, what: string): never {
    return this.die(`invalid argument '${arg}' to '${what}'`);
  }

  duparg(key: string, arg: string): never {
    return this.die(`duplicate "${key}": "${arg}" is the second value`);
  }

  duparg2(key: string, arg: string): never {
    return this.die(`either "${key}" is duplicate, or "${arg}" is garbage`);
  }

  /** NEXT_ARG: the word after `args[i]`, or "command line is not complete". */
  next(args: readonly string[], i: number): string {
    return args[i + 1] ?? this.die('command line is not complete, try "help"');
  }
}

/** A C integer literal as strtoul reads it with base 0: 0x hex, 0 octal, else decimal. */
const C_NUMBER = '0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*';

function cNumber(t: string): number {
  if (/^0[xX]/.test(t)) return parseInt(t.slice(2), 16);
  return t.length > 1 && t.startsWith('0') ? parseInt(t, 8) : Number(t);
}

/** strtoul(arg, &end, 0) taking the whole word (blanks and a sign may lead); undefined: not one. */
function strtoulWhole(arg: string): number | undefined {
  const m = new RegExp(`^\\s*([+-]?)(${C_NUMBER})$`).exec(arg);
  if (!m) return undefined;
  const v = cNumber(m[2]!);
  // A minus wraps around unsigned long: far beyond any limit, unless it negates zero.
  if (m[1] === '-') return v === 0 ? 0 : undefined;
  return v;
}

/** get_unsigned / get_u32: a whole number up to UINT_MAX, or "invalid argument". */
export function getUnsigned(c: BbIp, arg: string, what: string, max = 0xffffffff): number {
  const v = strtoulWhole(arg);
  if (v === undefined || v > max) return c.invarg(arg, what);
  return v;
}

/**
 * bb_strtou(arg, NULL, base) as rt_names.c uses it: the number the word starts with; undefined
 * (all ones) when it starts with no letter or digit or letters follow the number. Other trailing
 * junk only sets errno, which rtnl_a2n does not look at.
 */
function bbStrtou(arg: string, base: 0 | 16): number | undefined {
  if (!/^[0-9a-zA-Z]/.test(arg)) return undefined;
  const m = (base === 16 ? /^(?:0[xX])?[0-9a-fA-F]+/ : new RegExp(`^(?:${C_NUMBER})`)).exec(arg);
  if (!m || /^[0-9a-zA-Z]/.test(arg.slice(m[0].length))) return undefined;
  return base === 16 ? parseInt(m[0].replace(/^0[xX]/, ''), 16) : cNumber(m[0]);
}

/** rt_names.c's tables (no /etc/iproute2 files in these images): names, else numbers ≤ 1023. */
function nameToId(
  names: Readonly<Record<number, string>>,
  arg: string,
  base: 0 | 16 = 0,
): number | undefined {
  for (const [id, n] of Object.entries(names)) if (n === arg) return Number(id);
  const v = bbStrtou(arg, base);
  return v === undefined || v > 1023 ? undefined : v;
}

const SCOPES: Readonly<Record<number, string>> = {
  0: 'global',
  200: 'site',
  253: 'link',
  254: 'host',
  255: 'nowhere',
};
const TABLES: Readonly<Record<number, string>> = {
  0: 'unspec',
  253: 'default',
  254: 'main',
  255: 'local',
};
const PROTOS: Readonly<Record<number, string>> = {
  0: 'none',
  1: 'redirect',
  2: 'kernel',
  3: 'boot',
  4: 'static',
  8: 'gated',
  9: 'ra',
  10: 'mrt',
  11: 'zebra',
  12: 'bird',
};

export const scopeId = (arg: string) => nameToId(SCOPES, arg);
export const tableId = (arg: string) => nameToId(TABLES, arg);
export const protoId = (arg: string) => nameToId(PROTOS, arg);
export const dsfieldId = (arg: string) => nameToId({ 0: '0' }, arg, 16);
export const realmId = (arg: string) => nameToId({ 0: 'unknown' }, arg);
export const scopeName = (id: number) => SCOPES[id] ?? String(id);

/**
 * A `scope` filter word, as `ip addr show` and `ip route show` both read it: a scope matches
 * exactly; `all` matches any (scope 255 with an empty mask); anything else is an invalid argument.
 */
export function scopeFilter(c: BbIp, arg: string): { scope: number; scopeMask: number } {
  const id = scopeId(arg);
  if (id !== undefined) return { scope: id, scopeMask: -1 };
  if (arg !== 'all') c.invarg(arg, 'scope');
  return { scope: 255, scopeMask: 0 };
}
export const tableName = (id: number) => TABLES[id] ?? String(id);

/** rtm_map.c's route types, in the order rtnl_rtntype_a2n matches them. */
const RTN_WORDS = [
  'local',
  'nat',
  'broadcast',
  'brd',
  'anycast',
  'multicast',
  'prohibit',
  'unreachable',
  'blackhole',
  'xresolve',
  'unicast',
  'throw',
];

/** rtnl_rtntype_a2n: a route type by (abbreviated) name or number 0–255; undefined: none. */
export function routeTypeId(arg: string): string | undefined {
  const k = indexInSubstrings(RTN_WORDS, arg);
  if (k >= 0) return RTN_WORDS[k] === 'brd' ? 'broadcast' : RTN_WORDS[k];
  const v = strtoulWhole(arg);
  return v !== undefined && v <= 255 ? String(v) : undefined;
}

/** An inet_prefix: an address (16 bytes, IPv4 in the first 4) and its length in bits. */
export interface InetPrefix {
  family: 'unspec' | 'inet' | 'inet6' | 'packet';
  bytes: number[];
  bytelen: number;
  /** -1: an address without a length. */
  bitlen: number;
}

export function emptyPrefix(family: InetPrefix['family'] = 'unspec'): InetPrefix {
  return { family, bytes: new Array<number>(16).fill(0), bytelen: 0, bitlen: 0 };
}

const isDefaultWord = (s: string) => s === 'default' || s === 'all' || s === 'any';

/** inet_pton(AF_INET6): the 16 bytes of an IPv6 address, or undefined. */
export function parseIpv6(text: string): number[] | undefined {
  let t = text;
  // A dotted quad may end it, standing for the last two groups.
  const last = t.lastIndexOf(':');
  if (t.slice(last + 1).includes('.')) {
    const q = t.slice(last + 1).split('.');
    if (q.length !== 4 || q.some((p) => !/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255))
      return undefined;
    const [a, b, c, d] = q.map(Number) as [number, number, number, number];
    t = `${t.slice(0, last + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = t.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const left = groups(halves[0]!);
  const right = halves.length === 2 ? groups(halves[1]!) : [];
  if ([...left, ...right].some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const fill = 8 - left.length - right.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return undefined;
  const words = [...left, ...new Array<string>(fill).fill('0'), ...right].map((g) =>
    parseInt(g, 16),
  );
  return words.flatMap((w) => [w >> 8, w & 0xff]);
}

/**
 * get_addr_1: "default"/"all"/"any", an IPv6 address (with a colon) or a loose IPv4 one. Like C,
 * a failed parse still leaves the family it had decided on (and the IPv4 bytes read so far).
 */
export function getAddr1(name: string, family: Family): { ok: boolean; p: InetPrefix } {
  const p = emptyPrefix();
  if (isDefaultWord(name)) {
    p.family = family;
    p.bytelen = family === 'inet6' ? 16 : 4;
    p.bitlen = -1;
    return { ok: true, p };
  }
  if (name.includes(':')) {
    p.family = 'inet6';
    if (family !== 'unspec' && family !== 'inet6') return { ok: false, p };
    const b = parseIpv6(name);
    if (!b) return { ok: false, p };
    p.bytes = b;
    p.bytelen = 16;
    p.bitlen = -1;
    return { ok: true, p };
  }
  if (family !== 'unspec' && family !== 'inet') return { ok: false, p };
  p.family = 'inet';
  let i = 0;
  let n = 0;
  for (const ch of name) {
    if (ch >= '0' && ch <= '9') {
      n = n * 10 + Number(ch);
      if (n >= 256) return { ok: false, p };
      p.bytes[i] = n;
      continue;
    }
    if (ch === '.' && ++i <= 3) {
      n = 0;
      continue;
    }
    return { ok: false, p };
  }
  p.bytelen = 4;
  p.bitlen = -1;
  return { ok: true, p };
}

/**
 * get_prefix: ADDR[/LEN or /MASK]. An address that does not parse is no error (the prefix stays
 * as get_addr_1 left it, length 0); a bad length is, naming the address without it.
 */
export function getPrefix(c: BbIp, arg: string, family: Family): InetPrefix {
  if (family === 'packet')
    c.die(`"${arg}" may be inet prefix, but it is not allowed in this context`);
  if (isDefaultWord(arg)) return emptyPrefix(family);
  const slash = arg.indexOf('/');
  const addr = slash < 0 ? arg : arg.slice(0, slash);
  const { ok, p } = getAddr1(addr, family);
  if (!ok) return p;
  const max = p.family === 'inet6' ? 128 : 32;
  p.bitlen = max;
  if (slash < 0) return p;
  const bad = () => c.die(`an inet prefix is expected rather than "${addr}"`);
  const lenText = arg.slice(slash + 1);
  // bb_strtou: the whole word a number, else errno; a mask is tried when that fails or is too long.
  let plen = new RegExp(`^(?:${C_NUMBER})$`).test(lenText) ? cNumber(lenText) : undefined;
  if (plen === undefined || plen > max) {
    const mask = getAddr1(lenText, family);
    if (!mask.ok) bad();
    if (mask.p.family === 'inet') {
      const [a, b2, c2, d] = mask.p.bytes as [number, number, number, number];
      let m = ((a << 24) | (b2 << 16) | (c2 << 8) | d) >>> 0;
      const host = ~m >>> 0;
      // A netmask is ones then zeroes: host + 1 a power of two.
      if (host !== 0xffffffff && (host & (host + 1)) !== 0) bad();
      for (plen = 0; m; m = (m << 1) >>> 0) plen++;
      if (plen > max) bad();
    } else plen = -1;
  }
  p.bitlen = plen;
  return p;
}

/** get_addr: an address for `family`, or "an inet address is expected". */
export function getAddr(c: BbIp, arg: string, family: Family): InetPrefix {
  if (family === 'packet')
    c.die(`"${arg}" may be inet address, but it is not allowed in this context`);
  const { ok, p } = getAddr1(arg, family);
  if (!ok) c.die(`an inet address is expected rather than "${arg}"`);
  return p;
}

/** get_addr32: an IPv4 address, or "an IP address is expected". */
export function getAddr32(c: BbIp, arg: string): number[] {
  const { ok, p } = getAddr1(arg, 'inet');
  if (!ok) c.die(`an IP address is expected rather than "${arg}"`);
  return p.bytes.slice(0, 4);
}

/** inet_addr_match: whether the first `bits` bits of `a` and `b` agree (bits ≤ 0: always). */
export function prefixMatch(a: readonly number[], b: readonly number[], bits: number): boolean {
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((a[i] ?? 0) ^ (b[i] ?? 0)) & mask) return false;
  }
  return true;
}

/** The bytes of an address the model holds as text (IPv4 dotted quad or IPv6). */
export function addrBytes(text: string): number[] {
  if (text.includes(':')) return parseIpv6(text) ?? new Array<number>(16).fill(0);
  const b = text.split('.').map(Number);
  return [...b, ...new Array<number>(12).fill(0)];
}

/** fnmatch(pattern, s, 0): *, ? and [...] (negated by ! or ^), backslash quoting. */
export function fnmatch(pattern: string, s: string): boolean {
  const quote = (ch: string) => ch.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else if (ch === '\\' && i + 1 < pattern.length) re += quote(pattern[++i]!);
    else if (ch === '[' && pattern.indexOf(']', i + 2) > 0) {
      const end = pattern.indexOf(']', i + 2);
      let body = pattern.slice(i + 1, end);
      const neg = body.startsWith('!') || body.startsWith('^');
      if (neg) body = body.slice(1);
      re += `[${neg ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = end;
    } else re += quote(ch);
  }
  return new RegExp(`^${re}$`, 's').test(s);
}
