/**
 * A network namespace: its devices (with per-namespace ifindexes), the FIB, the neighbour table,
 * sysctls, sockets, and the ids it has given to other namespaces (NETNSA_NSID).
 */
import type { Ipv4 } from '../net/ipv4';
import { broadcastOf, networkOf, IPV4_LOOPBACK } from '../net/ipv4';
import type { World } from '../sim/world';
import { INIT_INODES } from './namespaces';
import type { Device, IfAddr, IfIndex } from './device';
import { Loopback } from './device';
import { Fib, RT_TABLE_LOCAL, RT_TABLE_MAIN, SCOPE } from './fib';
import type { Host } from './host';
import { NeighTable } from './neigh';
import { receiveFrame } from './rx';
import type { Skb } from './skb';
import { SocketTable } from './socket';
import {
  BR_NETFILTER_SYSCTLS,
  type KernelModule,
  NS_GLOBAL_DEFAULTS,
  newDevConf,
  newNeighParms,
  type DevConf,
  type NeighParms,
} from './sysctl';
import { Netfilter } from './netfilter';
import { ipipInitNet } from './ipip';

export class NetNs {
  /** Unique id of the namespace in the world (its inode, in spirit). */
  readonly id: number;
  /** Its nsfs inode number: what lsns and /proc/PID/ns/net show. */
  readonly inode: number;
  readonly host: Host;
  readonly world: World;
  /** The host's initial namespace. */
  readonly isInit: boolean;
  /** Display name: "root" for the initial namespace, else the name it was created with. */
  label: string;
  readonly devices: Device[] = [];
  private nextIfindex = 1;
  readonly fib = new Fib();
  readonly neigh: NeighTable;
  /**
   * Addresses a userspace daemon answers ARP for on a device from a raw packet socket (MetalLB's
   * speaker in layer-2 mode), though no interface holds them.
   */
  readonly arpAnnounced = new Map<Ipv4, Device>();
  readonly sockets: SocketTable;
  readonly netfilter: Netfilter;
  /** net.ipv4.conf.all and net.ipv4.conf.default */
  readonly confAll: DevConf;
  readonly confDefault: DevConf;
  readonly neighDefault: NeighParms;
  readonly globals: Map<string, string>;
  /** NETNSA_NSID: ids this namespace has assigned to others, by their world id. */
  readonly nsids = new Map<number, number>();
  /** Route exceptions learnt from ICMP redirects (fib_nh_exception): daddr → new gateway. */
  readonly redirectExceptions = new Map<Ipv4, { gateway: Ipv4; dev: Device }>();
  /** Per-peer limiters for ICMP errors and redirects (inet_peer). */
  readonly peers = new Map<
    Ipv4,
    { tokens: number; last: number; redirects: number; redirectLast: number }
  >();
  /** A counter for IPv4 ids of packets without a socket's own counter. */
  ipIdCounter: number;
  /** Interesting counters (a subset of /proc/net/snmp). */
  readonly snmp = {
    InAddrErrors: 0,
    InNoRoutes: 0,
    ForwDatagrams: 0,
    InDelivers: 0,
    OutNoRoutes: 0,
  };
  readonly lo: Loopback;

  constructor(host: Host, label: string, isInit: boolean, inheritFrom?: NetNs) {
    this.id = host.world.allocNsId();
    this.inode = isInit ? INIT_INODES.net : host.allocNsInode();
    this.host = host;
    this.world = host.world;
    this.isInit = isInit;
    this.label = label;
    // devinet.c: a new namespace copies init_net's conf/all and conf/default.
    this.confAll = newDevConf(inheritFrom?.confAll);
    this.confDefault = newDevConf(inheritFrom?.confDefault);
    this.neighDefault = newNeighParms();
    this.globals = new Map(Object.entries(NS_GLOBAL_DEFAULTS));
    this.neigh = new NeighTable(this);
    this.sockets = new SocketTable(this);
    this.netfilter = new Netfilter(this);
    this.ipIdCounter = this.world.rng.int(0, 0xffff);
    this.lo = new Loopback(this);
    this.attach(this.lo);
    // The loaded modules' pernet init runs after loopback's: tunl0 is ifindex 2.
    for (const m of host.modules) this.moduleLoaded(m);
  }

  get ipForward(): boolean {
    return this.confAll.forwarding !== 0;
  }

