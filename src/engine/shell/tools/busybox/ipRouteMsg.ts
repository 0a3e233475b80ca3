/**
 * Routes as the kernel's route dump hands them to BusyBox's print_route, and how it prints them:
 * no `proto`, `scope link  src A ` with two spaces and a trailing one, `table local` only when
 * listing every table, `metric` only when the route has one (always for IPv6).
 *
 * The model routes IPv4 only. The IPv6 routes the kernel derives from the addresses the model
 * shows (`ip addr` lists ::1 on lo and a link-local address on each device that had carrier) are
 * listed with them: fe80::/64 and ff00::/8 for such a device, and a local route for each address
 * once it is no longer tentative.
 */
import { formatIpv4 } from '../../../net/ipv4';
import { linkLocalFromMac } from '../../../net/mac';
import type { Device } from '../../../linux/device';
import { RT_TABLE_LOCAL, RT_TABLE_MAIN, type Route } from '../../../linux/fib';
import type { NetNs } from '../../../linux/netns';
import { hasLinkLocal, linkLocalTentative } from '../ip/format';
import {
  type BbIp,
  type Family,
  type InetPrefix,
  addrBytes,
  emptyPrefix,
  prefixMatch,
  scopeName,
  tableName,
} from './ipArgs';

/** One RTM_NEWROUTE message. */
export interface RouteMsg {
  readonly family: 'inet' | 'inet6';
  readonly table: number;
  /** rtm_type by name: unicast, local, broadcast, multicast, … */
  readonly type: string;
  /** RTA_DST as text, absent for a default route. */
  readonly dst?: string;
  readonly dstLen: number;
  /** RTA_SRC (route get with `from`). */
  readonly src?: string;
  readonly gateway?: string;
  readonly oif?: Device;
  readonly scope: number;
  readonly prefsrc?: string;
  /** RTA_PRIORITY: IPv4 routes send it only when not 0. */
  readonly metric?: number;
  readonly onlink?: boolean;
  /** RTM_F_CLONED: a route get's answer. */
  readonly cloned?: boolean;
  readonly notify?: boolean;
}

function fromFib(r: Route): RouteMsg {
  return {
    family: 'inet',
    table: r.table,
    type: r.type,
    dst: r.dst.len ? formatIpv4(r.dst.addr) : undefined,
    dstLen: r.dst.len,
    gateway: r.gateway !== undefined ? formatIpv4(r.gateway) : undefined,
    oif: r.dev,
    scope: r.scope,
    prefsrc: r.prefsrc !== undefined ? formatIpv4(r.prefsrc) : undefined,
    metric: r.metric || undefined,
    onlink: r.onlink,
  };
}

/** The IPv4 dump: every table in hash order (main before local), each as the FIB sorts it. */
function ipv4Routes(ns: NetNs): RouteMsg[] {
  const ids = [...ns.fib.tables.keys()].sort((a, b) => (a & 255) - (b & 255) || a - b);
  return ids.flatMap((t) => ns.fib.sorted(t).map(fromFib));
}

/** The IPv6 routes that go with the addresses the model shows: main table first, then local. */
function ipv6Routes(ns: NetNs): RouteMsg[] {
  const linked = ns.devices.filter((d) => hasLinkLocal(d));
  const route = (
    dev: Device,
    table: number,
    type: string,
    dst: string,
    dstLen: number,
    metric: number,
  ): RouteMsg => ({ family: 'inet6', table, type, dst, dstLen, oif: dev, scope: 0, metric });
  const main = linked.map((d) => route(d, RT_TABLE_MAIN, 'unicast', 'fe80::', 64, 256));
  const locals: RouteMsg[] = [];
  const lo = ns.devices.find((d) => d.kind === 'loopback' && d.adminUp);
  if (lo) locals.push(route(lo, RT_TABLE_LOCAL, 'local', '::1', 128, 0));
  for (const d of linked)
    if (!linkLocalTentative(d))
      locals.push(route(d, RT_TABLE_LOCAL, 'local', linkLocalFromMac(d.llMac ?? d.mac), 128, 0));
  const bytes = (r: RouteMsg) => addrBytes(r.dst ?? '::');
  locals.sort((a, b) => {
    const x = bytes(a);
    const y = bytes(b);
    const i = x.findIndex((v, k) => v !== y[k]);
    return i < 0 ? 0 : x[i]! - y[i]!;
  });
  const multicast = linked.map((d) => route(d, RT_TABLE_LOCAL, 'multicast', 'ff00::', 8, 256));
  return [...main, ...locals, ...multicast];
}

