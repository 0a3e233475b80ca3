/**
 * Network devices: the common part (ifindex, name, MAC, MTU, flags, addresses, counters) and the
 * simple kinds: loopback, veth, dummy, and the host's physical NIC. Bridges live in bridge.ts.
 */
import type { Ipv4 } from '../net/ipv4';
import type { Mac } from '../net/mac';
import { frameLength, type EthernetFrame } from '../net/packet';
import type { SimDuration } from '../sim/time';
import { us } from '../sim/time';
import type { NetNs } from './netns';
import type { Skb } from './skb';
import { newDevConf, newNeighParms, type DevConf, type NeighParms } from './sysctl';

/** An interface index, unique within one network namespace. */
export type IfIndex = number & { readonly __brand: 'IfIndex' };

export type DeviceKind = 'loopback' | 'veth' | 'bridge' | 'dummy' | 'ether' | 'vxlan' | 'ipip';

/** An IPv4 address configured on a device (struct in_ifaddr). */
export interface IfAddr {
  readonly local: Ipv4;
  readonly prefixLen: number;
  readonly broadcast?: Ipv4;
  readonly scope: 'global' | 'link' | 'host';
  readonly label: string;
  /** Secondary addresses share the subnet of an earlier primary on the same device. */
  secondary: boolean;
  readonly noprefixroute?: boolean;
}

export interface DeviceStats {
  rxPackets: number;
  rxBytes: number;
  txPackets: number;
  txBytes: number;
  rxDropped: number;
  txDropped: number;
  /** tx_errors, and two of its causes: tx_carrier_errors and collisions (as tunnels use them). */
  txErrors?: number;
  txCarrierErrors?: number;
  collisions?: number;
}

/** How the device's MAC was assigned (dev->addr_assign_type). */
export type MacAssign = 'random' | 'set' | 'stolen';

export abstract class Device {
  /** Stable identity in the world: survives moves between namespaces and renames. */
  readonly uid: number;
  abstract readonly kind: DeviceKind;
  ifindex: IfIndex;
  name: string;
  ns: NetNs;
  mac: Mac;
  macAssign: MacAssign;
  mtu: number;
  adminUp = false;
  txqueuelen = 1000;
  /** Bridge this device is a port of. */
  master?: Device & { handleFrame(port: Device, skb: Skb): void };
  addrs: IfAddr[] = [];
  conf: DevConf;
  neighParms: NeighParms;
  promiscCount = 0;
  /** IFF_NOARP */
  noarp = false;
  stats: DeviceStats = {
    rxPackets: 0,
    rxBytes: 0,
    txPackets: 0,
    txBytes: 0,
    rxDropped: 0,
    txDropped: 0,
  };
  /** Set when the kernel first brought the device up, for IPv6 link-local display. */
  everUp = false;
  /** Carrier was seen since the device last came up: IPv6 gave it a link-local address. */
  hadCarrier = false;
  /**
   * The MAC the link-local address was derived from. The kernel keeps that address when the MAC
   * changes later (a bridge adopting a port's MAC, `ip link set … address`).
   */
  llMac: Mac | undefined = undefined;
  /** Unicast addresses added to the device's filter (`bridge fdb add MAC dev DEV self`). */
  readonly ucList: Mac[] = [];
  /** Brought down after having been up: IPv6 left its multicast groups, and rejoins them later. */
  wentDown = false;
  /**
   * When IPv6 duplicate address detection for the link-local address ends: a random delay of up
   * to 1 s, then one neighbour solicitation and 1 s (RetransTimer) of waiting. Until then `ip
   * addr` shows the address as tentative.
   */
  dadDoneAt = 0;

  constructor(ns: NetNs, name: string, mac: Mac, macAssign: MacAssign, mtu: number) {
    this.uid = ns.world.allocDeviceUid();
    this.ns = ns;
    this.name = name;
    this.mac = mac;
    this.macAssign = macAssign;
    this.mtu = mtu;
    this.ifindex = ns.allocIfindex();
    this.conf = newDevConf(ns.confDefault);
    this.neighParms = newNeighParms(ns.neighDefault);
  }

  /** Whether the lower layer is up (IFF_LOWER_UP / carrier). */
  abstract hasCarrier(): boolean;

  /** RFC 2863 operational state, as `ip link` prints it after "state". */
  operState(): 'UP' | 'DOWN' | 'UNKNOWN' | 'LOWERLAYERDOWN' {
    if (!this.adminUp) return 'DOWN';
    if (!this.hasCarrier()) return 'LOWERLAYERDOWN';
    return 'UP';
  }

  /** True when the device can carry traffic: administratively up with carrier. */
  isRunning(): boolean {
    return this.adminUp && this.hasCarrier();
  }

  /** The qdisc `ip link` shows: none attached while down. */
  qdisc(): string {
    return this.adminUp ? 'noqueue' : 'noop';
  }

  /** A short description for the trace and the canvas. */
  get label(): string {
    return this.name;
  }

  /**
   * Transmits a frame on the medium (after dev_queue_xmit accounted for it). Subclasses deliver it
   * to whatever is on the other end.
   */
  abstract xmit(skb: Skb, frame: EthernetFrame): void;

