/** BusyBox's `ip route` (iproute.c): list and flush with their filters, get, and the refused changes. */
import { type Ipv4, formatIpv4 } from '../../../net/ipv4';
import { RT_TABLE_MAIN } from '../../../linux/fib';
import { ipRouteOutput, isOutputError } from '../../../linux/route';
import { STRERROR } from '../../../linux/socket';
import {
  type BbIp,
  type Family,
  type InetPrefix,
  getAddr,
  getPrefix,
  getUnsigned,
  protoId,
  routeTypeId,
  scopeFilter,
  scopeId,
  tableId,
} from './ipArgs';
import { indexInStrings, indexInSubstrings } from './libbb';
import {
  type RouteFilter,
  type RouteMsg,
  dumpRoutes,
  newRouteFilter,
  routeLine,
  routeSelected,
} from './ipRouteMsg';

/** do_iproute's commands: "a" alone is add, as the first match. */
const COMMANDS = [
  'a',
  'add',
  'append',
  'change',
  'chg',
  'delete',
  'get',
  'list',
  'show',
  'prepend',
  'replace',
  'test',
  'flush',
] as const;

export function ipRoute(c: BbIp, args: readonly string[]): number {
  if (args.length === 0) return listOrFlush(c, args, false);
  const cmd = COMMANDS[indexInSubstrings(COMMANDS, args[0]!)];
  const rest = args.slice(1);
  if (cmd === undefined) return c.invarg(args[0]!, 'ip');
  if (cmd === 'get') return routeGet(c, rest);
  if (cmd === 'list' || cmd === 'show') return listOrFlush(c, rest, false);
  if (cmd === 'flush') return listOrFlush(c, rest, true);
  return routeModify(c, rest);
}

/** iproute_list_or_flush's words, matched by index_in_substrings. */
const WORDS = [
  'protocol',
  'dev',
  'oif',
  'iif',
  'via',
  'table',
  'cache',
  'from',
  'to',
  'scope',
  'all',
  'root',
  'match',
  'exact',
  'main',
] as const;
type Word = (typeof WORDS)[number];
const word = (s: string): Word | undefined => WORDS[indexInSubstrings(WORDS, s)];

function listOrFlush(c: BbIp, args: readonly string[], flush: boolean): number {
  let family: Family = c.family;
  const f: RouteFilter = { ...newRouteFilter(), tb: RT_TABLE_MAIN };
  if (flush && args.length === 0) c.die('"ip route flush" requires an argument');
  let iif: string | undefined;
  let oif: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const w = word(args[i]!);
    const next = () => c.next(args, i++);
    if (w === 'protocol') {
      const v = next();
      if (protoId(v) === undefined && indexInStrings(WORDS, v) !== WORDS.indexOf('all'))
        c.invarg(v, 'protocol');
    } else if (w === 'dev' || w === 'oif') oif = next();
    else if (w === 'iif') iif = next();
    else if (w === 'via') f.rvia = getPrefix(c, next(), family);
    else if (w === 'table') {
      const v = next();
      const p = word(v);
      if (p === 'cache') f.tb = -1;
      else if (p === 'all') f.tb = 0;
      else if (p !== 'main') f.tb = tableId(v) ?? c.invarg(v, 'table');
    } else if (w === 'cache') f.tb = -1;
    else if (w === 'scope') {
      Object.assign(f, scopeFilter(c, next()));
    } else if (w === 'from') {
      const v = next();
      const p = word(v);
      if (p === 'root') f.rsrc = getPrefix(c, next(), family);
      else if (p === 'match') f.msrc = getPrefix(c, next(), family);
      else {
        f.msrc = getPrefix(c, p === 'exact' ? next() : v, family);
        f.rsrc = { ...f.msrc };
      }
    } else {
      // "to" is the default: [to] [root|match|exact] PREFIX.
      let v = args[i]!;
      let p: Word | undefined = w;
      if (p === 'to') {
        v = next();
        p = word(v);
      }
      if (p === 'root') f.rdst = getPrefix(c, next(), family);
      else if (p === 'match') f.mdst = getPrefix(c, next(), family);
      else {
        f.mdst = getPrefix(c, p === 'exact' ? next() : v, family);
        f.rdst = { ...f.mdst };
      }
    }
  }
  // A single table means IPv4 unless -6 said otherwise; "table all" dumps every family.
  if (family === 'unspec' && f.tb) family = 'inet';
  if (iif !== undefined) f.iif = c.dev(iif).ifindex;
  if (oif !== undefined) f.oif = c.dev(oif).ifindex;
  if (flush) {
    if (f.tb === -1) {
      // "flush cache": write -1 to /proc/sys/net/ipv4/route/flush (root may; a container's
      // /proc/sys is read-only), and for IPv4 that is all.
      if (family !== 'inet6' && c.procSysReadOnly)
        c.warn("can't open '/proc/sys/net/ipv4/route/flush': Read-only file system");
      if (family === 'inet') return 0;
    }
    return dumpRoutes(c.ns, family).some((r) => routeSelected(r, f)) ? c.refuseFlush() : 0;
  }
  for (const r of dumpRoutes(c.ns, family)) if (routeSelected(r, f)) c.print(routeLine(c, r, f));
  return 0;
}

/** iproute_modify's words, matched by index_in_substrings. */
const MODIFY_WORDS = [
  'src',
  'via',
  'mtu',
  'advmss',
  'scope',
  'protocol',
  'table',
  'dev',
  'oif',
  'to',
  'metric',
  'onlink',
] as const;

