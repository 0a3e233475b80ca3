/**
 * The kernel side of rtnetlink: creating, moving, configuring and deleting links, addresses,
 * routes and neighbours, with the errors (errno and extack message) the kernel returns.
 * The `ip` tool parses arguments and prints; this module decides.
 */
import { type Cidr, type Ipv4, IPV4_ANY, formatIpv4, networkOf } from '../net/ipv4';
import type { Mac } from '../net/mac';
import { Bridge, localEntry } from './bridge';
import { type Device, Dummy, Ether, type IfAddr, Veth } from './device';
import { RT_TABLE_LOCAL, RT_TABLE_MAIN, type Route, type RouteType, SCOPE } from './fib';
import type { Host } from './host';
import type { NetNs } from './netns';
import type { NudState } from './neigh';
import { type VxlanConfig, VxlanDevice } from './vxlan';
import { IpipDevice, ipipMtuValid } from './ipip';

export type Errno =
  | 'EEXIST'
  | 'ENODEV'
  | 'EINVAL'
  | 'ESRCH'
  | 'ENOENT'
  | 'ENETDOWN'
  | 'ENETUNREACH'
  | 'EBUSY'
  | 'EOPNOTSUPP'
  | 'ERANGE'
  | 'EADDRNOTAVAIL'
  | 'ELOOP'
  | 'EPERM';

export interface RtnlError {
  readonly errno: Errno;
  /** The extended ack message, when the kernel sets one (iproute2 prints "Error: <msg>."). */
  readonly extack?: string;
}

export type RtnlResult<T = void> = { ok: true; value: T } | ({ ok: false } & RtnlError);

const ok = <T>(value: T): RtnlResult<T> => ({ ok: true, value });
const fail = (errno: Errno, extack?: string): { ok: false } & RtnlError => ({
  ok: false,
  errno,
  extack,
});

export const ERRNO_TEXT: Record<Errno, string> = {
  EEXIST: 'File exists',
  ENODEV: 'No such device',
  EINVAL: 'Invalid argument',
  ESRCH: 'No such process',
  ENOENT: 'No such file or directory',
  ENETDOWN: 'Network is down',
  ENETUNREACH: 'Network is unreachable',
  EBUSY: 'Device or resource busy',
  EOPNOTSUPP: 'Operation not supported',
  ERANGE: 'Numerical result out of range',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  ELOOP: 'Too many levels of symbolic links',
  EPERM: 'Operation not permitted',
};

/** dev_alloc_name: the first free "<prefix>N". */
function allocName(ns: NetNs, prefix: string): string {
  for (let i = 0; ; i++) if (!ns.device(`${prefix}${i}`)) return `${prefix}${i}`;
}

export function validIfname(name: string): boolean {
  return (
    name.length > 0 && name.length < 16 && !/[\s/:]/.test(name) && name !== '.' && name !== '..'
  );
}

// --- links

export function linkAddVeth(
  ns: NetNs,
  name: string | undefined,
  peerName: string | undefined,
  opts: { peerNs?: NetNs; mac?: Mac; peerMac?: Mac; mtu?: number } = {},
): RtnlResult<[Veth, Veth]> {
  const peerNs = opts.peerNs ?? ns;
  const n1 = name ?? allocName(ns, 'veth');
  if (ns.device(n1)) return fail('EEXIST');
  const n2 = peerName ?? allocName(peerNs, 'veth');
  if (peerNs.device(n2) || (peerNs === ns && n1 === n2)) return fail('EEXIST');
  const world = ns.world;
  // veth_newlink registers the peer first, so it gets the lower ifindex.
  const b = new Veth(
    peerNs,
    n2,
    opts.peerMac ?? world.randomMac(),
    opts.peerMac ? 'set' : 'random',
    opts.mtu ?? 1500,
  );
  peerNs.attach(b);
  const a = new Veth(
    ns,
    n1,
    opts.mac ?? world.randomMac(),
    opts.mac ? 'set' : 'random',
    opts.mtu ?? 1500,
  );
  ns.attach(a);
  a.peer = b;
  b.peer = a;
  if (peerNs !== ns) {
    ns.nsidAlloc(peerNs);
    peerNs.nsidAlloc(ns);
  }
  return ok([a, b]);
}

