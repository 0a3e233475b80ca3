/**
 * The trace: every step a packet takes, named as the kernel names it, with the decision taken
 * there (and its inputs) and the headers at that point. The UI animates this; tests assert on it.
 */
import type { EthernetFrame, Ipv4Packet } from '../net/packet';
import type { SimTime } from './time';

/** Where an event happened. `netns` is the display name ("root" for a host's initial namespace). */
export interface TraceWhere {
  readonly host: string;
  readonly netns: string;
  /** Stable id of the namespace within the world. */
  readonly netnsId: number;
  readonly dev?: string;
  /** Stable id of the device within the world (survives moves and renames). */
  readonly devId?: number;
  /** Set (with empty host) for events on a physical network between hosts. */
  readonly segment?: string;
}

/** Stages, named after the kernel functions and hooks a learner would see in pwru or Retis. */
export type TraceStage =
  | 'dev_queue_xmit'
  | 'netif_receive_skb'
  | 'veth_xmit'
  | 'wire'
  | 'br_handle_frame'
  | 'br_fdb_update'
  | 'br_forward'
  | 'br_flood'
  | 'br_pass_frame_up'
  | 'arp_rcv'
  | 'arp_process'
  | 'packet_rcv'
  | 'arp_send'
  | 'neigh_resolve_output'
  | 'neigh_update'
  | 'neigh_timer_handler'
  | 'ip_rcv'
  | 'ip_route_input'
  | 'ip_forward'
  | 'ip_local_deliver'
  | 'ip_route_output'
  | 'ip_output'
  | 'ip_finish_output2'
  | 'icmp_rcv'
  | 'icmp_send'
  | 'tcp_v4_rcv'
  | 'tcp_transmit_skb'
  | 'udp_rcv'
  | 'udp_send'
  | 'nf_hook'
  | 'vxlan_xmit'
  | 'vxlan_rcv'
  | 'ipip_tunnel_xmit'
  | 'ip_tunnel_rcv'
  | 'sock_deliver'
  | 'kfree_skb';

/** One row of a routing table as the learner sees it, with the mask arithmetic for this lookup. */
export interface RouteRow {
  readonly text: string;
  /** dst AND mask, as dotted quad, and whether it equals the route's network. */
  readonly masked: string;
  readonly matches: boolean;
}

export interface RouteDecision {
  readonly kind: 'route';
  readonly destination: string;
  readonly table: string;
  readonly rows: readonly RouteRow[];
  /** Index into rows of the chosen route, if any. */
  readonly chosen?: number;
  /** What the lookup concluded: "local", "via 10.0.0.1 dev eth0", "unreachable", … */
  readonly result: string;
  /** Routes of the table that do not match and are not listed in `rows` (large tables). */
  readonly omitted?: number;
}

export interface NeighDecision {
  readonly kind: 'neigh';
  readonly ip: string;
  readonly dev: string;
  readonly state: string;
  readonly mac?: string;
  readonly action: string;
}

export interface FdbDecision {
  readonly kind: 'fdb';
  readonly mac: string;
  readonly port?: string;
  readonly action: 'forward' | 'flood' | 'local' | 'drop' | 'learn';
  readonly entries: readonly string[];
}

export interface DropDecision {
  readonly kind: 'drop';
  /** Kernel-style reason code, e.g. NEIGH_FAILED, IP_INADDRERRORS, OTHERHOST. */
  readonly reason: string;
  readonly text: string;
}

/** One chain walked during a netfilter hook: how many rules were tried, which one decided. */
export interface ChainWalk {
  readonly table: string;
  readonly chain: string;
  readonly evaluated: number;
  /** The rule that matched (as `iptables -S` prints it), if any. */
  readonly matched?: string;
  /** What happened: ACCEPT, DROP, jump to X, RETURN, policy ACCEPT, … */
  readonly outcome: string;
}

export interface NetfilterDecision {
  readonly kind: 'netfilter';
  readonly hook: string;
  readonly walks: readonly ChainWalk[];
  readonly verdict: 'ACCEPT' | 'DROP' | 'REJECT';
  /** Conntrack's view of the packet: NEW, ESTABLISHED, RELATED … and the entry. */
  readonly ctstate?: string;
  readonly conntrack?: string;
  /** Set when NAT rewrote the packet at this hook. */
  readonly nat?: { readonly before: string; readonly after: string; readonly rule?: string };
}

export interface NoteDecision {
  readonly kind: 'note';
  readonly text: string;
}

export type Decision =
  RouteDecision | NeighDecision | FdbDecision | DropDecision | NetfilterDecision | NoteDecision;

export interface TraceEvent {
  readonly seq: number;
  readonly time: SimTime;
  readonly stage: TraceStage;
  readonly where: TraceWhere;
  /** The packet (skb) this event concerns; clones get their own id and name their parent. */
  readonly packetId: number;
  readonly parentId?: number;
  /** A conversation (a ping, a TCP connection) so the UI can colour by flow. */
  readonly flowId: number;
  readonly summary: string;
  readonly decision?: Decision;
  readonly frame?: EthernetFrame;
  readonly packet?: Ipv4Packet;
  /**
   * For transmit events: where the frame travels next (the veth peer, the physical network a NIC
   * is plugged into, or for a network forwarding to one host, that host's NIC).
   */
  readonly to?: TraceWhere;
  /** True when the packet ends here (delivered to a socket or dropped). */
  readonly final?: 'delivered' | 'dropped';
  /** The packet waits here (queued until ARP resolves): it moves on in a later event, or fails. */
  readonly queued?: boolean;
}

export type TraceEventInput = Omit<TraceEvent, 'seq' | 'time'>;

export class TraceRecorder {
  private events: TraceEvent[] = [];
  private nextSeq = 0;
  /** Detail level: when false, decisions are not recorded (large benchmarks). */
  detailed = true;

  private limit = Infinity;
  /** Events dropped because the limit was reached. */
  dropped = 0;

  /** Caps recording at `count` events after index `from` (a new command's budget). */
  limitFrom(from: number, count: number): void {
    this.limit = from + count;
  }

  record(time: SimTime, e: TraceEventInput): TraceEvent {
    if (this.events.length >= this.limit) {
      this.dropped++;
      return { seq: this.nextSeq++, time, ...e };
    }
    const ev: TraceEvent = this.detailed
      ? { seq: this.nextSeq++, time, ...e }
      : { seq: this.nextSeq++, time, ...e, decision: undefined };
    this.events.push(ev);
    return ev;
  }

  get length(): number {
    return this.events.length;
  }

  /** Events from index `from` on (a command's slice of the trace). */
  since(from: number): readonly TraceEvent[] {
    return this.events.slice(from);
  }

  all(): readonly TraceEvent[] {
    return this.events;
  }
}
