/**
 * ICMP: answering echo requests, generating errors (destination unreachable, time exceeded,
 * redirect) with the kernel's source selection and rate limits, and delivering received errors
 * to the socket whose packet caused them.
 */
import {
  type Ipv4,
  IPV4_ANY,
  IPV4_BROADCAST,
  formatIpv4,
  isMulticastAddr,
  isZeronet,
  networkOf,
} from '../net/ipv4';
import {
  type IcmpEcho,
  type IcmpError,
  type Ipv4Packet,
  ICMP_ERROR_QUOTE_MAX,
  IPPROTO_ICMP,
  ipv4Length,
} from '../net/packet';
import type { Device } from './device';
import { ipLocalOut } from './ip';
import type { NetNs } from './netns';
import { SCOPE } from './fib';
import { type OutputRoute, inetSelectAddr, ipRouteOutput, isOutputError } from './route';
import type { Skb } from './skb';
import { tcpErr } from './tcp';
import { drop, emit } from './tracing';
import { udpErr } from './udp';
import { effectiveConf } from './sysctl';

/** IPTOS_PREC_INTERNETCONTROL: ICMP errors are sent with precedence "internetwork control". */
const TOS_INTERNETCONTROL = 0xc0;

function isError(type: number): boolean {
  return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
}

export function icmpErrorText(type: number, code: number): string {
  if (type === 11)
    return code === 0 ? 'time to live exceeded in transit' : 'fragment reassembly time exceeded';
  if (type === 5) return 'redirect';
  if (type === 3) {
    const names = [
      'net unreachable',
      'host unreachable',
      'protocol unreachable',
      'port unreachable',
      'fragmentation needed',
    ];
    return (
      names[code] ??
      (code === 13 ? 'communication administratively prohibited' : `unreachable code ${code}`)
    );
  }
  return `type ${type} code ${code}`;
}

/** inet_peer_xrlim_allow: a token bucket of 6 × icmp_ratelimit per destination. */
function rateAllow(ns: NetNs, peer: Ipv4): boolean {
  const timeoutMs = ns.sysctlNumber('net.ipv4.icmp_ratelimit');
  if (timeoutMs === 0) return true;
  const now = ns.world.sched.now / 1e6;
  let p = ns.peers.get(peer);
  if (!p) {
    p = { tokens: 0, last: now - 60_000, redirects: 0, redirectLast: 0 };
    ns.peers.set(peer, p);
  }
  let token = p.tokens + (now - p.last);
  p.last = now;
  if (token > 6 * timeoutMs) token = 6 * timeoutMs;
  let ok = false;
  if (token >= timeoutMs) {
    token -= timeoutMs;
    ok = true;
  }
  p.tokens = token;
  return ok;
}

/**
 * ip_error's own limiter for the ICMP error a failed input route sends (ip_rt_error_cost = 1 s,
 * ip_rt_error_burst = 5 s). It spends the tokens of the same inet_peer (the sender's address) that
 * icmp_send's inet_peer_xrlim_allow then checks, so each error costs the sender's bucket twice:
 * kernel 6.18 answers a steady 1/s stream with four net-unreachable errors, then none.
 */
export function ipErrorAllow(ns: NetNs, peer: Ipv4): boolean {
  const now = ns.world.sched.now / 1e6;
  let p = ns.peers.get(peer);
  if (!p) {
    p = { tokens: 0, last: now - 60_000, redirects: 0, redirectLast: 0 };
    ns.peers.set(peer, p);
  }
  p.tokens += now - p.last;
  if (p.tokens > 5000) p.tokens = 5000;
  p.last = now;
  if (p.tokens < 1000) return false;
  p.tokens -= 1000;
  return true;
}

