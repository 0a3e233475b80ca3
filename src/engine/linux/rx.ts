/**
 * The device layer: frames arriving on a device (netif_receive_skb, eth_type_trans) and frames
 * leaving one (dev_queue_xmit), with the capture taps tcpdump reads.
 */
import { isBroadcastMac, isMulticastMac } from '../net/mac';
import type { EthernetFrame } from '../net/packet';
import { arpRcv } from './arp';
import type { Device } from './device';
import { ipRcv } from './ip';
import type { Skb } from './skb';
import { drop, emit } from './tracing';
import { describeFrame } from './describe';

/** Records the frame on the device's capture tap (what tcpdump -i DEV shows). */
export function tap(dev: Device, dir: 'In' | 'Out', frame: EthernetFrame): void {
  if (!dev.ns.world.captures.active) return;
  const ns = dev.ns;
  ns.world.captures.record({
    seq: 0,
    time: ns.world.sched.now,
    host: ns.host.name,
    netns: ns.label,
    netnsId: ns.id,
    dev: dev.name,
    devId: dev.uid,
    dir,
    frame,
  });
}

/** netif_receive_skb: a frame arrives on `dev` from its medium (wire, veth peer, bridge). */
export function receiveFrame(dev: Device, skb: Skb): void {
  const ns = dev.ns;
  const frame = skb.frame!;
  if (!dev.adminUp) {
    dev.stats.rxDropped++;
    drop(ns, skb, 'DEV_DOWN', `${dev.name} is down: the frame is dropped`, dev);
    return;
  }
  dev.countRx(frame);
  // On lo the packet socket saw the frame on its way out; the looped-back copy is not shown again.
  if (dev.kind !== 'loopback') tap(dev, 'In', frame);
  emit(ns, 'netif_receive_skb', skb, `${dev.name} receives ${describeFrame(frame)}`, dev);
  if (dev.master) {
    dev.master.handleFrame(dev, skb);
    return;
  }
  deliverToStack(dev, skb);
}

/** eth_type_trans + protocol dispatch: hand the frame's payload to ARP or IPv4 on `dev`. */
export function deliverToStack(dev: Device, skb: Skb): void {
  const frame = skb.frame!;
  const pktType =
    dev.kind === 'loopback'
      ? 'host'
      : isBroadcastMac(frame.dst)
        ? 'broadcast'
        : isMulticastMac(frame.dst)
          ? 'multicast'
          : frame.dst === dev.mac
            ? 'host'
            : 'otherhost';
  const s: Skb = { ...skb, pktType, inDev: dev };
  if (frame.payload.kind === 'arp') arpRcv(dev, s);
  else ipRcv(dev, { ...s, ip: frame.payload });
}

/** dev_queue_xmit: sends a frame out of `dev` (counted and tapped), or drops it if the device can't. */
export function devQueueXmit(dev: Device, skb: Skb, frame: EthernetFrame): boolean {
  const ns = dev.ns;
  if (!dev.adminUp) {
    dev.stats.txDropped++;
    drop(ns, { ...skb, frame }, 'DEV_DOWN', `${dev.name} is down: nothing can be sent`, dev);
    return false;
  }
  if (!dev.hasCarrier()) {
    // With carrier off the device's queue is the noop qdisc: the frame is dropped before any tap.
    dev.stats.txDropped++;
    drop(
      ns,
      { ...skb, frame },
      'NO_CARRIER',
      `${dev.name} has no carrier (its other end is down)`,
      dev,
    );
    return false;
  }
  dev.countTx(frame);
  tap(dev, 'Out', frame);
  const peer = dev.kind === 'veth' ? (dev as Device & { peer?: Device }).peer : undefined;
  const medium =
    dev.kind === 'ether' ? (dev as Device & { medium?: { name: string } }).medium : undefined;
  emit(ns, 'dev_queue_xmit', { ...skb, frame }, `${dev.name} sends ${describeFrame(frame)}`, dev, {
    frame,
    to: peer ?? (medium ? { host: '', netns: '', netnsId: 0, segment: medium.name } : undefined),
  });
  dev.xmit({ ...skb, frame }, frame);
  return true;
}