/** iproute_modify: every argument checked, the device looked up, then the kernel's refusal. */
function routeModify(c: BbIp, args: readonly string[]): number {
  let family: Family = c.family;
  const setFamily = (p: InetPrefix) => {
    if (family === 'unspec') family = p.family;
  };
  let dev: string | undefined;
  let dstGiven = false;
  for (let i = 0; i < args.length; i++) {
    const w = MODIFY_WORDS[indexInSubstrings(MODIFY_WORDS, args[i]!)];
    const next = () => c.next(args, i++);
    if (w === 'src' || w === 'via') setFamily(getAddr(c, next(), family));
    else if (w === 'mtu' || w === 'advmss') {
      let v = next();
      if (v === 'lock') v = next();
      getUnsigned(c, v, w);
    } else if (w === 'scope') {
      const v = next();
      if (scopeId(v) === undefined) c.invarg(v, 'scope');
    } else if (w === 'protocol') {
      const v = next();
      if (protoId(v) === undefined) c.invarg(v, 'protocol');
    } else if (w === 'table') {
      const v = next();
      if (tableId(v) === undefined) c.invarg(v, 'table');
    } else if (w === 'dev' || w === 'oif') dev = next();
    else if (w === 'metric') getUnsigned(c, next(), 'metric');
    else if (w === 'onlink') continue;
    else {
      let v = w === 'to' ? next() : args[i]!;
      // A leading type (not a number): blackhole, local, unreachable, …
      if (!/^[0-9]/.test(v) && routeTypeId(v) !== undefined) v = next();
      if (dstGiven) c.duparg2('to', v);
      setFamily(getPrefix(c, v, family));
      dstGiven = true;
    }
  }
  if (dev !== undefined) c.dev(dev);
  return c.refuseRtnl();
}

/** iproute_get: the kernel's answer for one destination, as print_route shows it. */
function routeGet(c: BbIp, args: readonly string[]): number {
  let family: Family = c.family;
  let dst: InetPrefix | undefined;
  let dstLen = 0;
  let src: InetPrefix | undefined;
  let fromGiven = false;
  let idev: string | undefined;
  let odev: string | undefined;
  let notify = false;
  let connected = false;
  const options = ['from', 'iif', 'oif', 'dev', 'notify', 'connected', 'to'];
  for (let i = 0; i < args.length; i++) {
    const k = indexInStrings(options, args[i]!);
    const next = () => c.next(args, i++);
    if (k === 0) {
      fromGiven = true;
      const p = getPrefix(c, next(), family);
      if (family === 'unspec') family = p.family;
      if (p.bytelen) src = p;
    } else if (k === 1) idev = next();
    else if (k === 2 || k === 3) odev = next();
    else if (k === 4) notify = true;
    else if (k === 5) connected = true;
    else {
      const p = getPrefix(c, k === 6 ? next() : args[i]!, family);
      if (family === 'unspec') family = p.family;
      if (p.bytelen) dst = p;
      dstLen = p.bitlen;
    }
  }
  if (dstLen === 0) c.die('need at least destination address');
  const oif = odev !== undefined ? c.dev(odev) : undefined;
  if (idev !== undefined) {
    c.dev(idev);
    // An input route from 0.0.0.0 is a martian source.
    if (!src) c.exit(2, 'ip: RTNETLINK answers: Invalid argument\n');
    c.exit(2, 'packet-life: BusyBox ip route get with iif (an input route) is not modelled\n');
  }
  if (family === 'inet6' || dst?.family === 'inet6' || src?.family === 'inet6')
    c.exit(2, 'packet-life: BusyBox ip route get for IPv6 is not modelled\n');
  const bytesToIpv4 = (p: InetPrefix | undefined) =>
    (p
      ? ((p.bytes[0]! << 24) | (p.bytes[1]! << 16) | (p.bytes[2]! << 8) | p.bytes[3]!) >>> 0
      : 0) as Ipv4;
  const ask = (daddr: Ipv4, saddr: Ipv4 | undefined) => {
    const rt = ipRouteOutput(c.ns, daddr, { src: saddr, oif });
    return isOutputError(rt) ? c.exit(2, `ip: RTNETLINK answers: ${STRERROR[rt.errno]}\n`) : rt;
  };
  const answer = (daddr: Ipv4, saddr: Ipv4 | undefined, rt: ReturnType<typeof ask>): RouteMsg => ({
    family: 'inet',
    table: RT_TABLE_MAIN,
    type: rt.kind,
    dst: formatIpv4(daddr),
    dstLen: 32,
    src: saddr !== undefined ? formatIpv4(saddr) : undefined,
    gateway: rt.gateway !== undefined ? formatIpv4(rt.gateway) : undefined,
    oif: rt.dev,
    scope: 0,
    // RTA_PREFSRC only when the source chosen is not the one asked for.
    prefsrc: rt.src !== saddr ? formatIpv4(rt.src) : undefined,
    cloned: true,
    notify,
  });
  const daddr = bytesToIpv4(dst);
  const saddr = src ? bytesToIpv4(src) : undefined;
  const f = newRouteFilter();
  const rt = ask(daddr, saddr);
  c.print(routeLine(c, answer(daddr, saddr, rt), f));
  if (connected && !fromGiven) {
    // Asked again from the source the kernel chose (a gateway or oif found is not sent back).
    c.print(routeLine(c, answer(daddr, rt.src, ask(daddr, rt.src)), f));
  }
  return 0;
}