function sendIcmp(
  ns: NetNs,
  dst: Ipv4,
  src: Ipv4 | undefined,
  msg: IcmpEcho | IcmpError,
  tos: number,
  flowId: number,
  cause?: Skb,
): void {
  const rt = ipRouteOutput(ns, dst, { src });
  if (isOutputError(rt)) {
    if (cause)
      drop(ns, cause, 'IP_OUTNOROUTES', `no route back to ${formatIpv4(dst)} for the ICMP message`);
    return;
  }
  const packet: Ipv4Packet = {
    kind: 'ipv4',
    src: rt.src,
    dst,
    ttl: ns.sysctlNumber('net.ipv4.ip_default_ttl'),
    protocol: IPPROTO_ICMP,
    id: (ns.ipIdCounter = (ns.ipIdCounter + 1) & 0xffff),
    tos,
    df: false,
    payload: msg,
  };
  const skb = { ...ns.world.newSkb(flowId), ip: packet, local: true };
  ipLocalOut(ns, skb, rt);
}

/**
 * An ICMP socket's echo request (ping's raw_sendmsg) on the route the caller looked up: to the
 * flow's destination, DF set, with the socket's TTL and a fresh IP ID.
 */
export function icmpEchoOut(
  ns: NetNs,
  rt: OutputRoute,
  echo: IcmpEcho,
  opts: { readonly ttl: number; readonly flowId: number },
): void {
  const packet: Ipv4Packet = {
    kind: 'ipv4',
    src: rt.src,
    dst: rt.daddr,
    ttl: opts.ttl,
    protocol: IPPROTO_ICMP,
    id: (ns.ipIdCounter = (ns.ipIdCounter + 1) & 0xffff),
    tos: 0,
    df: true,
    payload: echo,
  };
  ipLocalOut(ns, { ...ns.world.newSkb(opts.flowId), ip: packet, local: true }, rt);
}

/**
 * icmp_send: report a problem with `skbIn` to its sender. Never about ICMP errors, broadcasts,
 * or packets from nowhere; rate limited per destination unless the sender is this host.
 */
export function icmpSend(
  ns: NetNs,
  skbIn: Skb,
  type: 3 | 11,
  code: number,
  extra: { mtu?: number } = {},
): void {
  const ipIn = skbIn.ip!;
  if (ipIn.payload.kind === 'icmp' && isError(ipIn.payload.type)) return;
  if (
    ipIn.dst === IPV4_BROADCAST ||
    isMulticastAddr(ipIn.dst) ||
    skbIn.pktType === 'broadcast' ||
    skbIn.pktType === 'multicast'
  )
    return;
  if (isZeronet(ipIn.src) || isMulticastAddr(ipIn.src)) return;
  const toLocal = ns.isLocalAddr(ipIn.src);
  if (!toLocal && !rateAllow(ns, ipIn.src)) {
    emit(
      ns,
      'icmp_send',
      skbIn,
      `ICMP ${icmpErrorText(type, code)} to ${formatIpv4(ipIn.src)} suppressed by icmp_ratelimit`,
    );
    return;
  }
  // The error comes from the address the packet was sent to when that is ours; otherwise the
  // route back to the sender picks it.
  const src = ns.isLocalAddr(ipIn.dst) ? ipIn.dst : undefined;
  const msg: IcmpError = {
    kind: 'icmp',
    type,
    code,
    original: ipIn,
    quotedLen: Math.min(ipv4Length(ipIn), ICMP_ERROR_QUOTE_MAX),
    mtu: extra.mtu,
  };
  emit(ns, 'icmp_send', skbIn, `send ICMP ${icmpErrorText(type, code)} to ${formatIpv4(ipIn.src)}`);
  sendIcmp(ns, ipIn.src, src, msg, (ipIn.tos & 0x1e) | TOS_INTERNETCONTROL, skbIn.flowId, skbIn);
}

/**
 * ip_rt_send_redirect: tell the sender a better first hop, at most 9 times with exponential
 * back-off (ip_rt_redirect_number, ip_rt_redirect_load = 20 ms, silence 20.48 s).
 */
