/**
 * Compact builders for the frames in the capture fixtures: addresses as text, flags as the
 * letters tcpdump prints. Test-only; the generated `captures.ts` is written in these terms.
 */
import { ipv4 } from '../../../../net/ipv4';
import { mac } from '../../../../net/mac';
import {
  type ArpOp,
  type ArpPacket,
  type EthernetFrame,
  type IcmpEcho,
  type IcmpError,
  type IpipPayload,
  type Ipv4Packet,
  type L4,
  type TcpFlags,
  type TcpOption,
  type TcpSegment,
  type UdpDatagram,
  protocolOf,
} from '../../../../net/packet';

export function eth(src: string, dst: string, payload: ArpPacket | Ipv4Packet): EthernetFrame {
  return { src: mac(src), dst: mac(dst), payload };
}

export function arp(
  op: ArpOp,
  senderMac: string,
  senderIp: string,
  targetMac: string,
  targetIp: string,
): ArpPacket {
  return {
    kind: 'arp',
    op,
    senderMac: mac(senderMac),
    senderIp: ipv4(senderIp),
    targetMac: mac(targetMac),
    targetIp: ipv4(targetIp),
  };
}

export interface IpHeader {
  readonly src: string;
  readonly dst: string;
  readonly ttl: number;
  readonly id: number;
  readonly tos: number;
  readonly df: boolean;
}

export function ip(h: IpHeader, payload: L4): Ipv4Packet {
  return {
    kind: 'ipv4',
    src: ipv4(h.src),
    dst: ipv4(h.dst),
    ttl: h.ttl,
    id: h.id,
    tos: h.tos,
    df: h.df,
    protocol: protocolOf(payload),
    payload,
  };
}

export function echo(type: 0 | 8, id: number, seq: number, dataLen: number): IcmpEcho {
  return { kind: 'icmp', type, code: 0, id, seq, dataLen };
}

export function icmpError(
  type: 3 | 5 | 11,
  code: number,
  original: Ipv4Packet,
  quotedLen: number,
  extra: { readonly gateway?: string; readonly mtu?: number } = {},
): IcmpError {
  return {
    kind: 'icmp',
    type,
    code,
    original,
    quotedLen,
    ...(extra.gateway === undefined ? {} : { gateway: ipv4(extra.gateway) }),
    ...(extra.mtu === undefined ? {} : { mtu: extra.mtu }),
  };
}

/** Flags written as tcpdump prints them: 'S', 'S.', 'P.', 'FP.', 'R', '.'. */
function parseFlags(text: string): TcpFlags {
  return {
    fin: text.includes('F'),
    syn: text.includes('S'),
    rst: text.includes('R'),
    psh: text.includes('P'),
    ack: text.includes('.'),
    urg: text.includes('U'),
  };
}

export interface TcpHeader {
  readonly sport: number;
  readonly dport: number;
  readonly flags: string;
  readonly seq: number;
  readonly ack: number;
  readonly win: number;
}

export function tcp(h: TcpHeader, options: readonly TcpOption[], data = ''): TcpSegment {
  return {
    kind: 'tcp',
    sport: h.sport,
    dport: h.dport,
    seq: h.seq,
    ack: h.ack,
    flags: parseFlags(h.flags),
    window: h.win,
    options,
    data,
  };
}

export const nop: TcpOption = { kind: 'nop' };
export const sackOK: TcpOption = { kind: 'sackOK' };
export const mss = (value: number): TcpOption => ({ kind: 'mss', value });
export const wscale = (value: number): TcpOption => ({ kind: 'wscale', value });
export const ts = (val: number, ecr: number): TcpOption => ({ kind: 'ts', val, ecr });

export function udp(sport: number, dport: number, data: string): UdpDatagram {
  return { kind: 'udp', sport, dport, payload: { kind: 'data', data } };
}

export function vxlan(
  sport: number,
  dport: number,
  vni: number,
  inner: EthernetFrame,
): UdpDatagram {
  return { kind: 'udp', sport, dport, payload: { kind: 'vxlan', vni, inner } };
}

export function ipip(inner: Ipv4Packet): IpipPayload {
  return { kind: 'ipip', inner };
}
