/**
 * ipaddr_list_or_flush: BusyBox's listing of links and their addresses (`ip addr`, `ip link
 * show`) and `ip addr flush`. Its link lines carry no `state`, `mode` or `group`, a `qlen` only
 * when the queue has a length, and name the linked device (a veth's peer) by looking its index up
 * in the viewer's own namespace: `eth0@if4` when nothing here has index 4, else that device's
 * name (`eth0@eth0`), with M-DOWN unless the device found there is up.
 */
import { formatIpv4 } from '../../../net/ipv4';
import type { Device } from '../../../linux/device';
import { IpipDevice } from '../../../linux/ipip';
import { ADDR_LIFETIMES, type AddrEntry, addrEntries, ifFlags, iflink } from '../ip/format';
import {
  type BbIp,
  type Family,
  type InetPrefix,
  addrBytes,
  fnmatch,
  getPrefix,
  prefixMatch,
  scopeFilter,
} from './ipArgs';
import { indexInStrings } from './libbb';

/** What `ip addr show|flush` and `ip link show` were asked to select. */
interface Filter {
  family: Family;
  ifindex?: number;
  /** scope and scopemask: -1 compares the scope, 0 (scope all) does not. */
  scope: number;
  scopeMask: number;
  up: boolean;
  label?: string;
  pfx?: InetPrefix;
}

const SCOPE_IDS: Readonly<Record<AddrEntry['scope'], number>> = { global: 0, link: 253, host: 254 };

/** print_link_flags: the flag names, leftover flags in hex (PROMISC is 100), then M-DOWN. */
function flagsText(dev: Device, mdown: boolean): string {
  const f = ifFlags(dev);
  const names: string[] = [];
  if (f.loopback) names.push('LOOPBACK');
  if (f.broadcast) names.push('BROADCAST');
  if (f.pointopoint) names.push('POINTOPOINT');
  if (f.multicast) names.push('MULTICAST');
  if (f.noarp) names.push('NOARP');
  if (f.up) names.push('UP');
  if (f.lowerUp) names.push('LOWER_UP');
  const noCarrier = f.up && !f.lowerUp ? 'NO-CARRIER,' : '';
  return `<${noCarrier}${names.join(',')}${f.promisc ? '100' : ''}${mdown ? ',M-DOWN' : ''}> `;
}

/** "    link/TYPE ADDR brd|peer BRD", as ll_type_n2a and ll_addr_n2a print them. */
function linkAddrLine(dev: Device): string {
  if (dev instanceof IpipDevice) {
    const p = dev.parms;
    return `    link/ipip ${formatIpv4(p.local)} ${dev.pointopoint ? 'peer' : 'brd'} ${formatIpv4(p.remote)}`;
  }
  if (dev.kind === 'loopback') return `    link/loopback ${dev.mac} brd 00:00:00:00:00:00`;
  return `    link/ether ${dev.mac} brd ff:ff:ff:ff:ff:ff`;
}

/**
 * print_linkinfo for one link of a dump made for `dumpFamily`. The IPv6 link dump carries no
 * qdisc or master, and names the linked device only when its index differs from the link's own.
 */
function linkInfo(c: BbIp, dev: Device, dumpFamily: Family, f: Filter): string {
  const v6 = dumpFamily === 'inet6';
  const l = iflink(dev);
  let s = `${dev.ifindex}: ${dev.name}`;
  let mdown = false;
  if (l && (v6 ? l.index !== dev.ifindex : l.otherNs || l.index !== dev.ifindex)) {
    if (l.index === 0) s += '@NONE: ';
    else {
      s += `@${c.indexName(l.index)}: `;
      mdown = !c.ns.deviceByIndex(l.index)?.adminUp;
    }
  } else s += ': ';
  s += `${flagsText(dev, mdown)}mtu ${dev.mtu} `;
  if (!v6) s += `qdisc ${dev.qdisc()} `;
  if (!v6 && dev.master) s += `master ${c.indexName(dev.master.ifindex)} `;
  // print_queuelen: SIOCGIFTXQLEN, printed when not 0.
  if (dev.txqueuelen) s += `qlen ${dev.txqueuelen}`;
  if (f.family === 'unspec' || f.family === 'packet')
    s += `${c.oneline ? '\\' : '\n'}${linkAddrLine(dev)}`;
  return `${s}\n`;
}

