/** `ip neigh`: show, add, replace, change, del, flush. */
import { formatIpv4, parseIpv4Loose, type Ipv4 } from '../../../net/ipv4';
import { parseMac } from '../../../net/mac';
import type { NudState } from '../../../linux/neigh';
import { neighAdd, neighDel } from '../../../linux/rtnl';
import type { IpCtx } from './common';
import { IpExit, matches, rtnlFailure } from './common';

export function ipNeigh(c: IpCtx, args: string[]): void {
  const cmd = args[0];
  if (cmd === undefined || matches(cmd, 'show') || matches(cmd, 'list') || matches(cmd, 'lst'))
    return neighShow(c, args.slice(1));
  if (matches(cmd, 'add')) return neighModify(c, args.slice(1), 'add');
  if (matches(cmd, 'replace')) return neighModify(c, args.slice(1), 'replace');
  if (matches(cmd, 'change')) return neighModify(c, args.slice(1), 'change');
  if (matches(cmd, 'delete')) return neighModify(c, args.slice(1), 'del');
  if (matches(cmd, 'flush')) return neighFlush(c, args.slice(1));
  throw new IpExit(255, `Command "${cmd}" is unknown, try "ip neigh help".\n`);
}

const NUD_NAMES: Record<string, NudState> = {
  permanent: 'PERMANENT',
  reachable: 'REACHABLE',
  stale: 'STALE',
  delay: 'DELAY',
  probe: 'PROBE',
  failed: 'FAILED',
  incomplete: 'INCOMPLETE',
  noarp: 'NOARP',
  none: 'NONE',
};

function neighShow(c: IpCtx, args: string[]): void {
  let devName: string | undefined;
  let to: Ipv4 | undefined;
  let nud: NudState | 'all' | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === 'dev') devName = args[++i];
    else if (a === 'nud') {
      const v = args[++i] ?? '';
      nud = v === 'all' ? 'all' : NUD_NAMES[v];
      if (nud === undefined)
        throw new IpExit(1, `Error: argument "${v}" is wrong: nud state is bad\n`);
    } else if (a === 'to') to = parseIpv4Loose(args[++i] ?? '');
    else if (a === 'proxy' || a === 'unused' || a === 'vrf') continue;
    else to = parseIpv4Loose(a);
  }
  const dev = devName !== undefined ? c.dev(devName) : undefined;
  const doomed = c.ns.neigh
    .list()
    .filter((e) => (!dev || e.dev === dev) && e.state !== 'PERMANENT' && e.state !== 'NOARP');
  if (doomed.length) c.flushAdmin(1);
  for (const e of c.ns.neigh.list()) {
    if (dev && e.dev !== dev) continue;
    if (to !== undefined && e.ip !== to) continue;
    if (e.state === 'NONE') continue;
    if (nud === undefined && e.state === 'NOARP') continue;
    if (nud !== undefined && nud !== 'all' && e.state !== nud) continue;
    const parts = [formatIpv4(e.ip)];
    if (!dev) parts.push(`dev ${e.dev.name}`);
    if (e.mac && e.state !== 'INCOMPLETE' && e.state !== 'FAILED') parts.push(`lladdr ${e.mac}`);
    if (e.router) parts.push('router');
    if (c.opts.stats > 0) {
      const now = c.ns.world.sched.now;
      const secs = (t: number) => Math.max(0, Math.floor((now - t) / 1e9));
      parts.push(`used ${secs(e.used)}/${secs(e.confirmed)}/${secs(e.updated)} probes ${e.probes}`);
    }
    if (e.proto) parts.push(`proto ${e.proto}`);
    parts.push(e.state);
    c.print(`${parts.join(' ')} `);
  }
}

function neighModify(c: IpCtx, args: string[], mode: 'add' | 'replace' | 'change' | 'del'): void {
  let ip: Ipv4 | undefined;
  let devName: string | undefined;
  let lladdr: string | undefined;
  let state: NudState = 'PERMANENT';
  let proto: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === 'dev') devName = args[++i];
    else if (a === 'lladdr') lladdr = args[++i];
    else if (a === 'nud') {
      const v = args[++i] ?? '';
      const s = NUD_NAMES[v];
      if (!s) throw new IpExit(1, `Error: argument "${v}" is wrong: nud state is bad\n`);
      state = s;
    } else if (a === 'proto') proto = args[++i];
    else if (a === 'router' || a === 'extern_learn' || a === 'proxy') continue;
    else {
      const w = a === 'to' ? args[++i] : a;
      const p = parseIpv4Loose(w ?? '');
      if (p === undefined)
        throw new IpExit(1, `Error: any valid address is expected rather than "${w}".\n`);
      ip = p;
    }
  }
  if (devName === undefined)
    throw new IpExit(1, 'Device and destination are required arguments.\n');
  if (ip === undefined) throw new IpExit(1, 'Device and destination are required arguments.\n');
  const dev = c.dev(devName);
  c.admin();
  if (mode === 'del') {
    const r = neighDel(c.ns, dev, ip);
    if (!r.ok) throw rtnlFailure(r);
    return;
  }
  const mac = lladdr !== undefined ? parseMac(lladdr) : undefined;
  if (lladdr !== undefined && mac === undefined)
    throw new IpExit(1, `"${lladdr}" is invalid lladdr.\n`);
  const r = neighAdd(c.ns, dev, ip, mac, state, mode, proto);
  if (!r.ok) throw rtnlFailure(r);
}

function neighFlush(c: IpCtx, args: string[]): void {
  let devName: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === 'dev') devName = args[++i];
    else if (a === 'all') continue;
    else devName ??= a;
  }
  if (args.length === 0) throw new IpExit(1, 'Flush requires arguments.\n');
  const dev = devName !== undefined ? c.dev(devName) : undefined;
  for (const e of c.ns.neigh.list()) {
    if (dev && e.dev !== dev) continue;
    if (e.state === 'PERMANENT' || e.state === 'NOARP') continue;
    c.ns.neigh.remove(e);
  }
}
