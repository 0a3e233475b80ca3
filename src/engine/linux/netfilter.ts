/**
 * Netfilter with iptables' tables (raw, mangle, nat, filter) hooked at PREROUTING, INPUT,
 * FORWARD, OUTPUT and POSTROUTING in the kernel's priority order, conntrack in front, and NAT
 * decided on a connection's first packet and replayed on every later one (replies reversed).
 */
import { type Cidr, type Ipv4, cidrContains, formatIpv4 } from '../net/ipv4';
import type { IcmpError, Ipv4Packet, L4 } from '../net/packet';
import { ipv4Length } from '../net/packet';
import type { ChainWalk, NetfilterDecision } from '../sim/trace';
import { Conntrack, type CtEntry, type Tuple, invert, tupleOf } from './conntrack';
import type { Device } from './device';
import { describePacket } from './describe';
import type { NetNs } from './netns';
import type { Skb } from './skb';
import { emit } from './tracing';
import { icmpSend } from './icmp';
import { ipsetMatch, ipsetsOf } from './ipset';

export type NfHook = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';
export type TableName = 'raw' | 'mangle' | 'nat' | 'filter';

export const TABLE_CHAINS: Record<TableName, readonly NfHook[]> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
};

/** Tables at each hook in priority order (raw -300, mangle -150, nat dst -100, filter 0, nat src 100). */
const HOOK_TABLES: Record<NfHook, readonly TableName[]> = {
  PREROUTING: ['raw', 'mangle', 'nat'],
  INPUT: ['mangle', 'filter', 'nat'],
  FORWARD: ['mangle', 'filter'],
  OUTPUT: ['raw', 'mangle', 'nat', 'filter'],
  POSTROUTING: ['mangle', 'nat'],
};

export interface Neg<T> {
  readonly value: T;
  readonly neg: boolean;
}

export interface PortRange {
  readonly from: number;
  readonly to: number;
}

export type CtStateName =
  'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID' | 'UNTRACKED' | 'SNAT' | 'DNAT';
export type AddrType =
  | 'UNSPEC'
  | 'UNICAST'
  | 'LOCAL'
  | 'BROADCAST'
  | 'ANYCAST'
  | 'MULTICAST'
  | 'BLACKHOLE'
  | 'UNREACHABLE'
  | 'PROHIBIT';

export type Match =
  | {
      readonly kind: 'tcp' | 'udp';
      readonly sport?: Neg<PortRange>;
      readonly dport?: Neg<PortRange>;
      readonly implicit: boolean;
    }
  | { readonly kind: 'icmp'; readonly type?: Neg<number>; readonly implicit: boolean }
  | {
      readonly kind: 'multiport';
      readonly which: 'dports' | 'sports' | 'ports';
      readonly ports: readonly PortRange[];
      readonly neg: boolean;
    }
  | { readonly kind: 'conntrack'; readonly ctstate: Neg<readonly CtStateName[]> }
  | { readonly kind: 'state'; readonly state: Neg<readonly CtStateName[]> }
  | { readonly kind: 'mark'; readonly value: number; readonly mask: number; readonly neg: boolean }
  | {
      readonly kind: 'addrtype';
      readonly src?: Neg<readonly AddrType[]>;
      readonly dst?: Neg<readonly AddrType[]>;
      readonly limitIn?: boolean;
      readonly limitOut?: boolean;
    }
  | { readonly kind: 'comment'; readonly text: string }
  | {
      readonly kind: 'statistic';
      readonly mode: 'random';
      readonly probability: number;
      readonly neg: boolean;
    }
  | {
      /** xt_recent: lists of addresses with the times they were seen, per namespace. */
      readonly kind: 'recent';
      readonly op: 'set' | 'rcheck' | 'update' | 'remove';
      readonly name: string;
      readonly seconds?: number;
      readonly hitcount?: number;
      readonly reap: boolean;
      readonly side: 'source' | 'dest';
      readonly neg: boolean;
    }
  | {
      /** xt_set: the packet's address (and port) looked up in an ip set, per direction flag. */
      readonly kind: 'set';
      readonly name: string;
      readonly flags: readonly ('src' | 'dst')[];
      readonly neg: boolean;
    }
  | {
      /** xt_limit: a token bucket of `burst` tokens refilled `rate` times per `unit` seconds. */
      readonly kind: 'limit';
      readonly rate: number;
      readonly unit: number;
      readonly burst: number;
      state: { tokens: number; last: number };
    }
  | { readonly kind: 'physdev'; readonly isBridged: Neg<boolean> }
  | {
      readonly kind: 'statistic';
      readonly mode: 'nth';
      readonly every: number;
      readonly packet: number;
      readonly neg: boolean;
      counter: { n: number };
    };

