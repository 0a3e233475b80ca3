/** One-line descriptions of frames and packets for trace summaries (not tcpdump's format). */
import { formatIpv4 } from '../net/ipv4';
import type { EthernetFrame, Ipv4Packet } from '../net/packet';

export function describePacket(p: Ipv4Packet): string {
  const src = formatIpv4(p.src);
  const dst = formatIpv4(p.dst);
  const l4 = p.payload;
  switch (l4.kind) {
    case 'icmp': {
      const what =
        l4.type === 8
          ? `echo request seq ${'seq' in l4 ? l4.seq : ''}`
          : l4.type === 0
            ? `echo reply seq ${'seq' in l4 ? l4.seq : ''}`
            : l4.type === 3
              ? 'destination unreachable'
              : l4.type === 11
                ? 'time exceeded'
                : 'redirect';
      return `ICMP ${what} ${src} → ${dst} (ttl ${p.ttl})`;
    }
    case 'tcp': {
      const f = l4.flags;
      const flags = [f.syn && 'SYN', f.fin && 'FIN', f.rst && 'RST', f.psh && 'PSH', f.ack && 'ACK']
        .filter(Boolean)
        .join(',');
      const len = l4.data.length ? ` ${l4.data.length}B` : '';
      return `TCP [${flags}] ${src}:${l4.sport} → ${dst}:${l4.dport}${len} (ttl ${p.ttl})`;
    }
    case 'udp':
      return `UDP ${src}:${l4.sport} → ${dst}:${l4.dport} (ttl ${p.ttl})`;
    case 'ipip':
      return `IPIP ${src} → ${dst} carrying ${describePacket(l4.inner)}`;
  }
}

export function describeFrame(f: EthernetFrame): string {
  const p = f.payload;
  if (p.kind === 'arp') {
    return p.op === 'request'
      ? `ARP who-has ${formatIpv4(p.targetIp)} tell ${formatIpv4(p.senderIp)}`
      : `ARP ${formatIpv4(p.senderIp)} is-at ${p.senderMac}`;
  }
  return describePacket(p);
}