  /**
   * A module's pernet init: br_netfilter adds net.bridge.* sysctls (on by default); ipip adds
   * the fallback tunnel tunl0.
   */
  moduleLoaded(m: KernelModule): void {
    if (m === 'ipip') ipipInitNet(this);
    if (m === 'br_netfilter')
      for (const [k, v] of Object.entries(BR_NETFILTER_SYSCTLS)) this.globals.set(k, v);
  }

  /**
   * br_netfilter with bridge-nf-call-iptables=1: IPv4 frames crossing a bridge in this namespace
   * go through iptables (PREROUTING when they arrive, FORWARD and POSTROUTING when bridged on).
   */
  get bridgeCallsIptables(): boolean {
    return this.globals.get('net.bridge.bridge-nf-call-iptables') === '1';
  }

  allocIfindex(): IfIndex {
    while (this.devices.some((d) => d.ifindex === this.nextIfindex)) this.nextIfindex++;
    return this.nextIfindex++ as IfIndex;
  }

  /**
   * Gives `dev` a chosen index. Like dev_index_reserve with an explicit index, this does not move
   * the namespace's counter: later devices still get the lowest free index after the last one
   * the kernel chose itself.
   */
  setIfindex(dev: Device, ifindex: number): boolean {
    if (!this.ifindexFree(ifindex)) return false;
    // The index the device was built with goes back to the pool, as if never handed out.
    if (dev.ifindex === this.nextIfindex - 1) this.nextIfindex--;
    this.detach(dev);
    dev.ifindex = ifindex as IfIndex;
    this.attach(dev);
    return true;
  }

  /** Whether `ifindex` is free here (a device moved in keeps its index when it can). */
  ifindexFree(ifindex: number): boolean {
    return !this.devices.some((d) => d.ifindex === ifindex);
  }

  attach(dev: Device): void {
    this.devices.push(dev);
    this.devices.sort((a, b) => a.ifindex - b.ifindex);
  }

  detach(dev: Device): void {
    const i = this.devices.indexOf(dev);
    if (i >= 0) this.devices.splice(i, 1);
  }

  device(name: string): Device | undefined {
    return this.devices.find((d) => d.name === name);
  }

  deviceByIndex(ifindex: number): Device | undefined {
    return this.devices.find((d) => d.ifindex === ifindex);
  }

  /** peernet2id_alloc: the id this namespace uses for `other`, allocating the lowest free one. */
  nsidAlloc(other: NetNs): number {
    const have = this.nsids.get(other.id);
    if (have !== undefined) return have;
    const used = new Set(this.nsids.values());
    let id = 0;
    while (used.has(id)) id++;
    this.nsids.set(other.id, id);
    return id;
  }

  /** peernet2id: the id if one was assigned, else undefined (NETNSA_NSID_NOT_ASSIGNED). */
  nsidOf(other: NetNs): number | undefined {
    return this.nsids.get(other.id);
  }

  // --- addresses and the routes the kernel derives from them (fib_add_ifaddr / fib_del_ifaddr)

  /** All IPv4 addresses in the namespace, with their devices, in device order. */
  allAddrs(): { dev: Device; addr: IfAddr }[] {
    const out: { dev: Device; addr: IfAddr }[] = [];
    for (const dev of this.devices) for (const addr of dev.addrs) out.push({ dev, addr });
    return out;
  }

  /** inet_addr_type: is `a` one of this namespace's local addresses (per the local table)? */
  isLocalAddr(a: Ipv4): boolean {
    const r = this.fib.lookupTable(RT_TABLE_LOCAL, a);
    return r !== undefined && r.type === 'local';
  }

  /** Adds an address and the kernel's routes for it. Caller checks duplicates. */
  addAddr(dev: Device, addr: IfAddr): void {
    const primary = dev.addrs.find(
      (a) =>
        !a.secondary &&
        a.prefixLen === addr.prefixLen &&
        networkOf(a.local, a.prefixLen) === networkOf(addr.local, addr.prefixLen),
    );
    addr.secondary = primary !== undefined;
    dev.addrs.push(addr);
    this.addAddrRoutes(dev, addr);
  }

