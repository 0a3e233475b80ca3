/** `ip link`: show, add (veth, bridge, dummy), set, delete. */
import { parseMac } from '../../../net/mac';
import type { Device } from '../../../linux/device';
import {
  linkAddBridge,
  linkAddDummy,
  linkAddVeth,
  linkAddVxlan,
  linkDel,
  linkSetMac,
  linkSetMaster,
  linkSetMtu,
  linkSetName,
  linkSetNetns,
  linkSetUp,
  validIfname,
  type RtnlResult,
} from '../../../linux/rtnl';
import type { NetNs } from '../../../linux/netns';
import { type IpipOptions, linkAddIpip } from '../../../linux/ipip';
import { IPV4_ANY, parseIpv4 } from '../../../net/ipv4';
import type { Ipv4 } from '../../../net/ipv4';
import type { IpCtx } from './common';
import { IpExit, duplicateArg, invalidArg, matches, openNetns, rtnlFailure } from './common';
import { briefLink, detailLinkTail, detailLines, linkHeader, linkLine } from './format';

export function ipLink(c: IpCtx, args: string[]): void {
  const cmd = args[0];
  if (cmd === undefined || matches(cmd, 'show') || matches(cmd, 'list') || matches(cmd, 'lst'))
    return linkShow(c, args.slice(1));
  if (matches(cmd, 'add')) return linkAdd(c, args.slice(1));
  if (matches(cmd, 'set') || matches(cmd, 'change')) return linkSet(c, args.slice(1));
  if (matches(cmd, 'delete')) return linkDelete(c, args.slice(1));
  if (matches(cmd, 'help')) throw new IpExit(255, LINK_USAGE);
  throw new IpExit(255, `Command "${cmd}" is unknown, try "ip link help".\n`);
}

export const LINK_USAGE = `Usage: ip link add [link DEV | parentdev NAME] [ name ] NAME
\t\t    [ txqueuelen PACKETS ]
\t\t    [ address LLADDR ]
\t\t    [ broadcast LLADDR ]
\t\t    [ mtu MTU ] [index IDX ]
\t\t    [ numtxqueues QUEUE_COUNT ]
\t\t    [ numrxqueues QUEUE_COUNT ]
\t\t    [ netns { PID | NAME } ]
\t\t    type TYPE [ ARGS ]

       ip link delete { DEVICE | dev DEVICE | group DEVGROUP } type TYPE [ ARGS ]

       ip link set { DEVICE | dev DEVICE | group DEVGROUP }
\t\t\t[ { up | down } ]
\t\t\t[ type TYPE ARGS ]
\t\t[ arp { on | off } ]
\t\t[ dynamic { on | off } ]
\t\t[ multicast { on | off } ]
\t\t[ allmulticast { on | off } ]
\t\t[ promisc { on | off } ]
\t\t[ trailers { on | off } ]
\t\t[ carrier { on | off } ]
\t\t[ txqueuelen PACKETS ]
\t\t[ name NEWNAME ]
\t\t[ address LLADDR ]
\t\t[ broadcast LLADDR ]
\t\t[ mtu MTU ]
\t\t[ netns { PID | NAME } ]
\t\t[ link-netns NAME | link-netnsid ID ]
\t\t[ alias NAME ]
\t\t[ master DEVICE ][ vrf NAME ]
\t\t[ nomaster ]

       ip link show [ DEVICE | group GROUP ] [up] [master DEV] [vrf NAME] [type TYPE]

       ip link help [ TYPE ]

TYPE := { amt | bareudp | bond | bond_slave | bridge | bridge_slave |
          dsa | dummy | erspan | geneve | gre | gretap | gtp | ifb |
          ip6erspan | ip6gre | ip6gretap | ip6tnl |
          ipip | ipoib | ipvlan | ipvtap |
          macsec | macvlan | macvtap |
          netdevsim | nlmon | rmnet | sit | team | team_slave |
          vcan | veth | vlan | vrf | vti | vxcan | vxlan | wwan |
          xfrm | virt_wifi }
`;

