/** UDP: bound sockets, sending datagrams, delivery, and port-unreachable errors. */
import { type Ipv4, IPV4_ANY, formatIpv4 } from '../net/ipv4';
import { type IcmpError, type Ipv4Packet, IPPROTO_UDP, type UdpDatagram } from '../net/packet';
import type { Device } from './device';
import { icmpSend } from './icmp';
import { icmpErrConvert } from './icmpErr';
import { ipLocalOut } from './ip';
import type { NetNs } from './netns';
import { ipRouteOutput, isOutputError } from './route';
import type { Skb } from './skb';
import type { Errno } from './socket';
import { drop, emit } from './tracing';
import type { VxlanDevice } from './vxlan';

export interface UdpHandlers {
  onDatagram(from: { ip: Ipv4; port: number }, data: string, packet: Ipv4Packet): void;
  onError?(errno: Errno): void;
}

export interface UdpSocket {
  readonly ns: NetNs;
  addr: Ipv4;
  port: number;
  /** Set by connect(): only datagrams from here are received, and errors are reported. */
  peer?: { ip: Ipv4; port: number };
  flowId: number;
  handlers: UdpHandlers;
  closed: boolean;
}

export function udpBind(
  ns: NetNs,
  addr: Ipv4,
  port: number,
  handlers: UdpHandlers,
): UdpSocket | Errno {
  if (addr !== IPV4_ANY && !ns.isLocalAddr(addr)) return 'EADDRNOTAVAIL';
  let p = port;
  if (p === 0) {
    const e = ns.sockets.ephemeralPort('udp', addr);
    if (e === undefined) return 'EADDRINUSE';
    p = e;
  } else if (ns.sockets.portInUse('udp', addr, p)) return 'EADDRINUSE';
  const s: UdpSocket = { ns, addr, port: p, flowId: ns.world.newFlowId(), handlers, closed: false };
  ns.sockets.udp.push(s);
  return s;
}

export function udpClose(s: UdpSocket): void {
  s.closed = true;
  const list = s.ns.sockets.udp;
  const i = list.indexOf(s);
  if (i >= 0) list.splice(i, 1);
}

/** sendto(): routes, picks the source, and sends one datagram. */
export function udpSend(s: UdpSocket, to: Ipv4, dport: number, data: string): Errno | undefined {
  const ns = s.ns;
  const rt = ipRouteOutput(ns, to, { src: s.addr === IPV4_ANY ? undefined : s.addr });
  if (isOutputError(rt))
    return rt.errno === 'EACCES' ? 'EACCES' : rt.errno === 'EINVAL' ? 'EINVAL' : rt.errno;
  // sendto(0.0.0.0) goes to this host, as the address the route put there.
  const dst = rt.daddr;
  const dgram: UdpDatagram = { kind: 'udp', sport: s.port, dport, payload: { kind: 'data', data } };
  const packet: Ipv4Packet = {
    kind: 'ipv4',
    src: rt.src,
    dst,
    ttl: ns.sysctlNumber('net.ipv4.ip_default_ttl'),
    protocol: IPPROTO_UDP,
    id: (ns.ipIdCounter = (ns.ipIdCounter + 1) & 0xffff),
    tos: 0,
    df: true,
    payload: dgram,
  };
  const skb = { ...ns.world.newSkb(s.flowId), ip: packet, local: true };
  emit(ns, 'udp_send', skb, `UDP ${formatIpv4(rt.src)}:${s.port} → ${formatIpv4(dst)}:${dport}`);
  ipLocalOut(ns, skb, rt);
  return undefined;
}

export function udpRcv(ns: NetNs, skb: Skb, dev: Device, broadcast: boolean): void {
  const ip = skb.ip!;
  const u = ip.payload as UdpDatagram;
  // A VXLAN device that is up holds a UDP socket on its port (vxlan_open) whose encap_rcv takes
  // the datagram before any ordinary socket lookup (the socket is bound to the wildcard address).
  const vx = ns.devices.filter(
    (d): d is VxlanDevice =>
      d.kind === 'vxlan' && d.adminUp && (d as VxlanDevice).cfg.dstport === u.dport,
  );
  if (vx.length > 0 && !broadcast) {
    const vni = u.payload.kind === 'vxlan' ? u.payload.vni : -1;
    const target = vx.find((d) => d.cfg.vni === vni);
    if (!target) {
      drop(
        ns,
        skb,
        'VXLAN_VNI_NOT_FOUND',
        `no VXLAN device for VNI ${vni} on port ${u.dport}`,
        dev,
      );
      return;
    }
    target.rcv(skb, u);
    return;
  }
  const sock = ns.sockets.udp.find(
    (s) =>
      s.port === u.dport &&
      (s.addr === IPV4_ANY || s.addr === ip.dst) &&
      (!s.peer || (s.peer.ip === ip.src && s.peer.port === u.sport)),
  );
  if (!sock) {
    drop(ns, skb, 'NO_SOCKET', `nothing listens on UDP port ${u.dport}`, dev);
    if (!broadcast) icmpSend(ns, skb, 3, 3);
    return;
  }
  if (u.payload.kind !== 'data') return;
  emit(ns, 'udp_rcv', skb, `UDP datagram for port ${u.dport} delivered`, dev, {
    final: 'delivered',
  });
  sock.handlers.onDatagram({ ip: ip.src, port: u.sport }, u.payload.data, ip);
}

/**
 * __udp4_lib_err: an ICMP error about one of our datagrams. Only a connected socket hears of it,
 * and (none of the modelled programs sets IP_RECVERR) only of the hard errors: icmp_err_convert's
 * fatal codes and a needed fragmentation. Checked: a connected UDP socket got ECONNREFUSED at
 * once for port unreachable and EHOSTUNREACH for icmp-admin-prohibited, but nothing for net or
 * host unreachable (REJECT with those, a router without a route, a neighbour that never answers
 * ARP): it timed out.
 */
export function udpErr(ns: NetNs, skb: Skb, _ip: Ipv4Packet, msg: IcmpError): void {
  const orig = msg.original;
  const u = orig.payload as UdpDatagram;
  const sock = ns.sockets.udp.find(
    (s) => s.port === u.sport && s.peer && s.peer.ip === orig.dst && s.peer.port === u.dport,
  );
  if (!sock) return;
  // Time Exceeded is never a hard error; Redirect is not an error at all.
  if (msg.type !== 3) return;
  const conv = icmpErrConvert(msg.code);
  if (msg.code !== 4 && !conv.fatal) return;
  const errno = conv.errno;
  emit(ns, 'sock_deliver', skb, `ICMP error reported to the UDP socket (${errno})`, undefined, {
    final: 'delivered',
  });
  sock.handlers.onError?.(errno);
}
