/**
 * Parsing iptables 1.8.9 (nf_tables) rule specifications into the kernel model's Rule, and
 * printing rules back the way `-S`, `iptables-save` and `-L` do.
 */
import { type Cidr, formatIpv4, parseIpv4 } from '../../../net/ipv4';
import type {
  AddrType,
  CtStateName,
  Match,
  Neg,
  PortRange,
  Rule,
  TableName,
  Target,
} from '../../../linux/netfilter';
import { statisticThreshold } from '../../../linux/netfilter';

export const IPT_PREFIX = 'iptables v1.8.9 (nf_tables): ';
export const TRY_HELP = "Try `iptables -h' or 'iptables --help' for more information.\n";

/** A user-facing failure with iptables' own text and exit status. */
export class IptError extends Error {
  constructor(
    readonly code: number,
    readonly text: string,
  ) {
    super(text);
  }
}

export const paramProblem = (msg: string) => new IptError(2, `${IPT_PREFIX}${msg}\n${TRY_HELP}`);

const PROTOS: Record<string, number> = { all: 0, tcp: 6, udp: 17, icmp: 1, ipip: 4, sctp: 132 };
const PROTO_NAMES: Record<number, string> = {
  0: 'all',
  6: 'tcp',
  17: 'udp',
  1: 'icmp',
  4: 'ipip',
  132: 'sctp',
};
const ICMP_TYPES: Record<string, number> = {
  'echo-reply': 0,
  'destination-unreachable': 3,
  redirect: 5,
  'echo-request': 8,
  'time-exceeded': 11,
  any: 255,
};
const CT_STATES: CtStateName[] = [
  'NEW',
  'ESTABLISHED',
  'RELATED',
  'INVALID',
  'UNTRACKED',
  'SNAT',
  'DNAT',
];
const ADDR_TYPES: AddrType[] = [
  'UNSPEC',
  'UNICAST',
  'LOCAL',
  'BROADCAST',
  'ANYCAST',
  'MULTICAST',
  'BLACKHOLE',
  'UNREACHABLE',
  'PROHIBIT',
];
export const REJECT_TYPES = [
  'icmp-net-unreachable',
  'icmp-host-unreachable',
  'icmp-port-unreachable',
  'icmp-proto-unreachable',
  'icmp-net-prohibited',
  'icmp-host-prohibited',
  'icmp-admin-prohibited',
  'tcp-reset',
];

function parseAddr(text: string): Cidr {
  const slash = text.indexOf('/');
  const a = parseIpv4(slash < 0 ? text : text.slice(0, slash));
  if (a === undefined)
    throw paramProblem(`host/network \`${text.slice(0, slash < 0 ? undefined : slash)}' not found`);
  let len = 32;
  if (slash >= 0) {
    const m = text.slice(slash + 1);
    const maskAddr = parseIpv4(m);
    if (maskAddr !== undefined) {
      len = 32 - Math.log2((~maskAddr >>> 0) + 1 || 2 ** 32);
    } else if (/^[0-9]{1,2}$/.test(m) && Number(m) <= 32) len = Number(m);
    else throw paramProblem(`invalid mask \`${m}' specified`);
  }
  // iptables stores the masked network.
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return { addr: ((a & mask) >>> 0) as Cidr['addr'], len };
}

function parsePort(text: string): number {
  const named: Record<string, number> = { http: 80, https: 443, ssh: 22, domain: 53, dns: 53 };
  if (named[text] !== undefined) return named[text];
  if (!/^[0-9]+$/.test(text) || Number(text) > 65535)
    throw paramProblem(`invalid port/service \`${text}' specified`);
  return Number(text);
}

function parsePortRange(text: string): PortRange {
  const [a, b] = text.split(':');
  const from = a === '' ? 0 : parsePort(a!);
  const to = b === undefined ? from : b === '' ? 65535 : parsePort(b);
  return { from, to };
}

function parseMarkValue(text: string): { value: number; mask?: number } {
  const [v, m] = text.split('/');
  const num = (s: string) => {
    const n = s.startsWith('0x') ? parseInt(s, 16) : Number(s);
    if (!Number.isFinite(n) || Number.isNaN(n)) throw paramProblem(`Bad MARK value \`${text}'`);
    return n >>> 0;
  };
  return { value: num(v!), mask: m !== undefined ? num(m) : undefined };
}

function parseNatAddr(
  text: string,
  opt: string,
): { ip: Cidr['addr']; ipTo?: Cidr['addr']; port?: number; portTo?: number } {
  const m = /^([0-9.]+)(?:-([0-9.]+))?(?::([0-9]+)(?:-([0-9]+))?)?$/.exec(text);
  const ip = m ? parseIpv4(m[1]!) : undefined;
  if (!m || ip === undefined) throw paramProblem(`Bad IP address "${text}"`);
  return {
    ip,
    ipTo: m[2] !== undefined ? parseIpv4(m[2]) : undefined,
    port: m[3] !== undefined ? Number(m[3]) : undefined,
    portTo: m[4] !== undefined ? Number(m[4]) : undefined,
  };
  void opt;
}