function linkShow(c: IpCtx, args: string[]): void {
  let devName: string | undefined;
  let onlyUp = false;
  let master: string | undefined;
  let type: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === 'dev') devName = args[++i];
    else if (a === 'up') onlyUp = true;
    else if (a === 'master') master = args[++i];
    else if (a === 'type') type = args[++i];
    else if (devName === undefined) devName = a;
    else throw duplicateArg('dev', a);
  }
  let devs: Device[] = c.ns.devices;
  if (devName !== undefined) {
    const d = c.ns.device(devName);
    if (!d) throw new IpExit(1, `Device "${devName}" does not exist.\n`);
    devs = [d];
  }
  if (onlyUp) devs = devs.filter((d) => d.adminUp);
  if (master !== undefined) {
    const m = c.dev(master);
    devs = devs.filter((d) => d.master === m);
  }
  if (type !== undefined)
    devs = devs.filter((d) => (d.kind === 'ether' ? 'ether' : d.kind) === type);
  for (const d of devs) {
    if (c.opts.brief) {
      c.print(briefLink(d));
      continue;
    }
    c.print(linkHeader(d, false));
    c.print(c.opts.details ? linkLine(c.ns, d) + detailLinkTail(d) : linkLine(c.ns, d));
    if (c.opts.details) for (const l of detailLines(d)) c.print(l);
    if (c.opts.stats > 0) {
      c.print('    RX:  bytes packets errors dropped  missed   mcast           ');
      c.print(
        `    ${String(d.stats.rxBytes).padStart(10)} ${String(d.stats.rxPackets).padStart(7)}      0 ${String(d.stats.rxDropped).padStart(7)}       0       0 `,
      );
      c.print('    TX:  bytes packets errors dropped carrier collsns           ');
      c.print(
        `    ${String(d.stats.txBytes).padStart(10)} ${String(d.stats.txPackets).padStart(7)} ${String(d.stats.txErrors ?? 0).padStart(6)} ${String(d.stats.txDropped).padStart(7)} ${String(d.stats.txCarrierErrors ?? 0).padStart(7)} ${String(d.stats.collisions ?? 0).padStart(7)} `,
      );
    }
  }
}

interface LinkAttrs {
  name?: string;
  mac?: string;
  mtu?: number;
  netns?: NetNs;
  txqlen?: number;
}

/** Parses the attributes shared by `link add` and the veth peer spec; stops at `type`/unknown. */
function parseAttrs(
  c: IpCtx,
  args: string[],
  i: number,
  stopAt: string[],
): { attrs: LinkAttrs; i: number } {
  const attrs: LinkAttrs = {};
  while (i < args.length) {
    const a = args[i]!;
    if (stopAt.includes(a)) break;
    if (a === 'name') {
      attrs.name = args[++i];
    } else if (matches(a, 'address')) {
      attrs.mac = args[++i];
    } else if (a === 'mtu') {
      const v = args[++i] ?? '';
      if (!/^[0-9]+$/.test(v)) throw invalidArg(v, 'Invalid "mtu" value\n');
      attrs.mtu = Number(v);
    } else if (a === 'txqueuelen' || a === 'qlen' || a === 'txqlen') {
      attrs.txqlen = Number(args[++i]);
    } else if (a === 'netns') {
      attrs.netns = openNetns(c.host, args[++i] ?? '');
    } else if (attrs.name === undefined && !a.startsWith('-')) {
      attrs.name = a;
    } else {
      throw new IpExit(1, `Error: either "dev" is duplicate, or "${a}" is a garbage.\n`);
    }
    i++;
  }
  return { attrs, i };
}

function checkName(name: string | undefined): void {
  if (name !== undefined && !validIfname(name)) throw invalidArg(name, '"name" not a valid ifname');
}

function checkMac(mac: string | undefined) {
  if (mac === undefined) return undefined;
  const m = parseMac(mac);
  if (!m) throw new IpExit(1, `"${mac}" is invalid lladdr.\n`);
  return m;
}

