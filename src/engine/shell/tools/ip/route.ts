/** `ip route`: show, get, add, del, replace, append, change, flush. */
import { type Ipv4, formatIpv4, parseIpv4Loose } from '../../../net/ipv4';
import {
  RT_TABLE_DEFAULT,
  RT_TABLE_LOCAL,
  RT_TABLE_MAIN,
  type Route,
  type RouteType,
  SCOPE,
  formatRoute,
} from '../../../linux/fib';
import { ipRouteOutput, isOutputError } from '../../../linux/route';
import { type RouteSpec, routeAdd, routeDel } from '../../../linux/rtnl';
import type { IpCtx } from './common';
import { IpExit, matches, rtnlFailure } from './common';
import { parsePrefix } from './addr';

const ROUTE_TYPES: RouteType[] = [
  'unicast',
  'local',
  'broadcast',
  'multicast',
  'throw',
  'unreachable',
  'prohibit',
  'blackhole',
  'anycast',
];

export function ipRoute(c: IpCtx, args: string[]): void {
  const cmd = args[0];
  if (cmd === undefined || matches(cmd, 'show') || matches(cmd, 'list') || matches(cmd, 'lst'))
    return routeShow(c, args.slice(1));
  if (matches(cmd, 'get')) return routeGet(c, args.slice(1));
  if (matches(cmd, 'add')) return routeModify(c, args.slice(1), 'add');
  if (matches(cmd, 'delete')) return routeModify(c, args.slice(1), 'del');
  if (matches(cmd, 'replace')) return routeModify(c, args.slice(1), 'replace');
  if (matches(cmd, 'append')) return routeModify(c, args.slice(1), 'append');
  if (matches(cmd, 'change')) return routeModify(c, args.slice(1), 'change');
  if (matches(cmd, 'flush')) return routeFlush(c, args.slice(1));
  throw new IpExit(255, `Command "${cmd}" is unknown, try "ip route help".\n`);
}

function parseTable(v: string | undefined): number | 'all' {
  if (v === 'all') return 'all';
  if (v === 'main') return RT_TABLE_MAIN;
  if (v === 'local') return RT_TABLE_LOCAL;
  if (v === 'default') return RT_TABLE_DEFAULT;
  if (v !== undefined && /^[0-9]+$/.test(v)) return Number(v);
  throw new IpExit(1, `Error: argument "${v}" is wrong: "table" value is invalid\n\n`);
}

function parseAddr(v: string | undefined): Ipv4 {
  const a = v === undefined ? undefined : parseIpv4Loose(v);
  if (a === undefined)
    throw new IpExit(1, `Error: any valid address is expected rather than "${v}".\n`);
  return a;
}

function parseScope(v: string | undefined): number {
  if (v === 'global' || v === 'universe') return SCOPE.global;
  if (v === 'link') return SCOPE.link;
  if (v === 'host') return SCOPE.host;
  if (v === 'site') return SCOPE.site;
  if (v === 'nowhere') return SCOPE.nowhere;
  if (v !== undefined && /^[0-9]+$/.test(v)) return Number(v);
  throw new IpExit(1, `Error: argument "${v}" is wrong: invalid "scope" value\n`);
}

interface Parsed {
  spec: Partial<RouteSpec>;
  table?: number | 'all';
  typeGiven: boolean;
}

function parseSpec(c: IpCtx, args: string[], forShow: boolean): Parsed {
  const spec: Partial<RouteSpec> = {};
  let table: number | 'all' | undefined;
  let typeGiven = false;
  let i = 0;
  const next = () => {
    const v = args[++i];
    if (v === undefined) throw new IpExit(1, 'Command line is not complete. Try option "help"\n');
    return v;
  };
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (a === 'via') spec.gateway = parseAddr(next());
    else if (a === 'dev' || a === 'oif') spec.dev = c.dev(next());
    else if (a === 'table') table = parseTable(next());
    else if (a === 'proto' || a === 'protocol') spec.proto = next();
    else if (a === 'scope') spec.scope = parseScope(next());
    else if (a === 'src') spec.prefsrc = parseAddr(next());
    else if (a === 'metric' || a === 'priority' || a === 'preference') {
      const v = next();
      if (!/^[0-9]+$/.test(v))
        throw new IpExit(1, `Error: argument "${v}" is wrong: "metric" value is invalid\n\n`);
      spec.metric = Number(v);
    } else if (a === 'onlink') spec.onlink = true;
    else if (a === 'mtu' || a === 'advmss' || a === 'realm' || a === 'weight') next();
    else if (a === 'root' || a === 'match' || a === 'exact') {
      if (forShow) spec.dst = parsePrefix(next()).cidr;
    } else {
      let word = a;
      if (word === 'to') word = next();
      if (ROUTE_TYPES.includes(word as RouteType) && (args[i + 1] !== undefined || forShow)) {
        spec.type = word as RouteType;
        typeGiven = true;
        if (forShow && args[i + 1] === undefined) continue;
        word = next();
      }
      if (spec.dst !== undefined)
        throw new IpExit(1, `Error: either "to" is duplicate, or "${word}" is a garbage.\n`);
      spec.dst =
        word === 'default' || word === 'all' || word === 'any'
          ? { addr: 0 as Ipv4, len: 0 }
          : parsePrefix(word).cidr;
    }
  }
  return { spec, table, typeGiven };
}

