/**
 * Model frames as the bytes they would be on the wire, for what tcpdump computes from bytes: the
 * TCP checksum it prints with -v and the `proto[offset]` loads of a filter expression.
 *
 * The model does not carry every byte: ping's payload (zeros here, where ping puts a timestamp
 * and a counter) and therefore the ICMP checksum over it. Everything else is exact: header
 * fields, TCP options and their zero padding, payload text as UTF-8, VXLAN and IP-in-IP.
 */
import { macBytes } from '../../../net/mac';
import type {
  ArpPacket,
  EthernetFrame,
  IcmpMessage,
  Ipv4Packet,
  TcpFlags,
  TcpOption,
  TcpSegment,
  UdpDatagram,
} from '../../../net/packet';

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
const TCP_HEADER_LEN = 20;

export function frameBytes(f: EthernetFrame): Uint8Array {
  const type = f.payload.kind === 'arp' ? ETHERTYPE_ARP : ETHERTYPE_IPV4;
  const payload = f.payload.kind === 'arp' ? arpBytes(f.payload) : ipv4Bytes(f.payload);
  return concat([macBytes(f.dst), macBytes(f.src), u16(type)], payload);
}

function arpBytes(a: ArpPacket): number[] {
  return [
    ...u16(1),
    ...u16(ETHERTYPE_IPV4),
    6,
    4,
    ...u16(a.op === 'request' ? 1 : 2),
    ...macBytes(a.senderMac),
    ...u32(a.senderIp),
    ...macBytes(a.targetMac),
    ...u32(a.targetIp),
  ];
}

export function ipv4Bytes(p: Ipv4Packet): Uint8Array {
  const payload = l4Bytes(p);
  const header = [
    0x45,
    p.tos & 0xff,
    ...u16(20 + payload.length),
    ...u16(p.id),
    ...u16(p.df ? 0x4000 : 0),
    p.ttl & 0xff,
    p.protocol & 0xff,
    0,
    0,
    ...u32(p.src),
    ...u32(p.dst),
  ];
  const sum = checksum([header]);
  header[10] = sum >>> 8;
  header[11] = sum & 0xff;
  return concat([header], payload);
}

function l4Bytes(p: Ipv4Packet): Uint8Array {
  switch (p.payload.kind) {
    case 'icmp':
      return icmpBytes(p.payload);
    case 'tcp':
      return tcpBytes(p, p.payload);
    case 'udp':
      return udpBytes(p, p.payload);
    case 'ipip':
      return ipv4Bytes(p.payload.inner);
  }
}

function icmpBytes(m: IcmpMessage): Uint8Array {
  const body: Uint8Array =
    'original' in m
      ? ipv4Bytes(m.original).slice(0, m.quotedLen)
      : new Uint8Array(Math.max(0, m.dataLen));
  const bytes = concat([[m.type, m.code, 0, 0], icmpRestOfHeader(m)], body);
  const sum = checksum([bytes]);
  bytes[2] = sum >>> 8;
  bytes[3] = sum & 0xff;
  return bytes;
}

/** Bytes 4–7: echo id and sequence, a redirect's gateway, "fragmentation needed"'s next-hop MTU. */
function icmpRestOfHeader(m: IcmpMessage): number[] {
  if (!('original' in m)) return [...u16(m.id), ...u16(m.seq)];
  if (m.type === 5) return u32(m.gateway ?? 0);
  if (m.type === 3 && m.code === 4) return [0, 0, ...u16(m.mtu ?? 0)];
  return [0, 0, 0, 0];
}

function tcpBytes(p: Ipv4Packet, s: TcpSegment): Uint8Array {
  const bytes = concat([tcpHeaderBytes(s)], utf8Bytes(s.data));
  const sum = transportChecksum(p, 6, bytes);
  bytes[16] = sum >>> 8;
  bytes[17] = sum & 0xff;
  return bytes;
}