function linkAdd(c: IpCtx, args: string[]): void {
  const { attrs, i } = parseAttrs(c, args, 0, ['type']);
  if (args[i] !== 'type' || args[i + 1] === undefined) {
    if (attrs.name === undefined)
      throw new IpExit(1, 'Not enough information: "dev" argument is required.\n');
    throw new IpExit(2, 'RTNETLINK answers: Operation not supported\n');
  }
  const type = args[i + 1]!;
  checkName(attrs.name);
  const mac = checkMac(attrs.mac);
  const ns = attrs.netns ?? c.ns;
  const rest = args.slice(i + 2);
  c.admin();
  let created: Device | undefined;
  switch (type) {
    case 'veth': {
      let peer: LinkAttrs = {};
      if (rest.length > 0) {
        if (rest[0] !== 'peer')
          throw new IpExit(1, `Error: either "dev" is duplicate, or "${rest[0]}" is a garbage.\n`);
        peer = parseAttrs(c, rest, 1, []).attrs;
      }
      checkName(peer.name);
      const r = linkAddVeth(ns, attrs.name, peer.name, {
        peerNs: peer.netns ?? ns,
        mac,
        peerMac: checkMac(peer.mac),
        mtu: attrs.mtu,
      });
      if (!r.ok) throw rtnlFailure(r);
      created = r.value[0];
      break;
    }
    case 'bridge': {
      if (
        rest.length > 0 &&
        !['stp_state', 'ageing_time', 'forward_delay', 'vlan_filtering'].includes(rest[0]!)
      ) {
        throw new IpExit(1, `bridge: unknown command "${rest[0]}"?\n`);
      }
      const r = linkAddBridge(ns, attrs.name, mac);
      if (!r.ok) throw rtnlFailure(r);
      created = r.value;
      for (let k = 0; k + 1 < rest.length; k += 2) {
        if (rest[k] === 'stp_state') r.value.stpState = Number(rest[k + 1]);
        if (rest[k] === 'ageing_time') r.value.ageingTime = (Number(rest[k + 1]) * 1e7) as never;
      }
      break;
    }
    case 'dummy': {
      const r = linkAddDummy(ns, attrs.name, mac);
      if (!r.ok) throw rtnlFailure(r);
      created = r.value;
      break;
    }
    case 'vxlan': {
      const cfg = parseVxlan(c, ns, rest);
      const r = linkAddVxlan(ns, attrs.name, cfg, mac);
      if (!r.ok) throw rtnlFailure(r);
      created = r.value;
      break;
    }
    case 'ipip': {
      const r = linkAddIpip(ns, attrs.name, { ...parseIpip(ns, rest), mtu: attrs.mtu });
      if (!r.ok) throw rtnlFailure(r);
      created = r.value;
      break;
    }
    default:
      if (KNOWN_TYPES.includes(type))
        throw new IpExit(2, `packet-life: link type "${type}" is not modelled yet\n`);
      throw new IpExit(2, `Error: Unknown device type.\n`);
  }
  if (created && attrs.mtu !== undefined && type !== 'veth' && type !== 'ipip') {
    const m = linkSetMtu(created, attrs.mtu);
    if (!m.ok) throw rtnlFailure(m);
  }
  if (created && attrs.txqlen !== undefined) created.txqueuelen = attrs.txqlen;
}

/**
 * ip/iplink_vxlan.c's vxlan_parse_opt (iproute2 6.1.0), for the options Flannel and the
 * walkthroughs use; `dev` must exist in the namespace the device is created in.
 */