function routeShow(c: IpCtx, args: string[]): void {
  const { spec, table } = parseSpec(c, args, true);
  // print_route leaves out what the filter pinned down (filter.*mask == -1).
  const omit = {
    dev: spec.dev !== undefined,
    proto: spec.proto !== undefined && spec.proto !== 'all',
    scope: spec.scope !== undefined,
    metric: spec.metric !== undefined,
    via: spec.gateway !== undefined,
  };
  const tables =
    table === 'all'
      ? [...c.ns.fib.tables.keys()].sort((a, b) =>
          a === RT_TABLE_MAIN ? -1 : b === RT_TABLE_MAIN ? 1 : b - a,
        )
      : [table ?? RT_TABLE_MAIN];
  for (const t of tables) {
    if (!c.ns.fib.hasTable(t))
      throw new IpExit(2, 'Error: ipv4: FIB table does not exist.\nDump terminated\n');
    for (const r of c.ns.fib.sorted(t)) {
      if (!matchesFilter(r, spec)) continue;
      // iproute2 ends every route line with a space.
      c.print(`${formatRoute(r, { withTable: table === 'all', omit })} `);
    }
  }
}

function matchesFilter(r: Route, f: Partial<RouteSpec>): boolean {
  if (f.dev && r.dev !== f.dev) return false;
  if (f.proto && f.proto !== 'all' && r.proto !== f.proto) return false;
  if (f.scope !== undefined && r.scope !== f.scope) return false;
  if (f.type && r.type !== f.type) return false;
  if (f.gateway !== undefined && r.gateway !== f.gateway) return false;
  if (f.dst && (r.dst.addr !== f.dst.addr || r.dst.len !== f.dst.len)) return false;
  return true;
}

function routeModify(
  c: IpCtx,
  args: string[],
  mode: 'add' | 'del' | 'replace' | 'append' | 'change',
): void {
  const { spec, table } = parseSpec(c, args, false);
  if (spec.dst === undefined)
    throw new IpExit(1, 'Not enough information: "to" argument is required.\n');
  if (table === 'all')
    throw new IpExit(1, 'Error: argument "all" is wrong: "table" value is invalid\n\n');
  c.admin();
  if (mode === 'del') {
    const r = routeDel(c.ns, { ...spec, dst: spec.dst, table });
    if (!r.ok) throw rtnlFailure(r);
    return;
  }
  const r = routeAdd(c.ns, { ...spec, dst: spec.dst, table }, mode);
  if (!r.ok) throw rtnlFailure(r);
}

function routeFlush(c: IpCtx, args: string[]): void {
  const { spec, table } = parseSpec(c, args, true);
  if (args.length === 0) throw new IpExit(1, '"ip route flush" requires arguments.\n');
  const t = table === 'all' || table === undefined ? RT_TABLE_MAIN : table;
  const doomed = (r: Parameters<typeof matchesFilter>[0]) =>
    r.table === t && matchesFilter(r, spec);
  if (c.ns.fib.table(t).some(doomed)) c.flushAdmin(2);
  c.ns.fib.remove(doomed);
}

function routeGet(c: IpCtx, args: string[]): void {
  let dst: Ipv4 | undefined;
  let from: Ipv4 | undefined;
  let oif: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === 'from') from = parseAddr(args[++i]);
    else if (a === 'oif' || a === 'dev') oif = args[++i];
    else if (
      a === 'iif' ||
      a === 'mark' ||
      a === 'tos' ||
      a === 'uid' ||
      a === 'ipproto' ||
      a === 'sport' ||
      a === 'dport'
    )
      i++;
    else if (a === 'connected' || a === 'fibmatch') continue;
    else {
      const w = a === 'to' ? args[++i] : a;
      if (dst !== undefined)
        throw new IpExit(1, `Error: either "to" is duplicate, or "${w}" is a garbage.\n`);
      const p = parsePrefix(w ?? '');
      dst = p.cidr.addr;
    }
  }
  if (dst === undefined) throw new IpExit(1, 'need at least a destination address\n');
  const rt = ipRouteOutput(c.ns, dst, {
    src: from,
    oif: oif !== undefined ? c.dev(oif) : undefined,
  });
  if (isOutputError(rt)) {
    const text = {
      ENETUNREACH: 'Network is unreachable',
      EHOSTUNREACH: 'No route to host',
      EINVAL: 'Invalid argument',
      EACCES: 'Permission denied',
    }[rt.errno];
    throw new IpExit(2, `RTNETLINK answers: ${text}\n`);
  }
  const via = rt.gateway !== undefined ? ` via ${formatIpv4(rt.gateway)}` : '';
  const exception = c.ns.redirectExceptions.get(dst);
  if (rt.kind === 'local') {
    c.print(`local ${formatIpv4(dst)} dev lo src ${formatIpv4(rt.src)} uid 0 `);
    c.print('    cache <local> ');
    return;
  }
  if (rt.kind === 'broadcast') {
    c.print(`broadcast ${formatIpv4(dst)} dev ${rt.dev.name} src ${formatIpv4(rt.src)} uid 0 `);
    c.print('    cache <local,brd> ');
    return;
  }
  c.print(`${formatIpv4(dst)}${via} dev ${rt.dev.name} src ${formatIpv4(rt.src)} uid 0 `);
  c.print(exception ? '    cache <redirected> ' : '    cache ');
}