/** What parsing a rule may ask of the namespace: whether an ip set exists (libxt_set's lookup). */
export interface RuleEnv {
  readonly setExists?: (name: string) => boolean;
}

/** xt_limit's units: seconds per unit, and the names libxt_limit accepts and prints. */
const LIMIT_UNITS: readonly { secs: number; names: readonly string[]; print: string }[] = [
  { secs: 86400, names: ['day', 'days'], print: 'day' },
  { secs: 3600, names: ['hour', 'hours'], print: 'hour' },
  { secs: 60, names: ['min', 'minute', 'minutes'], print: 'min' },
  { secs: 1, names: ['sec', 'second', 'seconds', 's'], print: 'sec' },
];

function parseLimit(text: string): { rate: number; unit: number } {
  const m = /^([0-9]+)(?:\/([a-z]+))?$/.exec(text);
  const u =
    m?.[2] === undefined ? LIMIT_UNITS[3] : LIMIT_UNITS.find((x) => x.names.includes(m[2]!));
  if (!m || !u || Number(m[1]) === 0) throw paramProblem(`bad rate "${text}'`);
  return { rate: Number(m[1]), unit: u.secs };
}

function limitText(rate: number, unit: number): string {
  return `${rate}/${LIMIT_UNITS.find((u) => u.secs === unit)?.print ?? 'sec'}`;
}

export interface ParsedRule {
  rule: Rule;
  /** The chain named by -j/-g, checked against the table by the caller. */
  jumpTo?: string;
}

/** The match a module option belongs to (the modules that may take it). */
const MODULE_OF_OPTION: Readonly<Record<string, readonly string[]>> = {
  '--sport': ['tcp', 'udp'],
  '--source-port': ['tcp', 'udp'],
  '--dport': ['tcp', 'udp'],
  '--destination-port': ['tcp', 'udp'],
  '--icmp-type': ['icmp'],
  '--dports': ['multiport'],
  '--sports': ['multiport'],
  '--ports': ['multiport'],
  '--ctstate': ['conntrack'],
  '--state': ['state'],
  '--mark': ['mark'],
  '--src-type': ['addrtype'],
  '--dst-type': ['addrtype'],
  '--limit-iface-in': ['addrtype'],
  '--limit-iface-out': ['addrtype'],
  '--comment': ['comment'],
  '--mode': ['statistic'],
  '--probability': ['statistic'],
  '--every': ['statistic'],
  '--packet': ['statistic'],
  '--name': ['recent'],
  '--set': ['recent'],
  '--rcheck': ['recent'],
  '--update': ['recent'],
  '--remove': ['recent'],
  '--seconds': ['recent'],
  '--hitcount': ['recent'],
  '--reap': ['recent'],
  '--rsource': ['recent'],
  '--rdest': ['recent'],
  '--mask': ['recent'],
  '--match-set': ['set'],
  '--limit': ['limit'],
  '--limit-burst': ['limit'],
  '--physdev-is-bridged': ['physdev'],
};

/** The match modules modelled (`-m NAME`). */
const MATCH_MODULES: ReadonlySet<string> = new Set([
  'tcp',
  'udp',
  'icmp',
  'multiport',
  'conntrack',
  'state',
  'mark',
  'addrtype',
  'comment',
  'statistic',
  'recent',
  'set',
  'limit',
  'physdev',
]);

/**
 * Parses the rule part of an iptables command line (everything but the command and chain).
 * Options are consumed from `args`; unknown ones fail like iptables does.
 */