function parseVxlan(c: IpCtx, ns: NetNs, args: string[]) {
  let vni: number | undefined;
  let dstport: number | undefined;
  let local: Ipv4 | undefined;
  let lower: Device | undefined;
  let learning = true;
  let ttl = 0;
  let ageing = 300;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = () => {
      const v = args[++i];
      if (v === undefined)
        throw new IpExit(255, 'Command line is not complete. Try option "help"\n');
      return v;
    };
    if (a === 'id' || a === 'vni') {
      const v = next();
      if (!/^[0-9]+$/.test(v) || Number(v) >= 1 << 24) throw invalidArg(v, 'id');
      vni = Number(v);
    } else if (a === 'dstport') {
      const v = next();
      if (!/^[0-9]+$/.test(v) || Number(v) > 65535) throw invalidArg(v, 'dstport');
      dstport = Number(v);
    } else if (a === 'local') {
      const v = next();
      const ip = parseIpv4(v);
      if (ip === undefined) throw invalidArg(v, 'local');
      local = ip;
    } else if (a === 'dev') {
      const v = next();
      lower = ns.device(v);
      if (!lower) throw new IpExit(1, `Cannot find device "${v}"\n`);
    } else if (a === 'nolearning') learning = false;
    else if (a === 'learning') learning = true;
    else if (a === 'ttl' || a === 'hoplimit') {
      const v = next();
      if (v === 'auto') ttl = 0;
      else if (/^[0-9]+$/.test(v) && Number(v) <= 255) ttl = Number(v);
      else throw invalidArg(v, 'ttl');
    } else if (a === 'ageing') {
      const v = next();
      if (!/^[0-9]+$/.test(v)) throw invalidArg(v, 'ageing');
      ageing = Number(v);
    } else if (['udpcsum', 'noudp6zerocsumtx', 'noudp6zerocsumrx'].includes(a)) {
      // The defaults for IPv4: accepted and already in effect.
    } else {
      throw new IpExit(
        2,
        `packet-life: vxlan option "${a}" is not modelled (id, dev, dstport, local, [no]learning, ttl, ageing are)\n`,
      );
    }
  }
  if (vni === undefined) throw new IpExit(1, 'vxlan: missing virtual network identifier\n');
  if (dstport === undefined)
    c.printErr(
      "vxlan: destination port not specified\nWill use Linux kernel default (non-standard value)\nUse 'dstport 4789' to get the IANA assigned value\nUse 'dstport 0' to get default and quiet this message\n",
    );
  return {
    vni,
    // The kernel's default is the pre-IANA port Linux has always used.
    dstport: dstport === undefined || dstport === 0 ? 8472 : dstport,
    local,
    lower,
    learning,
    ttl,
    ageing,
  };
}

/** iptunnel_print_help for `ipip` (ip/link_iptnl.c, iproute2 6.1.0). */
const IPIP_USAGE = `Usage: ... ipip  \t[ remote ADDR ]
\t\t\t[ local ADDR ]
\t\t\t[ ttl TTL ]
\t\t\t[ tos TOS ]
\t\t\t[ [no]pmtudisc ]
\t\t\t[ 6rd-prefix ADDR ]
\t\t\t[ 6rd-relay_prefix ADDR ]
\t\t\t[ 6rd-reset ]
\t\t\t[ dev PHYS_DEV ]
\t\t\t[ fwmark MARK ]
\t\t\t[ external ]
\t\t\t[ noencap ]
\t\t\t[ encap { fou | gue | none } ]
\t\t\t[ encap-sport PORT ]
\t\t\t[ encap-dport PORT ]
\t\t\t[ [no]encap-csum ]
\t\t\t[ [no]encap-csum6 ]
\t\t\t[ [no]encap-remcsum ]
\t\t\t[ mode { ipip | mplsip | any } ]

Where:\tADDR := { IP_ADDRESS | any }
\tTOS  := { NUMBER | inherit }
\tTTL  := { 1..255 | inherit }
\tMARK := { 0x0..0xffffffff }
`;

/**
 * ip/link_iptnl.c's iptunnel_parse_opt (iproute2 6.1.0) for a new ipip link: pmtudisc is on
 * unless `nopmtudisc`, the protocol attribute is sent as 0 ("any") unless `mode ipip`. Its exits
 * are exit(-1), status 255, except a bad address (get_addr: 1).
 */
