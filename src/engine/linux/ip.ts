/**
 * The IPv4 paths: receive (ip_rcv → ip_route_input → local deliver or forward), forward
 * (TTL, redirects, ip_forward) and output (ip_local_out → ip_output → neighbour → device).
 */
import { type Ipv4, formatIpv4 } from '../net/ipv4';
import { MAC_ZERO, type Mac } from '../net/mac';
import type { EthernetFrame, Ipv4Packet } from '../net/packet';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, ipv4Length } from '../net/packet';
import type { Device } from './device';
import { describePacket } from './describe';
import { ipipRcv } from './ipip';
import { icmpRcv, icmpRedirect, icmpSend, ipErrorAllow } from './icmp';
import type { NetNs } from './netns';
import type { NfHook } from './netfilter';
import { type OutputRoute, ipRouteInput, ipRouteOutput, isOutputError } from './route';
import { devQueueXmit } from './rx';
import type { Skb } from './skb';
import { tcpRcv } from './tcp';
import { drop, emit } from './tracing';
import { udpRcv } from './udp';

/** Runs a netfilter hook; returns the (possibly rewritten) skb, or undefined when it was dropped. */
function nfHook(
  ns: NetNs,
  hook: NfHook,
  skb: Skb,
  inDev?: Device,
  outDev?: Device,
): Skb | undefined {
  if (ns.netfilter.empty) return skb;
  const r = ns.netfilter.run(hook, skb, inDev, outDev);
  if (r.verdict === 'ACCEPT') return r.skb;
  return undefined;
}

/** ip_rcv: an IPv4 packet handed up by `dev`. */
export function ipRcv(dev: Device, skb: Skb): void {
  const ns = dev.ns;
  const ip = skb.ip!;
  emit(ns, 'ip_rcv', skb, `IPv4 ${describePacket(ip)} enters the stack of ${ns.label}`, dev);
  if (skb.pktType === 'otherhost') {
    drop(
      ns,
      skb,
      'OTHERHOST',
      `the frame was addressed to another MAC (${skb.frame?.dst}); IP ignores it`,
      dev,
    );
    return;
  }
  const after = skb.brNfPrerouted ? skb : nfHook(ns, 'PREROUTING', skb, dev);
  if (!after) return;
  ipRcvFinish(dev, after);
}

function ipRcvFinish(dev: Device, skb: Skb): void {
  const ns = dev.ns;
  const ip = skb.ip!;
  const rt = ipRouteInput(ns, dev, ip.dst, ip.src);
  switch (rt.kind) {
    case 'local':
    case 'broadcast':
      emit(
        ns,
        'ip_route_input',
        skb,
        `route lookup for ${formatIpv4(ip.dst)}: ${rt.decision.result}`,
        dev,
        { decision: rt.decision },
      );
      ipLocalDeliver(ns, skb, dev, rt.kind === 'broadcast');
      return;
    case 'forward':
      emit(
        ns,
        'ip_route_input',
        skb,
        `route lookup for ${formatIpv4(ip.dst)}: ${rt.decision.result}`,
        dev,
        { decision: rt.decision },
      );
      ipForward(ns, skb, dev, rt.dev, rt.nexthop, rt.redirect);
      return;
    case 'error':
      emit(
        ns,
        'ip_route_input',
        skb,
        `route lookup for ${formatIpv4(ip.dst)}: ${rt.decision.result}`,
        dev,
        { decision: rt.decision },
      );
      if (rt.silent) {
        if (rt.errno === 'EHOSTUNREACH') ns.snmp.InAddrErrors++;
        else ns.snmp.InNoRoutes++;
        drop(
          ns,
          skb,
          rt.errno === 'EHOSTUNREACH' ? 'IP_INADDRERRORS' : 'IP_INNOROUTES',
          `${rt.reason}: dropped silently`,
          dev,
        );
        return;
      }
      if (!ipErrorAllow(ns, ip.src)) {
        drop(ns, skb, 'IP_INNOROUTES', `${rt.reason}: dropped (ip_error rate limit)`, dev);
        return;
      }
      drop(ns, skb, 'IP_INNOROUTES', `${rt.reason}: drop and tell the sender`, dev);
      icmpSend(ns, skb, 3, rt.errno === 'ENETUNREACH' ? 0 : rt.errno === 'EACCES' ? 13 : 1);
      return;
    case 'martian':
      drop(ns, skb, 'IP_INVALID_SOURCE', rt.reason, dev);
      return;
  }
}

/** ip_forward: a packet for someone else, leaving through `out` toward `nexthop`. */
function ipForward(
  ns: NetNs,
  skb: Skb,
  inDev: Device,
  out: Device,
  nexthop: Ipv4,
  redirect: boolean,
): void {
  const ip = skb.ip!;
  if (skb.pktType !== 'host') {
    drop(ns, skb, 'OTHERHOST', 'a link-layer broadcast is never forwarded', inDev);
    return;
  }
  if (ip.ttl <= 1) {
    drop(ns, skb, 'IP_INHDR', `TTL ${ip.ttl} would reach 0: drop and send Time Exceeded`, inDev);
    icmpSend(ns, skb, 11, 0);
    return;
  }
  if (redirect) icmpRedirect(ns, skb, nexthop);
  if (ip.df && ipv4Length(ip) > out.mtu) {
    drop(
      ns,
      skb,
      'PKT_TOO_BIG',
      `${ipv4Length(ip)} bytes exceed ${out.name}'s MTU ${out.mtu} and DF is set`,
      inDev,
    );
    icmpSend(ns, skb, 3, 4, { mtu: out.mtu });
    return;
  }
  const ttl = ns.world.faults.ttlNotDecremented ? ip.ttl : ip.ttl - 1;
  const fwd: Skb = { ...skb, ip: { ...ip, ttl } };
  emit(
    ns,
    'ip_forward',
    fwd,
    `forward to ${formatIpv4(nexthop)} via ${out.name}, TTL ${ip.ttl} → ${ip.ttl - 1}`,
    out,
  );
  const after = nfHook(ns, 'FORWARD', fwd, inDev, out);
  if (!after) return;
  ns.snmp.ForwDatagrams++;
  ipOutput(ns, after, out, nexthop);
}