export function parseRule(args: readonly string[], env: RuleEnv = {}): ParsedRule {
  let src: Neg<Cidr> | undefined;
  let dst: Neg<Cidr> | undefined;
  let inIf: Neg<string> | undefined;
  let outIf: Neg<string> | undefined;
  let proto: Neg<number> | undefined;
  const matches: Match[] = [];
  const loaded = new Set<string>();
  let target: Target | undefined;
  let jumpTo: string | undefined;
  let neg = false;
  let i = 0;
  const next = (opt: string) => {
    const v = args[++i];
    if (v === undefined) throw paramProblem(`option "${opt}" requires an argument`);
    return v;
  };
  const takeNeg = () => {
    const n = neg;
    neg = false;
    return n;
  };
  /** The match a module option belongs to; implicit protocol matches are created on first use. */
  const moduleFor = (opt: string): string | undefined => {
    const candidates = MODULE_OF_OPTION[opt];
    if (!candidates) return undefined;
    for (let k = matches.length - 1; k >= 0; k--)
      if (candidates.includes(matches[k]!.kind)) return matches[k]!.kind;
    // -p tcp lets --dport through without -m tcp (an implicit match).
    const pname = proto ? PROTO_NAMES[proto.value] : undefined;
    if (pname && candidates.includes(pname)) {
      matches.push(newMatch(pname, true));
      return pname;
    }
    return undefined;
  };
  const last = () => matches[matches.length - 1]!;
  const replaceLast = (m: Match) => {
    matches[matches.length - 1] = m;
  };
  const findMatch = (kind: string): number => {
    for (let k = matches.length - 1; k >= 0; k--) if (matches[k]!.kind === kind) return k;
    return -1;
  };
  for (i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '!') {
      neg = true;
      continue;
    }
    switch (a) {
      case '-s':
      case '--source':
      case '--src':
        src = { value: parseAddr(next(a)), neg: takeNeg() };
        continue;
      case '-d':
      case '--destination':
      case '--dst':
        dst = { value: parseAddr(next(a)), neg: takeNeg() };
        continue;
      case '-i':
      case '--in-interface':
        inIf = { value: next(a), neg: takeNeg() };
        continue;
      case '-o':
      case '--out-interface':
        outIf = { value: next(a), neg: takeNeg() };
        continue;
      case '-p':
      case '--protocol': {
        const v = next(a).toLowerCase();
        const n = PROTOS[v] ?? (/^[0-9]+$/.test(v) ? Number(v) : undefined);
        if (n === undefined) throw paramProblem(`unknown protocol "${v}" specified`);
        proto = { value: n, neg: takeNeg() };
        continue;
      }
      case '-m':
      case '--match': {
        const mod = next(a);
        if (!MATCH_MODULES.has(mod)) {
          throw new IptError(
            2,
            `${IPT_PREFIX}Couldn't load match \`${mod}':No such file or directory\n\n${TRY_HELP}`,
          );
        }
        loaded.add(mod);
        matches.push(newMatch(mod, false));
        continue;
      }
      case '-j':
      case '--jump':
      case '-g':
      case '--goto': {
        const t = next(a);
        const isGoto = a === '-g' || a === '--goto';
        const builtin = parseTargetName(t);
        if (builtin && !isGoto) target = builtin;
        else {
          target = { kind: 'jump', chain: t, goto: isGoto };
          jumpTo = t;
        }
        continue;
      }
    }
    // Match options may follow the target (`-j ACCEPT -m comment --comment …`, as CNI writes).
    if (a.startsWith('--') && target && target.kind !== 'jump' && TARGET_OPTIONS.has(a)) {
      target = targetOption(target, a, next);
      continue;
    }
    const mod = moduleFor(a);
    if (!mod) throw paramProblem(`unknown option "${a}"`);
    const idx = findMatch(mod);
    const cur = matches[idx]!;
    const n = takeNeg();
    switch (cur.kind) {
      case 'tcp':
      case 'udp': {
        const r = parsePortRange(next(a));
        matches[idx] =
          a.includes('sport') || a === '--source-port'
            ? { ...cur, sport: { value: r, neg: n } }
            : { ...cur, dport: { value: r, neg: n } };
        break;
      }
      case 'icmp': {
        const v = next(a);
        const t = ICMP_TYPES[v] ?? (/^[0-9]+$/.test(v) ? Number(v) : undefined);
        if (t === undefined) throw paramProblem(`Invalid ICMP type \`${v}'`);
        matches[idx] = { ...cur, type: { value: t, neg: n } };
        break;
      }
      case 'multiport':
        matches[idx] = {
          kind: 'multiport',
          which: a.slice(2) as 'dports' | 'sports' | 'ports',
          ports: next(a).split(',').map(parsePortRange),
          neg: n,
        };
        break;
      case 'conntrack':
      case 'state': {
        const states = next(a)
          .split(',')
          .map((x) => x.toUpperCase());
        for (const st of states)
          if (!CT_STATES.includes(st as CtStateName)) throw paramProblem(`Bad ctstate "${st}"`);
        matches[idx] =
          cur.kind === 'conntrack'
            ? { kind: 'conntrack', ctstate: { value: states as CtStateName[], neg: n } }
            : { kind: 'state', state: { value: states as CtStateName[], neg: n } };
        break;
      }
      case 'mark': {
        const { value, mask } = parseMarkValue(next(a));
        matches[idx] = { kind: 'mark', value, mask: mask ?? 0xffffffff, neg: n };
        break;
      }
      case 'addrtype': {
        if (a === '--limit-iface-in') matches[idx] = { ...cur, limitIn: true };
        else if (a === '--limit-iface-out') matches[idx] = { ...cur, limitOut: true };
        else {
          const types = next(a)
            .split(',')
            .map((x) => x.toUpperCase());
          for (const t of types)
            if (!ADDR_TYPES.includes(t as AddrType))
              throw paramProblem(`addrtype: unknown type "${t}"`);
          const v = { value: types as AddrType[], neg: n };
          matches[idx] = a === '--src-type' ? { ...cur, src: v } : { ...cur, dst: v };
        }
        break;
      }
      case 'comment':
        matches[idx] = { kind: 'comment', text: next(a) };
        break;
      case 'recent': {
        if (a === '--set' || a === '--rcheck' || a === '--update' || a === '--remove')
          matches[idx] = { ...cur, op: a.slice(2) as 'set', neg: n };
        else if (a === '--name') matches[idx] = { ...cur, name: next(a) };
        else if (a === '--seconds') matches[idx] = { ...cur, seconds: Number(next(a)) };
        else if (a === '--hitcount') matches[idx] = { ...cur, hitcount: Number(next(a)) };
        else if (a === '--reap') matches[idx] = { ...cur, reap: true };
        else if (a === '--rsource' || a === '--rdest')
          matches[idx] = { ...cur, side: a === '--rsource' ? 'source' : 'dest' };
        else if (next(a) !== '255.255.255.255')
          throw paramProblem(`recent: only --mask 255.255.255.255 is modelled`);
        break;
      }
      case 'set': {
        const name = next(a);
        const second = args[i + 1];
        if (second === undefined || second.startsWith('-'))
          throw paramProblem('--match-set requires two args.');
        const flags = next(a).split(',');
        // libxt_set's own spelling.
        if (flags.some((f) => f !== 'src' && f !== 'dst') || flags.length > 6)
          throw paramProblem(`You must spefify (the comma separated list of) 'src' or 'dst'.`);
        if (env.setExists && !env.setExists(name))
          throw paramProblem(`Set ${name} doesn't exist.\n`);
        matches[idx] = { kind: 'set', name, flags: flags as ('src' | 'dst')[], neg: n };
        break;
      }
      case 'limit': {
        if (cur.kind !== 'limit') break;
        const v = next(a);
        if (a === '--limit') {
          const { rate, unit } = parseLimit(v);
          matches[idx] = { ...cur, rate, unit };
        } else {
          const b = Number(v);
          if (!/^[0-9]+$/.test(v) || b > 10000) throw paramProblem(`bad --limit-burst \`${v}'`);
          matches[idx] = { ...cur, burst: b, state: { tokens: b, last: 0 } };
        }
        break;
      }
      case 'physdev':
        matches[idx] = { kind: 'physdev', isBridged: { value: true, neg: n } };
        break;
      case 'statistic': {
        const v = next(a);
        if (a === '--mode') {
          if (v !== 'random' && v !== 'nth') throw paramProblem(`Bad mode "${v}"`);
          matches[idx] =
            v === 'random'
              ? {
                  kind: 'statistic',
                  mode: 'random',
                  probability: statisticThreshold(1),
                  neg: false,
                }
              : {
                  kind: 'statistic',
                  mode: 'nth',
                  every: 1,
                  packet: 0,
                  neg: false,
                  counter: { n: 0 },
                };
        } else if (a === '--probability' && cur.mode === 'random') {
          const p = Number(v);
          if (Number.isNaN(p) || p < 0 || p > 1)
            throw paramProblem('--probability must be between 0 and 1');
          matches[idx] = { ...cur, probability: statisticThreshold(p), neg: n };
        } else if (a === '--every' && cur.mode === 'nth')
          matches[idx] = { ...cur, every: Number(v), neg: n };
        else if (a === '--packet' && cur.mode === 'nth')
          matches[idx] = { ...cur, packet: Number(v) };
        else throw paramProblem(`${a} cannot be used with --mode ${cur.mode}`);
        break;
      }
      default:
        throw paramProblem(`unknown option "${a}"`);
    }
    void last;
    void replaceLast;
  }
  if (neg) throw paramProblem('unexpected "!"');
  // -m tcp/udp/icmp needs the same -p, given before or after it (kube-proxy writes -m tcp -p tcp).
  for (const mod of ['tcp', 'udp', 'icmp'])
    if (loaded.has(mod) && (!proto || PROTO_NAMES[proto.value] !== mod))
      throw paramProblem(`multiple -p flags not allowed`);
  // The NAT targets' port options need a protocol with ports (libxt_DNAT/SNAT/MASQUERADE).
  const portful = proto !== undefined && !proto.neg && [6, 17, 33, 132].includes(proto.value);
  if (
    target &&
    (((target.kind === 'DNAT' || target.kind === 'SNAT') && target.port !== undefined) ||
      (target.kind === 'MASQUERADE' && target.port !== undefined)) &&
    !portful
  )
    throw paramProblem('Need TCP, UDP, SCTP or DCCP with port specification');
  return { rule: { src, dst, inIf, outIf, proto, matches, target, pkts: 0, bytes: 0 }, jumpTo };
}

