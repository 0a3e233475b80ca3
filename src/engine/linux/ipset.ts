/**
 * IP sets (the kernel's ip_set core with the hash:ip, hash:net and hash:ip,port types) per network
 * namespace, and the commands of ipset v7.17 (Debian 12) that read and write them: create, add,
 * del, test, list, save, restore, flush, rename, swap, destroy, with the tool's own error texts.
 *
 * Checked in pl-np- namespaces on kernel 6.18 with ipset 7.17 (see ipset.test.ts):
 * - `list` prints Name/Type/Revision/Header/Size in memory/References/Number of entries/Members;
 *   the header is `family inet hashsize 1024 maxelem 65536[ timeout T] bucketsize 12 initval 0x…`
 *   (initval random per set); revisions hash:ip 6, hash:net 7, hash:ip,port 7.
 * - "Size in memory" is the table (216 bytes for hash:ip and hash:ip,port, 456 for hash:net) plus,
 *   per bucket in use, a 32-byte bucket holding two element slots (4, 8 and 8 bytes, or 16 with a
 *   timeout). The model puts every element in its own bucket (1024 buckets make sharing rare).
 * - References counts the iptables rules whose `-m set` match names the set; a referenced set
 *   cannot be destroyed or renamed.
 * - hash:ip takes a CIDR or range and adds each address, stopping at the first one present;
 *   hash:net masks the host bits, refuses /0, and a `nomatch` entry makes a more specific prefix
 *   test negative (the kernel tries the most specific prefixes first).
 * - `test` writes "Warning: X is in set S." to stderr with status 0, or "X is NOT in set S." with
 *   status 1. `restore` applies what came before a failing line; the adds pending in the batch
 *   that failed are lost (a set created there exists, empty).
 *
 * The kernel lists a hash set in hash order, which depends on the random initval; the model
 * lists entries in the order they were added.
 */
import { type Ipv4, formatIpv4, parseIpv4 } from '../net/ipv4';
import type { NetNs } from './netns';

export type IpsetType = 'hash:ip' | 'hash:net' | 'hash:ip,port';

const TYPES: Record<IpsetType, { revision: number; base: number; elem: number }> = {
  'hash:ip': { revision: 6, base: 216, elem: 4 },
  'hash:net': { revision: 7, base: 456, elem: 8 },
  'hash:ip,port': { revision: 7, base: 216, elem: 8 },
};

export interface IpsetEntry {
  readonly addr: Ipv4;
  /** Prefix length (32 for hash:ip and hash:ip,port). */
  readonly cidr: number;
  /** hash:ip,port: IP protocol number and port. */
  readonly proto?: number;
  readonly port?: number;
  /** The timeout given when added (0 = permanent); only in sets created with a timeout. */
  readonly timeout?: number;
  /** Simulated time (ns) when a non-zero timeout runs out. */
  readonly expires?: number;
  readonly nomatch: boolean;
}

export interface IpSet {
  name: string;
  readonly type: IpsetType;
  readonly hashsize: number;
  readonly maxelem: number;
  /** Default timeout of the set, when created with timeout support. */
  readonly timeout?: number;
  readonly initval: number;
  entries: IpsetEntry[];
}

/** The namespace's sets (the kernel keeps them per netns, in creation order). */
export class IpsetTable {
  readonly sets = new Map<string, IpSet>();
  constructor(readonly ns: NetNs) {}

  get(name: string): IpSet | undefined {
    const s = this.sets.get(name);
    if (s) expire(s, this.ns.world.sched.now);
    return s;
  }

  /** How many iptables rules in the namespace name the set in a `-m set` match. */
  references(name: string): number {
    let n = 0;
    for (const t of this.ns.netfilter.tables.values())
      for (const c of t.chains.values())
        for (const r of c.rules)
          for (const m of r.matches) if (m.kind === 'set' && m.name === name) n++;
    return n;
  }
}

const tables = new WeakMap<NetNs, IpsetTable>();

/** The ip sets of a namespace (created empty on first use). */
export function ipsetsOf(ns: NetNs): IpsetTable {
  let t = tables.get(ns);
  if (!t) {
    t = new IpsetTable(ns);
    tables.set(ns, t);
  }
  return t;
}