export function linkAddBridge(ns: NetNs, name: string | undefined, mac?: Mac): RtnlResult<Bridge> {
  const n = name ?? allocName(ns, 'bridge');
  if (ns.device(n)) return fail('EEXIST');
  const br = new Bridge(ns, n, mac ?? ns.world.randomMac(), mac ? 'set' : 'random');
  ns.attach(br);
  return ok(br);
}

export function linkAddDummy(ns: NetNs, name: string | undefined, mac?: Mac): RtnlResult<Dummy> {
  const n = name ?? allocName(ns, 'dummy');
  if (ns.device(n)) return fail('EEXIST');
  const d = new Dummy(ns, n, mac ?? ns.world.randomMac(), mac ? 'set' : 'random', 1500);
  ns.attach(d);
  return ok(d);
}

/**
 * vxlan_newlink: a VXLAN device. Without `dev` its MTU is 1500, with one the lower device's MTU
 * less the 50 bytes of outer headers.
 */
export function linkAddVxlan(
  ns: NetNs,
  name: string | undefined,
  cfg: VxlanConfig,
  mac?: Mac,
): RtnlResult<VxlanDevice> {
  const n = name ?? allocName(ns, 'vxlan');
  if (ns.device(n)) return fail('EEXIST');
  for (const d of ns.devices)
    if (d instanceof VxlanDevice && d.cfg.vni === cfg.vni && d.cfg.dstport === cfg.dstport)
      return fail('EEXIST', 'A VXLAN device with the specified VNI already exists');
  const dev = new VxlanDevice(ns, n, mac ?? ns.world.randomMac(), mac ? 'set' : 'random', cfg);
  ns.attach(dev);
  return ok(dev);
}

/** Takes a device out of its namespace: down, no addresses, no routes, no bridge. */
function unregister(dev: Device): void {
  const ns = dev.ns;
  if (dev.adminUp) {
    dev.adminUp = false;
    ns.deviceStateChanged(dev);
  }
  dev.hadCarrier = false;
  dev.llMac = undefined;
  for (const a of [...dev.addrs]) ns.removeAddr(dev, a);
  ns.fib.remove((r) => r.dev === dev);
  ns.neigh.flushDev(dev);
  if (dev.master instanceof Bridge) dev.master.removePort(dev);
  if (dev instanceof Bridge) for (const p of [...dev.ports]) dev.removePort(p);
  ns.detach(dev);
}

export function linkDel(dev: Device): RtnlResult {
  if (dev.kind === 'loopback') return fail('EOPNOTSUPP');
  if (dev.kind === 'ether') return fail('EOPNOTSUPP');
  // ip_tunnel_dellink leaves the fallback device alone: the request succeeds, tunl0 stays.
  if (dev instanceof IpipDevice && dev.fallback) return ok(undefined);
  const peer = dev instanceof Veth ? dev.peer : undefined;
  unregister(dev);
  if (peer) {
    unregister(peer);
    peer.peer = undefined;
    notifyCarrier(peer);
  }
  if (dev instanceof Veth) dev.peer = undefined;
  return ok(undefined);
}

/** Carrier changes ripple: a veth's peer, and the bridge a port belongs to. */
function notifyCarrier(dev: Device | undefined): void {
  if (!dev) return;
  refreshCarrier(dev);
  if (dev.master instanceof Bridge) {
    dev.master.onStateChange();
    refreshCarrier(dev.master);
  }
}

/** addrconf: a device that is up and sees carrier gets (and keeps) its link-local address. */
function refreshCarrier(dev: Device): void {
  if (!dev.adminUp) {
    dev.hadCarrier = false;
    dev.llMac = undefined;
  } else if (dev.hasCarrier() && !dev.hadCarrier) {
    dev.hadCarrier = true;
    dev.llMac = dev.mac;
    const world = dev.ns.world;
    dev.dadDoneAt = world.sched.now + 1e9 + world.rng.int(0, 999) * 1e6;
  }
}

export function linkSetUp(dev: Device, up: boolean): RtnlResult {
  if (dev.adminUp === up) return ok(undefined);
  dev.adminUp = up;
  if (up) dev.everUp = true;
  else dev.wentDown = true;
  dev.onStateChange();
  refreshCarrier(dev);
  if (dev instanceof Veth) notifyCarrier(dev.peer);
  notifyCarrier(dev);
  return ok(undefined);
}