function newMatch(mod: string, implicit: boolean): Match {
  if (mod === 'tcp' || mod === 'udp') return { kind: mod, implicit };
  switch (mod) {
    case 'icmp':
      return { kind: 'icmp', implicit };
    case 'multiport':
      return { kind: 'multiport', which: 'dports', ports: [], neg: false };
    case 'conntrack':
      return { kind: 'conntrack', ctstate: { value: [], neg: false } };
    case 'state':
      return { kind: 'state', state: { value: [], neg: false } };
    case 'mark':
      return { kind: 'mark', value: 0, mask: 0xffffffff, neg: false };
    case 'addrtype':
      return { kind: 'addrtype' };
    case 'comment':
      return { kind: 'comment', text: '' };
    case 'set':
      return { kind: 'set', name: '', flags: [], neg: false };
    case 'limit':
      // libxt_limit's defaults: 3/hour, burst 5.
      return { kind: 'limit', rate: 3, unit: 3600, burst: 5, state: { tokens: 5, last: 0 } };
    case 'physdev':
      return { kind: 'physdev', isBridged: { value: false, neg: false } };
    case 'recent':
      return {
        kind: 'recent',
        op: 'set',
        name: 'DEFAULT',
        reap: false,
        side: 'source',
        neg: false,
      };
    default:
      return { kind: 'statistic', mode: 'random', probability: statisticThreshold(1), neg: false };
  }
}