export type Target =
  | { readonly kind: 'ACCEPT' | 'DROP' | 'RETURN' }
  | { readonly kind: 'REJECT'; readonly with: string }
  | { readonly kind: 'jump'; readonly chain: string; readonly goto: boolean }
  | {
      readonly kind: 'DNAT' | 'SNAT';
      readonly ip: Ipv4;
      readonly ipTo?: Ipv4;
      readonly port?: number;
      readonly portTo?: number;
      readonly random: boolean;
    }
  | {
      readonly kind: 'MASQUERADE';
      readonly port?: number;
      readonly portTo?: number;
      readonly randomFully: boolean;
      readonly random: boolean;
    }
  | {
      readonly kind: 'MARK';
      readonly op: 'set-xmark' | 'set-mark' | 'or-mark' | 'and-mark' | 'xor-mark';
      readonly value: number;
      readonly mask: number;
    }
  | { readonly kind: 'LOG'; readonly prefix?: string; readonly level?: number }
  | { readonly kind: 'NFLOG'; readonly group: number; readonly prefix?: string }
  | { readonly kind: 'NOTRACK' };

export interface Rule {
  readonly src?: Neg<Cidr>;
  readonly dst?: Neg<Cidr>;
  readonly inIf?: Neg<string>;
  readonly outIf?: Neg<string>;
  /** 0 means any (`-p all`). */
  readonly proto?: Neg<number>;
  readonly matches: readonly Match[];
  readonly target?: Target;
  pkts: number;
  bytes: number;
}

/**
 * Rules that sit in the tables of many namespaces at once (iptables-restore of one text on every
 * node shares its parsed rules): they never change, and their counters stay zero. The walk gives
 * a namespace its own copy of such a rule the first time the rule counts a packet there, so
 * counters remain per namespace.
 */
const sharedRules = new WeakSet<Rule>();

/** Marks `r` as shared (see above) and returns it; its counters must be zero. */
export function shareRule(r: Rule): Rule {
  sharedRules.add(r);
  return r;
}

/**
 * User chains that sit in the tables of many namespaces at once: iptables-restore of one text on
 * every node declares each chain with the same rules, so the namespaces hold one object. Nothing
 * changes such a chain in place: {@link NfTable.own} gives the namespace a copy first.
 */
const sharedChains = new WeakSet<Chain>();

/** Marks `c` as shared (see above) and returns it: a user chain of shared rules only. */
export function shareChain(c: Chain): Chain {
  sharedChains.add(c);
  return c;
}

export interface Chain {
  readonly name: string;
  readonly builtin: boolean;
  policy: 'ACCEPT' | 'DROP';
  rules: Rule[];
  pkts: number;
  bytes: number;
  /**
   * iptables-nft gives a built-in chain policy counters only once `-P` or `-Z` (or a restore)
   * wrote the chain: until then its policy hits are not counted (checked on 6.18, 1.8.9).
   */
  counted?: boolean;
}

export class NfTable {
  private chainMap = new Map<string, Chain>();

  /** The chains by name, built-in ones first (in the kernel's hook order), as listed. */
  get chains(): Map<string, Chain> {
    return this.chainMap;
  }

  /** Commits a restore: `chains` (built-in ones first) becomes the table's whole content. */
  replaceChains(chains: Map<string, Chain>): void {
    this.chainMap = chains;
  }
  constructor(readonly name: TableName) {
    for (const c of TABLE_CHAINS[name])
      this.chainMap.set(c, {
        name: c,
        builtin: true,
        policy: 'ACCEPT',
        rules: [],
        pkts: 0,
        bytes: 0,
      });
  }

  /**
   * The chain `name`, to be changed: a chain shared with other namespaces is first replaced here
   * by a copy of this table's own (same place in the table, same rules).
   */
  own(name: string): Chain | undefined {
    const c = this.chains.get(name);
    if (!c || !sharedChains.has(c)) return c;
    const mine = { ...c, rules: [...c.rules] };
    this.chains.set(name, mine);
    return mine;
  }

  /** How many rules jump or go to `chain` (the "references" in `iptables -L`). */
  references(chain: string): number {
    let n = 0;
    for (const c of this.chains.values())
      for (const r of c.rules) if (r.target?.kind === 'jump' && r.target.chain === chain) n++;
    return n;
  }

  get empty(): boolean {
    for (const c of this.chains.values())
      if (c.rules.length > 0 || !c.builtin || c.policy !== 'ACCEPT') return false;
    return true;
  }
}

/** Turns a probability into the 31-bit threshold xt_statistic stores (and prints back). */
export function statisticThreshold(p: number): number {
  return Math.round(0x80000000 * p);
}

