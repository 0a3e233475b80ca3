/**
 * The socket buffer: one packet travelling through the stack, with the metadata the kernel
 * keeps beside the wire bytes (device, packet type, mark, flow for the trace).
 */
import type { EthernetFrame, Ipv4Packet } from '../net/packet';
import type { CtEntry } from './conntrack';
import type { Device } from './device';

/** skb->pkt_type: how the receiving device classified the destination MAC. */
export type PktType = 'host' | 'broadcast' | 'multicast' | 'otherhost' | 'loopback';

export interface Skb {
  readonly id: number;
  readonly parentId?: number;
  readonly flowId: number;
  /** The frame, once the packet has an Ethernet header (on the wire, in the bridge). */
  frame?: EthernetFrame;
  /** The IPv4 packet; for received frames it is the frame's payload. */
  ip?: Ipv4Packet;
  pktType?: PktType;
  /** The device the packet arrived on (for received packets). */
  inDev?: Device;
  /** skb->mark */
  mark: number;
  /** Set on packets generated locally (for the trace and ICMP error delivery). */
  local?: boolean;
  /** The bridge port a frame entered on, while inside a bridge. */
  brInPort?: Device;
  /** br_netfilter already ran PREROUTING for it at the bridge: ip_rcv must not run it again. */
  brNfPrerouted?: boolean;
  /** The conntrack entry and direction, once conntrack has seen the packet (skb->_nfct). */
  ct?: {
    readonly entry: CtEntry;
    readonly dir: 'original' | 'reply';
    readonly state: 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID' | 'UNTRACKED';
  };
}