function parseIpip(ns: NetNs, args: string[]): IpipOptions {
  let remote: Ipv4 | undefined;
  let local: Ipv4 | undefined;
  let link: Device | undefined;
  let ttl = 0;
  let tos = 0;
  let pmtudisc = true;
  let proto: 0 | 4 = 0;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = () => {
      const v = args[++i];
      if (v === undefined)
        throw new IpExit(255, 'Command line is not complete. Try option "help"\n');
      return v;
    };
    const addr = (v: string): Ipv4 => {
      if (v === 'any' || v === 'all' || v === 'default') return IPV4_ANY;
      const ip = parseIpv4(v);
      if (ip === undefined)
        throw new IpExit(1, `Error: inet address is expected rather than "${v}".\n`);
      return ip;
    };
    if (a === 'mode') {
      const v = next();
      if (v === 'ipv4/ipv4' || v === 'ipip' || v === 'ip4ip4') proto = 4;
      else if (v === 'any/ipv4' || v === 'any') proto = 0;
      else if (v === 'mpls/ipv4' || v === 'mplsip')
        throw new IpExit(2, 'packet-life: mode mplsip (MPLS over IP) is not modelled\n');
      else throw new IpExit(255, `Error: argument "${v}" is wrong: Cannot guess tunnel mode.\n`);
    } else if (a === 'remote') remote = addr(next());
    else if (a === 'local') local = addr(next());
    else if (matches(a, 'dev')) {
      const v = next();
      link = ns.device(v);
      if (!link) throw new IpExit(255, `Cannot find device "${v}"\n`);
    } else if (a === 'ttl' || a === 'hoplimit' || a === 'hlim') {
      const v = next();
      if (v === 'inherit') ttl = 0;
      else if (/^(0x[0-9a-f]+|[0-9]+)$/i.test(v) && Number(v) <= 255) ttl = Number(v);
      else throw new IpExit(255, `Error: argument "${v}" is wrong: invalid TTL\n\n`);
    } else if (a === 'tos' || a === 'tclass' || a === 'tc' || matches(a, 'dsfield')) {
      const v = next();
      if (v === 'inherit') tos = 1;
      else if (/^(0x[0-9a-f]+|[0-9]+)$/i.test(v) && Number(v) <= 255) tos = Number(v);
      else throw new IpExit(255, `Error: argument "${v}" is wrong: bad TOS value\n`);
    } else if (a === 'nopmtudisc') pmtudisc = false;
    else if (a === 'pmtudisc') pmtudisc = true;
    else if (
      [
        'noencap',
        'encap',
        'encap-sport',
        'encap-dport',
        'encap-csum',
        'noencap-csum',
        'encap-udp6-csum',
        'noencap-udp6-csum',
        'encap-remcsum',
        'noencap-remcsum',
        'external',
        '6rd-prefix',
        '6rd-relay_prefix',
        '6rd-reset',
        'fwmark',
      ].includes(a)
    )
      throw new IpExit(
        2,
        `packet-life: ipip option "${a}" is not modelled (remote, local, dev, ttl, tos, [no]pmtudisc, mode are)\n`,
      );
    else throw new IpExit(255, IPIP_USAGE);
  }
  if (ttl && !pmtudisc) throw new IpExit(255, 'ttl != 0 and nopmtudisc are incompatible\n');
  return { remote, local, link, ttl, tos, pmtudisc, proto };
}

const KNOWN_TYPES = [
  'vxlan',
  'vlan',
  'macvlan',
  'ipvlan',
  'bond',
  'gre',
  'ipip',
  'sit',
  'vrf',
  'geneve',
  'wireguard',
  'ifb',
  'team',
  'vcan',
  'macvtap',
  'tun',
  'tap',
];