const PROTO_NAMES: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp' };

function ifaceMatches(pattern: string, name: string | undefined): boolean {
  if (name === undefined) return false;
  if (pattern.endsWith('+')) return name.startsWith(pattern.slice(0, -1));
  return name === pattern;
}

function portIn(r: PortRange, p: number): boolean {
  return p >= r.from && p <= r.to;
}

function l4Ports(p: Ipv4Packet): { sport: number; dport: number } | undefined {
  const l4 = p.payload;
  return l4.kind === 'tcp' || l4.kind === 'udp' ? { sport: l4.sport, dport: l4.dport } : undefined;
}

export interface NfContext {
  readonly ns: NetNs;
  readonly hook: NfHook;
  readonly inDev?: Device;
  readonly outDev?: Device;
}

/** The route type of an address as addrtype sees it (inet_addr_type). */
function addrType(ns: NetNs, a: Ipv4, dev?: Device): AddrType {
  if (a === 0xffffffff) return 'BROADCAST';
  if (a >>> 28 === 0xe) return 'MULTICAST';
  const local = ns.fib.lookupTable(255, a, dev);
  if (local?.type === 'local') return 'LOCAL';
  if (local?.type === 'broadcast') return 'BROADCAST';
  const r = ns.fib.lookup(a);
  if (r?.route.type === 'blackhole') return 'BLACKHOLE';
  if (r?.route.type === 'unreachable') return 'UNREACHABLE';
  if (r?.route.type === 'prohibit') return 'PROHIBIT';
  return 'UNICAST';
}

function ctStateNames(skb: Skb): CtStateName[] {
  const ct = skb.ct;
  if (!ct) return ['INVALID'];
  const out: CtStateName[] = [ct.state];
  if (ct.entry.nat.snat) out.push('SNAT');
  if (ct.entry.nat.dnat) out.push('DNAT');
  return out;
}

function matchOne(m: Match, skb: Skb, ctx: NfContext, p: Ipv4Packet): boolean {
  switch (m.kind) {
    case 'tcp':
    case 'udp': {
      if (p.payload.kind !== m.kind) return false;
      const ports = l4Ports(p)!;
      if (m.sport && portIn(m.sport.value, ports.sport) === m.sport.neg) return false;
      if (m.dport && portIn(m.dport.value, ports.dport) === m.dport.neg) return false;
      return true;
    }
    case 'icmp': {
      if (p.payload.kind !== 'icmp') return false;
      if (m.type && (p.payload.type === m.type.value) === m.type.neg) return false;
      return true;
    }
    case 'multiport': {
      const ports = l4Ports(p);
      if (!ports) return false;
      const hit = m.ports.some((r) =>
        m.which === 'dports'
          ? portIn(r, ports.dport)
          : m.which === 'sports'
            ? portIn(r, ports.sport)
            : portIn(r, ports.dport) || portIn(r, ports.sport),
      );
      return hit !== m.neg;
    }
    case 'conntrack':
    case 'state': {
      const want = m.kind === 'conntrack' ? m.ctstate : m.state;
      const have = ctStateNames(skb);
      return want.value.some((s) => have.includes(s)) !== want.neg;
    }
    case 'mark':
      return ((skb.mark & m.mask) === m.value) !== m.neg;
    case 'addrtype': {
      if (
        m.src &&
        m.src.value.includes(addrType(ctx.ns, p.src, m.limitIn ? ctx.inDev : undefined)) ===
          m.src.neg
      )
        return false;
      if (
        m.dst &&
        m.dst.value.includes(addrType(ctx.ns, p.dst, m.limitOut ? ctx.outDev : undefined)) ===
          m.dst.neg
      )
        return false;
      return true;
    }
    case 'comment':
      return true;
    case 'recent':
      return recentMatch(m, ctx, m.side === 'source' ? p.src : p.dst);
    case 'set': {
      const set = ipsetsOf(ctx.ns).get(m.name);
      if (!set) return m.neg;
      const ports = l4Ports(p);
      const side = (f: 'src' | 'dst' | undefined) => (f === 'src' ? 'sport' : 'dport');
      const port =
        ports && set.type === 'hash:ip,port'
          ? { proto: p.protocol, port: ports[side(m.flags[1])] }
          : undefined;
      const addr = m.flags[0] === 'src' ? p.src : p.dst;
      return ipsetMatch(set, addr, port, ctx.ns.world.sched.now) !== m.neg;
    }
    case 'limit': {
      // Tokens refill continuously; a packet that finds one spends it.
      const now = ctx.ns.world.sched.now;
      const st = m.state;
      st.tokens = Math.min(m.burst, st.tokens + ((now - st.last) / 1e9) * (m.rate / m.unit));
      st.last = now;
      if (st.tokens < 1) return false;
      st.tokens -= 1;
      return true;
    }
    case 'physdev':
      // Being bridged: FORWARD met by br_netfilter, the bridge as both in and out device.
      return (
        (ctx.hook === 'FORWARD' &&
          skb.brNfPrerouted === true &&
          ctx.inDev !== undefined &&
          ctx.inDev === ctx.outDev) !== m.isBridged.neg
      );
    case 'statistic': {
      if (m.mode === 'random') {
        // xt_statistic: get_random_u32() & 0x7FFFFFFF < threshold, from the seeded generator.
        const r = ctx.ns.world.rng.int(0, 0x7fffffff);
        return r < m.probability !== m.neg;
      }
      const hit = m.counter.n === m.packet;
      m.counter.n = (m.counter.n + 1) % m.every;
      return hit !== m.neg;
    }
  }
}

