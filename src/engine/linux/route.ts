/**
 * Route resolution for received packets (ip_route_input) and locally generated ones
 * (ip_route_output), source address selection (inet_select_addr), and ICMP redirect exceptions.
 */
import {
  type Ipv4,
  IPV4_ANY,
  IPV4_LOOPBACK,
  IPV4_BROADCAST,
  formatIpv4,
  isLoopbackAddr,
  isMulticastAddr,
  isZeronet,
  networkOf,
} from '../net/ipv4';
import type { RouteDecision, RouteRow } from '../sim/trace';
import type { Device } from './device';
import {
  type FibResult,
  type Route,
  RT_TABLE_LOCAL,
  RT_TABLE_MAIN,
  SCOPE,
  formatRoute,
  maskArithmetic,
  tableName,
} from './fib';
import type { NetNs } from './netns';
import { effectiveConf } from './sysctl';

export type RouteErrno = 'ENETUNREACH' | 'EHOSTUNREACH' | 'EINVAL' | 'EACCES';

/** Scope of an address as a number comparable with route scopes. */
function addrScope(s: 'global' | 'link' | 'host'): number {
  return s === 'global' ? SCOPE.global : s === 'link' ? SCOPE.link : SCOPE.host;
}

/**
 * inet_select_addr: a primary address on `dev` with scope no narrower than `scope`, preferring one
 * in the same subnet as `dst`; failing that, any such address on another device of the namespace.
 */
export function inetSelectAddr(
  ns: NetNs,
  dev: Device | undefined,
  dst: Ipv4,
  scope: number,
): Ipv4 | undefined {
  let first: Ipv4 | undefined;
  if (dev) {
    for (const a of dev.addrs) {
      if (a.secondary || addrScope(a.scope) > scope) continue;
      if (dst !== IPV4_ANY && networkOf(dst, a.prefixLen) === networkOf(a.local, a.prefixLen))
        return a.local;
      if (first === undefined) first = a.local;
    }
    if (first !== undefined) return first;
  }
  // Not on the device: any address of the namespace with scope below link, lo first.
  for (const d of ns.devices) {
    if (d === dev) continue;
    for (const a of d.addrs) {
      if (a.secondary) continue;
      const s = addrScope(a.scope);
      if (s <= scope && s < SCOPE.link) return a.local;
    }
  }
  return undefined;
}

/** Routes that do not match that a decision lists before it only counts the rest. */
export const ROUTE_ROWS_MISSES_SHOWN = 16;

/** Builds the trace's view of a lookup: the main table with the mask arithmetic per row. */
export function routeDecision(
  ns: NetNs,
  dst: Ipv4,
  hit: FibResult | undefined,
  result: string,
): RouteDecision {
  if (!ns.world.trace.detailed)
    return { kind: 'route', destination: formatIpv4(dst), table: '', rows: [], result };
  const rows: RouteRow[] = [];
  let chosen: number | undefined;
  const tableId = hit && hit.table !== RT_TABLE_LOCAL ? hit.table : RT_TABLE_MAIN;
  if (hit && hit.table === RT_TABLE_LOCAL) {
    const { masked, matches } = maskArithmetic(hit.route, dst);
    rows.push({ text: formatRoute(hit.route, { withTable: true }), masked, matches });
    chosen = 0;
  }
  // A node with a route per pod or per other node has hundreds: the trace keeps every route
  // that matches, and the first few that do not, counting the rest.
  let shownMisses = 0;
  let omitted = 0;
  for (const r of ns.fib.sorted(tableId)) {
    const matches = networkOf(dst, r.dst.len) === networkOf(r.dst.addr, r.dst.len);
    const isHit = hit !== undefined && r === hit.route;
    if (!matches && !isHit && shownMisses >= ROUTE_ROWS_MISSES_SHOWN) {
      omitted++;
      continue;
    }
    if (!matches) shownMisses++;
    if (isHit) chosen = rows.length;
    rows.push({ text: formatRoute(r), masked: maskArithmetic(r, dst).masked, matches });
  }
  return {
    kind: 'route',
    destination: formatIpv4(dst),
    table: hit?.table === RT_TABLE_LOCAL ? 'local, then main' : tableName(tableId),
    rows,
    chosen,
    result,
    ...(omitted ? { omitted } : {}),
  };
}

