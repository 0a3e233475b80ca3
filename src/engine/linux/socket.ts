/**
 * The sockets of one namespace: ping (ICMP echo) sockets by id, UDP sockets by port, and the TCP
 * listeners and connections (owned by tcp.ts), plus ephemeral port selection.
 */
import type { Ipv4 } from '../net/ipv4';
import type { IcmpEcho, IcmpError, Ipv4Packet } from '../net/packet';
import type { NetNs } from './netns';
import type { TcpConnection, TcpListener } from './tcp';
import type { UdpSocket } from './udp';

export interface PingSocket {
  readonly id: number;
  onReply(packet: Ipv4Packet, echo: IcmpEcho): void;
  onError(packet: Ipv4Packet, error: IcmpError): void;
}

export type Errno =
  | 'ECONNREFUSED'
  | 'ETIMEDOUT'
  | 'EHOSTUNREACH'
  | 'ENETUNREACH'
  | 'ECONNRESET'
  | 'EADDRINUSE'
  | 'EADDRNOTAVAIL'
  | 'EINVAL'
  | 'EACCES'
  | 'EPERM'
  | 'EMSGSIZE'
  | 'ENOPROTOOPT'
  | 'EHOSTDOWN'
  | 'ENONET'
  | 'EOPNOTSUPP';

/** strerror() texts, as curl, nc and ping print them. */
export const STRERROR: Record<Errno, string> = {
  ECONNREFUSED: 'Connection refused',
  ETIMEDOUT: 'Connection timed out',
  EHOSTUNREACH: 'No route to host',
  ENETUNREACH: 'Network is unreachable',
  ECONNRESET: 'Connection reset by peer',
  EADDRINUSE: 'Address already in use',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  EINVAL: 'Invalid argument',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EMSGSIZE: 'Message too long',
  EOPNOTSUPP: 'Operation not supported',
  ENOPROTOOPT: 'Protocol not available',
  EHOSTDOWN: 'Host is down',
  ENONET: 'Machine is not on the network',
};

export class SocketTable {
  readonly ping = new Map<number, PingSocket>();
  readonly udp: UdpSocket[] = [];
  readonly tcpListeners: TcpListener[] = [];
  readonly tcpConns = new Map<string, TcpConnection>();

  constructor(private readonly ns: NetNs) {}

  /** A free ephemeral port from ip_local_port_range, chosen at random as the kernel does. */
  ephemeralPort(
    proto: 'tcp' | 'udp',
    local: Ipv4,
    remote?: { ip: Ipv4; port: number },
  ): number | undefined {
    const [lo, hi] = (this.ns.globals.get('net.ipv4.ip_local_port_range') ?? '32768\t60999')
      .split('\t')
      .map(Number) as [number, number];
    const span = hi - lo + 1;
    const start = this.ns.world.rng.int(0, span - 1);
    for (let i = 0; i < span; i++) {
      const port = lo + ((start + i) % span);
      if (!this.portInUse(proto, local, port, remote)) return port;
    }
    return undefined;
  }

  portInUse(
    proto: 'tcp' | 'udp',
    local: Ipv4,
    port: number,
    remote?: { ip: Ipv4; port: number },
  ): boolean {
    if (proto === 'udp')
      return this.udp.some(
        (s) => s.port === port && (s.addr === 0 || local === 0 || s.addr === local),
      );
    if (
      this.tcpListeners.some(
        (l) => l.port === port && (l.addr === 0 || local === 0 || l.addr === local),
      )
    )
      return true;
    for (const c of this.tcpConns.values()) {
      if (c.localPort !== port) continue;
      if (!remote) return true;
      if (c.remoteIp === remote.ip && c.remotePort === remote.port) return true;
    }
    return false;
  }
}
