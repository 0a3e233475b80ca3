/**
 * A plain-data picture of the world for the UI: hosts, their namespaces, devices and how they
 * are linked (veth pairs, bridge ports, NICs on physical networks), with the tables an inspector
 * shows. Built fresh after each command; the canvas is derived from it, never drawn by hand.
 */
import { formatIpv4 } from '../net/ipv4';
import { Bridge } from '../linux/bridge';
import type { Device } from '../linux/device';
import { RT_TABLE_LOCAL, RT_TABLE_MAIN, formatRoute } from '../linux/fib';
import type { NetNs } from '../linux/netns';
import type { ContainerTag, Process } from '../linux/process';
import { linkFlags } from '../shell/tools/ip/format';
import type { World } from './world';

export interface DeviceView {
  readonly id: number;
  readonly ifindex: number;
  readonly name: string;
  readonly kind: Device['kind'];
  readonly mac: string;
  readonly mtu: number;
  readonly up: boolean;
  readonly carrier: boolean;
  readonly operState: string;
  readonly flags: string;
  readonly addrs: readonly string[];
  readonly master?: number;
  readonly peer?: number;
  readonly segment?: string;
  /** Bridge only: its forwarding database as `bridge fdb` would list it. */
  readonly fdb?: readonly string[];
  readonly ports?: readonly number[];
}

export interface NetnsView {
  readonly id: number;
  readonly host: string;
  readonly label: string;
  /** root, a name under /var/run/netns, or a namespace only a process holds. */
  readonly kind: 'root' | 'named' | 'anonymous';
  readonly devices: readonly DeviceView[];
  readonly routes: readonly string[];
  readonly localRoutes: readonly string[];
  readonly neighbours: readonly string[];
  readonly ipForward: boolean;
  readonly processes: readonly { readonly pid: number; readonly comm: string }[];
  readonly listening: readonly string[];
  /** The running containers whose processes live here, the pod sandbox (pause) first. */
  readonly containers: readonly ContainerView[];
  /** The pod whose sandbox holds this namespace, when a kubelet made it. */
  readonly pod?: { readonly name: string; readonly namespace: string };
}

export interface ContainerView {
  readonly pid: number;
  readonly name: string;
  readonly image?: string;
  /** A pod's pause container, which holds the namespace for the others. */
  readonly sandbox: boolean;
}

export interface HostView {
  readonly name: string;
  readonly external: boolean;
  readonly namespaces: readonly NetnsView[];
}

export interface LinkView {
  readonly kind: 'veth' | 'port' | 'wire';
  /** Device ids; for wires, `b` is absent and `segment` names the network. */
  readonly a: number;
  readonly b?: number;
  readonly segment?: string;
}

export interface TopologySnapshot {
  readonly time: number;
  readonly hosts: readonly HostView[];
  readonly segments: readonly string[];
  readonly links: readonly LinkView[];
}

function deviceView(d: Device): DeviceView {
  const peer = d.kind === 'veth' ? (d as Device & { peer?: Device }).peer : undefined;
  const seg =
    d.kind === 'ether' ? (d as Device & { medium?: { name: string } }).medium?.name : undefined;
  const base = {
    id: d.uid,
    ifindex: d.ifindex,
    name: d.name,
    kind: d.kind,
    mac: d.mac,
    mtu: d.mtu,
    up: d.adminUp,
    carrier: d.hasCarrier(),
    operState: d.operState(),
    flags: linkFlags(d),
    addrs: d.addrs.map((a) => `${formatIpv4(a.local)}/${a.prefixLen}`),
    master: d.master?.uid,
    peer: peer?.uid,
    segment: seg,
  };
  if (d instanceof Bridge) {
    return {
      ...base,
      ports: d.ports.map((p) => p.uid),
      fdb: d
        .liveFdb()
        .map((e) => `${e.mac} ${e.local ? `${e.port.name} (local)` : `via ${e.port.name}`}`),
    };
  }
  return base;
}

function netnsView(ns: NetNs): NetnsView {
  const host = ns.host;
  const name = host.nameOf(ns);
  const procs = [...host.processes.values()].filter((p) => p.ns === ns);
  const containers = procs
    .filter((p): p is Process & { container: ContainerTag } => !!p.container && p.running)
    .sort((a, b) => Number(b.container.sandbox === true) - Number(a.container.sandbox === true));
  const pod = containers.find((p) => p.container.sandbox)?.container.pod;
  const listening = [
    ...ns.sockets.tcpListeners.map(
      (l) => `tcp ${l.addr === 0 ? '0.0.0.0' : formatIpv4(l.addr)}:${l.port}`,
    ),
    ...ns.sockets.udp.map((u) => `udp ${u.addr === 0 ? '0.0.0.0' : formatIpv4(u.addr)}:${u.port}`),
  ];
  return {
    id: ns.id,
    host: host.name,
    label: ns.label,
    kind: ns.isInit ? 'root' : name !== undefined ? 'named' : 'anonymous',
    devices: ns.devices.map(deviceView),
    routes: ns.fib.sorted(RT_TABLE_MAIN).map((r) => formatRoute(r)),
    localRoutes: ns.fib.sorted(RT_TABLE_LOCAL).map((r) => formatRoute(r)),
    neighbours: ns.neigh
      .list()
      .filter((e) => e.state !== 'NONE')
      .map(
        (e) =>
          `${formatIpv4(e.ip)} dev ${e.dev.name}${e.mac && e.state !== 'FAILED' && e.state !== 'INCOMPLETE' ? ` lladdr ${e.mac}` : ''} ${e.state}`,
      ),
    ipForward: ns.ipForward,
    processes: procs.map((p) => ({ pid: p.pid, comm: p.argv.join(' ') })),
    listening,
    containers: containers.map(({ pid, container: c }) => ({
      pid,
      name: c.name,
      ...(c.image !== undefined ? { image: c.image } : {}),
      sandbox: c.sandbox === true,
    })),
    ...(pod ? { pod } : {}),
  };
}

export function snapshot(world: World): TopologySnapshot {
  const hosts: HostView[] = [];
  const links: LinkView[] = [];
  for (const host of world.hosts.values()) {
    hosts.push({
      name: host.name,
      external: host.external,
      namespaces: host.namespaces.map(netnsView),
    });
    for (const ns of host.namespaces) {
      for (const d of ns.devices) {
        const peer = d.kind === 'veth' ? (d as Device & { peer?: Device }).peer : undefined;
        if (peer && d.uid < peer.uid) links.push({ kind: 'veth', a: d.uid, b: peer.uid });
        if (d.master) links.push({ kind: 'port', a: d.uid, b: d.master.uid });
        const seg =
          d.kind === 'ether'
            ? (d as Device & { medium?: { name: string } }).medium?.name
            : undefined;
        if (seg) links.push({ kind: 'wire', a: d.uid, segment: seg });
      }
    }
  }
  return { time: world.sched.now, hosts, segments: [...world.segments.keys()], links };
}
