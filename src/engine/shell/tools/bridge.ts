/** The `bridge` command of iproute2 6.1.0: link (show, set) and fdb (show, add, del). */
import { parseMac } from '../../net/mac';
import { Bridge } from '../../linux/bridge';
import type { Device } from '../../linux/device';
import type { NetNs } from '../../linux/netns';
import { VxlanDevice } from '../../linux/vxlan';
import { type Ipv4, parseIpv4 } from '../../net/ipv4';
import type { Tool } from '../tool';
import { linkFlags } from './ip/format';
import { fdbLines } from './bridgeFdb';
import { openNetns, IpExit, matches } from './ip/common';

const USAGE = `Usage: bridge [ OPTIONS ] OBJECT { COMMAND | help }
       bridge [ -force ] -batch filename
where  OBJECT := { link | fdb | mdb | vlan | vni | monitor }
       OPTIONS := { -V[ersion] | -s[tatistics] | -d[etails] |
                    -o[neline] | -t[imestamp] | -n[etns] name |
                    -com[pressvlans] -c[olor] -p[retty] -j[son] }
`;

export const bridge: Tool = (ctx) => {
  const { proc } = ctx;
  const args = ctx.argv.slice(1);
  let details = false;
  let stats = false;
  let ns: NetNs = proc.ns;
  const out: string[] = [];
  try {
    let i = 0;
    while (i < args.length && args[i]!.startsWith('-')) {
      const o = args[i]!.replace(/^--?/, '');
      if (matches(o, 'details')) details = true;
      else if (o === 'n' || matches(o, 'netns')) ns = openNetns(proc.host, args[++i] ?? '');
      else if (matches(o, 'statistics')) stats = true;
      else if (matches(o, 'color') || matches(o, 'oneline') || matches(o, 'compressvlans'))
        continue;
      else if (matches(o, 'Version')) {
        proc.write('bridge utility, 6.1.0\n');
        proc.exit(0);
        return;
      } else throw new IpExit(255, `Option "${args[i]}" is unknown, try "bridge help".\n`);
      i++;
    }
    const obj = args[i];
    const rest = args.slice(i + 1);
    if (obj === undefined) throw new IpExit(255, USAGE);
    if (matches(obj, 'link')) linkCmd(ns, rest, details, out);
    else if (matches(obj, 'fdb')) fdbCmd(ns, rest, out, stats);
    else if (matches(obj, 'help')) throw new IpExit(255, USAGE);
    else if (['mdb', 'vlan', 'vni', 'monitor'].some((o) => matches(obj, o)))
      throw new IpExit(2, `packet-life: "bridge ${obj}" is not modelled yet\n`);
    else throw new IpExit(255, `Object "${obj}" is unknown, try "bridge help".\n`);
    if (out.length) proc.write(`${out.join('\n')}\n`);
    proc.exit(0);
  } catch (e) {
    if (!(e instanceof IpExit)) throw e;
    if (out.length) proc.write(`${out.join('\n')}\n`);
    proc.writeErr(e.stderr);
    proc.exit(e.code);
  }
};

function dev(ns: NetNs, name: string | undefined): Device {
  const d = name === undefined ? undefined : ns.device(name);
  if (!d) throw new IpExit(1, `Cannot find device "${name}"\n`);
  return d;
}

/** "name@peer": bridge(8) resolves the IFLA_LINK index in its own namespace, right or wrong. */
function portName(ns: NetNs, d: Device): string {
  const peer = d.kind === 'veth' ? (d as Device & { peer?: Device }).peer : undefined;
  if (!peer) return d.name;
  if (peer.ns === ns) return `${d.name}@${peer.name}`;
  const local = ns.deviceByIndex(peer.ifindex);
  return local ? `${d.name}@${local.name}` : `${d.name}@if${peer.ifindex}`;
}

function linkCmd(ns: NetNs, args: string[], details: boolean, out: string[]): void {
  const cmd = args[0];
  if (cmd === undefined || matches(cmd, 'show') || matches(cmd, 'list')) {
    let only: Device | undefined;
    for (let i = 1; i < args.length; i++)
      if (args[i] === 'dev') {
        // iproute2 6.1 bridge/link.c returns -1: exit 255, not ip's 1.
        const name = args[++i];
        only = name === undefined ? undefined : ns.device(name);
        if (!only) throw new IpExit(255, `Cannot find device "${name}"\n`);
      }
    for (const d of ns.devices) {
      if (!(d.master instanceof Bridge)) continue;
      if (only && d !== only) continue;
      const br = d.master;
      out.push(
        `${d.ifindex}: ${portName(ns, d)}: ${linkFlags(d)} mtu ${d.mtu} master ${br.name} state ${br.portState(d)} priority 32 cost 2 `,
      );
      if (details) {
        const f = br.portFlags.get(d)!;
        out.push(
          `    hairpin ${f.hairpin ? 'on' : 'off'} guard off root_block off fastleave off learning ${f.learning ? 'on' : 'off'} flood ${f.flood ? 'on' : 'off'} mcast_flood on bcast_flood on mcast_router 1 mcast_to_unicast off neigh_suppress off vlan_tunnel off isolated off locked off `,
        );
      }
    }
    return;
  }
  if (matches(cmd, 'set')) {
    // As iproute2 6.1 (checked on the lab machine): every argument is parsed before the one
    // RTM_SETLINK, so a bad value changes nothing; a missing value is an incomplete command (255);
    // parse_on_off fails with -EINVAL (exit 234); the device is looked up only after parsing.
    let name: string | undefined;
    const sets: [string, boolean][] = [];
    for (let i = 1; i < args.length; i++) {
      const a = args[i]!;
      const v = args[++i];
      if (v === undefined)
        throw new IpExit(255, 'Command line is not complete. Try option "help"\n');
      if (a === 'dev') {
        name = v;
        continue;
      }
      if (a !== 'hairpin' && a !== 'learning' && a !== 'flood')
        throw new IpExit(255, `Unknown bridge link set parameter "${a}"\n`);
      if (v !== 'on' && v !== 'off')
        throw new IpExit(234, `Error: argument of "${a}" must be one of "off", "on", not "${v}"\n`);
      sets.push([a, v === 'on']);
    }
    if (name === undefined) throw new IpExit(255, 'Device is a required argument.\n');
    const d = ns.device(name);
    if (!d) throw new IpExit(255, `Cannot find bridge device "${name}"\n`);
    if (!(d.master instanceof Bridge))
      throw new IpExit(255, 'RTNETLINK answers: Operation not supported\n');
    const f = d.master.portFlags.get(d)!;
    for (const [k, on] of sets) {
      if (k === 'hairpin') f.hairpin = on;
      else if (k === 'learning') f.learning = on;
      else f.flood = on;
    }
    return;
  }
  throw new IpExit(255, `Command "${cmd}" is unknown, try "bridge link help".\n`);
}