function expire(s: IpSet, now: number): void {
  if (s.entries.some((e) => e.expires !== undefined && e.expires <= now))
    s.entries = s.entries.filter((e) => e.expires === undefined || e.expires > now);
}

const PROTO_NUM: Record<string, number> = { tcp: 6, udp: 17, sctp: 132, icmp: 1 };
const PROTO_NAME: Record<number, string> = { 6: 'tcp', 17: 'udp', 132: 'sctp', 1: 'icmp' };

function sameKey(a: IpsetEntry, b: IpsetEntry): boolean {
  return a.addr === b.addr && a.cidr === b.cidr && a.proto === b.proto && a.port === b.port;
}

/** Whether a packet's address (and port, for hash:ip,port) is in the set, as the kernel tests it. */
export function ipsetMatch(
  s: IpSet,
  addr: Ipv4,
  port?: { proto: number; port: number },
  now = 0,
): boolean {
  expire(s, now);
  if (s.type === 'hash:ip') return s.entries.some((e) => e.addr === addr);
  if (s.type === 'hash:ip,port')
    return (
      port !== undefined &&
      s.entries.some((e) => e.addr === addr && e.proto === port.proto && e.port === port.port)
    );
  // hash:net: the most specific prefix present decides; a nomatch entry there says no.
  const lens = [...new Set(s.entries.map((e) => e.cidr))].sort((a, b) => b - a);
  for (const len of lens) {
    const net = maskAddr(addr, len);
    const e = s.entries.find((x) => x.cidr === len && x.addr === net);
    if (e) return !e.nomatch;
  }
  return false;
}

function maskAddr(a: number, len: number): Ipv4 {
  return (len === 0 ? 0 : (a & ((0xffffffff << (32 - len)) >>> 0)) >>> 0) as Ipv4;
}

// --- the commands

const V = 'ipset v7.17: ';
const HELP_HINT = "Try `ipset help' for more information.\n";

/** A failed command: the text ipset prints (without the "ipset v7.17: " prefix) and its status. */
export class IpsetError extends Error {
  constructor(
    readonly text: string,
    readonly code = 1,
    /** Usage errors get the "Try `ipset help'" line. */
    readonly hint = false,
    /** Printed as is, without the "ipset v7.17: " prefix (test's verdict). */
    readonly bare = false,
  ) {
    super(text);
  }
}

const noSet = () => new IpsetError('The set with the given name does not exist');

export interface IpsetResult {
  stdout: string;
  stderr: string;
  code: number;
}

interface Opts {
  exist: boolean;
  quiet: boolean;
  names: boolean;
  terse: boolean;
  output?: 'plain' | 'save';
  file?: string;
}

/** Parses an element of the set's type: the entries it stands for (ranges expand). */
function parseElement(s: IpSet, text: string, forTest = false): IpsetEntry[] {
  const bad = (what: string) =>
    new IpsetError(`Syntax error: cannot parse ${what}: resolving to IPv4 address failed`, 1);
  let rest = text;
  let proto: number | undefined;
  let port: number | undefined;
  const comma = text.indexOf(',');
  if (s.type !== 'hash:ip,port' && comma >= 0)
    throw new IpsetError(
      `Syntax error: Elem separator in ${text}, but settype ${s.type} supports none.`,
    );
  if (s.type === 'hash:ip,port') {
    if (comma < 0) throw new IpsetError(`Syntax error: Second element is missing from ${text}.`);
    rest = text.slice(0, comma);
    const pp = text.slice(comma + 1);
    const colon = pp.indexOf(':');
    const pname = colon < 0 ? 'tcp' : pp.slice(0, colon).toLowerCase();
    const ptext = colon < 0 ? pp : pp.slice(colon + 1);
    proto = PROTO_NUM[pname];
    if (proto === undefined)
      throw new IpsetError(`Syntax error: cannot parse '${pname}' as a protocol`, 1);
    if (!/^[0-9]+$/.test(ptext) || Number(ptext) > 65535)
      throw new IpsetError(
        `Syntax error: '${ptext}' is out of range 0-65535\nSyntax error: '${pname}' is invalid as number\ncannot parse '${ptext}' as a ${pname} port`,
      );
    port = Number(ptext);
  }
  const dash = rest.indexOf('-');
  if (dash >= 0 && s.type !== 'hash:net') {
    const a = parseIpv4(rest.slice(0, dash));
    const b = parseIpv4(rest.slice(dash + 1));
    if (a === undefined) throw bad(rest.slice(0, dash));
    if (b === undefined) throw bad(rest.slice(dash + 1));
    const out: IpsetEntry[] = [];
    for (let x = a; x <= b; x++)
      out.push({ addr: x as Ipv4, cidr: 32, proto, port, nomatch: false });
    return out;
  }
  const slash = rest.indexOf('/');
  const ip = parseIpv4(slash < 0 ? rest : rest.slice(0, slash));
  if (ip === undefined) throw bad(slash < 0 ? rest : rest.slice(0, slash));
  let len = 32;
  if (slash >= 0) {
    const l = rest.slice(slash + 1);
    if (!/^[0-9]+$/.test(l) || Number(l) > 32)
      throw new IpsetError(`Syntax error: '${l}' is out of range 0-32`, 1);
    len = Number(l);
  }
  if (s.type === 'hash:net') {
    if (len === 0)
      throw new IpsetError('The value of the CIDR parameter of the IP address is invalid');
    return [{ addr: maskAddr(ip, len), cidr: len, nomatch: false }];
  }
  if (len === 32 || forTest) return [{ addr: ip, cidr: 32, proto, port, nomatch: false }];
  const first = maskAddr(ip, len);
  const out: IpsetEntry[] = [];
  for (let i = 0; i < 2 ** (32 - len); i++)
    out.push({ addr: (first + i) as Ipv4, cidr: 32, proto, port, nomatch: false });
  return out;
}