  /**
   * Latency for a frame leaving this device to reach the other end (softirq included). On the
   * reference machine a segment crosses a veth, a bridge and another veth and is acknowledged
   * back in about 30 µs, so one hop costs a few microseconds.
   */
  protected latency(): SimDuration {
    return us(7);
  }

  /** Counts a frame that left the device. */
  countTx(frame: EthernetFrame): void {
    this.stats.txPackets++;
    this.stats.txBytes += frameLength(frame);
  }

  countRx(frame: EthernetFrame): void {
    this.stats.rxPackets++;
    this.stats.rxBytes += frameLength(frame);
  }

  /** Hands a frame to another device after the medium's latency. */
  protected deliverTo(
    peer: Device,
    skb: Skb,
    frame: EthernetFrame,
    latency = this.latency(),
  ): void {
    const world = this.ns.world;
    // skb_scrub_packet: a frame handed to another device loses its conntrack entry (and, across
    // namespaces, its mark); only loopback keeps them, which is how local traffic stays tracked.
    const keep = peer === this;
    const next: Skb = keep
      ? { ...skb, frame, ip: undefined, pktType: undefined, inDev: undefined }
      : {
          ...skb,
          frame,
          ip: undefined,
          pktType: undefined,
          inDev: undefined,
          brInPort: undefined,
          brNfPrerouted: undefined,
          ct: undefined,
          mark: peer.ns === this.ns ? skb.mark : 0,
        };
    world.sched.schedule(latency, `deliver ${peer.name}`, () => {
      peer.ns.receiveFrame(peer, next);
    });
  }

  /** Called when the admin or carrier state of this device or a related one changes. */
  onStateChange(): void {
    this.ns.deviceStateChanged(this);
  }
}

export class Loopback extends Device {
  readonly kind = 'loopback' as const;

  constructor(ns: NetNs) {
    super(ns, 'lo', '00:00:00:00:00:00' as Mac, 'set', 65536);
    this.noarp = true;
  }

  hasCarrier(): boolean {
    return true;
  }

  override operState(): 'UP' | 'DOWN' | 'UNKNOWN' | 'LOWERLAYERDOWN' {
    return this.adminUp ? 'UNKNOWN' : 'DOWN';
  }

  xmit(skb: Skb, frame: EthernetFrame): void {
    // A loopback frame comes straight back in on the same device.
    this.deliverTo(this, skb, frame, us(15));
  }
}

export class Veth extends Device {
  readonly kind = 'veth' as const;
  peer?: Veth;

  hasCarrier(): boolean {
    return this.peer !== undefined && this.peer.adminUp;
  }

  /**
   * default_operstate: without carrier a device is LOWERLAYERDOWN when its iflink (the peer's
   * ifindex) differs from its own ifindex, DOWN when they happen to be equal.
   */
  override operState(): 'UP' | 'DOWN' | 'UNKNOWN' | 'LOWERLAYERDOWN' {
    if (!this.adminUp) return 'DOWN';
    if (!this.hasCarrier())
      return this.peer && this.peer.ifindex === this.ifindex ? 'DOWN' : 'LOWERLAYERDOWN';
    return 'UP';
  }

  xmit(skb: Skb, frame: EthernetFrame): void {
    const peer = this.peer;
    if (!peer || !peer.adminUp) {
      this.stats.txDropped++;
      return;
    }
    this.deliverTo(peer, skb, frame);
  }
}

export class Dummy extends Device {
  readonly kind = 'dummy' as const;

  hasCarrier(): boolean {
    return true;
  }

  override operState(): 'UP' | 'DOWN' | 'UNKNOWN' | 'LOWERLAYERDOWN' {
    return this.adminUp ? 'UNKNOWN' : 'DOWN';
  }

  xmit(): void {
    // dummy_xmit: frames vanish (counted as transmitted).
  }
}

/** Anything a host NIC can be plugged into. */
export interface Medium {
  readonly name: string;
  transmit(from: Ether, skb: Skb, frame: EthernetFrame): void;
}

/** The host's network card, plugged into a physical network (a segment). */
export class Ether extends Device {
  readonly kind = 'ether' as const;
  medium?: Medium;
  /**
   * A container's NIC (a kind node's eth0) is really a veth whose peer lives on the machine
   * running the container: `ip` shows it as eth0@ifN with link-netnsid 0 and no queue.
   */
  containerPeerIfindex?: number;

  hasCarrier(): boolean {
    return this.medium !== undefined;
  }

  override qdisc(): string {
    if (this.containerPeerIfindex !== undefined) return this.adminUp ? 'noqueue' : 'noop';
    return this.adminUp ? 'fq_codel' : 'noop';
  }

  xmit(skb: Skb, frame: EthernetFrame): void {
    if (!this.medium) {
      this.stats.txDropped++;
      return;
    }
    this.medium.transmit(this, skb, frame);
  }

  /** Called by the medium: a frame arrives from the wire. */
  arrive(skb: Skb, frame: EthernetFrame, latency: SimDuration): void {
    this.ns.world.sched.schedule(latency, `wire ${this.name}`, () => {
      this.ns.receiveFrame(this, {
        ...skb,
        frame,
        ip: undefined,
        pktType: undefined,
        inDev: undefined,
        ct: undefined,
        brInPort: undefined,
        brNfPrerouted: undefined,
        mark: 0,
      });
    });
  }
}