/** ip_pkt_list_tot: the timestamps xt_recent keeps per address. */
const RECENT_STAMPS = 20;

/** recent_mt: --set always matches; --rcheck/--update match a listed address (seen recently enough). */
function recentMatch(m: Extract<Match, { kind: 'recent' }>, ctx: NfContext, addr: Ipv4): boolean {
  const lists = ctx.ns.netfilter.recent;
  let list = lists.get(m.name);
  if (!list) {
    list = new Map();
    lists.set(m.name, list);
  }
  const now = ctx.ns.world.sched.now;
  const stamp = () => {
    const e = list.get(addr) ?? [];
    e.push(now);
    if (e.length > RECENT_STAMPS) e.shift();
    list.set(addr, e);
  };
  if (m.op === 'set') {
    stamp();
    return !m.neg;
  }
  const e = list.get(addr);
  if (!e) return m.neg;
  if (m.op === 'remove') {
    list.delete(addr);
    return !m.neg;
  }
  let hit = true;
  if (m.seconds !== undefined || m.hitcount !== undefined) {
    const since = m.seconds !== undefined ? now - m.seconds * 1e9 : -Infinity;
    if (m.reap && m.seconds !== undefined) {
      const kept = e.filter((t) => t >= since);
      if (kept.length) list.set(addr, kept);
      else list.delete(addr);
    }
    const hits = e.filter((t) => t >= since).length;
    hit = hits > 0 && hits >= (m.hitcount ?? 1);
  }
  if (m.op === 'update' && hit) stamp();
  return hit !== m.neg;
}

export function ruleMatches(r: Rule, skb: Skb, ctx: NfContext): boolean {
  const p = skb.ip!;
  if (r.src && cidrContains(r.src.value, p.src) === r.src.neg) return false;
  if (r.dst && cidrContains(r.dst.value, p.dst) === r.dst.neg) return false;
  if (r.inIf && ifaceMatches(r.inIf.value, ctx.inDev?.name) === r.inIf.neg) return false;
  if (r.outIf && ifaceMatches(r.outIf.value, ctx.outDev?.name) === r.outIf.neg) return false;
  if (r.proto && r.proto.value !== 0 && (p.protocol === r.proto.value) === r.proto.neg)
    return false;
  for (const m of r.matches) if (!matchOne(m, skb, ctx, p)) return false;
  return true;
}

export type NfResult =
  | { readonly verdict: 'ACCEPT'; readonly skb: Skb }
  | { readonly verdict: 'DROP'; readonly reason: string };

/** Formats a rule the way `iptables -S` prints it; set by the iptables tool module. */
let ruleText: (table: TableName, chain: string, r: Rule) => string = (_t, c) => `-A ${c} …`;
export function setRuleFormatter(f: (table: TableName, chain: string, r: Rule) => string): void {
  ruleText = f;
}

interface Outcome {
  verdict: 'ACCEPT' | 'DROP' | 'REJECT' | 'NAT';
  rule?: Rule;
  ruleChain?: string;
}

export class Netfilter {
  readonly tables = new Map<TableName, NfTable>();
  readonly conntrack: Conntrack;
  /** xt_recent's lists (/proc/net/xt_recent/NAME): address → times seen, in simulated ns. */
  readonly recent = new Map<string, Map<Ipv4, number[]>>();
  /** net.bridge.bridge-nf-call-iptables in this namespace (only meaningful with br_netfilter). */
  callIptablesOnBridge = true;
  /**
   * While REJECT sends its ICMP error: the connection of the rejected packet, which the error
   * joins as RELATED even before that connection was confirmed (checked on 6.18: the error for
   * a SYN rejected in FORWARD meets OUTPUT as RELATED, not INVALID).
   */
  private rejecting?: NonNullable<Skb['ct']>;