export function linkSetMaster(dev: Device, master: Device | undefined): RtnlResult {
  if (!master) {
    if (dev.master instanceof Bridge) dev.master.removePort(dev);
    return ok(undefined);
  }
  if (!(master instanceof Bridge)) return fail('EOPNOTSUPP', 'Master does not support enslaving');
  if (dev === master) return fail('ELOOP');
  if (dev.kind === 'loopback') return fail('EINVAL', 'Can not enslave loopback device');
  if (dev.kind === 'bridge' && (dev as Bridge).ports.includes(master)) return fail('ELOOP');
  if (dev.master === master) return ok(undefined);
  if (dev.master instanceof Bridge) dev.master.removePort(dev);
  master.addPort(dev);
  master.onStateChange();
  return ok(undefined);
}

export function linkSetName(dev: Device, name: string): RtnlResult {
  if (dev.name === name) return ok(undefined);
  if (dev.adminUp) return fail('EBUSY');
  if (dev.ns.device(name)) return fail('EEXIST');
  dev.name = name;
  return ok(undefined);
}

export function linkSetMac(dev: Device, mac: Mac): RtnlResult {
  if (dev.kind === 'loopback') return fail('EOPNOTSUPP');
  const old = dev.mac;
  dev.mac = mac;
  dev.macAssign = 'set';
  if (dev.master instanceof Bridge) dev.master.portMacChanged(dev, old);
  if (dev instanceof Bridge) {
    const own = dev.fdb.get(old);
    if (own && own.port === dev) dev.fdb.delete(old);
    // fdb_insert: a port that already owns the address keeps its entry.
    if (!dev.fdb.has(mac)) dev.fdb.set(mac, localEntry(mac, dev));
  }
  return ok(undefined);
}

export function linkSetMtu(dev: Device, mtu: number): RtnlResult {
  // ip_tunnel_change_mtu: min_mtu/max_mtu are 0 on IPIP devices, so only the driver decides.
  if (dev instanceof IpipDevice) {
    if (!ipipMtuValid(mtu)) return fail('EINVAL');
    dev.mtu = mtu;
    return ok(undefined);
  }
  const max = dev.kind === 'loopback' ? 0x7fffffff : dev.kind === 'bridge' ? 65535 : 65535;
  const min = dev.kind === 'loopback' ? 0 : 68;
  if (mtu > max) return fail('EINVAL', 'mtu greater than device maximum');
  if (mtu < min) return fail('EINVAL', 'mtu less than device minimum');
  // vxlan_change_mtu: no larger than the lower device allows once the 50-byte headers are added.
  if (dev instanceof VxlanDevice && dev.cfg.lower && mtu > dev.cfg.lower.mtu - 50)
    return fail('EINVAL');
  dev.mtu = mtu;
  return ok(undefined);
}

/**
 * dev_change_net_namespace: the device goes down, loses its addresses and routes, and reappears
 * in `target` keeping its ifindex when that is free there. Namespace ids get allocated the way
 * the kernel's notifications allocate them (peernet2id_alloc).
 */
export function linkSetNetns(dev: Device, target: NetNs): RtnlResult {
  const from = dev.ns;
  if (from === target) return ok(undefined);
  if (dev.kind === 'loopback' || dev.kind === 'bridge') return fail('EINVAL');
  // NETIF_F_NETNS_LOCAL: the fallback tunnel belongs to its namespace.
  if (dev instanceof IpipDevice && dev.fallback) return fail('EINVAL');
  if (target.device(dev.name)) return fail('EEXIST');
  unregister(dev);
  // RTM_DELLINK in the old namespace carries IFLA_NEW_NETNSID.
  from.nsidAlloc(target);
  dev.ns = target;
  if (!target.ifindexFree(dev.ifindex)) dev.ifindex = target.allocIfindex();
  target.attach(dev);
  // RTM_NEWLINK in the new namespace names the peer's namespace (IFLA_LINK_NETNSID).
  if (dev instanceof Veth && dev.peer && dev.peer.ns !== target) target.nsidAlloc(dev.peer.ns);
  if (dev instanceof Veth) notifyCarrier(dev.peer);
  return ok(undefined);
}

// --- addresses

export function addrAdd(
  dev: Device,
  c: Cidr,
  opts: { broadcast?: Ipv4; scope?: IfAddr['scope']; label?: string; noprefixroute?: boolean } = {},
): RtnlResult {
  if (dev.addrs.some((a) => a.local === c.addr))
    return fail('EEXIST', 'ipv4: Address already assigned');
  const addr: IfAddr = {
    local: c.addr,
    prefixLen: c.len,
    broadcast: opts.broadcast,
    scope: opts.scope ?? (c.addr >>> 24 === 127 ? 'host' : 'global'),
    label: opts.label ?? dev.name,
    secondary: false,
    noprefixroute: opts.noprefixroute,
  };
  dev.ns.addAddr(dev, addr);
  return ok(undefined);
}

