/**
 * DNS over the engine's UDP sockets: sending a message as bytes (so it is routed, filtered,
 * traced and captured like any datagram) and a connected client socket as resolvers use one.
 */
import { type Ipv4, IPV4_ANY, formatIpv4 } from '../net/ipv4';
import { type Ipv4Packet, IPPROTO_UDP, type UdpDatagram } from '../net/packet';
import { ipLocalOut } from '../linux/ip';
import type { Process } from '../linux/process';
import { ipRouteOutput, isOutputError } from '../linux/route';
import type { Errno } from '../linux/socket';
import { emit } from '../linux/tracing';
import { type UdpSocket, udpBind, udpClose } from '../linux/udp';
import {
  type Compression,
  type DnsMessage,
  encodeMessage,
  fqdn,
  fromByteString,
  toByteString,
  tryDecodeMessage,
  typeName,
} from './message';

export const DNS_PORT = 53;

/**
 * sendto() of one DNS message from `s`. `df`: glibc's and the servers' datagrams leave with DF
 * set (IP_PMTUDISC_WANT, the default); BIND's tools (dig, nslookup) turn path-MTU discovery off
 * and send with DF clear.
 */
export function sendDnsMessage(
  s: UdpSocket,
  to: Ipv4,
  dport: number,
  m: DnsMessage,
  opts: { df?: boolean; compress?: Compression } = {},
): Errno | undefined {
  const ns = s.ns;
  const rt = ipRouteOutput(ns, to, { src: s.addr === IPV4_ANY ? undefined : s.addr });
  if (isOutputError(rt))
    return rt.errno === 'EACCES' ? 'EACCES' : rt.errno === 'EINVAL' ? 'EINVAL' : rt.errno;
  const dst = rt.daddr;
  const data = toByteString(encodeMessage(m, { compress: opts.compress }));
  const dgram: UdpDatagram = {
    kind: 'udp',
    sport: s.port,
    dport,
    payload: { kind: 'data', data, binary: true },
  };
  const packet: Ipv4Packet = {
    kind: 'ipv4',
    src: rt.src,
    dst,
    ttl: ns.sysctlNumber('net.ipv4.ip_default_ttl'),
    protocol: IPPROTO_UDP,
    id: (ns.ipIdCounter = (ns.ipIdCounter + 1) & 0xffff),
    tos: 0,
    df: opts.df ?? true,
    payload: dgram,
  };
  const skb = { ...ns.world.newSkb(s.flowId), ip: packet, local: true };
  const q = m.questions[0];
  const what = q
    ? `DNS ${m.flags.qr ? 'answer' : 'query'} ${typeName(q.type)} ${fqdn(q.name)}`
    : 'DNS';
  emit(
    ns,
    'udp_send',
    skb,
    `${what}: UDP ${formatIpv4(rt.src)}:${s.port} → ${formatIpv4(dst)}:${dport}`,
  );
  ipLocalOut(ns, skb, rt);
  return undefined;
}

/** A UDP socket connect()ed to one server, as res_send and BIND's dispatcher use. */
export interface DnsClientSocket {
  readonly sock: UdpSocket;
  send(m: DnsMessage, opts?: { df?: boolean }): Errno | undefined;
  close(): void;
}

export function openClientSocket(
  proc: Process,
  server: Ipv4,
  port: number,
  handlers: { onMessage(m: DnsMessage, size: number): void; onError(errno: Errno): void },
): DnsClientSocket | Errno {
  const s = udpBind(proc.ns, IPV4_ANY, 0, {
    onDatagram: (_from, data) => {
      const m = tryDecodeMessage(fromByteString(data));
      if (m instanceof Error) return;
      handlers.onMessage(m, data.length);
    },
    onError: (errno) => handlers.onError(errno),
  });
  if (typeof s === 'string') return s;
  s.peer = { ip: server, port };
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    udpClose(s);
  };
  proc.onCleanup(close);
  return {
    sock: s,
    send: (m, opts = {}) => sendDnsMessage(s, server, port, m, opts),
    close,
  };
}