function parseTargetName(t: string): Target | undefined {
  switch (t) {
    case 'ACCEPT':
    case 'DROP':
    case 'RETURN':
      return { kind: t };
    case 'REJECT':
      return { kind: 'REJECT', with: 'icmp-port-unreachable' };
    case 'DNAT':
    case 'SNAT':
      return { kind: t, ip: 0 as Cidr['addr'], random: false };
    case 'MASQUERADE':
      return { kind: 'MASQUERADE', randomFully: false, random: false };
    case 'MARK':
      return { kind: 'MARK', op: 'set-xmark', value: 0, mask: 0 };
    case 'LOG':
      return { kind: 'LOG' };
    case 'NFLOG':
      return { kind: 'NFLOG', group: 0 };
    case 'NOTRACK':
      return { kind: 'NOTRACK' };
    case 'CT':
      return { kind: 'NOTRACK' };
    default:
      return undefined;
  }
}

const TARGET_OPTIONS = new Set([
  '--reject-with',
  '--to-destination',
  '--to',
  '--random',
  '--to-source',
  '--random-fully',
  '--to-ports',
  '--set-xmark',
  '--set-mark',
  '--or-mark',
  '--and-mark',
  '--xor-mark',
  '--log-prefix',
  '--log-level',
  '--nflog-group',
  '--nflog-prefix',
  '--notrack',
]);

function targetOption(t: Target, opt: string, next: (o: string) => string): Target {
  switch (t.kind) {
    case 'REJECT':
      if (opt === '--reject-with') {
        const v = next(opt);
        if (!REJECT_TYPES.includes(v)) throw paramProblem(`unknown reject type "${v}"`);
        return { ...t, with: v };
      }
      break;
    case 'DNAT':
      if (opt === '--to-destination' || opt === '--to')
        return { ...t, ...parseNatAddr(next(opt), opt) };
      if (opt === '--random') return { ...t, random: true };
      break;
    case 'SNAT':
      if (opt === '--to-source' || opt === '--to') return { ...t, ...parseNatAddr(next(opt), opt) };
      if (opt === '--random') return { ...t, random: true };
      break;
    case 'MASQUERADE':
      if (opt === '--random-fully') return { ...t, randomFully: true };
      if (opt === '--random') return { ...t, random: true };
      if (opt === '--to-ports') {
        const [a, b] = next(opt).split('-');
        return { ...t, port: Number(a), portTo: b !== undefined ? Number(b) : undefined };
      }
      break;
    case 'MARK': {
      const ops = ['--set-xmark', '--set-mark', '--or-mark', '--and-mark', '--xor-mark'];
      if (ops.includes(opt)) {
        const { value, mask } = parseMarkValue(next(opt));
        const op = opt.slice(2) as 'set-xmark' | 'set-mark' | 'or-mark' | 'and-mark' | 'xor-mark';
        return {
          kind: 'MARK',
          op,
          value,
          mask: mask ?? (op === 'set-xmark' || op === 'set-mark' ? 0xffffffff : 0),
        };
      }
      break;
    }
    case 'LOG':
      if (opt === '--log-prefix') return { ...t, prefix: next(opt) };
      if (opt === '--log-level') return { ...t, level: Number(next(opt)) };
      break;
    case 'NOTRACK':
      if (opt === '--notrack') return t;
      break;
    case 'NFLOG':
      if (opt === '--nflog-group') {
        const v = next(opt);
        if (!/^[0-9]+$/.test(v) || Number(v) > 65535)
          throw paramProblem(`Invalid --nflog-group value "${v}"`);
        return { ...t, group: Number(v) };
      }
      if (opt === '--nflog-prefix') return { ...t, prefix: next(opt) };
      break;
    default:
      break;
  }
  throw paramProblem(`unknown option "${opt}"`);
}

/** Whether a NAT or REJECT target may live in this table and chain (checked by the kernel). */
/**
 * What the kernel's checkentry refuses although iptables parsed it: REJECT --reject-with
 * tcp-reset on a rule not limited to TCP (reject_tg_check). iptables then reports the failed
 * batch operation (RULE_APPEND / RULE_INSERT / RULE_REPLACE … Invalid argument).
 */
export function kernelRefuses(r: Rule): boolean {
  const t = r.target;
  if (t?.kind === 'REJECT' && t.with === 'tcp-reset')
    return !(r.proto && r.proto.value === 6 && !r.proto.neg);
  return false;
}