export type InputRoute =
  | { readonly kind: 'local'; readonly decision: RouteDecision }
  | { readonly kind: 'broadcast'; readonly decision: RouteDecision }
  | {
      readonly kind: 'forward';
      readonly dev: Device;
      readonly nexthop: Ipv4;
      readonly route: Route;
      readonly redirect: boolean;
      readonly decision: RouteDecision;
    }
  | {
      readonly kind: 'error';
      readonly errno: RouteErrno;
      /** With forwarding off the kernel drops silently (ip_error counts InAddrErrors). */
      readonly silent: boolean;
      readonly reason: string;
      readonly decision: RouteDecision;
    }
  | { readonly kind: 'martian'; readonly reason: string; readonly decision?: RouteDecision };

/** The nexthop for a destination, honouring redirect exceptions. */
function nexthopFor(ns: NetNs, r: Route, dst: Ipv4): { nexthop: Ipv4; gateway?: Ipv4 } {
  const ex = ns.redirectExceptions.get(dst);
  if (ex && ex.dev === r.dev) return { nexthop: ex.gateway, gateway: ex.gateway };
  return r.gateway !== undefined ? { nexthop: r.gateway, gateway: r.gateway } : { nexthop: dst };
}

/** ip_route_input_slow for a packet from `src` to `dst` that arrived on `dev`. */
export function ipRouteInput(ns: NetNs, dev: Device, dst: Ipv4, src: Ipv4): InputRoute {
  if (dst === IPV4_BROADCAST || (src === IPV4_ANY && dst === IPV4_BROADCAST)) {
    return {
      kind: 'broadcast',
      decision: routeDecision(ns, dst, undefined, 'limited broadcast: deliver locally'),
    };
  }
  if (isMulticastAddr(src) || src === IPV4_BROADCAST)
    return { kind: 'martian', reason: 'martian source (multicast or broadcast)' };
  if (isMulticastAddr(dst)) return { kind: 'martian', reason: 'multicast is not modelled' };
  const localnet = effectiveConf(ns.confAll, dev.conf, 'route_localnet') !== 0;
  if (dev.kind !== 'loopback') {
    if (isZeronet(dst)) return { kind: 'martian', reason: 'martian destination 0.0.0.0/8' };
    if (isLoopbackAddr(dst) && !localnet)
      return {
        kind: 'martian',
        reason: 'martian destination 127.0.0.0/8 on a non-loopback device',
      };
    if (isLoopbackAddr(src) && !localnet)
      return { kind: 'martian', reason: 'martian source 127.0.0.0/8 on a non-loopback device' };
  }
  const forwarding = dev.conf.forwarding !== 0;
  const hit = ns.fib.lookup(dst);
  if (!hit) {
    const errno: RouteErrno = forwarding ? 'ENETUNREACH' : 'EHOSTUNREACH';
    return {
      kind: 'error',
      errno,
      silent: !forwarding,
      reason: forwarding
        ? 'no route to the destination'
        : 'not for this host, and forwarding is off',
      decision: routeDecision(
        ns,
        dst,
        undefined,
        forwarding ? 'no route: network unreachable' : 'no route (forwarding off)',
      ),
    };
  }
  const r = hit.route;
  if (r.type === 'broadcast')
    return {
      kind: 'broadcast',
      decision: routeDecision(ns, dst, hit, 'broadcast: deliver locally'),
    };
  if (r.type === 'local') {
    if (
      ns.isLocalAddr(src) &&
      dev.kind !== 'loopback' &&
      effectiveConf(ns.confAll, dev.conf, 'accept_local') === 0
    ) {
      return { kind: 'martian', reason: 'martian source: our own address arrived from outside' };
    }
    return {
      kind: 'local',
      decision: routeDecision(ns, dst, hit, 'local: deliver to this namespace'),
    };
  }
  if (r.type === 'blackhole') {
    return {
      kind: 'error',
      errno: 'EINVAL',
      silent: true,
      reason: 'blackhole route',
      decision: routeDecision(ns, dst, hit, 'blackhole: discard'),
    };
  }
  if (r.type === 'unreachable' || r.type === 'prohibit') {
    const errno: RouteErrno = r.type === 'unreachable' ? 'EHOSTUNREACH' : 'EACCES';
    return {
      kind: 'error',
      errno,
      silent: !forwarding,
      reason: `${r.type} route`,
      decision: routeDecision(ns, dst, hit, `${r.type}: reject`),
    };
  }
  if (!forwarding) {
    return {
      kind: 'error',
      errno: 'EHOSTUNREACH',
      silent: true,
      reason: 'not for this host, and net.ipv4.ip_forward is 0',
      decision: routeDecision(ns, dst, hit, 'would forward, but forwarding is off: drop'),
    };
  }
  const out = r.dev!;
  // rp_filter (fib_validate_source): strict mode wants the reverse route through the same device.
  const rpf = effectiveConf(ns.confAll, dev.conf, 'rp_filter');
  if (rpf !== 0) {
    const back = ns.fib.lookup(src);
    const ok =
      back !== undefined && back.route.type === 'unicast' && (rpf === 2 || back.route.dev === dev);
    if (!ok)
      return {
        kind: 'martian',
        reason: `reverse path filter (rp_filter=${rpf}) rejects source ${formatIpv4(src)}`,
      };
  }
  const { nexthop, gateway } = nexthopFor(ns, r, dst);
  // __mkroute_input + fib_validate_source: redirect when the packet leaves by the device it came
  // in on and the sender is directly connected there (it could reach the next hop itself).
  let redirect = false;
  if (out === dev && effectiveConf(ns.confAll, out.conf, 'send_redirects') !== 0) {
    const back = ns.fib.lookup(src);
    redirect =
      back !== undefined &&
      back.route.type === 'unicast' &&
      back.route.dev === dev &&
      back.route.gateway === undefined;
  }
  return {
    kind: 'forward',
    dev: out,
    nexthop,
    route: r,
    redirect,
    decision: routeDecision(
      ns,
      dst,
      hit,
      `forward ${gateway !== undefined ? `via ${formatIpv4(gateway)} ` : ''}dev ${out.name}`,
    ),
  };
}

