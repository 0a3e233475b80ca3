/** Packets for tests that run netfilter directly, without sockets. */
import { ipv4 } from '../net/ipv4';
import type { Ipv4Packet } from '../net/packet';

/** A TCP SYN from `src` (port 40000) to `dst`:`dport`, as a client's first segment. */
export function tcpSyn(src: string, dst: string, dport: number): Ipv4Packet {
  return {
    kind: 'ipv4',
    src: ipv4(src),
    dst: ipv4(dst),
    ttl: 64,
    id: 1,
    tos: 0,
    df: true,
    protocol: 6,
    payload: {
      kind: 'tcp',
      sport: 40000,
      dport,
      seq: 1,
      ack: 0,
      flags: { syn: true },
      window: 64240,
      options: [],
      data: '',
    },
  } as Ipv4Packet;
}