export function targetAllowed(table: TableName, chain: string, t: Target | undefined): boolean {
  if (!t) return true;
  if (t.kind === 'DNAT') return table === 'nat' && !['POSTROUTING', 'INPUT'].includes(chain);
  if (t.kind === 'SNAT' || t.kind === 'MASQUERADE')
    return table === 'nat' && !['PREROUTING', 'OUTPUT'].includes(chain);
  if (t.kind === 'NOTRACK') return table === 'raw';
  if (t.kind === 'REJECT') return table === 'filter' || table === 'mangle' || table === 'raw';
  return true;
}

// --- printing

const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;

/** xtables_save_string: quoted unless it only has letters, digits, '_' and '-'. */
function saveString(s: string): string {
  return /^[A-Za-z0-9_-]+$/.test(s) ? s : `"${s.replace(/(["'\\])/g, '\\$1')}"`;
}

function cidrText(c: Cidr): string {
  return `${formatIpv4(c.addr)}/${c.len}`;
}

function portText(r: PortRange): string {
  return r.from === r.to ? String(r.from) : `${r.from}:${r.to}`;
}

function probabilityText(threshold: number): string {
  return (threshold / 0x80000000).toFixed(11);
}

function matchSave(m: Match): string {
  switch (m.kind) {
    case 'tcp':
    case 'udp': {
      let s = `-m ${m.kind}`;
      if (m.sport) s += `${m.sport.neg ? ' !' : ''} --sport ${portText(m.sport.value)}`;
      if (m.dport) s += `${m.dport.neg ? ' !' : ''} --dport ${portText(m.dport.value)}`;
      return s;
    }
    case 'icmp':
      return `-m icmp${m.type ? `${m.type.neg ? ' !' : ''} --icmp-type ${m.type.value === 255 ? 'any' : m.type.value}` : ''}`;
    case 'multiport':
      return `-m multiport${m.neg ? ' !' : ''} --${m.which} ${m.ports.map(portText).join(',')}`;
    case 'conntrack':
      return `-m conntrack${m.ctstate.neg ? ' !' : ''} --ctstate ${m.ctstate.value.join(',')}`;
    case 'state':
      return `-m state${m.state.neg ? ' !' : ''} --state ${m.state.value.join(',')}`;
    case 'mark':
      return `-m mark${m.neg ? ' !' : ''} --mark ${hex(m.value)}${m.mask !== 0xffffffff ? `/${hex(m.mask)}` : ''}`;
    case 'addrtype': {
      let s = '-m addrtype';
      if (m.src) s += `${m.src.neg ? ' !' : ''} --src-type ${m.src.value.join(',')}`;
      if (m.dst) s += `${m.dst.neg ? ' !' : ''} --dst-type ${m.dst.value.join(',')}`;
      if (m.limitIn) s += ' --limit-iface-in';
      if (m.limitOut) s += ' --limit-iface-out';
      return s;
    }
    case 'comment':
      return `-m comment --comment ${saveString(m.text)}`;
    case 'recent':
      return `-m recent${m.neg ? ' !' : ''} --${m.op}${m.seconds !== undefined ? ` --seconds ${m.seconds}` : ''}${m.reap ? ' --reap' : ''}${m.hitcount !== undefined ? ` --hitcount ${m.hitcount}` : ''} --name ${m.name} --mask 255.255.255.255 --r${m.side === 'source' ? 'source' : 'dest'}`;
    case 'set':
      return `-m set${m.neg ? ' !' : ''} --match-set ${m.name} ${m.flags.join(',')}`;
    case 'limit':
      return `-m limit --limit ${limitText(m.rate, m.unit)}${m.burst !== 5 ? ` --limit-burst ${m.burst}` : ''}`;
    case 'physdev':
      return `-m physdev${m.isBridged.neg ? ' !' : ''} --physdev-is-bridged`;
    case 'statistic':
      return m.mode === 'random'
        ? `-m statistic --mode random${m.neg ? ' !' : ''} --probability ${probabilityText(m.probability)}`
        : `-m statistic --mode nth${m.neg ? ' !' : ''} --every ${m.every} --packet ${m.packet}`;
  }
}

function natTo(t: {
  ip: Cidr['addr'];
  ipTo?: Cidr['addr'];
  port?: number;
  portTo?: number;
}): string {
  let s = formatIpv4(t.ip);
  if (t.ipTo !== undefined) s += `-${formatIpv4(t.ipTo)}`;
  if (t.port !== undefined) s += `:${t.port}${t.portTo !== undefined ? `-${t.portTo}` : ''}`;
  return s;
}

/** The mark and mask the kernel stores for a MARK target (xt_mark_tginfo2), as libxt_MARK sets them. */
function markPair(t: Extract<Target, { kind: 'MARK' }>): [number, number] {
  switch (t.op) {
    case 'set-xmark':
    case 'set-mark':
      return [t.value >>> 0, t.mask >>> 0];
    case 'or-mark':
      return [t.value >>> 0, t.value >>> 0];
    case 'and-mark':
      return [0, ~t.value >>> 0];
    case 'xor-mark':
      return [t.value >>> 0, 0];
  }
}