  constructor(readonly ns: NetNs) {
    this.conntrack = new Conntrack(ns);
  }

  /** The table, created (with its built-in chains) the first time something writes to it. */
  table(name: TableName): NfTable {
    let t = this.tables.get(name);
    if (!t) {
      t = new NfTable(name);
      this.tables.set(name, t);
    }
    return t;
  }

  /**
   * Whether connection tracking runs in this namespace. The kernel registers conntrack's hooks
   * only while some rule needs it (a NAT target, a conntrack or state match): a filter table
   * with plain rules, or an empty nat table, tracks nothing (`conntrack -L` stays empty).
   */
  get conntrackActive(): boolean {
    for (const t of this.tables.values())
      for (const c of t.chains.values())
        for (const r of c.rules) {
          const k = r.target?.kind;
          if (k === 'DNAT' || k === 'SNAT' || k === 'MASQUERADE') return true;
          if (r.matches.some((m) => m.kind === 'conntrack' || m.kind === 'state')) return true;
        }
    return false;
  }

  /** True while no rule is loaded anywhere: the datapath skips the hooks (and conntrack). */
  get empty(): boolean {
    for (const t of this.tables.values()) if (!t.empty) return false;
    return true;
  }

  /** Runs every table registered at `hook`, conntrack and NAT included. */
  run(hook: NfHook, skbIn: Skb, inDev?: Device, outDev?: Device): NfResult {
    let skb = skbIn;
    const ctx: NfContext = { ns: this.ns, hook, inDev, outDev };
    const walks: ChainWalk[] = [];
    const before = skb.ip!;
    let natRule: string | undefined;
    // Conntrack attaches to the packet where it enters: PREROUTING and OUTPUT (priority -200).
    if ((hook === 'PREROUTING' || hook === 'OUTPUT') && this.conntrackActive) skb = this.track(skb);
    for (const tname of HOOK_TABLES[hook]) {
      const table = this.tables.get(tname);
      if (tname === 'nat') {
        const r = this.natHook(skb, ctx, table, walks);
        skb = r.skb;
        if (r.rule) natRule = r.rule;
        continue;
      }
      if (!table) continue;
      const out = this.walk(table, hook, skb, ctx, walks);
      if (out.verdict === 'DROP' || out.verdict === 'REJECT') {
        const text = out.rule
          ? ruleText(tname, out.ruleChain!, out.rule)
          : `policy DROP of ${tname} ${hook}`;
        this.record(hook, skb, walks, out.verdict, before, natRule, inDev ?? outDev);
        if (out.verdict === 'REJECT' && out.rule?.target?.kind === 'REJECT')
          this.reject(skb, out.rule.target.with);
        return { verdict: 'DROP', reason: text };
      }
    }
    // Confirm the entry when the packet leaves the last hook of its path.
    if (
      (hook === 'POSTROUTING' || hook === 'INPUT') &&
      skb.ct &&
      !skb.ct.entry.confirmed &&
      skb.ct.state !== 'UNTRACKED'
    ) {
      this.conntrack.confirm(skb.ct.entry);
    }
    this.record(hook, skb, walks, 'ACCEPT', before, natRule, inDev ?? outDev);
    return { verdict: 'ACCEPT', skb };
  }

  private record(
    hook: NfHook,
    skb: Skb,
    walks: ChainWalk[],
    verdict: 'ACCEPT' | 'DROP' | 'REJECT',
    before: Ipv4Packet,
    natRule: string | undefined,
    dev?: Device,
  ): void {
    const after = skb.ip!;
    const changed =
      after.src !== before.src ||
      after.dst !== before.dst ||
      JSON.stringify(l4Ports(after)) !== JSON.stringify(l4Ports(before));
    if (walks.length === 0 && !changed && verdict === 'ACCEPT') return;
    const d: NetfilterDecision = {
      kind: 'netfilter',
      hook,
      walks,
      verdict,
      ctstate: skb.ct ? ctStateNames(skb).join(',') : undefined,
      conntrack: skb.ct ? this.conntrack.format(skb.ct.entry) : undefined,
      nat: changed
        ? { before: describePacket(before), after: describePacket(after), rule: natRule }
        : undefined,
    };
    const summary = changed
      ? `${hook}: ${describePacket(before)} rewritten to ${describePacket(after)}`
      : `${hook}: ${verdict === 'ACCEPT' ? 'accepted' : verdict === 'REJECT' ? 'rejected' : 'dropped'}${walks.length ? ` after ${walks.map((w) => `${w.table}/${w.chain}`).join(' → ')}` : ''}`;
    emit(this.ns, 'nf_hook', skb, summary, dev, {
      decision: d,
      packet: after,
      final: verdict === 'ACCEPT' ? undefined : 'dropped',
    });
  }