function formatEntry(s: IpSet, e: IpsetEntry, now: number): string {
  let t = formatIpv4(e.addr);
  if (s.type === 'hash:net' && e.cidr !== 32) t += `/${e.cidr}`;
  if (s.type === 'hash:ip,port') t += `,${PROTO_NAME[e.proto!] ?? e.proto}:${e.port}`;
  if (s.timeout !== undefined) {
    const left =
      e.expires !== undefined ? Math.max(0, Math.ceil((e.expires - now) / 1e9)) : (e.timeout ?? 0);
    t += ` timeout ${left}`;
  }
  if (e.nomatch) t += ' nomatch';
  return t;
}

function header(s: IpSet): string {
  return `family inet hashsize ${s.hashsize} maxelem ${s.maxelem}${s.timeout !== undefined ? ` timeout ${s.timeout}` : ''} bucketsize 12 initval 0x${s.initval.toString(16).padStart(8, '0')}`;
}

function memsize(s: IpSet): number {
  const t = TYPES[s.type];
  const dsize = s.timeout !== undefined ? 16 : t.elem;
  return t.base + s.entries.length * (32 + 2 * dsize);
}

function listSet(tab: IpsetTable, s: IpSet, o: Opts): string {
  if (o.names) return `${s.name}\n`;
  const now = tab.ns.world.sched.now;
  if (o.output === 'save') return saveSet(s, now);
  const lines = [
    `Name: ${s.name}`,
    `Type: ${s.type}`,
    `Revision: ${TYPES[s.type].revision}`,
    `Header: ${header(s)}`,
    `Size in memory: ${memsize(s)}`,
    `References: ${tab.references(s.name)}`,
    `Number of entries: ${s.entries.length}`,
  ];
  if (!o.terse) {
    lines.push('Members:');
    for (const e of s.entries) lines.push(formatEntry(s, e, now));
  }
  return `${lines.join('\n')}\n`;
}

function saveSet(s: IpSet, now: number): string {
  const lines = [`create ${s.name} ${s.type} ${header(s)}`];
  for (const e of s.entries) lines.push(`add ${s.name} ${formatEntry(s, e, now)}`);
  return `${lines.join('\n')}\n`;
}