function markSave(t: Extract<Target, { kind: 'MARK' }>): string {
  const [mark, mask] = markPair(t);
  return `--set-xmark ${hex(mark)}/${hex(mask)}`;
}

function targetSave(t: Target): string {
  switch (t.kind) {
    case 'ACCEPT':
    case 'DROP':
    case 'RETURN':
      return `-j ${t.kind}`;
    case 'REJECT':
      return `-j REJECT --reject-with ${t.with}`;
    case 'jump':
      return `${t.goto ? '-g' : '-j'} ${t.chain}`;
    case 'DNAT':
      return `-j DNAT --to-destination ${natTo(t)}${t.random ? ' --random' : ''}`;
    case 'SNAT':
      return `-j SNAT --to-source ${natTo(t)}${t.random ? ' --random' : ''}`;
    case 'MASQUERADE':
      return `-j MASQUERADE${t.port !== undefined ? ` --to-ports ${t.port}${t.portTo !== undefined ? `-${t.portTo}` : ''}` : ''}${t.random ? ' --random' : ''}${t.randomFully ? ' --random-fully' : ''}`;
    case 'MARK':
      return `-j MARK ${markSave(t)}`;
    case 'LOG':
      return `-j LOG${t.prefix !== undefined ? ` --log-prefix ${saveString(t.prefix)}` : ''}${t.level !== undefined && t.level !== 4 ? ` --log-level ${t.level}` : ''}`;
    case 'NOTRACK':
      return '-j CT --notrack';
    case 'NFLOG':
      return `-j NFLOG${t.prefix !== undefined ? ` --nflog-prefix ${saveString(t.prefix)}` : ''}${t.group ? ` --nflog-group ${t.group}` : ''}`;
  }
}

/** The rule without "-A CHAIN", as iptables-save prints it. */
export function ruleSpec(r: Rule): string {
  const parts: string[] = [];
  const n = (x: { neg: boolean } | undefined) => (x?.neg ? '! ' : '');
  if (r.src) parts.push(`${n(r.src)}-s ${cidrText(r.src.value)}`);
  if (r.dst) parts.push(`${n(r.dst)}-d ${cidrText(r.dst.value)}`);
  if (r.inIf) parts.push(`${n(r.inIf)}-i ${r.inIf.value}`);
  if (r.outIf) parts.push(`${n(r.outIf)}-o ${r.outIf.value}`);
  if (r.proto && r.proto.value !== 0)
    parts.push(`${n(r.proto)}-p ${PROTO_NAMES[r.proto.value] ?? r.proto.value}`);
  for (const m of r.matches) parts.push(matchSave(m));
  if (r.target) parts.push(targetSave(r.target));
  return parts.join(' ');
}

export function ruleLine(chain: string, r: Rule): string {
  const spec = ruleSpec(r);
  return spec ? `-A ${chain} ${spec}` : `-A ${chain}`;
}

// --- `iptables -L` columns

function listAddr(c: Cidr | undefined): string {
  if (!c) return '0.0.0.0/0';
  return c.len === 32 ? formatIpv4(c.addr) : cidrText(c);
}

function listMatch(m: Match): string {
  switch (m.kind) {
    case 'tcp':
    case 'udp': {
      const parts: string[] = [m.kind];
      const p = (name: string, x: Neg<PortRange>) =>
        `${name}${x.value.from === x.value.to ? '' : 's'}:${x.neg ? '!' : ''}${portText(x.value)}`;
      if (m.sport) parts.push(p('spt', m.sport));
      if (m.dport) parts.push(p('dpt', m.dport));
      return parts.join(' ');
    }
    case 'icmp':
      return m.type
        ? `icmptype ${m.type.neg ? '!' : ''}${m.type.value === 255 ? 'any' : m.type.value}`
        : 'icmp';
    case 'multiport':
      return `multiport ${m.which}${m.neg ? ' !' : ''} ${m.ports.map(portText).join(',')}`;
    case 'conntrack':
      return `${m.ctstate.neg ? '! ' : ''}ctstate ${m.ctstate.value.join(',')}`;
    case 'state':
      return `${m.state.neg ? '! ' : ''}state ${m.state.value.join(',')}`;
    case 'mark':
      return `mark match ${m.neg ? '! ' : ''}${hex(m.value)}${m.mask !== 0xffffffff ? `/${hex(m.mask)}` : ''}`;
    case 'addrtype': {
      const parts = ['ADDRTYPE match'];
      if (m.src) parts.push(`src-type ${m.src.neg ? '!' : ''}${m.src.value.join(',')}`);
      if (m.dst) parts.push(`dst-type ${m.dst.neg ? '!' : ''}${m.dst.value.join(',')}`);
      if (m.limitIn) parts.push('limit-in');
      if (m.limitOut) parts.push('limit-out');
      return parts.join(' ');
    }
    case 'comment':
      return `/* ${m.text} */`;
    case 'recent': {
      const op = { set: 'SET', rcheck: 'CHECK', update: 'UPDATE', remove: 'REMOVE' }[m.op];
      return `${m.neg ? '! ' : ''}recent: ${op}${m.seconds !== undefined ? ` seconds: ${m.seconds}` : ''}${m.reap ? ' reap' : ''}${m.hitcount !== undefined ? ` hit_count: ${m.hitcount}` : ''} name: ${m.name} side: ${m.side} mask: 255.255.255.255`;
    }
    case 'set':
      return `${m.neg ? '! ' : ''}match-set ${m.name} ${m.flags.join(',')}`;
    case 'limit':
      return `limit: avg ${limitText(m.rate, m.unit)} burst ${m.burst}`;
    case 'physdev':
      return `PHYSDEV match${m.isBridged.neg ? ' !' : ''} --physdev-is-bridged`;
    case 'statistic':
      return m.mode === 'random'
        ? `statistic mode random${m.neg ? ' !' : ''} probability ${probabilityText(m.probability)}`
        : `statistic mode nth every ${m.every}${m.packet ? ` packet ${m.packet}` : ''}`;
  }
}