const scopeOk = (f: Filter, a: AddrEntry) => !((f.scope ^ SCOPE_IDS[a.scope]) & f.scopeMask);
const pfxOk = (f: Filter, a: AddrEntry) =>
  !f.pfx ||
  f.pfx.family === 'unspec' ||
  prefixMatch(addrBytes(a.address), f.pfx.bytes, f.pfx.bitlen);
// IPv4 addresses carry a label; for IPv6 ones the device's name stands in.
const labelOk = (f: Filter, d: Device, a: AddrEntry) =>
  f.label === undefined || fnmatch(f.label, a.label ?? d.name);

/** The checks print_addrinfo makes of one address (the family is checked by its callers). */
function addrSelected(d: Device, a: AddrEntry, f: Filter): boolean {
  return (
    (f.ifindex === undefined || f.ifindex === d.ifindex) &&
    scopeOk(f, a) &&
    labelOk(f, d, a) &&
    pfxOk(f, a)
  );
}

/** The addresses of a device the address dump for `family` returns. */
function addrsOf(dev: Device, family: Family): AddrEntry[] {
  const any = family === 'unspec';
  return addrEntries(dev, { v4: any || family === 'inet', v6: any || family === 'inet6' });
}

/**
 * ipaddr_list_or_flush with `preferred` as the family (`ip link show` passes AF_PACKET). Returns
 * the exit status.
 */
export function listOrFlush(
  c: BbIp,
  args: readonly string[],
  flush: boolean,
  preferred: Family,
): number {
  const f: Filter = { family: preferred, scope: 0, scopeMask: 0, up: false };
  if (flush) {
    if (args.length === 0) c.die('flush requires an argument');
    if (f.family === 'packet') c.die("can't flush link addresses");
  }
  let filterDev: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const key = indexInStrings(['to', 'scope', 'up', 'label', 'dev'], a);
    if (key === 0) {
      f.pfx = getPrefix(c, c.next(args, i++), f.family);
      if (f.family === 'unspec') f.family = f.pfx.family;
    } else if (key === 1) {
      Object.assign(f, scopeFilter(c, c.next(args, i++)));
    } else if (key === 2) f.up = true;
    else if (key === 3) f.label = c.next(args, i++);
    else {
      const v = key === 4 ? c.next(args, i++) : a;
      if (filterDev !== undefined) c.duparg2('dev', v);
      filterDev = v;
    }
  }
  if (filterDev !== undefined) f.ifindex = c.dev(filterDev).ifindex;
  const devs = c.ns.devices;

  if (flush) {
    // One RTM_DELADDR per selected address: the first one sent meets EPERM.
    const doomed = devs.some((d) => addrsOf(d, f.family).some((a) => addrSelected(d, a, f)));
    return doomed ? c.refuseFlush() : 0;
  }

  let links = devs;
  if (f.family !== 'unspec' && f.family !== 'packet') {
    // With a family (-4, -6, or one "to" implied), links without such an address are left out.
    links = links.filter((d) =>
      addrsOf(d, f.family).some((a) => scopeOk(f, a) && pfxOk(f, a) && labelOk(f, d, a)),
    );
  }
  const sl = c.oneline ? '\\' : '\n';
  for (const d of links) {
    // print_linkinfo skips links the filter rejects but returns 0 all the same, so their
    // addresses are listed anyway (under the previous link's header, for `up`).
    if (!(c.oneline && f.family !== 'packet')) {
      const shown =
        (f.ifindex === undefined || f.ifindex === d.ifindex) &&
        (!f.up || d.adminUp) &&
        (f.label === undefined ||
          (f.family !== 'unspec' && f.family !== 'packet') ||
          fnmatch(f.label, d.name));
      if (shown) c.print(linkInfo(c, d, preferred, f));
    }
    if (f.family === 'packet') continue;
    for (const a of addrsOf(d, f.family)) {
      if (!addrSelected(d, a, f)) continue;
      c.print(`${c.oneline ? `${d.ifindex}: ${d.name}` : ''}${a.line}${sl}${ADDR_LIFETIMES}\n`);
    }
  }
  return 0;
}