/** ip_local_deliver: hand the packet to the protocol that owns it. */
function ipLocalDeliver(ns: NetNs, skb: Skb, dev: Device, broadcast: boolean): void {
  const after = nfHook(ns, 'INPUT', skb, dev);
  if (!after) return;
  const ip = after.ip!;
  ns.snmp.InDelivers++;
  emit(
    ns,
    'ip_local_deliver',
    after,
    `deliver to ${ip.protocol === IPPROTO_ICMP ? 'ICMP' : ip.protocol === IPPROTO_TCP ? 'TCP' : ip.protocol === IPPROTO_UDP ? 'UDP' : `protocol ${ip.protocol}`}`,
    dev,
  );
  switch (ip.payload.kind) {
    case 'icmp':
      icmpRcv(ns, after, dev, broadcast);
      return;
    case 'tcp':
      if (broadcast) {
        drop(ns, after, 'NOT_SPECIFIED', 'TCP to a broadcast address is discarded', dev);
        return;
      }
      tcpRcv(ns, after, dev);
      return;
    case 'udp':
      udpRcv(ns, after, dev, broadcast);
      return;
    case 'ipip':
      // inet_protos[IPPROTO_IPIP] exists once the ipip module (through tunnel4) is loaded.
      if (ns.host.modules.has('ipip')) {
        ipipRcv(ns, after, dev);
        return;
      }
      drop(ns, after, 'UNHANDLED_PROTO', `no handler for protocol ${ip.protocol}`, dev);
      if (!broadcast) icmpSend(ns, after, 3, 2);
      return;
    default:
      drop(ns, after, 'UNHANDLED_PROTO', `no handler for protocol ${ip.protocol}`, dev);
      if (!broadcast) icmpSend(ns, after, 3, 2);
  }
}

/**
 * ip_local_out: a locally generated packet with its route already chosen. Goes through OUTPUT,
 * then loops back (local destination) or leaves through ip_output.
 */
export function ipLocalOut(ns: NetNs, skb: Skb, rtIn: OutputRoute): void {
  const ip = skb.ip!;
  emit(
    ns,
    'ip_route_output',
    skb,
    `route lookup for ${formatIpv4(ip.dst)}: ${rtIn.decision.result}`,
    undefined,
    { decision: rtIn.decision },
  );
  const after = nfHook(ns, 'OUTPUT', { ...skb, local: true }, undefined, rtIn.dev);
  if (!after) return;
  let rt = rtIn;
  if (after.ip!.dst !== ip.dst) {
    // ip_route_me_harder: DNAT in OUTPUT changed the destination, so route again.
    const again = ipRouteOutput(ns, after.ip!.dst, { src: after.ip!.src });
    if (isOutputError(again)) {
      drop(
        ns,
        after,
        'IP_OUTNOROUTES',
        `no route to the rewritten destination ${formatIpv4(after.ip!.dst)}`,
      );
      return;
    }
    emit(
      ns,
      'ip_route_output',
      after,
      `route lookup again after DNAT: ${again.decision.result}`,
      undefined,
      { decision: again.decision },
    );
    rt = again;
  }
  if (rt.kind === 'local') {
    ipOutput(ns, after, ns.lo, rt.nexthop);
    return;
  }
  ipOutput(ns, after, rt.dev, rt.nexthop);
}

/** ip_output: POSTROUTING, then out of `dev` toward `nexthop`. */
export function ipOutput(ns: NetNs, skb: Skb, dev: Device, nexthop: Ipv4): void {
  emit(ns, 'ip_output', skb, `${describePacket(skb.ip!)} leaves via ${dev.name}`, dev);
  const after = nfHook(ns, 'POSTROUTING', skb, undefined, dev);
  if (!after) return;
  ipFinishOutput2(ns, after, dev, nexthop);
}

function frameFor(dev: Device, dst: Mac, ip: Ipv4Packet): EthernetFrame {
  return { src: dev.mac, dst, payload: ip };
}

/** ip_finish_output2: resolve the next hop's MAC (or not, on loopback/NOARP) and transmit. */
function ipFinishOutput2(ns: NetNs, skb: Skb, dev: Device, nexthop: Ipv4): void {
  const ip = skb.ip!;
  if (dev.kind === 'loopback') {
    devQueueXmit(dev, skb, { src: MAC_ZERO, dst: MAC_ZERO, payload: ip });
    return;
  }
  if (dev.noarp) {
    devQueueXmit(dev, skb, frameFor(dev, MAC_ZERO, ip));
    return;
  }
  ns.neigh.resolveOutput(dev, nexthop, {
    skb,
    send: (mac) => {
      devQueueXmit(dev, skb, frameFor(dev, mac, ip));
    },
    fail: () => {
      // arp_error_report → dst_link_failure: ICMP host unreachable to the packet's source.
      icmpSend(ns, skb, 3, 1);
    },
  });
}