export function addrDel(dev: Device, c: Cidr, lenGiven: boolean): RtnlResult {
  const a = dev.addrs.find((x) => x.local === c.addr && (!lenGiven || x.prefixLen === c.len));
  if (!a) return fail('EADDRNOTAVAIL', 'ipv4: Address not found');
  dev.ns.removeAddr(dev, a);
  return ok(undefined);
}

// --- routes

export interface RouteSpec {
  table?: number;
  type?: RouteType;
  dst: Cidr;
  gateway?: Ipv4;
  dev?: Device;
  metric?: number;
  proto?: string;
  scope?: number;
  prefsrc?: Ipv4;
  onlink?: boolean;
}

/** fib_check_nh: validates the next hop and finds its device. */
function checkNexthop(
  ns: NetNs,
  spec: RouteSpec,
  table: number,
): RtnlResult<{ dev?: Device; scope: number }> {
  const type = spec.type ?? 'unicast';
  if (type !== 'unicast') {
    if (spec.dev && !spec.dev.adminUp && type === 'local')
      return fail('ENETDOWN', 'Device for nexthop is not up');
    return ok({ dev: spec.dev, scope: SCOPE.host });
  }
  if (spec.gateway === undefined) {
    if (!spec.dev) return fail('ENODEV', 'Nexthop device required for unicast route');
    if (!spec.dev.adminUp) return fail('ENETDOWN', 'Device for nexthop is not up');
    return ok({ dev: spec.dev, scope: SCOPE.host });
  }
  const gw = spec.gateway;
  if (spec.onlink) {
    if ((spec.scope ?? SCOPE.global) >= SCOPE.link)
      return fail('EINVAL', 'Nexthop has invalid scope');
    if (!spec.dev) return fail('ENODEV', 'Nexthop device required for onlink');
    if (!spec.dev.adminUp) return fail('ENETDOWN', 'Nexthop device is not up');
    const local = ns.fib.lookupTable(RT_TABLE_LOCAL, gw);
    if (local && local.type !== 'unicast') return fail('EINVAL', 'Nexthop has invalid gateway');
    return ok({ dev: spec.dev, scope: SCOPE.link });
  }
  // The gateway must be reachable through a link- or host-scope route (a connected subnet).
  const order =
    table !== RT_TABLE_MAIN
      ? [table, RT_TABLE_LOCAL, RT_TABLE_MAIN]
      : [RT_TABLE_LOCAL, RT_TABLE_MAIN];
  let found: Route | undefined;
  for (const t of order) {
    let best: Route | undefined;
    for (const r of ns.fib.table(t)) {
      if (r.scope < SCOPE.link) continue;
      if (spec.dev && r.dev !== spec.dev) continue;
      if (networkOf(gw, r.dst.len) !== networkOf(r.dst.addr, r.dst.len)) continue;
      if (!best || r.dst.len > best.dst.len) best = r;
    }
    if (best) {
      found = best;
      break;
    }
  }
  if (!found || (found.type !== 'unicast' && found.type !== 'local'))
    return fail('EINVAL', 'Nexthop has invalid gateway');
  if (found.type === 'local') return fail('EINVAL', 'Nexthop has invalid gateway');
  const dev = found.dev;
  if (!dev) return fail('EINVAL', 'No egress device for nexthop gateway');
  if (!dev.adminUp) return fail('ENETDOWN');
  return ok({ dev, scope: SCOPE.link });
}

function sameKey(r: Route, table: number, dst: Cidr, metric: number): boolean {
  return (
    r.table === table && r.dst.addr === dst.addr && r.dst.len === dst.len && r.metric === metric
  );
}