function fdbCmd(ns: NetNs, args: string[], out: string[], stats: boolean): void {
  const cmd = args[0];
  if (cmd === undefined || matches(cmd, 'show') || matches(cmd, 'list')) {
    let br: Device | undefined;
    let only: Device | undefined;
    let dynamicOnly = false;
    for (let i = 1; i < args.length; i++) {
      if (args[i] === 'br') br = dev(ns, args[++i]);
      else if (args[i] === 'dev' || args[i] === 'brport') only = dev(ns, args[++i]);
      else if (args[i] === 'dynamic') dynamicOnly = true;
    }
    out.push(...fdbLines(ns, { br, only, dynamicOnly, stats }));
    return;
  }
  if (
    matches(cmd, 'add') ||
    matches(cmd, 'append') ||
    matches(cmd, 'replace') ||
    matches(cmd, 'delete')
  ) {
    const mac = parseMac(args[1] ?? '');
    if (!mac) throw new IpExit(255, `Invalid mac address ${args[1]}\n`);
    let d: Device | undefined;
    let toMaster = false;
    let userState: 'permanent' | 'static' | 'dynamic' = 'permanent';
    let dst: Ipv4 | undefined;
    for (let i = 2; i < args.length; i++) {
      const a = args[i]!;
      if (a === 'dev') d = dev(ns, args[++i]);
      else if (a === 'dst') {
        const v = args[++i] ?? '';
        dst = parseIpv4(v);
        if (dst === undefined)
          throw new IpExit(1, `Error: an inet prefix is expected rather than "${v}".\n`);
      } else if (a === 'master') toMaster = true;
      else if (a === 'self') toMaster = false;
      else if (a === 'permanent' || a === 'local') userState = 'permanent';
      else if (a === 'static' || a === 'dynamic') userState = a;
    }
    if (!d) throw new IpExit(255, 'Device and address are required arguments.\n');
    const deleting = matches(cmd, 'delete');
    if (!toMaster && d instanceof VxlanDevice) {
      // Checked on kernel 6.18: these failures exit 255.
      if (deleting) {
        if (d.fdbDel(mac, dst))
          throw new IpExit(255, 'RTNETLINK answers: No such file or directory\n');
        return;
      }
      if (dst === undefined) throw new IpExit(255, 'RTNETLINK answers: Invalid argument\n');
      const mode = matches(cmd, 'append') ? 'append' : matches(cmd, 'replace') ? 'replace' : 'add';
      if (d.fdbAdd(mac, dst, userState === 'static' ? 'static' : 'permanent', mode))
        throw new IpExit(255, 'RTNETLINK answers: File exists\n');
      return;
    }
    if (!toMaster) {
      // NTF_SELF: the device's own unicast filter list (ndo_dflt_fdb_add / _del).
      const at = d.ucList.indexOf(mac);
      if (deleting) {
        if (at < 0) throw new IpExit(2, 'RTNETLINK answers: No such file or directory\n');
        d.ucList.splice(at, 1);
      } else if (at >= 0) {
        if (matches(cmd, 'add')) throw new IpExit(2, 'RTNETLINK answers: File exists\n');
      } else d.ucList.push(mac);
      return;
    }
    const bridgeDev = d instanceof Bridge ? d : d.master instanceof Bridge ? d.master : undefined;
    if (!bridgeDev) throw new IpExit(2, 'RTNETLINK answers: Operation not supported\n');
    if (deleting) {
      const e = bridgeDev.fdb.get(mac);
      if (!e || e.port !== d) throw new IpExit(2, 'RTNETLINK answers: No such file or directory\n');
      bridgeDev.fdb.delete(mac);
      return;
    }
    if (bridgeDev.fdb.has(mac) && matches(cmd, 'add'))
      throw new IpExit(2, 'RTNETLINK answers: File exists\n');
    const now = ns.world.sched.now;
    bridgeDev.fdb.delete(mac);
    bridgeDev.fdb.set(mac, {
      mac,
      port: d,
      local: false,
      isStatic: userState !== 'dynamic',
      userState: userState === 'dynamic' ? undefined : userState,
      updated: now,
      used: now,
    });
    return;
  }
  throw new IpExit(255, `Command "${cmd}" is unknown, try "bridge fdb help".\n`);
}