export interface OutputRoute {
  readonly kind: 'local' | 'unicast' | 'broadcast';
  readonly dev: Device;
  readonly nexthop: Ipv4;
  readonly gateway?: Ipv4;
  readonly src: Ipv4;
  readonly route?: Route;
  readonly decision: RouteDecision;
  /**
   * The flow's destination once routed (fl4->daddr): the one asked for, except that 0.0.0.0
   * means this host (the source, or 127.0.0.1). Packets and sockets are addressed to this.
   */
  readonly daddr: Ipv4;
}

export interface OutputError {
  readonly errno: RouteErrno;
  readonly decision: RouteDecision;
}

export function isOutputError(r: OutputRoute | OutputError): r is OutputError {
  return 'errno' in r;
}

/** ip_route_output_key: the route for a locally generated packet. */
export function ipRouteOutput(
  ns: NetNs,
  dst: Ipv4,
  opts: { src?: Ipv4; oif?: Device } = {},
): OutputRoute | OutputError {
  const r = outputRoute(ns, dst, opts);
  // __mkroute_output: a 127/8 source may leave by a loopback device only (checked: a raw ping
  // bound to 127.0.0.1 towards a veth neighbour gets EINVAL from sendto, curl from connect).
  if (!isOutputError(r) && r.dev.kind !== 'loopback' && isLoopbackAddr(r.src))
    return {
      errno: 'EINVAL',
      decision: routeDecision(
        ns,
        dst,
        undefined,
        `source ${formatIpv4(r.src)} cannot leave by ${r.dev.name}, which is not a loopback device`,
      ),
    };
  return r;
}