  removeAddr(dev: Device, addr: IfAddr): void {
    dev.addrs = dev.addrs.filter((a) => a !== addr);
    this.fib.remove((r) => r.proto === 'kernel' && r.dev === dev && r.prefsrc === addr.local);
    if (!addr.secondary) {
      // promote_secondaries=1: the first secondary of the same subnet becomes primary.
      const next = dev.addrs.find(
        (a) =>
          a.secondary &&
          a.prefixLen === addr.prefixLen &&
          networkOf(a.local, a.prefixLen) === networkOf(addr.local, addr.prefixLen),
      );
      if (next) {
        next.secondary = false;
        this.addAddrRoutes(dev, next);
      }
    }
  }

  /**
   * fib_add_ifaddr: the local route for the address always; while the device is up, also the
   * subnet's broadcast route and (for a primary address) the prefix route.
   */
  private addAddrRoutes(dev: Device, addr: IfAddr): void {
    const fib = this.fib;
    const isLo = dev.kind === 'loopback';
    const localKey = { table: RT_TABLE_LOCAL, dst: { addr: addr.local, len: 32 }, metric: 0 };
    if (!fib.findSameKey(localKey)) {
      fib.insert({
        table: RT_TABLE_LOCAL,
        dst: localKey.dst,
        metric: 0,
        type: 'local',
        proto: 'kernel',
        scope: SCOPE.host,
        prefsrc: addr.local,
        dev,
        onlink: false,
      });
    }
    if (!dev.adminUp || addr.secondary) return;
    const bcasts = new Set<Ipv4>();
    if (addr.prefixLen < 31) bcasts.add(broadcastOf(addr.local, addr.prefixLen));
    if (addr.broadcast !== undefined && addr.broadcast !== 0) bcasts.add(addr.broadcast);
    for (const b of bcasts) {
      const bkey = { table: RT_TABLE_LOCAL, dst: { addr: b, len: 32 }, metric: 0 };
      if (!fib.findSameKey(bkey)) {
        fib.insert({
          table: RT_TABLE_LOCAL,
          dst: bkey.dst,
          metric: 0,
          type: 'broadcast',
          proto: 'kernel',
          scope: SCOPE.link,
          prefsrc: addr.local,
          dev,
          onlink: false,
        });
      }
    }
    if (addr.prefixLen < 32 && !addr.noprefixroute) {
      const net = { addr: networkOf(addr.local, addr.prefixLen), len: addr.prefixLen };
      const table = isLo ? RT_TABLE_LOCAL : RT_TABLE_MAIN;
      const exists = fib
        .table(table)
        .some(
          (r) =>
            r.dev === dev &&
            r.proto === 'kernel' &&
            r.dst.addr === net.addr &&
            r.dst.len === net.len,
        );
      if (!exists) {
        fib.insert({
          table,
          dst: net,
          metric: 0,
          type: isLo ? 'local' : 'unicast',
          proto: 'kernel',
          scope: isLo ? SCOPE.host : SCOPE.link,
          prefsrc: addr.local,
          dev,
          onlink: false,
        });
      }
    }
  }

  /** Reacts to a device going up or down (NETDEV_UP / NETDEV_DOWN) or losing carrier. */
  deviceStateChanged(dev: Device): void {
    if (!dev.adminUp) {
      // fib_disable_ip: every route through the device goes, static ones included; the local
      // routes of its addresses stay (the addresses are still ours).
      this.fib.remove(
        (r) => r.dev === dev && !(r.type === 'local' && r.proto === 'kernel' && r.dst.len === 32),
      );
      this.neigh.flushDev(dev);
      for (const [k, e] of this.redirectExceptions)
        if (e.dev === dev) this.redirectExceptions.delete(k);
    } else {
      if (dev.kind === 'loopback' && dev.addrs.length === 0) {
        // inetdev_event(NETDEV_UP) on loopback: 127.0.0.1/8 appears by itself.
        dev.addrs.push({
          local: IPV4_LOOPBACK,
          prefixLen: 8,
          scope: 'host',
          label: 'lo',
          secondary: false,
        });
      }
      for (const a of dev.addrs) this.addAddrRoutes(dev, a);
    }
  }

  /** A frame arrives on one of this namespace's devices. */
  receiveFrame(dev: Device, skb: Skb): void {
    receiveFrame(dev, skb);
  }

  /** The default broadcast for an address when the user asks for `brd +`. */
  static plusBroadcast(local: Ipv4, len: number): Ipv4 {
    return broadcastOf(local, len);
  }

  /** Reads a namespace-wide sysctl value. */
  sysctlNumber(key: string): number {
    return Number((this.globals.get(key) ?? '0').split('\t')[0]);
  }
}
