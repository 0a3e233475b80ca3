/**
 * How iproute2 6.1.0 prints links and addresses (`ip link`, `ip addr`, their -br forms).
 */
import { type Ipv4, IPV4_ANY, formatIpv4 } from '../../../net/ipv4';
import { linkLocalFromMac } from '../../../net/mac';
import type { Bridge } from '../../../linux/bridge';
import type { Device, IfAddr } from '../../../linux/device';
import type { NetNs } from '../../../linux/netns';
import type { VxlanDevice } from '../../../linux/vxlan';
import { IpipDevice } from '../../../linux/ipip';

/** The peer device of a veth, if any. */
export function peerOf(dev: Device): Device | undefined {
  return dev.kind === 'veth' ? (dev as Device & { peer?: Device }).peer : undefined;
}

/** The interface flags dev_get_flags reports for a device (IFF_RUNNING as `lowerUp`). */
export interface IfFlags {
  readonly up: boolean;
  /** Up with carrier: IFF_RUNNING and IFF_LOWER_UP. */
  readonly lowerUp: boolean;
  readonly loopback: boolean;
  readonly broadcast: boolean;
  readonly pointopoint: boolean;
  readonly multicast: boolean;
  readonly noarp: boolean;
  readonly promisc: boolean;
}

export function ifFlags(dev: Device): IfFlags {
  const loopback = dev.kind === 'loopback';
  // ipip_tunnel_setup sets IFF_NOARP alone; binding to a remote adds IFF_POINTOPOINT.
  const ipip = dev instanceof IpipDevice;
  return {
    up: dev.adminUp,
    lowerUp: dev.adminUp && dev.hasCarrier(),
    loopback,
    broadcast: !ipip && !loopback,
    pointopoint: ipip && dev.pointopoint,
    multicast: !ipip && !loopback,
    noarp: dev.noarp && !loopback,
    promisc: dev.promiscCount > 0,
  };
}

/** The `<…>` flag list, in print_link_flags order. */
export function linkFlags(dev: Device): string {
  const fl = ifFlags(dev);
  const f: string[] = [];
  if (fl.up && !fl.lowerUp) f.push('NO-CARRIER');
  if (fl.loopback) f.push('LOOPBACK');
  if (fl.broadcast) f.push('BROADCAST');
  if (fl.pointopoint) f.push('POINTOPOINT');
  if (fl.multicast) f.push('MULTICAST');
  if (fl.noarp) f.push('NOARP');
  if (fl.promisc) f.push('PROMISC');
  if (fl.up) f.push('UP');
  if (fl.lowerUp) f.push('LOWER_UP');
  // M-DOWN: the linked device (a veth peer in the same namespace) is down.
  const peer = peerOf(dev);
  if (peer && peer.ns === dev.ns && !peer.adminUp) f.push('M-DOWN');
  return `<${f.join(',')}>`;
}

/** The index of a container NIC's peer on the machine outside (kind nodes), if any. */
function containerPeer(dev: Device): number | undefined {
  return dev.kind === 'ether'
    ? (dev as Device & { containerPeerIfindex?: number }).containerPeerIfindex
    : undefined;
}

/** "name" or "name@peer" / "name@ifN" as the first field shows it. */
export function linkName(dev: Device): string {
  const cp = containerPeer(dev);
  if (cp !== undefined) return `${dev.name}@if${cp}`;
  if (dev instanceof IpipDevice) {
    // IFLA_LINK is the underlay (parms.link), 0 ("NONE") when there is none.
    const l = dev.parms.link;
    return `${dev.name}@${l ? (l.ns === dev.ns ? l.name : `if${l.ifindex}`) : 'NONE'}`;
  }
  const peer = peerOf(dev);
  if (dev.kind === 'veth') {
    if (!peer) return `${dev.name}@NONE`;
    return peer.ns === dev.ns ? `${dev.name}@${peer.name}` : `${dev.name}@if${peer.ifindex}`;
  }
  return dev.name;
}

/**
 * IFLA_LINK as the kernel reports it for a device linked to another: a veth's peer, a container
 * NIC's peer on the machine outside, a tunnel's underlay (index 0: none). `otherNs`: that device
 * lives in another namespace, so the index means nothing here (rtnl_fill_ifinfo then always sends
 * it; the IPv6 link dump only when it differs from the device's own index). Undefined: the device
 * links to itself and neither sends it.
 */
export function iflink(dev: Device): { index: number; otherNs: boolean } | undefined {
  const cp = containerPeer(dev);
  if (cp !== undefined) return { index: cp, otherNs: true };
  if (dev instanceof IpipDevice) return { index: dev.parms.link?.ifindex ?? 0, otherNs: false };
  if (dev.kind !== 'veth') return undefined;
  const peer = peerOf(dev);
  return peer ? { index: peer.ifindex, otherNs: peer.ns !== dev.ns } : { index: 0, otherNs: false };
}

