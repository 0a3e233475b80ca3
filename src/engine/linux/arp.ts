/**
 * ARP (net/ipv4/arp.c): answering requests for our addresses (arp_ignore), proxy ARP, learning
 * senders, and building the requests the neighbour layer asks for (arp_solicit, arp_announce).
 */
import { type Ipv4, IPV4_ANY, formatIpv4, isMulticastAddr, networkOf } from '../net/ipv4';
import { type Mac, MAC_BROADCAST, MAC_ZERO } from '../net/mac';
import type { ArpPacket, EthernetFrame } from '../net/packet';
import { ms } from '../sim/time';
import type { Device } from './device';
import { SCOPE } from './fib';
import type { NetNs } from './netns';
import { inetSelectAddr, ipRouteInput } from './route';
import { devQueueXmit } from './rx';
import type { Skb } from './skb';
import { effectiveConf } from './sysctl';
import { drop, emit } from './tracing';

function arpFrame(dev: Device, dst: Mac, arp: ArpPacket): EthernetFrame {
  return { src: dev.mac, dst, payload: arp };
}

/** arp_solicit: send a request for `target` out of `dev` (broadcast, or unicast when probing). */
export function arpSolicit(
  ns: NetNs,
  dev: Device,
  target: Ipv4,
  dstMac: Mac,
  trigger: Skb | undefined,
): void {
  const announce = effectiveConf(ns.confAll, dev.conf, 'arp_announce');
  let saddr: Ipv4 | undefined;
  const pktSrc = trigger?.ip?.src;
  if (announce < 2 && pktSrc !== undefined && ns.isLocalAddr(pktSrc)) {
    // arp_announce 0: the packet's own source if it is ours (1: only if in the target's subnet).
    if (
      announce === 0 ||
      dev.addrs.some((a) => networkOf(a.local, a.prefixLen) === networkOf(target, a.prefixLen))
    )
      saddr = pktSrc;
  }
  saddr ??= inetSelectAddr(ns, dev, target, SCOPE.link) ?? IPV4_ANY;
  const arp: ArpPacket = {
    kind: 'arp',
    op: 'request',
    senderMac: dev.mac,
    senderIp: saddr,
    targetMac: MAC_ZERO,
    targetIp: target,
  };
  const skb = ns.world.newSkb(trigger?.flowId ?? ns.world.newFlowId(), trigger);
  const frame = arpFrame(dev, dstMac, arp);
  emit(
    ns,
    'arp_send',
    { ...skb, frame },
    `ARP request: who has ${formatIpv4(target)}? tell ${formatIpv4(saddr)}`,
    dev,
    { frame },
  );
  devQueueXmit(dev, skb, frame);
}

function arpReply(ns: NetNs, dev: Device, req: ArpPacket, answerMac: Mac, cause: Skb): void {
  const arp: ArpPacket = {
    kind: 'arp',
    op: 'reply',
    senderMac: answerMac,
    senderIp: req.targetIp,
    targetMac: req.senderMac,
    targetIp: req.senderIp,
  };
  const skb = ns.world.newSkb(cause.flowId, cause);
  const frame = arpFrame(dev, req.senderMac, arp);
  emit(
    ns,
    'arp_send',
    { ...skb, frame },
    `ARP reply: ${formatIpv4(req.targetIp)} is at ${answerMac}`,
    dev,
    { frame },
  );
  devQueueXmit(dev, skb, frame);
}

/** arp_ignore: whether to stay silent about a local target address. */
function arpIgnore(ns: NetNs, dev: Device, sip: Ipv4, tip: Ipv4): boolean {
  const mode = effectiveConf(ns.confAll, dev.conf, 'arp_ignore');
  switch (mode) {
    case 0:
      return false;
    case 1:
      return !dev.addrs.some((a) => a.local === tip);
    case 2:
      return !dev.addrs.some(
        (a) => a.local === tip && networkOf(sip, a.prefixLen) === networkOf(a.local, a.prefixLen),
      );
    case 8:
      return true;
    default:
      return false;
  }
}