/** `ipset -h` as 7.17 prints it. */
const HELP = `ipset v7.17

Usage: ipset [options] COMMAND

Commands:
create SETNAME TYPENAME [type-specific-options]
        Create a new set
add SETNAME ENTRY
        Add entry to the named set
del SETNAME ENTRY
        Delete entry from the named set
test SETNAME ENTRY
        Test entry in the named set
destroy [SETNAME]
        Destroy a named set or all sets
list [SETNAME]
        List the entries of a named set or all sets
save [SETNAME]
        Save the named set or all sets to stdout
restore 
        Restore a saved state
flush [SETNAME]
        Flush a named set or all sets
rename FROM-SETNAME TO-SETNAME
        Rename two sets
swap FROM-SETNAME TO-SETNAME
        Swap the contect of two existing sets
help [TYPENAME]
        Print help, and settype specific help
version 
        Print version information
quit 
        Quit interactive mode

Options:
-o plain|save|xml
       Specify output mode for listing sets.
       Default value for "list" command is mode "plain"
       and for "save" command is mode "save".
-s 
        Print elements sorted (if supported by the set type).
-q 
        Suppress any notice or warning message.
-r 
        Try to resolve IP addresses in the output (slow!)
-! 
        Ignore errors when creating or adding sets or
        elements that do exist or when deleting elements
        that don't exist.
-n 
        When listing, just list setnames from the kernel.

-t 
        When listing, list setnames and set headers
        from kernel only.
-f 
        Read from the given file instead of standard
        input (restore) or write to given file instead
        of standard output (list/save).

Supported set types:
    list:set		3	skbinfo support
    list:set		2	comment support
    list:set		1	counters support
    list:set		0	Initial revision
    hash:mac		1	bucketsize, initval support
    hash:mac		0	Initial revision
    hash:ip,mac		1	bucketsize, initval support
    hash:ip,mac		0	Initial revision
    hash:net,iface	8	bucketsize, initval support
    hash:net,iface	7	skbinfo and wildcard support
    hash:net,iface	6	skbinfo support
    hash:net,iface	5	forceadd support
    hash:net,iface	4	comment support
    hash:net,iface	3	counters support
    hash:net,iface	2	/0 network support
    hash:net,iface	1	nomatch flag support
    hash:net,iface	0	Initial revision
    hash:net,port	8	bucketsize, initval support
    hash:net,port	7	skbinfo support
    hash:net,port	6	forceadd support
    hash:net,port	5	comment support
    hash:net,port	4	counters support
    hash:net,port	3	nomatch flag support
    hash:net,port	2	Add/del range support
    hash:net,port	1	SCTP and UDPLITE support
    hash:net,port,net	3	bucketsize, initval support
    hash:net,port,net	2	skbinfo support
    hash:net,port,net	1	forceadd support
    hash:net,port,net	0	initial revision
    hash:net,net	4	netmask and bitmask support
    hash:net,net	3	bucketsize, initval support
    hash:net,net	2	skbinfo support
    hash:net,net	1	forceadd support
    hash:net,net	0	initial revision
    hash:net		7	bucketsize, initval support
    hash:net		6	skbinfo support
    hash:net		5	forceadd support
    hash:net		4	comment support
    hash:net		3	counters support
    hash:net		2	nomatch flag support
    hash:net		1	Add/del range support
    hash:net		0	Initial revision
    hash:ip,port,net	8	bucketsize, initval support
    hash:ip,port,net	7	skbinfo support
    hash:ip,port,net	6	forceadd support
    hash:ip,port,net	5	comment support
    hash:ip,port,net	4	counters support
    hash:ip,port,net	3	nomatch flag support
    hash:ip,port,net	2	Add/del range support
    hash:ip,port,net	1	SCTP and UDPLITE support
    hash:ip,port,ip	6	bucketsize, initval support
    hash:ip,port,ip	5	skbinfo support
    hash:ip,port,ip	4	forceadd support
    hash:ip,port,ip	3	comment support
    hash:ip,port,ip	2	counters support
    hash:ip,port,ip	1	SCTP and UDPLITE support
    hash:ip,mark	3	bucketsize, initval support
    hash:ip,mark	2	skbinfo support
    hash:ip,mark	1	forceadd support
    hash:ip,mark	0	initial revision
    hash:ip,port	7	netmask and bitmask support
    hash:ip,port	6	bucketsize, initval support
    hash:ip,port	5	skbinfo support
    hash:ip,port	4	forceadd support
    hash:ip,port	3	comment support
    hash:ip,port	2	counters support
    hash:ip,port	1	SCTP and UDPLITE support
    hash:ip		6	bitmask support
    hash:ip		5	bucketsize, initval support
    hash:ip		4	skbinfo support
    hash:ip		3	forceadd support
    hash:ip		2	comment support
    hash:ip		1	counters support
    hash:ip		0	Initial revision
    bitmap:port		3	skbinfo support
    bitmap:port		2	comment support
    bitmap:port		1	counters support
    bitmap:port		0	Initial revision
    bitmap:ip,mac	3	skbinfo support
    bitmap:ip,mac	2	comment support
    bitmap:ip,mac	1	counters support
    bitmap:ip,mac	0	Initial revision
    bitmap:ip		3	skbinfo support
    bitmap:ip		2	comment support
    bitmap:ip		1	counters support
    bitmap:ip		0	Initial revision
`;