export function routeAdd(
  ns: NetNs,
  spec: RouteSpec,
  mode: 'add' | 'replace' | 'append' | 'change' = 'add',
): RtnlResult<Route> {
  const table = spec.table ?? RT_TABLE_MAIN;
  const dst = { addr: networkOf(spec.dst.addr, spec.dst.len), len: spec.dst.len };
  if (dst.addr !== spec.dst.addr) return fail('EINVAL', 'Invalid prefix for given prefix length');
  const metric = spec.metric ?? 0;
  const existing = ns.fib.table(table).find((r) => sameKey(r, table, dst, metric));
  if (existing && mode === 'add') return fail('EEXIST');
  if (!existing && mode === 'change') return fail('ENOENT');
  const nh = checkNexthop(ns, spec, table);
  if (!nh.ok) return nh;
  if (spec.prefsrc !== undefined && !ns.isLocalAddr(spec.prefsrc))
    return fail('EINVAL', 'Invalid prefsrc address');
  const type = spec.type ?? 'unicast';
  const route: Route = {
    table,
    type,
    dst,
    metric,
    proto: spec.proto ?? 'boot',
    scope:
      spec.scope ??
      (type === 'local'
        ? SCOPE.host
        : spec.gateway === undefined && type === 'unicast'
          ? SCOPE.link
          : SCOPE.global),
    prefsrc: spec.prefsrc,
    gateway: spec.gateway,
    dev: type === 'unicast' || type === 'local' || type === 'broadcast' ? nh.value.dev : spec.dev,
    onlink: spec.onlink ?? false,
  };
  if (existing && (mode === 'replace' || mode === 'change')) {
    const t = ns.fib.table(table);
    t[t.indexOf(existing)] = route;
  } else ns.fib.insert(route);
  return ok(route);
}

export function routeDel(ns: NetNs, spec: Partial<RouteSpec> & { dst: Cidr }): RtnlResult<Route> {
  const table = spec.table ?? RT_TABLE_MAIN;
  const found = ns.fib
    .table(table)
    .find(
      (r) =>
        r.dst.addr === spec.dst.addr &&
        r.dst.len === spec.dst.len &&
        (spec.type === undefined || r.type === spec.type) &&
        (spec.metric === undefined || r.metric === spec.metric) &&
        (spec.gateway === undefined || r.gateway === spec.gateway) &&
        (spec.dev === undefined || r.dev === spec.dev) &&
        (spec.proto === undefined || r.proto === spec.proto) &&
        (spec.scope === undefined || r.scope === spec.scope) &&
        (spec.prefsrc === undefined || r.prefsrc === spec.prefsrc),
    );
  if (!found) return fail('ESRCH');
  ns.fib.remove((r) => r === found);
  return ok(found);
}

// --- neighbours

export function neighAdd(
  ns: NetNs,
  dev: Device,
  ip: Ipv4,
  mac: Mac | undefined,
  state: NudState,
  mode: 'add' | 'replace' | 'change',
  proto?: string,
): RtnlResult {
  const e = ns.neigh.lookup(dev, ip);
  if (e && e.state !== 'NONE' && mode === 'add') return fail('EEXIST');
  if ((!e || e.state === 'NONE') && mode === 'change') return fail('ENOENT');
  if (ip === IPV4_ANY) return fail('EINVAL');
  ns.neigh.setAdmin(dev, ip, mac, state, proto);
  return ok(undefined);
}

export function neighDel(ns: NetNs, dev: Device, ip: Ipv4): RtnlResult {
  const e = ns.neigh.lookup(dev, ip);
  if (!e || e.state === 'NONE') return fail('ENOENT');
  ns.neigh.remove(e);
  return ok(undefined);
}

export function describeRoute(r: Route): string {
  return `${formatIpv4(r.dst.addr)}/${r.dst.len}`;
}

// --- namespaces

/**
 * cleanup_net: a namespace with no name and no process left dies. Its virtual devices go with it
 * (a veth takes its peer along); physical NICs return to the initial namespace.
 */
export function netnsDestroy(host: Host, ns: NetNs): void {
  if (ns.isInit) return;
  for (const dev of [...ns.devices]) {
    if (dev.kind === 'loopback') continue;
    if (dev.kind === 'ether') {
      linkSetNetns(dev, host.rootNs);
      continue;
    }
    linkDel(dev);
  }
  for (const c of [...ns.sockets.tcpConns.values()]) c.teardown();
  const i = host.namespaces.indexOf(ns);
  if (i >= 0) host.namespaces.splice(i, 1);
  for (const other of host.namespaces) other.nsids.delete(ns.id);
}

/** A host NIC (what the machine boots with), plugged into a physical network. */
export function linkAddEther(ns: NetNs, name: string, mac: Mac, mtu = 1500): RtnlResult<Ether> {
  if (ns.device(name)) return fail('EEXIST');
  const dev = new Ether(ns, name, mac, 'set', mtu);
  ns.attach(dev);
  return ok(dev);
}