/** " link-netns NAME" or " link-netnsid N" for a veth whose peer lives elsewhere. */
export function linkNetns(viewer: NetNs, dev: Device): string {
  const peer = peerOf(dev);
  if (!peer || peer.ns === dev.ns) return '';
  const id = viewer.nsidAlloc(peer.ns);
  // iproute2 names the peer namespace when /var/run/netns has an entry whose id (as seen from
  // here) matches; it can only ask about namespaces on the same host.
  const host = viewer.host;
  for (const [name, ns] of host.named) {
    if (ns === peer.ns && viewer.nsidOf(ns) === id) return ` link-netns ${name}`;
  }
  return ` link-netnsid ${id}`;
}

export function linkHeader(dev: Device, forAddr: boolean): string {
  const master = dev.master ? ` master ${dev.master.name}` : '';
  const mode = forAddr ? '' : ' mode DEFAULT';
  // Docker creates its veths with txqueuelen 0; iproute2 then prints no qlen, but keeps the
  // space that would have preceded it (kernel 6.18, iproute2 6.1.0).
  const qlen = dev.txqueuelen > 0 ? ` qlen ${dev.txqueuelen}` : ' ';
  return `${dev.ifindex}: ${linkName(dev)}: ${linkFlags(dev)} mtu ${dev.mtu} qdisc ${dev.qdisc()}${master} state ${dev.operState()}${mode} group default${qlen}`;
}

export function linkLine(viewer: NetNs, dev: Device): string {
  if (dev.kind === 'loopback') return `    link/loopback ${dev.mac} brd 00:00:00:00:00:00`;
  if (dev instanceof IpipDevice) {
    // ARPHRD_TUNNEL: the "hardware" addresses are the tunnel's local and remote IPv4 addresses.
    const p = dev.parms;
    return `    link/ipip ${formatIpv4(p.local)} ${dev.pointopoint ? 'peer' : 'brd'} ${formatIpv4(p.remote)}`;
  }
  if (containerPeer(dev) !== undefined)
    return `    link/ether ${dev.mac} brd ff:ff:ff:ff:ff:ff link-netnsid 0`;
  return `    link/ether ${dev.mac} brd ff:ff:ff:ff:ff:ff${linkNetns(viewer, dev)}`;
}

/** Whether the IPv6 link-local address exists: the device is up and has had carrier. */
export function hasLinkLocal(dev: Device): boolean {
  return dev.kind !== 'loopback' && dev.adminUp && dev.hadCarrier && !dev.noarp;
}

/** One address as `ip addr` lists it. */
export interface AddrEntry {
  readonly family: 'inet' | 'inet6';
  readonly scope: IfAddr['scope'];
  /** The address itself, as text. */
  readonly address: string;
  readonly prefixLen: number;
  /** IFA_LABEL (IPv4 addresses only). */
  readonly label?: string;
  /** The `    inet …` line; the lifetimes line follows it. */
  readonly line: string;
}

/** The line after each address: the model's addresses never expire. */
export const ADDR_LIFETIMES = '       valid_lft forever preferred_lft forever';

/** A device's addresses, IPv4 first, then the IPv6 ones the kernel gave it. */
export function addrEntries(dev: Device, opts: { v4: boolean; v6: boolean }): AddrEntry[] {
  const out: AddrEntry[] = [];
  if (opts.v4) {
    for (const a of dev.addrs) {
      const brd = a.broadcast !== undefined ? ` brd ${formatIpv4(a.broadcast)}` : '';
      const sec = a.secondary ? ' secondary' : '';
      const noprefix = a.noprefixroute ? ' noprefixroute' : '';
      const address = formatIpv4(a.local);
      out.push({
        family: 'inet',
        scope: a.scope,
        address,
        prefixLen: a.prefixLen,
        label: a.label,
        line: `    inet ${address}/${a.prefixLen}${brd} scope ${a.scope}${sec}${noprefix} ${a.label}`,
      });
    }
  }
  if (opts.v6) {
    if (dev.kind === 'loopback' && dev.adminUp) {
      out.push({
        family: 'inet6',
        scope: 'host',
        address: '::1',
        prefixLen: 128,
        line: '    inet6 ::1/128 scope host ',
      });
    } else if (hasLinkLocal(dev)) {
      const address = linkLocalFromMac(dev.llMac ?? dev.mac);
      out.push({
        family: 'inet6',
        scope: 'link',
        address,
        prefixLen: 64,
        line: `    inet6 ${address}/64 scope link ${linkLocalTentative(dev) ? 'tentative ' : ''}`,
      });
    }
  }
  return out;
}

/** Without carrier, duplicate address detection cannot finish: the address stays tentative. */
export function linkLocalTentative(dev: Device): boolean {
  return !dev.hasCarrier() || dev.ns.world.sched.now < dev.dadDoneAt;
}

export function addrLines(dev: Device, opts: { v4: boolean; v6: boolean }): string[] {
  return addrEntries(dev, opts).flatMap((e) => [e.line, ADDR_LIFETIMES]);
}

export function briefLink(dev: Device): string {
  const addr = dev instanceof IpipDevice ? formatIpv4(dev.parms.local) : dev.mac;
  return `${linkName(dev).padEnd(16)} ${dev.operState().padEnd(14)} ${addr} ${linkFlags(dev)} `;
}