  /** nf_conntrack_in: find or create the entry, classify the packet, keep state current. */
  private track(skb: Skb): Skb {
    const p = skb.ip!;
    if (skb.ct) {
      // Looped back locally: the packet keeps the entry it had.
      const { entry, dir } = skb.ct;
      return {
        ...skb,
        ct: { entry, dir, state: entry.seenReply || dir === 'reply' ? 'ESTABLISHED' : 'NEW' },
      };
    }
    if (p.payload.kind === 'icmp' && 'original' in p.payload) {
      const r = this.rejecting;
      if (r) {
        const dir = r.dir === 'original' ? 'reply' : 'original';
        return { ...skb, ct: { entry: r.entry, dir, state: 'RELATED' } };
      }
      return this.trackIcmpError(skb, p.payload);
    }
    const t = tupleOf(p);
    if (!t) return skb;
    const hit = this.conntrack.lookup(t);
    if (hit) {
      this.conntrack.update(hit.entry, hit.dir, p);
      const state = hit.dir === 'reply' || hit.entry.seenReply ? 'ESTABLISHED' : 'NEW';
      return { ...skb, ct: { entry: hit.entry, dir: hit.dir, state } };
    }
    const e = this.conntrack.create(t);
    this.conntrack.update(e, 'original', p);
    return { ...skb, ct: { entry: e, dir: 'original', state: 'NEW' } };
  }

  /** ICMP errors about a tracked connection are RELATED to it. */
  private trackIcmpError(skb: Skb, err: IcmpError): Skb {
    const inner = tupleOf(err.original);
    if (!inner) return skb;
    // icmp_error_message: the quoted packet went the other way, so its inverted tuple is the
    // one this error travels on. Matching the inverse (not the quote itself) is what finds a
    // NATed connection: the quote carries the translated addresses.
    const hit = this.conntrack.lookup(invert(inner));
    if (!hit) return skb;
    return { ...skb, ct: { entry: hit.entry, dir: hit.dir, state: 'RELATED' } };
  }

  /** Walks a built-in chain and the chains it jumps to (ipt_do_table). */
  private walk(
    table: NfTable,
    chainName: string,
    skb: Skb,
    ctx: NfContext,
    walks: ChainWalk[],
  ): Outcome & { mangled?: Skb } {
    const stack: { chain: Chain; i: number }[] = [];
    let chain = table.chains.get(chainName);
    if (!chain) return { verdict: 'ACCEPT' };
    const root = chain;
    let i = 0;
    let evaluated = 0;
    const len = ipv4Length(skb.ip!);
    const leave = (outcome: string, matched?: Rule) => {
      walks.push({
        table: table.name,
        chain: chain!.name,
        evaluated,
        matched: matched ? ruleText(table.name, chain!.name, matched) : undefined,
        outcome,
      });
      evaluated = 0;
    };
    // With nothing to return to (the built-in chain itself, or a chain entered by -g from it),
    // the walk ends at the built-in chain's policy: the kernel's "underflow" entry.
    const policy = (): Outcome => {
      if (root.counted) {
        root.pkts++;
        root.bytes += len;
      }
      return { verdict: root.policy };
    };
    for (let guard = 0; guard < 100000; guard++) {
      if (i >= chain.rules.length) {
        if (chain.builtin) {
          leave(`policy ${chain.policy}`);
          return policy();
        }
        leave('end of chain: return');
        const back = stack.pop();
        if (!back) return policy();
        chain = back.chain;
        i = back.i;
        continue;
      }
      let r = chain.rules[i]!;
      i++;
      evaluated++;
      if (!ruleMatches(r, skb, ctx)) continue;
      if (sharedRules.has(r)) {
        // Counted here for the first time: from now on this namespace has a copy of its own.
        r = { ...r };
        // A chain shared with other namespaces becomes this one's own before it changes.
        if (sharedChains.has(chain)) chain = table.own(chain.name)!;
        chain.rules[i - 1] = r;
      }
      r.pkts++;
      r.bytes += len;
      const t = r.target;
      if (!t) continue;
      switch (t.kind) {
        case 'ACCEPT':
          leave('ACCEPT', r);
          return { verdict: 'ACCEPT', rule: r, ruleChain: chain.name };
        case 'DROP':
          leave('DROP', r);
          return { verdict: 'DROP', rule: r, ruleChain: chain.name };
        case 'REJECT':
          leave('REJECT', r);
          return { verdict: 'REJECT', rule: r, ruleChain: chain.name };
        case 'RETURN': {
          leave('RETURN', r);
          const back = stack.pop();
          if (!back) return policy();
          chain = back.chain;
          i = back.i;
          continue;
        }
        case 'jump': {
          const next = table.chains.get(t.chain);
          if (!next) continue;
          leave(`${t.goto ? 'goto' : 'jump'} ${t.chain}`, r);
          if (!t.goto) stack.push({ chain, i });
          chain = next;
          i = 0;
          continue;
        }
        case 'MARK': {
          skb.mark = markApply(skb.mark, t);
          continue;
        }
        case 'LOG':
          emit(
            this.ns,
            'nf_hook',
            skb,
            `LOG ${t.prefix ?? ''}${describePacket(skb.ip!)}`,
            ctx.inDev ?? ctx.outDev,
            {
              decision: {
                kind: 'note',
                text: `kernel log: ${t.prefix ?? ''}IN=${ctx.inDev?.name ?? ''} OUT=${ctx.outDev?.name ?? ''} SRC=${formatIpv4(skb.ip!.src)} DST=${formatIpv4(skb.ip!.dst)}`,
              },
            },
          );
          continue;
        case 'NFLOG':
          // nfnetlink_log: a copy to the userspace listener of the group; the packet goes on.
          emit(
            this.ns,
            'nf_hook',
            skb,
            `NFLOG group ${t.group} ${describePacket(skb.ip!)}`,
            ctx.inDev ?? ctx.outDev,
            {
              decision: {
                kind: 'note',
                text: `NFLOG group ${t.group}: ${ruleText(table.name, chain.name, r)}`,
              },
            },
          );
          continue;
        case 'NOTRACK':
          skb.ct = undefined;
          continue;
        case 'DNAT':
        case 'SNAT':
        case 'MASQUERADE':
          leave(t.kind, r);
          return { verdict: 'NAT', rule: r, ruleChain: chain.name };
      }
    }
    leave('rule loop limit reached: drop');
    return { verdict: 'DROP' };
  }

