/**
 * Connection tracking (nf_conntrack): one entry per flow with its original and reply tuples,
 * the state tcp/udp/icmp trackers derive, and the NAT binding chosen on the first packet, which
 * every later packet (and every reply) reuses.
 */
import { type Ipv4, formatIpv4 } from '../net/ipv4';
import type { Ipv4Packet, TcpSegment } from '../net/packet';
import type { ScheduledEvent } from '../sim/scheduler';
import { type SimDuration, seconds } from '../sim/time';
import type { NetNs } from './netns';

export interface Tuple {
  readonly proto: number;
  readonly src: Ipv4;
  readonly dst: Ipv4;
  /** Ports for TCP/UDP; for ICMP echo, sport is the echo id and dport 0. */
  readonly sport: number;
  readonly dport: number;
}

export type CtState = 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID' | 'UNTRACKED';
export type CtDir = 'original' | 'reply';

export type TcpCtState =
  | 'SYN_SENT'
  | 'SYN_RECV'
  | 'ESTABLISHED'
  | 'FIN_WAIT'
  | 'CLOSE_WAIT'
  | 'LAST_ACK'
  | 'TIME_WAIT'
  | 'CLOSE';

export interface NatBinding {
  /** Source rewrite for the original direction (SNAT/MASQUERADE). */
  snat?: { readonly ip: Ipv4; readonly port?: number };
  /** Destination rewrite for the original direction (DNAT). */
  dnat?: { readonly ip: Ipv4; readonly port?: number };
}

export interface CtEntry {
  readonly id: number;
  readonly orig: Tuple;
  /** The tuple replies carry: the inverse of the original after NAT. */
  reply: Tuple;
  confirmed: boolean;
  seenReply: boolean;
  assured: boolean;
  tcpState?: TcpCtState;
  nat: NatBinding;
  /** Whether the nat table was consulted for the source / destination manip already. */
  natDoneSrc: boolean;
  natDoneDst: boolean;
  mark: number;
  timeout: SimDuration;
  expires: number;
  timer?: ScheduledEvent;
}

const key = (t: Tuple) => `${t.proto}/${t.src}:${t.sport}>${t.dst}:${t.dport}`;

export function invert(t: Tuple): Tuple {
  return {
    proto: t.proto,
    src: t.dst,
    dst: t.src,
    sport: t.proto === 1 ? t.sport : t.dport,
    dport: t.proto === 1 ? t.dport : t.sport,
  };
}

/** The tuple of a packet, if conntrack tracks its protocol. */
export function tupleOf(p: Ipv4Packet): Tuple | undefined {
  const l4 = p.payload;
  if (l4.kind === 'tcp' || l4.kind === 'udp')
    return { proto: p.protocol, src: p.src, dst: p.dst, sport: l4.sport, dport: l4.dport };
  if (l4.kind === 'icmp' && !('original' in l4)) {
    // Echo request and reply share a tuple keyed by the id; the reply is the inverse.
    return { proto: 1, src: p.src, dst: p.dst, sport: l4.id, dport: 0 };
  }
  return undefined;
}

export function protoName(p: number): string {
  return p === 6 ? 'tcp' : p === 17 ? 'udp' : p === 1 ? 'icmp' : String(p);
}

const TCP_TIMEOUTS: Record<TcpCtState, number> = {
  SYN_SENT: 120,
  SYN_RECV: 60,
  ESTABLISHED: 432000,
  FIN_WAIT: 120,
  CLOSE_WAIT: 60,
  LAST_ACK: 30,
  TIME_WAIT: 120,
  CLOSE: 10,
};

export class Conntrack {
  private readonly table = new Map<string, { entry: CtEntry; dir: CtDir }>();
  private nextId = 1;

  constructor(private readonly ns: NetNs) {}

  entries(): CtEntry[] {
    const seen = new Set<CtEntry>();
    for (const { entry } of this.table.values()) seen.add(entry);
    return [...seen];
  }

  /** Finds the entry a packet belongs to, and in which direction it travels. */
  lookup(t: Tuple): { entry: CtEntry; dir: CtDir } | undefined {
    const hit = this.table.get(key(t));
    if (!hit) return undefined;
    if (hit.entry.expires <= this.ns.world.sched.now) {
      this.remove(hit.entry);
      return undefined;
    }
    return hit;
  }

  /** A new, unconfirmed entry for a packet that matched nothing. */
  create(t: Tuple): CtEntry {
    return {
      id: this.nextId++,
      orig: t,
      reply: invert(t),
      confirmed: false,
      seenReply: false,
      assured: false,
      nat: {},
      natDoneSrc: false,
      natDoneDst: false,
      mark: 0,
      timeout: seconds(t.proto === 17 ? 30 : t.proto === 1 ? 30 : 120),
      expires: 0,
    };
  }