function listTarget(t: Target | undefined): string {
  if (!t) return '';
  switch (t.kind) {
    case 'REJECT':
      return `reject-with ${t.with}`;
    case 'DNAT':
    case 'SNAT':
      return `to:${natTo(t)}${t.random ? ' random' : ''}`;
    case 'MASQUERADE':
      return [
        t.port !== undefined
          ? `masq ports: ${t.port}${t.portTo !== undefined ? `-${t.portTo}` : ''}`
          : '',
        t.random ? 'random' : '',
        t.randomFully ? 'random-fully' : '',
      ]
        .filter(Boolean)
        .join(' ');
    case 'MARK': {
      // libxt_MARK's print reads only the stored mark and mask, whichever option wrote them.
      const [mark, mask] = markPair(t);
      if (mark === 0) return `MARK and ${hex(~mask)}`;
      if (mark === mask) return `MARK or ${hex(mark)}`;
      if (mask === 0) return `MARK xor ${hex(mark)}`;
      if (mask === 0xffffffff) return `MARK set ${hex(mark)}`;
      return `MARK xset ${hex(mark)}/${hex(mask)}`;
    }
    case 'LOG':
      return `LOG flags 0 level ${t.level ?? 4}${t.prefix !== undefined ? ` prefix "${t.prefix}"` : ''}`;
    case 'NOTRACK':
      return 'CT notrack';
    case 'NFLOG':
      return `${t.prefix !== undefined ? `nflog-prefix ${t.prefix} ` : ''}nflog-group ${t.group}`;
    default:
      return '';
  }
}

export function targetName(t: Target | undefined): string {
  if (!t) return '';
  if (t.kind === 'jump') return t.chain;
  if (t.kind === 'NOTRACK') return 'CT';
  return t.kind;
}

/** xtables_print_num: five columns, with K/M/G beyond 99999 unless -x. */
export function listNum(n: number, exact: boolean): string {
  if (exact) return String(n);
  if (n <= 99999) return String(n);
  const units = ['K', 'M', 'G', 'T'];
  let v = n;
  let u = -1;
  while (v > 9999 && u < units.length - 1) {
    v = Math.floor(v / 1000);
    u++;
  }
  return `${v}${units[u]}`;
}

export function listRule(
  r: Rule,
  opts: { verbose: boolean; numeric: boolean; exact: boolean; num?: number },
): string {
  let line = '';
  if (opts.num !== undefined) line += `${String(opts.num).padEnd(4)} `;
  if (opts.verbose)
    line += `${listNum(r.pkts, opts.exact).padStart(opts.exact ? 8 : 5)} ${listNum(r.bytes, opts.exact).padStart(opts.exact ? 8 : 5)} `;
  line += `${targetName(r.target).padEnd(9)} `;
  line += r.proto?.neg ? '!' : ' ';
  const pv = r.proto?.value ?? 0;
  line += (opts.numeric ? String(pv) : (PROTO_NAMES[pv] ?? String(pv))).padEnd(5);
  // print_fragment, print_ifaces and print_ipv4_addresses of iptables/nft-shared.c.
  line += '-- ';
  if (opts.verbose) {
    line += ` ${`${r.inIf?.neg ? '!' : ''}${r.inIf?.value ?? '*'}`.padEnd(6)} `;
    line += `${`${r.outIf?.neg ? '!' : ''}${r.outIf?.value ?? '*'}`.padEnd(6)} `;
  }
  line += `${r.src?.neg ? '!' : ' '}${listAddr(r.src?.value).padEnd(19)} `;
  line += `${r.dst?.neg ? '!' : ' '}${listAddr(r.dst?.value).padEnd(19)} `;
  for (const x of [...r.matches.map(listMatch), listTarget(r.target)]) if (x) line += ` ${x}`;
  return line;
}

/** Equality for -D/-C: the same specification, whatever the counters. */
export function sameRule(a: Rule, b: Rule): boolean {
  return ruleSpec(a) === ruleSpec(b);
}
