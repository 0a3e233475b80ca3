/** `ip addr`: show, add, del, flush. */
import { type Cidr, IPV4_ANY, broadcastOf, formatIpv4, parseIpv4Loose } from '../../../net/ipv4';
import { addrAdd, addrDel } from '../../../linux/rtnl';
import type { IfAddr } from '../../../linux/device';
import type { IpCtx } from './common';
import { IpExit, duplicateArg, matches, rtnlFailure } from './common';
import { addrLines, briefAddr, linkHeader, linkLine } from './format';

export function ipAddr(c: IpCtx, args: string[]): void {
  const cmd = args[0];
  if (cmd === undefined || matches(cmd, 'show') || matches(cmd, 'list') || matches(cmd, 'lst'))
    return addrShow(c, args.slice(1));
  if (matches(cmd, 'add') || matches(cmd, 'replace') || matches(cmd, 'change'))
    return addrModify(c, args.slice(1), cmd.startsWith('a') ? 'add' : 'replace');
  if (matches(cmd, 'delete')) return addrModify(c, args.slice(1), 'del');
  if (matches(cmd, 'flush')) return addrFlush(c, args.slice(1));
  throw new IpExit(255, `Command "${cmd}" is unknown, try "ip address help".\n`);
}

/** Parses "a.b.c.d[/len]" as iproute2's get_prefix does (loose address forms allowed). */
export function parsePrefix(text: string, what = 'any valid'): { cidr: Cidr; lenGiven: boolean } {
  const bad = () => new IpExit(1, `Error: ${what} prefix is expected rather than "${text}".\n`);
  const slash = text.indexOf('/');
  const addr = parseIpv4Loose(slash < 0 ? text : text.slice(0, slash));
  if (addr === undefined) throw bad();
  if (slash < 0) return { cidr: { addr, len: 32 }, lenGiven: false };
  const l = text.slice(slash + 1);
  if (!/^[0-9]+$/.test(l) || Number(l) > 32) throw bad();
  return { cidr: { addr, len: Number(l) }, lenGiven: true };
}

function addrShow(c: IpCtx, args: string[]): void {
  let devName: string | undefined;
  let onlyUp = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === 'dev') devName = args[++i];
    else if (a === 'up') onlyUp = true;
    else if (a === 'scope' || a === 'label' || a === 'to') i++;
    else if (devName === undefined) devName = a;
    else throw duplicateArg('dev', a);
  }
  let devs = c.ns.devices;
  if (devName !== undefined) {
    const d = c.ns.device(devName);
    if (!d) throw new IpExit(1, `Device "${devName}" does not exist.\n`);
    devs = [d];
  }
  if (onlyUp) devs = devs.filter((d) => d.adminUp);
  const fam = { v4: c.opts.family !== 'inet6', v6: c.opts.family !== 'inet' };
  for (const d of devs) {
    if (c.opts.brief) {
      c.print(briefAddr(d, fam));
      continue;
    }
    const lines = addrLines(d, fam);
    // With -4 or -6, devices without an address of that family are left out.
    if (c.opts.family !== 'all' && lines.length === 0) continue;
    c.print(linkHeader(d, true));
    if (c.opts.family === 'all') c.print(linkLine(c.ns, d));
    for (const l of lines) c.print(l);
  }
}

function addrModify(c: IpCtx, args: string[], mode: 'add' | 'replace' | 'del'): void {
  let local: { cidr: Cidr; lenGiven: boolean } | undefined;
  let devName: string | undefined;
  let brd: string | undefined;
  let scope: IfAddr['scope'] | undefined;
  let label: string | undefined;
  let noprefixroute = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === 'dev') devName = args[++i];
    else if (matches(a, 'broadcast') || a === 'brd') brd = args[++i];
    else if (a === 'scope') {
      const s = args[++i];
      if (s !== 'global' && s !== 'link' && s !== 'host')
        throw new IpExit(1, `Error: argument "${s}" is wrong: invalid scope value.\n`);
      scope = s;
    } else if (a === 'label') label = args[++i];
    else if (a === 'noprefixroute') noprefixroute = true;
    else if (a === 'valid_lft' || a === 'preferred_lft' || a === 'metric') i++;
    else if (a === 'local') local = parsePrefix(args[++i] ?? '');
    else if (local === undefined) local = parsePrefix(a);
    else throw duplicateArg('local', a);
  }
  if (devName === undefined)
    throw new IpExit(1, 'Not enough information: "dev" argument is required.\n');
  if (local === undefined) {
    if (mode === 'del') throw new IpExit(2, 'RTNETLINK answers: Operation not supported\n');
    throw new IpExit(1, 'Not enough information: "local" argument is required.\n');
  }
  const dev = c.dev(devName);
  c.admin();
  if (mode === 'del') {
    const r = addrDel(dev, local.cidr, local.lenGiven);
    if (!r.ok) throw rtnlFailure(r);
    return;
  }
  let broadcast;
  if (brd === '+') broadcast = broadcastOf(local.cidr.addr, local.cidr.len);
  else if (brd === '-') broadcast = local.cidr.addr & 0 ? IPV4_ANY : undefined;
  else if (brd !== undefined) {
    broadcast = parseIpv4Loose(brd);
    if (broadcast === undefined)
      throw new IpExit(1, `Error: any valid address is expected rather than "${brd}".\n`);
  }
  if (mode === 'replace') {
    const existing = dev.addrs.find((a) => a.local === local!.cidr.addr);
    if (existing) addrDel(dev, { addr: existing.local, len: existing.prefixLen }, true);
  }
  const r = addrAdd(dev, local.cidr, { broadcast, scope, label, noprefixroute });
  if (!r.ok) throw rtnlFailure(r);
}

function addrFlush(c: IpCtx, args: string[]): void {
  let devName: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === 'dev') devName = args[++i];
    else if (devName === undefined) devName = a;
  }
  if (devName === undefined) throw new IpExit(1, 'Flush requires arguments.\n');
  const dev = c.dev(devName);
  if (dev.addrs.length) c.flushAdmin(255);
  for (const a of [...dev.addrs].reverse()) addrDel(dev, { addr: a.local, len: a.prefixLen }, true);
  void formatIpv4;
}