export function icmpRedirect(ns: NetNs, skbIn: Skb, gateway: Ipv4): void {
  const ipIn = skbIn.ip!;
  const now = ns.world.sched.now / 1e6;
  let p = ns.peers.get(ipIn.src);
  if (!p) {
    p = { tokens: 0, last: now - 60_000, redirects: 0, redirectLast: now };
    ns.peers.set(ipIn.src, p);
  }
  const load = 20;
  if (now > p.redirectLast + (load << 10)) p.redirects = 0;
  if (p.redirects >= 9) {
    p.redirectLast = now;
    return;
  }
  if (p.redirects !== 0 && now <= p.redirectLast + (load << p.redirects)) return;
  p.redirectLast = now;
  p.redirects++;
  // nf_nat_icmp_reply_translation: the nat table drops an ICMP redirect about a connection it
  // translated (ct->status & IPS_NAT_MASK): the redirect is counted (IcmpOutRedirects) but
  // discarded on output. Kernel 6.18: a pod → Service DNAT routed back out of the bridge it came in
  // on draws no redirect on the wire, where plain routing through the same bridge does.
  const nat = skbIn.ct?.entry.nat;
  if (nat && (nat.dnat || nat.snat)) {
    emit(
      ns,
      'icmp_send',
      skbIn,
      `ICMP redirect to ${formatIpv4(ipIn.src)} dropped: the nat table does not send redirects for a NATed connection`,
    );
    return;
  }
  const msg: IcmpError = {
    kind: 'icmp',
    type: 5,
    code: 1,
    original: ipIn,
    quotedLen: Math.min(ipv4Length(ipIn), ICMP_ERROR_QUOTE_MAX),
    gateway,
  };
  emit(
    ns,
    'icmp_send',
    skbIn,
    `send ICMP redirect: ${formatIpv4(ipIn.src)} can reach ${formatIpv4(ipIn.dst)} via ${formatIpv4(gateway)} directly`,
  );
  sendIcmp(
    ns,
    ipIn.src,
    undefined,
    msg,
    (ipIn.tos & 0x1e) | TOS_INTERNETCONTROL,
    skbIn.flowId,
    skbIn,
  );
}

/** icmp_rcv */
export function icmpRcv(ns: NetNs, skb: Skb, dev: Device, broadcast: boolean): void {
  const ip = skb.ip!;
  const msg = ip.payload;
  if (msg.kind !== 'icmp') return;
  if (msg.type === 8 && !('original' in msg)) {
    if (ns.sysctlNumber('net.ipv4.icmp_echo_ignore_all') !== 0) {
      drop(ns, skb, 'NOT_SPECIFIED', 'icmp_echo_ignore_all is set: no reply', dev);
      return;
    }
    if (broadcast && ns.sysctlNumber('net.ipv4.icmp_echo_ignore_broadcasts') !== 0) {
      drop(
        ns,
        skb,
        'NOT_SPECIFIED',
        'echo to a broadcast address is ignored (icmp_echo_ignore_broadcasts)',
        dev,
      );
      return;
    }
    emit(
      ns,
      'icmp_rcv',
      skb,
      `echo request from ${formatIpv4(ip.src)}: the kernel answers it`,
      dev,
      { final: 'delivered' },
    );
    const src = broadcast ? inetSelectAddr(ns, dev, ip.src, SCOPE.link) : ip.dst;
    const reply: IcmpEcho = {
      kind: 'icmp',
      type: 0,
      code: 0,
      id: msg.id,
      seq: msg.seq,
      dataLen: msg.dataLen,
    };
    sendIcmp(ns, ip.src, src ?? IPV4_ANY, reply, ip.tos, skb.flowId);
    return;
  }
  if (msg.type === 0 && !('original' in msg)) {
    const sock = ns.sockets.ping.get(msg.id);
    if (!sock) {
      drop(ns, skb, 'NO_SOCKET', `echo reply id ${msg.id}: no ping socket waits for it`, dev);
      return;
    }
    emit(ns, 'sock_deliver', skb, `echo reply seq ${msg.seq} delivered to ping`, dev, {
      final: 'delivered',
    });
    sock.onReply(ip, msg);
    return;
  }
  if (!('original' in msg)) return;
  if (msg.type === 5) {
    icmpRedirectRcv(ns, skb, dev, msg);
  } else {
    emit(
      ns,
      'icmp_rcv',
      skb,
      `ICMP ${icmpErrorText(msg.type, msg.code)} from ${formatIpv4(ip.src)} about ${formatIpv4(msg.original.dst)}`,
      dev,
    );
  }
  deliverError(ns, skb, dev, ip, msg);
}