  /** The nat table at a hook: consulted for a connection's first packet only; bindings replayed. */
  private natHook(
    skbIn: Skb,
    ctx: NfContext,
    table: NfTable | undefined,
    walks: ChainWalk[],
  ): { skb: Skb; rule?: string } {
    let skb = skbIn;
    const ct = skb.ct;
    if (!ct || ct.state === 'INVALID' || ct.state === 'UNTRACKED') return { skb };
    const e = ct.entry;
    const dstManip = ctx.hook === 'PREROUTING' || ctx.hook === 'OUTPUT';
    let rule: string | undefined;
    if (
      ct.dir === 'original' &&
      !e.confirmed &&
      table &&
      (dstManip ? !e.natDoneDst : !e.natDoneSrc)
    ) {
      const out = this.walk(table, ctx.hook, skb, ctx, walks);
      if (out.verdict === 'NAT' && out.rule?.target) {
        this.bind(e, ctx, out.rule.target);
        rule = ruleText('nat', out.ruleChain!, out.rule);
      }
    }
    if (dstManip) e.natDoneDst = true;
    else e.natDoneSrc = true;
    skb = applyNat(skb, e, ct.dir, dstManip);
    return { skb, rule };
  }

  /** Records the binding a NAT target chose, keeping the reply tuple unique. */
  private bind(e: CtEntry, ctx: NfContext, t: Target): void {
    const icmp = e.orig.proto === 1;
    if (t.kind === 'DNAT') {
      e.nat.dnat = { ip: t.ip, port: t.port };
      const port = t.port ?? e.orig.dport;
      e.reply = {
        proto: e.orig.proto,
        src: t.ip,
        dst: e.reply.dst,
        sport: icmp ? e.reply.sport : port,
        dport: e.reply.dport,
      };
      return;
    }
    if (t.kind !== 'SNAT' && t.kind !== 'MASQUERADE') return;
    let ip: Ipv4;
    if (t.kind === 'SNAT') ip = t.ip;
    else {
      // MASQUERADE: the primary address of the device the packet leaves by.
      const a = ctx.outDev?.addrs.find((x) => !x.secondary);
      if (!a) return;
      ip = a.local;
    }
    // For ICMP echo the "port" NAT may change is the echo id.
    const candidate = (pt: number): Tuple =>
      icmp
        ? { proto: 1, src: e.reply.src, dst: ip, sport: pt, dport: 0 }
        : { proto: e.orig.proto, src: e.reply.src, dst: ip, sport: e.reply.sport, dport: pt };
    let port = e.orig.sport;
    const random = t.kind === 'MASQUERADE' ? t.randomFully : t.random;
    if (random || this.conntrack.replyTaken(candidate(port), e)) {
      // nf_nat_l4proto_unique_tuple: look for a free port in 1024–65535.
      const rng = this.ns.world.rng;
      for (let tries = 0; tries < 128; tries++) {
        port = rng.int(1024, 65535);
        if (!this.conntrack.replyTaken(candidate(port), e)) break;
      }
    }
    e.nat.snat = { ip, port: port !== e.orig.sport ? port : undefined };
    e.reply = candidate(port);
  }