const COMMANDS = [
  'create',
  'add',
  'del',
  'test',
  'destroy',
  'list',
  'save',
  'restore',
  'flush',
  'rename',
  'swap',
  'help',
  'version',
] as const;
type Command = (typeof COMMANDS)[number];
const ALIASES: Record<string, Command> = { n: 'create', '-N': 'create', '-A': 'add' };

const missing = (nth: '' | 'second ', cmd: string) =>
  new IpsetError(`Missing ${nth}mandatory argument to command ${cmd}`, 2, true);

/**
 * Runs one ipset command line (argv without "ipset") against the namespace. `stdin` is what
 * `restore` reads when no -f is given; `readFile` resolves -f for restore.
 */
export function runIpset(
  ns: NetNs,
  argv: readonly string[],
  stdin = '',
  readFile?: (path: string) => string | undefined,
): IpsetResult {
  const o: Opts = { exist: false, quiet: false, names: false, terse: false };
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-exist' || a === '-!') o.exist = true;
    else if (a === '-q' || a === '-quiet') o.quiet = true;
    else if (a === '-n' || a === '-name') o.names = true;
    else if (a === '-t' || a === '-terse') o.terse = true;
    else if (a === '-s' || a === '-sorted' || a === '-r' || a === '-resolve') continue;
    else if (a === '-o' || a === '-output') {
      const v = argv[++i];
      if (v !== 'plain' && v !== 'save')
        return fail(new IpsetError(`Syntax error: Unknown output mode '${v ?? ''}'`, 1));
      o.output = v;
    } else if (a === '-f' || a === '-file') o.file = argv[++i];
    else if (a === '-v' || a === '-version') words.unshift('version');
    else if (a === '-h' || a === '-help') words.unshift('help');
    else words.push(a);
  }
  try {
    const cmd = words[0];
    if (cmd === undefined) throw new IpsetError('No command specified.', 2, true);
    const c: Command | undefined = (COMMANDS as readonly string[]).includes(cmd)
      ? (cmd as Command)
      : ALIASES[cmd];
    if (c === undefined)
      throw new IpsetError(`No command specified: unknown argument ${cmd}`, 2, true);
    if (c === 'restore') {
      const text = o.file !== undefined ? readFile?.(o.file) : stdin;
      if (text === undefined)
        throw new IpsetError(`Cannot open ${o.file ?? ''} for reading: No such file or directory`);
      return restore(ns, text, o);
    }
    const out = exec(ns, c, words.slice(1), o);
    return { stdout: out.stdout, stderr: out.stderr, code: 0 };
  } catch (e) {
    if (e instanceof IpsetError) return fail(e);
    throw e;
  }
}

function fail(e: IpsetError, line?: number): IpsetResult {
  const where = line !== undefined ? `Error in line ${line}: ` : '';
  if (e.bare) return { stdout: '', stderr: `${e.text}\n`, code: e.code };
  return {
    stdout: '',
    stderr: `${V}${where}${e.text}\n${e.hint ? HELP_HINT : ''}`,
    code: e.code,
  };
}