function outputRoute(
  ns: NetNs,
  dst: Ipv4,
  opts: { src?: Ipv4; oif?: Device },
): OutputRoute | OutputError {
  if (opts.src !== undefined && opts.src !== IPV4_ANY && !ns.isLocalAddr(opts.src)) {
    return {
      errno: 'EINVAL',
      decision: routeDecision(ns, dst, undefined, `${formatIpv4(opts.src)} is not a local address`),
    };
  }
  // ip_route_output_key_hash_rcu: no destination means this host, through lo; the flow's
  // destination becomes the source, or 127.0.0.1 for both (ping 0.0.0.0 is answered by
  // 127.0.0.1; a socket connect()ed to 0.0.0.0 has 127.0.0.1 as its peer).
  if (dst === IPV4_ANY) {
    const daddr = opts.src !== undefined && opts.src !== IPV4_ANY ? opts.src : IPV4_LOOPBACK;
    return {
      kind: 'local',
      dev: ns.lo,
      nexthop: daddr,
      src: daddr,
      daddr,
      decision: routeDecision(
        ns,
        dst,
        undefined,
        `0.0.0.0: this host, as ${formatIpv4(daddr)} through lo`,
      ),
    };
  }
  if (dst === IPV4_BROADCAST && opts.oif) {
    const src = opts.src ?? inetSelectAddr(ns, opts.oif, IPV4_ANY, SCOPE.link) ?? IPV4_ANY;
    return {
      kind: 'broadcast',
      dev: opts.oif,
      nexthop: dst,
      src,
      daddr: dst,
      decision: routeDecision(ns, dst, undefined, `broadcast on ${opts.oif.name}`),
    };
  }
  const hit = ns.fib.lookup(dst, { oif: opts.oif });
  if (!hit) {
    if (opts.oif && opts.oif.adminUp) {
      // With an output device and no route, the kernel assumes the destination is on-link.
      const src = opts.src ?? inetSelectAddr(ns, opts.oif, dst, SCOPE.link) ?? IPV4_ANY;
      return {
        kind: 'unicast',
        dev: opts.oif,
        nexthop: dst,
        src,
        daddr: dst,
        decision: routeDecision(
          ns,
          dst,
          undefined,
          `no route; assumed on-link on ${opts.oif.name}`,
        ),
      };
    }
    return {
      errno: 'ENETUNREACH',
      decision: routeDecision(ns, dst, undefined, 'no route: Network is unreachable'),
    };
  }
  const r = hit.route;
  if (r.type === 'local') {
    const src = opts.src ?? r.prefsrc ?? dst;
    return {
      kind: 'local',
      dev: ns.lo,
      nexthop: dst,
      src,
      daddr: dst,
      route: r,
      decision: routeDecision(ns, dst, hit, 'local: loop back through lo'),
    };
  }
  if (r.type === 'broadcast') {
    const src = opts.src ?? r.prefsrc ?? inetSelectAddr(ns, r.dev, dst, SCOPE.link) ?? IPV4_ANY;
    return {
      kind: 'broadcast',
      dev: r.dev!,
      nexthop: dst,
      src,
      daddr: dst,
      route: r,
      decision: routeDecision(ns, dst, hit, `broadcast on ${r.dev!.name}`),
    };
  }
  if (r.type === 'blackhole')
    return { errno: 'EINVAL', decision: routeDecision(ns, dst, hit, 'blackhole') };
  if (r.type === 'unreachable')
    return { errno: 'EHOSTUNREACH', decision: routeDecision(ns, dst, hit, 'unreachable') };
  if (r.type === 'prohibit')
    return { errno: 'EACCES', decision: routeDecision(ns, dst, hit, 'prohibit') };
  const dev = r.dev!;
  const { nexthop, gateway } = nexthopFor(ns, r, dst);
  const src =
    opts.src ??
    r.prefsrc ??
    inetSelectAddr(ns, dev, gateway ?? dst, r.scope === SCOPE.link ? SCOPE.link : SCOPE.global) ??
    IPV4_ANY;
  // __mkroute_output: 255.255.255.255 is a broadcast out of the device the route names, whatever
  // route found it; the gateway is dropped (fi = NULL), as `ip route get` shows on the kernel.
  if (dst === IPV4_BROADCAST)
    return {
      kind: 'broadcast',
      dev,
      nexthop: dst,
      src,
      daddr: dst,
      route: r,
      decision: routeDecision(ns, dst, hit, `limited broadcast on ${dev.name}`),
    };
  return {
    kind: 'unicast',
    dev,
    nexthop,
    gateway,
    src,
    daddr: dst,
    route: r,
    decision: routeDecision(
      ns,
      dst,
      hit,
      `${gateway !== undefined ? `via ${formatIpv4(gateway)} ` : ''}dev ${dev.name} src ${formatIpv4(src)}`,
    ),
  };
}
