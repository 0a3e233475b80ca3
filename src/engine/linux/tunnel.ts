/**
 * What the kernel's IP tunnels (ipip, vxlan) have in common as devices: no carrier of their own,
 * so `ip link` says UNKNOWN while up; and iptunnel_xmit_stats and the receive paths count the
 * inner packet from its network header (a 98-byte echo frame counts 84 bytes: on flannel.1,
 * kernel 6.18 showed "252 3" both ways for 3 pings).
 */
import { ETH_HEADER_LEN, type EthernetFrame, frameLength } from '../net/packet';
import { Device } from './device';

export abstract class TunnelDevice extends Device {
  hasCarrier(): boolean {
    return true;
  }

  override operState(): 'UP' | 'DOWN' | 'UNKNOWN' | 'LOWERLAYERDOWN' {
    return this.adminUp ? 'UNKNOWN' : 'DOWN';
  }

  override countTx(frame: EthernetFrame): void {
    this.stats.txPackets++;
    this.stats.txBytes += frameLength(frame) - ETH_HEADER_LEN;
  }

  override countRx(frame: EthernetFrame): void {
    this.stats.rxPackets++;
    this.stats.rxBytes += frameLength(frame) - ETH_HEADER_LEN;
  }
}
