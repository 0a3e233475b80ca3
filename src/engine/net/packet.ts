/**
 * Wire values: Ethernet frames and the headers inside them, as immutable records.
 * A rewrite (TTL decrement, NAT) makes a new record; the old one stays valid for the trace.
 */
import type { Ipv4 } from './ipv4';
import type { Mac } from './mac';

export const ETH_HEADER_LEN = 14;
export const IPV4_HEADER_LEN = 20;
export const UDP_HEADER_LEN = 8;
export const ICMP_HEADER_LEN = 8;
export const ARP_PACKET_LEN = 28;
export const VXLAN_HEADER_LEN = 8;
/** The kernel quotes at most this much of an offending datagram in an ICMP error (576 − 20 − 8). */
export const ICMP_ERROR_QUOTE_MAX = 548;

export type ArpOp = 'request' | 'reply';

export interface ArpPacket {
  readonly kind: 'arp';
  readonly op: ArpOp;
  readonly senderMac: Mac;
  readonly senderIp: Ipv4;
  readonly targetMac: Mac;
  readonly targetIp: Ipv4;
}

export const IPPROTO_ICMP = 1;
export const IPPROTO_IPIP = 4;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

export interface IcmpEcho {
  readonly kind: 'icmp';
  readonly type: 0 | 8;
  readonly code: 0;
  readonly id: number;
  readonly seq: number;
  /** Bytes after the 8-byte ICMP header (ping's default is 56). */
  readonly dataLen: number;
}

export interface IcmpError {
  readonly kind: 'icmp';
  /** 3 destination unreachable, 5 redirect, 11 time exceeded. */
  readonly type: 3 | 5 | 11;
  readonly code: number;
  /** The offending datagram as it was when the error was generated (header and payload). */
  readonly original: Ipv4Packet;
  /** How many bytes of it are quoted. */
  readonly quotedLen: number;
  /** For redirects: the better gateway. For fragmentation needed: unused. */
  readonly gateway?: Ipv4;
  /** For "fragmentation needed" (type 3 code 4). */
  readonly mtu?: number;
}

export type IcmpMessage = IcmpEcho | IcmpError;

export interface TcpFlags {
  readonly syn?: boolean;
  readonly ack?: boolean;
  readonly fin?: boolean;
  readonly rst?: boolean;
  readonly psh?: boolean;
  readonly urg?: boolean;
}

export type TcpOption =
  | { readonly kind: 'mss'; readonly value: number }
  | { readonly kind: 'sackOK' }
  | { readonly kind: 'ts'; readonly val: number; readonly ecr: number }
  | { readonly kind: 'nop' }
  | { readonly kind: 'wscale'; readonly value: number };

export interface TcpSegment {
  readonly kind: 'tcp';
  readonly sport: number;
  readonly dport: number;
  readonly seq: number;
  readonly ack: number;
  readonly flags: TcpFlags;
  readonly window: number;
  readonly options: readonly TcpOption[];
  /** Application bytes carried, as text (HTTP and friends are ASCII). */
  readonly data: string;
}

/** What a UDP datagram carries: opaque application bytes, or an encapsulated Ethernet frame. */
export type UdpPayload =
  | {
      readonly kind: 'data';
      readonly data: string;
      /** `data` holds bytes, one character each (DNS messages), rather than text. */
      readonly binary?: boolean;
    }
  | { readonly kind: 'vxlan'; readonly vni: number; readonly inner: EthernetFrame };

export interface UdpDatagram {
  readonly kind: 'udp';
  readonly sport: number;
  readonly dport: number;
  readonly payload: UdpPayload;
}

export type L4 = IcmpMessage | TcpSegment | UdpDatagram | IpipPayload;

/** IP-in-IP: an inner IPv4 packet as the payload of an outer one (protocol 4). */
export interface IpipPayload {
  readonly kind: 'ipip';
  readonly inner: Ipv4Packet;
}

export interface Ipv4Packet {
  readonly kind: 'ipv4';
  readonly src: Ipv4;
  readonly dst: Ipv4;
  readonly ttl: number;
  readonly protocol: number;
  readonly id: number;
  readonly tos: number;
  readonly df: boolean;
  readonly payload: L4;
}

export interface EthernetFrame {
  readonly src: Mac;
  readonly dst: Mac;
  readonly payload: ArpPacket | Ipv4Packet;
}

/** Byte length of a string as UTF-8. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

export function tcpOptionsLength(options: readonly TcpOption[]): number {
  let n = 0;
  for (const o of options) {
    switch (o.kind) {
      case 'mss':
        n += 4;
        break;
      case 'sackOK':
        n += 2;
        break;
      case 'ts':
        n += 10;
        break;
      case 'nop':
        n += 1;
        break;
      case 'wscale':
        n += 3;
        break;
    }
  }
  return (n + 3) & ~3;
}

export function l4Length(p: L4): number {
  switch (p.kind) {
    case 'icmp':
      return 'original' in p ? ICMP_HEADER_LEN + p.quotedLen : ICMP_HEADER_LEN + p.dataLen;
    case 'tcp':
      return 20 + tcpOptionsLength(p.options) + utf8Length(p.data);
    case 'udp':
      return UDP_HEADER_LEN + udpPayloadLength(p.payload);
    case 'ipip':
      return ipv4Length(p.inner);
  }
}

export function udpPayloadLength(p: UdpPayload): number {
  if (p.kind === 'data') return p.binary ? p.data.length : utf8Length(p.data);
  return VXLAN_HEADER_LEN + frameLength(p.inner);
}

/** The IPv4 total length field. */
export function ipv4Length(p: Ipv4Packet): number {
  return IPV4_HEADER_LEN + l4Length(p.payload);
}

/** Frame length as tcpdump -e prints it (no FCS, no padding to 60). */
export function frameLength(f: EthernetFrame): number {
  return ETH_HEADER_LEN + (f.payload.kind === 'arp' ? ARP_PACKET_LEN : ipv4Length(f.payload));
}

export function protocolName(protocol: number): string {
  switch (protocol) {
    case IPPROTO_ICMP:
      return 'ICMP';
    case IPPROTO_TCP:
      return 'TCP';
    case IPPROTO_UDP:
      return 'UDP';
    case IPPROTO_IPIP:
      return 'IPIP';
    default:
      return `unknown (${protocol})`;
  }
}

export function protocolOf(p: L4): number {
  switch (p.kind) {
    case 'icmp':
      return IPPROTO_ICMP;
    case 'tcp':
      return IPPROTO_TCP;
    case 'udp':
      return IPPROTO_UDP;
    case 'ipip':
      return IPPROTO_IPIP;
  }
}