  /** Whether some confirmed entry already uses `reply` as its reply tuple (NAT must avoid it). */
  replyTaken(reply: Tuple, except?: CtEntry): boolean {
    const hit = this.table.get(key(reply));
    return hit !== undefined && hit.entry !== except;
  }

  /** __nf_conntrack_confirm: the entry enters the table when its first packet leaves the hooks. */
  confirm(e: CtEntry): void {
    if (e.confirmed) return;
    e.confirmed = true;
    this.table.set(key(e.orig), { entry: e, dir: 'original' });
    this.table.set(key(e.reply), { entry: e, dir: 'reply' });
    this.refresh(e);
  }

  remove(e: CtEntry): void {
    this.ns.world.sched.cancel(e.timer);
    this.table.delete(key(e.orig));
    this.table.delete(key(e.reply));
  }

  flush(): number {
    const all = this.entries();
    for (const e of all) this.remove(e);
    return all.length;
  }

  /** Updates state and timeout for a packet of a confirmed (or confirming) entry. */
  update(e: CtEntry, dir: CtDir, p: Ipv4Packet): void {
    const hadReply = e.seenReply;
    if (dir === 'reply' && !e.seenReply) e.seenReply = true;
    // nf_conntrack_proto_tcp: "If only reply is a RST, we can consider ourselves not to have an
    // established connection" -- the entry is killed at once (a refused connect leaves none).
    if (p.payload.kind === 'tcp' && p.payload.flags.rst && !hadReply) {
      if (e.confirmed) this.remove(e);
      return;
    }
    if (p.payload.kind === 'tcp') this.tcpUpdate(e, dir, p.payload);
    else if (e.seenReply && !e.assured && dir === 'reply') {
      // UDP: a reply makes it ASSURED with the longer stream timeout.
      if (e.orig.proto === 17) {
        e.assured = true;
        e.timeout = seconds(120);
      }
    }
    if (e.orig.proto === 1) e.timeout = seconds(30);
    if (e.confirmed) this.refresh(e);
  }

  private tcpUpdate(e: CtEntry, dir: CtDir, s: TcpSegment): void {
    const f = s.flags;
    let st = e.tcpState;
    if (f.rst) st = 'CLOSE';
    else if (f.syn && !f.ack)
      st = st === undefined || st === 'CLOSE' || st === 'TIME_WAIT' ? 'SYN_SENT' : st;
    else if (f.syn && f.ack && dir === 'reply') st = 'SYN_RECV';
    else if (f.fin)
      st =
        st === 'ESTABLISHED'
          ? 'FIN_WAIT'
          : st === 'FIN_WAIT' || st === 'CLOSE_WAIT'
            ? 'LAST_ACK'
            : st;
    else if (f.ack) {
      if (st === 'SYN_RECV' && dir === 'original') {
        st = 'ESTABLISHED';
        e.assured = true;
      } else if (st === 'LAST_ACK') st = 'TIME_WAIT';
      else if (st === 'FIN_WAIT') st = 'CLOSE_WAIT';
    }
    e.tcpState = st ?? 'SYN_SENT';
    e.timeout = seconds(TCP_TIMEOUTS[e.tcpState]);
  }

  private refresh(e: CtEntry): void {
    const sched = this.ns.world.sched;
    e.expires = sched.now + e.timeout;
    sched.cancel(e.timer);
    e.timer = sched.schedule(e.timeout, 'conntrack timeout', () => this.remove(e), true);
  }

  /** One line of `conntrack -L`. */
  format(e: CtEntry): string {
    const left = Math.max(0, Math.round((e.expires - this.ns.world.sched.now) / 1e9));
    const t = (x: Tuple) =>
      x.proto === 1
        ? `src=${formatIpv4(x.src)} dst=${formatIpv4(x.dst)} type=${x === e.orig ? 8 : 0} code=0 id=${x.sport}`
        : `src=${formatIpv4(x.src)} dst=${formatIpv4(x.dst)} sport=${x.sport} dport=${x.dport}`;
    const name = protoName(e.orig.proto).padEnd(8);
    const state = e.tcpState ? ` ${e.tcpState}` : '';
    const unreplied = e.seenReply ? '' : ' [UNREPLIED]';
    const assured = e.assured ? ' [ASSURED]' : '';
    return `${name} ${e.orig.proto} ${left}${state} ${t(e.orig)}${unreplied} ${t(e.reply)}${assured} mark=${e.mark} use=1`;
  }
}