export function briefAddr(dev: Device, opts: { v4: boolean; v6: boolean }): string {
  const addrs: string[] = [];
  if (opts.v4) for (const a of dev.addrs) addrs.push(`${formatIpv4(a.local)}/${a.prefixLen}`);
  if (opts.v6) {
    if (dev.kind === 'loopback' && dev.adminUp) addrs.push('::1/128');
    else if (hasLinkLocal(dev)) addrs.push(`${linkLocalFromMac(dev.llMac ?? dev.mac)}/64`);
  }
  return `${linkName(dev).padEnd(16)} ${dev.operState().padEnd(14)} ${addrs.map((a) => `${a} `).join('')}`;
}

/**
 * The tail `ip -d link` adds to the link/ether line. Printed in full for VXLAN devices (checked
 * on kernel 6.18); the other kinds still print the shorter form the model began with.
 */
export function detailLinkTail(dev: Device): string {
  // IP tunnels made by ip_tunnel_newlink or as the fallback keep min_mtu and max_mtu at 0.
  if (dev.kind === 'ipip') return ` promiscuity ${dev.promiscCount}  allmulti 0 minmtu 0 maxmtu 0 `;
  if (dev.kind === 'veth' && !dev.master)
    return ` promiscuity ${dev.promiscCount}  allmulti 0 minmtu 68 maxmtu 65535 `;
  if (dev.kind !== 'vxlan') return '';
  return ` promiscuity ${dev.promiscCount}  allmulti 0 minmtu 68 maxmtu 65535 `;
}

/** ip/iplink_vxlan.c's vxlan_print_opt for an IPv4 VXLAN device (iproute2 6.1.0). */
function vxlanDetail(vx: VxlanDevice): string {
  const c = vx.cfg;
  let s = `    vxlan id ${c.vni} `;
  if (c.local !== undefined) s += `local ${formatIpv4(c.local)} `;
  if (c.lower) s += `dev ${c.lower.name} `;
  s += `srcport 0 0 dstport ${c.dstport} `;
  if (!c.learning) s += 'nolearning ';
  s += c.ttl ? `ttl ${c.ttl} ` : 'ttl auto ';
  s += `ageing ${c.ageing} udpcsum noudp6zerocsumtx noudp6zerocsumrx `;
  // The TSO limit comes from the lower device (a veth's 524280), else the default 65536.
  s += `addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size ${c.lower ? 524280 : 65536} tso_max_segs 65535 gro_max_size 65536 `;
  return s;
}

/** ip/link_iptnl.c's iptunnel_print_opt for an ipip device (iproute2 6.1.0). */
function ipipDetail(t: IpipDevice): string {
  const p = t.parms;
  const addr = (a: Ipv4) => (a === IPV4_ANY ? 'any' : formatIpv4(a));
  let s = `    ipip ${p.proto === 4 ? 'ipip' : 'any'} remote ${addr(p.remote)} local ${addr(p.local)} `;
  if (p.link) s += `dev ${p.link.name} `;
  s += p.ttl ? `ttl ${p.ttl} ` : 'ttl inherit ';
  if (p.tos) s += p.tos === 1 ? 'tos inherit ' : `tos 0x${p.tos.toString(16)} `;
  s += p.pmtudisc ? 'pmtudisc ' : 'nopmtudisc ';
  s +=
    'addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 65536 tso_max_segs 65535 gro_max_size 65536 ';
  return s;
}

/** `ip -d link` extra line for bridges and bridge ports (a useful subset). */
export function detailLines(dev: Device): string[] {
  const out: string[] = [];
  if (dev instanceof IpipDevice) out.push(ipipDetail(dev));
  if (dev.kind === 'vxlan') out.push(vxlanDetail(dev as VxlanDevice));
  // A veth that is no bridge port, as kernel 6.18 showed a Calico host end (cali…): veth_newlink
  // gives it one queue per possible CPU (2 on the reference machine) and a veth's TSO limit.
  if (dev.kind === 'veth' && !dev.master)
    out.push(
      '    veth addrgenmode eui64 numtxqueues 2 numrxqueues 2 gso_max_size 65536 gso_max_segs 65535 tso_max_size 524280 tso_max_segs 65535 gro_max_size 65536 ',
    );
  else if (dev.kind === 'veth') out.push('    veth ');
  if (dev.kind === 'bridge') {
    const br = dev as Bridge;
    out.push(
      `    bridge forward_delay 1500 hello_time 200 max_age 2000 ageing_time ${br.ageingTime / 1e7} stp_state ${br.stpState} priority 32768 vlan_filtering 0 vlan_protocol 802.1Q `,
    );
  }
  if (dev.kind === 'dummy') out.push('    dummy ');
  if (dev.master && dev.master.kind === 'bridge') {
    const br = dev.master as unknown as Bridge;
    const fl = br.portFlags.get(dev);
    out.push(
      `    bridge_slave state ${br.portState(dev)} priority 32 cost 2 hairpin ${fl?.hairpin ? 'on' : 'off'} guard off root_block off fastleave off learning ${fl?.learning === false ? 'off' : 'on'} flood ${fl?.flood === false ? 'off' : 'on'} `,
    );
  }
  return out;
}