/** The result of one command: what it printed (test writes its verdict to stderr). */
function exec(
  ns: NetNs,
  c: Command,
  args: readonly string[],
  o: Opts,
): { stdout: string; stderr: string } {
  const tab = ipsetsOf(ns);
  const now = ns.world.sched.now;
  const none = { stdout: '', stderr: '' };
  const setArg = (i: number) => args[i];
  switch (c) {
    case 'version':
      return { stdout: 'ipset v7.17, protocol version: 7\n', stderr: '' };
    case 'help':
      return { stdout: HELP, stderr: '' };
    case 'create': {
      const name = setArg(0);
      if (name === undefined) throw missing('', 'create');
      const type = setArg(1);
      if (type === undefined) throw missing('second ', 'create');
      if (!(type in TYPES)) throw new IpsetError(`Syntax error: typename '${type}' is unknown`);
      if (name.length > 31)
        throw new IpsetError(`Syntax error: setname '${name}' is longer than 31 characters`);
      let hashsize = 1024;
      let maxelem = 65536;
      let timeout: number | undefined;
      let initval: number | undefined;
      for (let i = 2; i < args.length; i++) {
        const k = args[i]!;
        const v = args[++i];
        const num = () => {
          if (v === undefined || !/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(v))
            throw new IpsetError(`Syntax error: cannot parse '${v ?? ''}' as a ${k} value`);
          return Number(v);
        };
        if (k === 'family') {
          if (v !== 'inet') throw new IpsetError(`Syntax error: unknown family '${v ?? ''}'`);
        } else if (k === 'hashsize') {
          // Rounded up to a power of two, at least 64.
          hashsize = Math.max(64, 2 ** Math.ceil(Math.log2(Math.max(1, num()))));
        } else if (k === 'maxelem') maxelem = num();
        else if (k === 'timeout') timeout = num();
        else if (k === 'bucketsize') num();
        else if (k === 'initval') initval = num() >>> 0;
        else throw new IpsetError(`Unknown argument: \`${k}'`, 2, true);
      }
      const old = tab.get(name);
      if (old) {
        if (o.exist && old.type === type && old.timeout === timeout) return none;
        throw new IpsetError('Set cannot be created: set with the same name already exists');
      }
      tab.sets.set(name, {
        name,
        type: type as IpsetType,
        hashsize,
        maxelem,
        timeout,
        initval: initval ?? ns.world.rng.int(0, 0xffffffff) >>> 0,
        entries: [],
      });
      return none;
    }
    case 'add':
    case 'del':
    case 'test': {
      const name = setArg(0);
      if (name === undefined) throw missing('', c);
      const s = tab.get(name);
      const elem = setArg(1);
      if (elem === undefined) {
        if (!s) throw noSet();
        throw missing('second ', c);
      }
      if (!s) throw noSet();
      let timeout: number | undefined;
      let nomatch = false;
      for (let i = 2; i < args.length; i++) {
        const k = args[i]!;
        if (k === 'timeout') {
          const v = args[++i];
          if (v === undefined || !/^[0-9]+$/.test(v))
            throw new IpsetError(`Syntax error: cannot parse '${v ?? ''}' as a timeout value`);
          if (s.timeout === undefined)
            throw new IpsetError('Timeout cannot be used: set was created without timeout support');
          timeout = Number(v);
        } else if (k === 'nomatch' && s.type === 'hash:net') nomatch = true;
        else throw new IpsetError(`Unknown argument: \`${k}'`, 2, true);
      }
      const entries = parseElement(s, elem, c === 'test');
      if (c === 'test') {
        const e = entries[0]!;
        const hit =
          s.type === 'hash:net' && elem.includes('/')
            ? s.entries.some((x) => sameKey(x, e) && !x.nomatch)
            : ipsetMatch(
                s,
                e.addr,
                e.port !== undefined ? { proto: e.proto!, port: e.port } : undefined,
                now,
              );
        if (!hit) throw new IpsetError(`${elem} is NOT in set ${name}.`, 1, false, true);
        return { stdout: '', stderr: o.quiet ? '' : `Warning: ${elem} is in set ${name}.\n` };
      }
      for (const e0 of entries) {
        const t = timeout ?? s.timeout;
        const e: IpsetEntry = {
          ...e0,
          nomatch,
          timeout: s.timeout !== undefined ? t : undefined,
          expires: s.timeout !== undefined && t ? now + t * 1e9 : undefined,
        };
        const idx = s.entries.findIndex((x) => sameKey(x, e));
        if (c === 'add') {
          if (idx >= 0) {
            if (!o.exist)
              throw new IpsetError("Element cannot be added to the set: it's already added");
            s.entries[idx] = e;
            continue;
          }
          if (s.entries.length >= s.maxelem)
            throw new IpsetError('Hash is full, cannot add more elements');
          s.entries.push(e);
        } else {
          if (idx < 0) {
            if (o.exist) continue;
            throw new IpsetError("Element cannot be deleted from the set: it's not added");
          }
          s.entries.splice(idx, 1);
        }
      }
      return none;
    }
    case 'list':
    case 'save': {
      const name = setArg(0);
      const lo: Opts = c === 'save' && !o.output ? { ...o, output: 'save' } : o;
      if (name !== undefined) {
        const s = tab.get(name);
        if (!s) throw noSet();
        return { stdout: listSet(tab, s, lo), stderr: '' };
      }
      const sets = [...tab.sets.keys()].map((n) => tab.get(n)!);
      const parts = sets.map((s) => listSet(tab, s, lo));
      const sep = lo.names || lo.output === 'save' ? '' : '\n';
      return { stdout: parts.join(sep), stderr: '' };
    }
    case 'flush': {
      const name = setArg(0);
      if (name === undefined) {
        for (const s of tab.sets.values()) s.entries = [];
        return none;
      }
      const s = tab.get(name);
      if (!s) throw noSet();
      s.entries = [];
      return none;
    }
    case 'destroy': {
      const name = setArg(0);
      if (name === undefined) {
        for (const n of tab.sets.keys())
          if (tab.references(n) > 0)
            throw new IpsetError('Set cannot be destroyed: it is in use by a kernel component');
        tab.sets.clear();
        return none;
      }
      if (!tab.sets.has(name)) {
        if (o.exist) return none;
        throw noSet();
      }
      if (tab.references(name) > 0)
        throw new IpsetError('Set cannot be destroyed: it is in use by a kernel component');
      tab.sets.delete(name);
      return none;
    }
    case 'rename': {
      const from = setArg(0);
      const to = setArg(1);
      if (from === undefined) throw missing('', c);
      if (to === undefined) throw missing('second ', c);
      const s = tab.sets.get(from);
      if (!s) throw noSet();
      if (tab.references(from) > 0)
        throw new IpsetError('Set cannot be renamed: it is in use by another system');
      if (tab.sets.has(to))
        throw new IpsetError('Set cannot be renamed: a set with the new name already exists');
      tab.sets.delete(from);
      s.name = to;
      tab.sets.set(to, s);
      return none;
    }
    case 'swap': {
      const from = setArg(0);
      const to = setArg(1);
      if (from === undefined) throw missing('', c);
      if (to === undefined) throw missing('second ', c);
      const a = tab.sets.get(from);
      if (!a) throw noSet();
      const b = tab.sets.get(to);
      if (!b) throw new IpsetError('Sets cannot be swapped: the second set does not exist');
      if (a.type !== b.type)
        throw new IpsetError('The sets cannot be swapped: their type does not match');
      // The contents and headers trade places; the names (and rules naming them) stay.
      a.name = to;
      b.name = from;
      tab.sets.set(from, b);
      tab.sets.set(to, a);
      return none;
    }
    case 'restore':
      return none;
  }
}