/** A route dump for `family` (AF_UNSPEC and AF_PACKET get every family, IPv4 first). */
export function dumpRoutes(ns: NetNs, family: Family): RouteMsg[] {
  if (family === 'inet') return ipv4Routes(ns);
  if (family === 'inet6') return ipv6Routes(ns);
  return [...ipv4Routes(ns), ...ipv6Routes(ns)];
}

/** iproute.c's filter_t: what `ip route list|flush` selects, and what print_route leaves out. */
export interface RouteFilter {
  /** Table: > 0 one table, 0 all, -1 the cache. */
  tb: number;
  scope: number;
  scopeMask: number;
  oif?: number;
  iif?: number;
  rvia: InetPrefix;
  rdst: InetPrefix;
  mdst: InetPrefix;
  rsrc: InetPrefix;
  msrc: InetPrefix;
}

export function newRouteFilter(): RouteFilter {
  const none = () => emptyPrefix();
  return {
    tb: 0,
    scope: 0,
    scopeMask: 0,
    rvia: none(),
    rdst: none(),
    mdst: { ...none(), bitlen: -1 },
    rsrc: none(),
    msrc: { ...none(), bitlen: -1 },
  };
}

/** The checks print_route makes before printing (or flushing) a route. */
export function routeSelected(r: RouteMsg, f: RouteFilter): boolean {
  if (r.family === 'inet6') {
    if (f.tb < 0 && !r.cloned) return false;
    if (f.tb > 0) {
      if (r.cloned) return false;
      if (
        f.tb === RT_TABLE_LOCAL ? r.type !== 'local' : f.tb !== RT_TABLE_MAIN || r.type === 'local'
      )
        return false;
    }
  } else if (f.tb > 0 && f.tb !== r.table) return false;
  if ((f.scope ^ r.scope) & f.scopeMask) return false;
  const dst = addrBytes(r.dst ?? (r.family === 'inet6' ? '::' : '0.0.0.0'));
  const src = addrBytes(r.src ?? (r.family === 'inet6' ? '::' : '0.0.0.0'));
  const srcLen = r.src !== undefined ? (r.family === 'inet6' ? 128 : 32) : 0;
  const set = (p: InetPrefix) => p.family !== 'unspec';
  if (set(f.rdst) && (r.family !== f.rdst.family || f.rdst.bitlen > r.dstLen)) return false;
  if (
    set(f.mdst) &&
    (r.family !== f.mdst.family || (f.mdst.bitlen >= 0 && f.mdst.bitlen < r.dstLen))
  )
    return false;
  if (set(f.rsrc) && (r.family !== f.rsrc.family || f.rsrc.bitlen > srcLen)) return false;
  if (set(f.msrc) && (r.family !== f.msrc.family || (f.msrc.bitlen >= 0 && f.msrc.bitlen < srcLen)))
    return false;
  if (set(f.rdst) && !prefixMatch(dst, f.rdst.bytes, f.rdst.bitlen)) return false;
  if (set(f.mdst) && f.mdst.bitlen >= 0 && !prefixMatch(dst, f.mdst.bytes, r.dstLen)) return false;
  if (set(f.rsrc) && !prefixMatch(src, f.rsrc.bytes, f.rsrc.bitlen)) return false;
  if (set(f.msrc) && f.msrc.bitlen >= 0 && !prefixMatch(src, f.msrc.bytes, srcLen)) return false;
  if (f.oif !== undefined && r.oif?.ifindex !== f.oif) return false;
  return true;
}

/** print_route's line for one route. */
export function routeLine(c: BbIp, r: RouteMsg, f: RouteFilter): string {
  const hostLen = r.family === 'inet6' ? 128 : 32;
  let s = r.type !== 'unicast' ? `${r.type} ` : '';
  if (r.dst !== undefined) s += r.dstLen !== hostLen ? `${r.dst}/${r.dstLen} ` : `${r.dst} `;
  else s += 'default ';
  if (r.src !== undefined) s += `from ${r.src} `;
  if (r.gateway !== undefined && f.rvia.bitlen !== hostLen) s += `via ${r.gateway} `;
  if (r.oif) s += `dev ${c.indexName(r.oif.ifindex)} `;
  if (r.table && r.table !== RT_TABLE_MAIN && !f.tb) s += `table ${tableName(r.table)} `;
  if (!r.cloned && r.scope !== 0 && f.scopeMask !== -1) s += `scope ${scopeName(r.scope)} `;
  if (r.prefsrc !== undefined) s += ` src ${r.prefsrc} `;
  if (r.metric !== undefined) s += ` metric ${r.metric} `;
  if (r.onlink) s += 'onlink ';
  if (r.notify) s += 'notify ';
  return `${s}\n`;
}