function deliverError(ns: NetNs, skb: Skb, dev: Device, ip: Ipv4Packet, msg: IcmpError): void {
  const orig = msg.original;
  switch (orig.payload.kind) {
    case 'icmp': {
      const inner = orig.payload;
      if ('original' in inner) return;
      const sock = ns.sockets.ping.get(inner.id);
      if (sock) {
        emit(ns, 'sock_deliver', skb, `error reported to ping (icmp_seq ${inner.seq})`, dev, {
          final: 'delivered',
        });
        sock.onError(ip, msg);
      } else drop(ns, skb, 'NO_SOCKET', 'no socket for the quoted echo request', dev);
      return;
    }
    case 'tcp':
      tcpErr(ns, skb, ip, msg);
      return;
    case 'udp':
      udpErr(ns, skb, ip, msg);
      return;
    default:
      return;
  }
}

/** ip_rt_redirect (__ip_do_redirect): learn a better gateway for one destination. */
function icmpRedirectRcv(ns: NetNs, skb: Skb, dev: Device, msg: IcmpError): void {
  const ip = skb.ip!;
  const oldGw = ip.src;
  const newGw = msg.gateway!;
  const daddr = msg.original.dst;
  const accepting = dev.conf.forwarding
    ? ns.confAll.accept_redirects && dev.conf.accept_redirects
    : ns.confAll.accept_redirects || dev.conf.accept_redirects;
  const note = (text: string) =>
    emit(ns, 'icmp_rcv', skb, text, dev, { decision: { kind: 'note', text } });
  if (!accepting) {
    note(
      `redirect for ${formatIpv4(daddr)} ignored: accept_redirects is off${dev.conf.forwarding ? ' (forwarding is on)' : ''}`,
    );
    return;
  }
  const rt = ipRouteOutput(ns, daddr);
  if (isOutputError(rt) || rt.gateway !== oldGw || rt.dev !== dev) {
    note(
      `redirect for ${formatIpv4(daddr)} ignored: ${formatIpv4(oldGw)} is not our gateway for it`,
    );
    return;
  }
  const secure = effectiveConf(ns.confAll, dev.conf, 'secure_redirects') !== 0;
  const onlink = dev.addrs.some(
    (a) => networkOf(newGw, a.prefixLen) === networkOf(a.local, a.prefixLen),
  );
  if (
    isMulticastAddr(newGw) ||
    newGw === IPV4_BROADCAST ||
    isZeronet(newGw) ||
    ns.isLocalAddr(newGw) ||
    (secure && !onlink)
  ) {
    note(`redirect to ${formatIpv4(newGw)} rejected: not a usable on-link gateway`);
    return;
  }
  const n = ns.neigh.lookup(dev, newGw);
  const valid =
    n !== undefined && ['REACHABLE', 'STALE', 'DELAY', 'PROBE', 'PERMANENT'].includes(n.state);
  if (!valid) {
    note(`redirect: resolve ${formatIpv4(newGw)} first (no route change until it answers ARP)`);
    ns.neigh.eventSend(dev, newGw, skb);
    return;
  }
  ns.redirectExceptions.set(daddr, { gateway: newGw, dev });
  note(`redirect accepted: ${formatIpv4(daddr)} now via ${formatIpv4(newGw)}`);
}