  /** REJECT: an ICMP error (or TCP reset) back to the sender, from this namespace. */
  private reject(skb: Skb, withWhat: string): void {
    const codes: Record<string, number> = {
      'icmp-net-unreachable': 0,
      'icmp-host-unreachable': 1,
      'icmp-proto-unreachable': 2,
      'icmp-port-unreachable': 3,
      'icmp-net-prohibited': 9,
      'icmp-host-prohibited': 10,
      'icmp-admin-prohibited': 13,
    };
    const code = codes[withWhat] ?? 3;
    this.rejecting = skb.ct;
    try {
      icmpSend(this.ns, skb, 3, code);
    } finally {
      this.rejecting = undefined;
    }
  }
}

function markApply(mark: number, t: Extract<Target, { kind: 'MARK' }>): number {
  switch (t.op) {
    case 'set-xmark':
      return ((mark & ~t.mask) ^ t.value) >>> 0;
    case 'set-mark':
      return t.value >>> 0;
    case 'or-mark':
      return (mark | t.value) >>> 0;
    case 'and-mark':
      return (mark & t.value) >>> 0;
    case 'xor-mark':
      return (mark ^ t.value) >>> 0;
  }
}

function rewrite(
  p: Ipv4Packet,
  src: { ip: Ipv4; port?: number } | undefined,
  dst: { ip: Ipv4; port?: number } | undefined,
): Ipv4Packet {
  let l4: L4 = p.payload;
  if (l4.kind === 'tcp' || l4.kind === 'udp') {
    l4 = { ...l4, sport: src?.port ?? l4.sport, dport: dst?.port ?? l4.dport } as L4;
  } else if (
    l4.kind === 'icmp' &&
    !('original' in l4) &&
    (src?.port !== undefined || dst?.port !== undefined)
  ) {
    l4 = { ...l4, id: src?.port ?? dst?.port ?? l4.id };
  }
  return { ...p, src: src?.ip ?? p.src, dst: dst?.ip ?? p.dst, payload: l4 };
}

/**
 * nf_nat_packet: at a destination hook (PREROUTING/OUTPUT) the original direction gets its DNAT
 * and replies get their SNAT undone; at a source hook (POSTROUTING/INPUT) the original direction
 * gets its SNAT and replies get their DNAT undone. ICMP errors have the quoted packet translated too.
 */
function applyNat(skb: Skb, e: CtEntry, dir: 'original' | 'reply', dstManip: boolean): Skb {
  const p = skb.ip!;
  // Which address (and port) of the packet changes, and to what.
  let change: { side: 'src' | 'dst'; ip: Ipv4; port?: number } | undefined;
  if (dstManip) {
    if (dir === 'original' && e.nat.dnat)
      change = { side: 'dst', ip: e.nat.dnat.ip, port: e.nat.dnat.port };
    if (dir === 'reply' && e.nat.snat)
      change = {
        side: 'dst',
        ip: e.orig.src,
        port: e.nat.snat.port !== undefined ? e.orig.sport : undefined,
      };
  } else {
    if (dir === 'original' && e.nat.snat)
      change = { side: 'src', ip: e.nat.snat.ip, port: e.nat.snat.port };
    if (dir === 'reply' && e.nat.dnat)
      change = {
        side: 'src',
        ip: e.orig.dst,
        port: e.nat.dnat.port !== undefined ? e.orig.dport : undefined,
      };
  }
  if (!change) return skb;
  const to = { ip: change.ip, port: change.port };
  if (p.payload.kind === 'icmp' && 'original' in p.payload && skb.ct?.state === 'RELATED') {
    // nf_nat_icmp_reply_translation: the quoted packet travelled the other way, so the side
    // that changes in it is the opposite one, port included; the error itself has no ports.
    const q = p.payload.original;
    const qd = change.side === 'dst' ? rewrite(q, to, undefined) : rewrite(q, undefined, to);
    const outer =
      change.side === 'dst'
        ? rewrite(p, undefined, { ip: to.ip, port: undefined })
        : rewrite(p, { ip: to.ip, port: undefined }, undefined);
    return { ...skb, ip: { ...outer, payload: { ...p.payload, original: qd } } };
  }
  const out = change.side === 'dst' ? rewrite(p, undefined, to) : rewrite(p, to, undefined);
  return out === p ? skb : { ...skb, ip: out };
}

export { PROTO_NAMES };