/** The TCP header with options and a zero checksum field (no urgent pointer in the model). */
function tcpHeaderBytes(s: TcpSegment): number[] {
  const options = tcpOptionBytes(s.options);
  const headerLen = TCP_HEADER_LEN + options.length;
  return [
    ...u16(s.sport),
    ...u16(s.dport),
    ...u32(s.seq),
    ...u32(s.ack),
    (headerLen / 4) << 4,
    tcpFlagBits(s.flags),
    ...u16(s.window),
    0,
    0,
    0,
    0,
    ...options,
  ];
}

/** The checksum tcpdump -v prints for a segment whose sender computed it. */
export function tcpChecksum(p: Ipv4Packet, s: TcpSegment): number {
  const bytes = tcpBytes(p, s);
  return (bytes[16]! << 8) | bytes[17]!;
}

export function tcpFlagBits(f: TcpFlags): number {
  return (
    (f.fin ? 0x01 : 0) |
    (f.syn ? 0x02 : 0) |
    (f.rst ? 0x04 : 0) |
    (f.psh ? 0x08 : 0) |
    (f.ack ? 0x10 : 0) |
    (f.urg ? 0x20 : 0)
  );
}

/** The options as wire bytes, padded with zeros (EOL) to a multiple of 4 as a header must be. */
export function tcpOptionBytes(options: readonly TcpOption[]): number[] {
  const bytes = options.flatMap(tcpOptionEncoding);
  while (bytes.length % 4 !== 0) bytes.push(0);
  return bytes;
}

export function tcpOptionEncoding(o: TcpOption): number[] {
  switch (o.kind) {
    case 'mss':
      return [2, 4, ...u16(o.value)];
    case 'sackOK':
      return [4, 2];
    case 'ts':
      return [8, 10, ...u32(o.val), ...u32(o.ecr)];
    case 'nop':
      return [1];
    case 'wscale':
      return [3, 3, o.value & 0xff];
  }
}

function udpBytes(p: Ipv4Packet, d: UdpDatagram): Uint8Array {
  const payload =
    d.payload.kind === 'data'
      ? d.payload.binary
        ? Uint8Array.from(d.payload.data, (c) => c.charCodeAt(0) & 0xff)
        : utf8Bytes(d.payload.data)
      : concat([[0x08, 0, 0, 0, ...u32(d.payload.vni << 8)]], frameBytes(d.payload.inner));
  const bytes = concat(
    [[...u16(d.sport), ...u16(d.dport), ...u16(8 + payload.length), 0, 0]],
    payload,
  );
  // UDP sends a computed zero as 0xffff: zero means "no checksum".
  const sum = transportChecksum(p, 17, bytes) || 0xffff;
  bytes[6] = sum >>> 8;
  bytes[7] = sum & 0xff;
  return bytes;
}

function transportChecksum(p: Ipv4Packet, protocol: number, segment: Uint8Array): number {
  const pseudo = [...u32(p.src), ...u32(p.dst), 0, protocol, ...u16(segment.length)];
  return checksum([pseudo, segment]);
}

/** The Internet checksum (RFC 1071) over the chunks taken as one byte string. */
function checksum(chunks: readonly (readonly number[] | Uint8Array)[]): number {
  let sum = 0;
  let high: number | undefined;
  for (const chunk of chunks) {
    for (const byte of chunk) {
      if (high === undefined) high = byte;
      else {
        sum += (high << 8) | byte;
        high = undefined;
      }
    }
  }
  if (high !== undefined) sum += high << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** The model's payloads are text; on the wire they are UTF-8 (ASCII in practice). */
export function utf8Bytes(s: string): Uint8Array {
  const out: number[] = [];
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    else
      out.push(
        0xf0 | (cp >> 18),
        0x80 | ((cp >> 12) & 63),
        0x80 | ((cp >> 6) & 63),
        0x80 | (cp & 63),
      );
  }
  return Uint8Array.from(out);
}

function concat(
  head: readonly (readonly number[])[],
  tail: Uint8Array | readonly number[],
): Uint8Array {
  const prefix = head.flat();
  const out = new Uint8Array(prefix.length + tail.length);
  out.set(prefix, 0);
  out.set(tail, prefix.length);
  return out;
}

function u16(n: number): number[] {
  return [(n >>> 8) & 0xff, n & 0xff];
}

function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}