function linkSet(c: IpCtx, args: string[]): void {
  let devName: string | undefined;
  const ops: (() => void)[] = [];
  let i = 0;
  // Validate everything first (iproute2 parses before sending), then apply in order.
  const pending: { op: string; value?: string }[] = [];
  while (i < args.length) {
    const a = args[i]!;
    if (a === 'dev') {
      devName = args[++i];
    } else if (a === 'up' || a === 'down') {
      pending.push({ op: a });
    } else if (a === 'name') {
      pending.push({ op: 'name', value: args[++i] });
    } else if (matches(a, 'address')) {
      pending.push({ op: 'address', value: args[++i] });
    } else if (a === 'mtu') {
      pending.push({ op: 'mtu', value: args[++i] });
    } else if (a === 'master') {
      pending.push({ op: 'master', value: args[++i] });
    } else if (a === 'nomaster') {
      pending.push({ op: 'nomaster' });
    } else if (a === 'netns') {
      pending.push({ op: 'netns', value: args[++i] });
    } else if (a === 'promisc' || a === 'arp' || a === 'multicast' || a === 'allmulticast') {
      const v = args[++i];
      if (v !== 'on' && v !== 'off')
        throw new IpExit(1, `Error: argument of "${a}" must be "on" or "off", not "${v}"\n`);
      pending.push({ op: a, value: v });
    } else if (a === 'txqueuelen' || a === 'qlen' || a === 'txqlen') {
      pending.push({ op: 'txqlen', value: args[++i] });
    } else if (a === 'type') {
      break;
    } else if (devName === undefined) {
      devName = a;
    } else {
      throw duplicateArg('dev', a);
    }
    i++;
  }
  if (devName === undefined)
    throw new IpExit(1, 'Not enough of information: "dev" argument is required.\n');
  const dev = c.dev(devName);
  for (const p of pending) {
    if (p.value === undefined && !['up', 'down', 'nomaster'].includes(p.op))
      throw new IpExit(1, 'Command line is not complete. Try option "help"\n');
    switch (p.op) {
      case 'name':
        checkName(p.value);
        break;
      case 'address':
        checkMac(p.value);
        break;
      case 'mtu':
        if (!/^[0-9]+$/.test(p.value!)) throw invalidArg(p.value!, 'Invalid "mtu" value\n');
        break;
      case 'master':
        c.dev(p.value!);
        break;
      case 'netns':
        if (!/^[0-9]+$/.test(p.value!)) openNetns(c.host, p.value!);
        break;
    }
  }
  if (pending.length) c.admin();
  for (const p of pending) {
    ops.push(() => {
      let r: RtnlResult;
      switch (p.op) {
        case 'up':
        case 'down':
          r = linkSetUp(dev, p.op === 'up');
          break;
        case 'name':
          r = linkSetName(dev, p.value!);
          break;
        case 'address':
          r = linkSetMac(dev, checkMac(p.value)!);
          break;
        case 'mtu':
          r = linkSetMtu(dev, Number(p.value));
          break;
        case 'master':
          r = linkSetMaster(dev, c.dev(p.value!));
          break;
        case 'nomaster':
          r = linkSetMaster(dev, undefined);
          break;
        case 'netns': {
          const target = /^[0-9]+$/.test(p.value!)
            ? nsOfPid(c, Number(p.value))
            : openNetns(c.host, p.value!);
          r = linkSetNetns(dev, target);
          break;
        }
        case 'promisc':
          dev.promiscCount = p.value === 'on' ? Math.max(1, dev.promiscCount) : 0;
          r = { ok: true, value: undefined };
          break;
        case 'arp':
          dev.noarp = p.value === 'off';
          r = { ok: true, value: undefined };
          break;
        case 'txqlen':
          dev.txqueuelen = Number(p.value);
          r = { ok: true, value: undefined };
          break;
        default:
          r = { ok: true, value: undefined };
      }
      if (!r.ok) throw rtnlFailure(r as never);
    });
  }
  for (const op of ops) op();
}

function nsOfPid(c: IpCtx, pid: number): NetNs {
  const p = c.host.processes.get(pid);
  if (!p) throw new IpExit(2, 'RTNETLINK answers: No such process\n');
  return p.ns;
}

function linkDelete(c: IpCtx, args: string[]): void {
  let name: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === 'dev') name = args[++i];
    else if (a === 'type') i++;
    else if (name === undefined) name = a;
    else throw duplicateArg('dev', a);
  }
  if (name === undefined)
    throw new IpExit(1, 'Not enough information: "dev" argument is required.\n');
  const dev = c.dev(name);
  c.admin();
  const r = linkDel(dev);
  if (!r.ok) throw rtnlFailure(r);
}