/**
 * `ipset restore`: one command per line (without "ipset"), `COMMIT` lines ignored. Adds are
 * batched until another command comes; on an error the batch in progress is lost.
 */
function restore(ns: NetNs, text: string, o: Opts): IpsetResult {
  const lines = text.split('\n');
  let pending: { line: number; words: string[] }[] = [];
  let stderr = '';
  const flush = (): IpsetResult | undefined => {
    const batch = pending;
    pending = [];
    for (const p of batch) {
      try {
        exec(ns, p.words[0] as Command, p.words.slice(1), o);
      } catch (e) {
        if (e instanceof IpsetError) return fail(e, p.line);
        throw e;
      }
    }
    return undefined;
  };
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (!line || line.startsWith('#') || line === 'COMMIT') continue;
    const words = line.split(/\s+/);
    const cmd = words[0]!;
    if (!(COMMANDS as readonly string[]).includes(cmd) || cmd === 'restore') {
      return fail(new IpsetError(`No command specified: unknown argument ${cmd}`, 2, true));
    }
    if (cmd === 'add' || cmd === 'del') {
      pending.push({ line: n + 1, words });
      continue;
    }
    const err = flush();
    if (err) return err;
    try {
      const r = exec(ns, cmd as Command, words.slice(1), o);
      stderr += r.stderr;
    } catch (e) {
      if (e instanceof IpsetError) return fail(e, n + 1);
      throw e;
    }
  }
  const err = flush();
  if (err) return err;
  return { stdout: '', stderr, code: 0 };
}