/** arp_rcv + arp_process */
export function arpRcv(dev: Device, skb: Skb): void {
  const ns = dev.ns;
  const arp = skb.frame!.payload as ArpPacket;
  if (dev.noarp) {
    drop(ns, skb, 'ARP_NOARP', `${dev.name} does not do ARP`, dev);
    return;
  }
  if (skb.pktType === 'otherhost') {
    drop(ns, skb, 'OTHERHOST', 'ARP frame addressed to another MAC', dev);
    return;
  }
  const { senderIp: sip, targetIp: tip } = arp;
  if (isMulticastAddr(tip)) {
    drop(ns, skb, 'IP_INVALID_DEST', 'ARP for a multicast address', dev);
    return;
  }
  const now = ns.world.sched.now;
  if (arp.op === 'request' && ns.arpAnnounced.get(tip) === dev) {
    // The speaker's packet socket sees the request before arp_rcv, and answers it itself.
    emit(
      ns,
      'packet_rcv',
      skb,
      `a userspace speaker (AF_PACKET) announces ${formatIpv4(tip)}: reply with ${dev.name}'s MAC`,
      dev,
    );
    arpReply(ns, dev, arp, dev.mac, skb);
    return;
  }
  if (arp.op === 'request') {
    if (sip === IPV4_ANY) {
      // Duplicate address detection probe: answer if the address is ours.
      if (ns.isLocalAddr(tip) && !arpIgnore(ns, dev, sip, tip)) {
        emit(ns, 'arp_process', skb, `ARP probe for ${formatIpv4(tip)}: it is ours, answer`, dev);
        arpReply(ns, dev, arp, dev.mac, skb);
      }
      return;
    }
    const rt = ipRouteInput(ns, dev, tip, sip);
    if (rt.kind === 'local' || ns.world.faults.arpAnswersForeign) {
      if (arpIgnore(ns, dev, sip, tip)) {
        drop(
          ns,
          skb,
          'ARP_IGNORE',
          `${formatIpv4(tip)} is ours but arp_ignore says stay silent`,
          dev,
        );
        return;
      }
      ns.neigh.update(dev, sip, arp.senderMac, 'STALE', { override: true, create: true });
      emit(
        ns,
        'arp_process',
        skb,
        `${formatIpv4(tip)} is ours: reply, and note ${formatIpv4(sip)} is at ${arp.senderMac}`,
        dev,
        {
          decision: {
            kind: 'neigh',
            ip: formatIpv4(sip),
            dev: dev.name,
            state: 'STALE',
            mac: arp.senderMac,
            action: 'learn the asker, reply',
          },
        },
      );
      arpReply(ns, dev, arp, dev.mac, skb);
      return;
    }
    if (
      rt.kind === 'forward' &&
      dev.conf.forwarding !== 0 &&
      rt.dev !== dev &&
      effectiveConf(ns.confAll, dev.conf, 'proxy_arp') !== 0
    ) {
      ns.neigh.update(dev, sip, arp.senderMac, 'STALE', { override: true, create: true });
      const delayMs = dev.neighParms.proxy_delay * 10;
      const answer = () => {
        emit(
          ns,
          'arp_process',
          skb,
          `proxy ARP: ${formatIpv4(tip)} is reachable through ${rt.dev.name}, answer with our MAC`,
          dev,
        );
        arpReply(ns, dev, arp, dev.mac, skb);
      };
      if (skb.pktType === 'host' || delayMs === 0) answer();
      else ns.world.sched.schedule(ms(ns.world.rng.float() * delayMs), 'proxy arp delay', answer);
      return;
    }
  }
  // Not for us: only refresh an entry we already have (arp_accept=0 creates nothing).
  const existing = ns.neigh.lookup(dev, sip);
  if (existing) {
    const state = arp.op === 'reply' && skb.pktType === 'host' ? 'REACHABLE' : 'STALE';
    const override = now > existing.updated + ms(dev.neighParms.locktime * 10);
    ns.neigh.update(dev, sip, arp.senderMac, state, { override, create: false });
    emit(
      ns,
      'arp_process',
      skb,
      `ARP ${arp.op} from ${formatIpv4(sip)}: ${formatIpv4(sip)} is at ${arp.senderMac} (${state})`,
      dev,
      {
        decision: {
          kind: 'neigh',
          ip: formatIpv4(sip),
          dev: dev.name,
          state,
          mac: arp.senderMac,
          action: 'update',
        },
        final: 'delivered',
      },
    );
    return;
  }
  drop(
    ns,
    skb,
    'ARP_NOT_FOR_US',
    `ARP ${arp.op} for ${formatIpv4(tip)}: not ours, nothing to learn`,
    dev,
  );
}

export { MAC_BROADCAST };
