/**
 * The forwarding information base of one namespace: the local, main and default tables, the
 * routes the kernel derives from addresses, longest-prefix-match lookup and source selection.
 */
import {
  type Cidr,
  type Ipv4,
  cidrContains,
  formatIpv4,
  formatRouteDst,
  maskOf,
  networkOf,
} from '../net/ipv4';
import type { Device } from './device';

export const RT_TABLE_LOCAL = 255;
export const RT_TABLE_MAIN = 254;
export const RT_TABLE_DEFAULT = 253;

export type RouteType =
  | 'unicast'
  | 'local'
  | 'broadcast'
  | 'anycast'
  | 'multicast'
  | 'blackhole'
  | 'unreachable'
  | 'prohibit'
  | 'throw';

/** Route scopes as numbers, as the kernel compares them (smaller is wider). */
export const SCOPE = { global: 0, site: 200, link: 253, host: 254, nowhere: 255 } as const;
export type ScopeName = keyof typeof SCOPE;

export interface Route {
  readonly table: number;
  readonly type: RouteType;
  readonly dst: Cidr;
  readonly metric: number;
  /** rtm_protocol by name (kernel, boot, static, …) or number. */
  readonly proto: string;
  readonly scope: number;
  readonly prefsrc?: Ipv4;
  readonly gateway?: Ipv4;
  readonly dev?: Device;
  readonly onlink: boolean;
}

export function scopeName(scope: number): string {
  for (const [name, v] of Object.entries(SCOPE)) if (v === scope) return name;
  return String(scope);
}

export function tableName(t: number): string {
  return t === RT_TABLE_LOCAL
    ? 'local'
    : t === RT_TABLE_MAIN
      ? 'main'
      : t === RT_TABLE_DEFAULT
        ? 'default'
        : String(t);
}

/** The result of a FIB lookup. */
export interface FibResult {
  readonly route: Route;
  readonly table: number;
}

export class Fib {
  /** Tables by id; each keeps routes in insertion order (display sorts). */
  readonly tables = new Map<number, Route[]>();

  constructor() {
    // The local table comes into being with its first route (a fresh namespace has none).
    this.tables.set(RT_TABLE_MAIN, []);
  }

  hasTable(id: number): boolean {
    return this.tables.has(id);
  }

  table(id: number): Route[] {
    let t = this.tables.get(id);
    if (!t) {
      t = [];
      this.tables.set(id, t);
    }
    return t;
  }

  /** All routes of a table sorted as the kernel dumps them (by prefix, then length, then metric). */
  sorted(id: number): Route[] {
    return [...(this.tables.get(id) ?? [])].sort(compareRoutes);
  }

  insert(r: Route): void {
    this.table(r.table).push(r);
  }

  remove(pred: (r: Route) => boolean): Route[] {
    const removed: Route[] = [];
    for (const [id, routes] of this.tables) {
      const keep: Route[] = [];
      for (const r of routes) (pred(r) ? removed : keep).push(r);
      this.tables.set(id, keep);
    }
    return removed;
  }

  /** Removes routes matching `pred` from one table only. */
  removeFrom(id: number, pred: (r: Route) => boolean): void {
    const t = this.tables.get(id);
    if (t)
      this.tables.set(
        id,
        t.filter((r) => !pred(r)),
      );
  }

  /** Finds a route with the same key (table, dst, tos, metric), which `ip route add` refuses to duplicate. */
  findSameKey(r: Pick<Route, 'table' | 'dst' | 'metric'>): Route | undefined {
    return this.tables
      .get(r.table)
      ?.find((x) => x.dst.len === r.dst.len && x.dst.addr === r.dst.addr && x.metric === r.metric);
  }

  /**
   * fib_lookup: the local table first, then main, then default. Within a table the longest
   * prefix wins, then the lowest metric. Routes through a device that is down are not usable.
   */
  lookup(
    dst: Ipv4,
    opts: { oif?: Device; tables?: readonly number[] } = {},
  ): FibResult | undefined {
    const order = opts.tables ?? [RT_TABLE_LOCAL, RT_TABLE_MAIN, RT_TABLE_DEFAULT];
    for (const id of order) {
      const hit = this.lookupTable(id, dst, opts.oif);
      if (hit) return { route: hit, table: id };
    }
    return undefined;
  }

  lookupTable(id: number, dst: Ipv4, oif?: Device): Route | undefined {
    let best: Route | undefined;
    for (const r of this.tables.get(id) ?? []) {
      if (!cidrContains(r.dst, dst)) continue;
      if (r.dev && !r.dev.adminUp) continue;
      if (oif && r.dev && r.dev !== oif && r.type === 'unicast') continue;
      if (
        !best ||
        r.dst.len > best.dst.len ||
        (r.dst.len === best.dst.len && r.metric < best.metric)
      ) {
        best = r;
      }
    }
    return best;
  }
}

function compareRoutes(a: Route, b: Route): number {
  // The kernel's trie dump walks keys in ascending order; equal keys shorter prefix first.
  if (a.dst.addr !== b.dst.addr) return a.dst.addr - b.dst.addr;
  if (a.dst.len !== b.dst.len) return a.dst.len - b.dst.len;
  return a.metric - b.metric;
}

/** Formats a route as `ip route show` prints it. `withTable` adds "table X" (for `table all`). */
export function formatRoute(
  r: Route,
  opts: {
    withTable?: boolean;
    showType?: boolean;
    /**
     * Fields `ip route show` was filtered on exactly (print_route leaves out what the filter
     * fixed: `dev`, `proto`, `scope`, `metric`, a host `via`).
     */
    omit?: { dev?: boolean; proto?: boolean; scope?: boolean; metric?: boolean; via?: boolean };
  } = {},
): string {
  const parts: string[] = [];
  const omit = opts.omit ?? {};
  if (r.type !== 'unicast' || opts.showType) parts.push(r.type);
  parts.push(formatRouteDst(r.dst));
  if (r.gateway !== undefined && !omit.via) parts.push(`via ${formatIpv4(r.gateway)}`);
  if (r.dev && !omit.dev) parts.push(`dev ${r.dev.name}`);
  if (opts.withTable && r.table !== RT_TABLE_MAIN) parts.push(`table ${tableName(r.table)}`);
  if (r.proto !== 'boot' && !omit.proto) parts.push(`proto ${r.proto}`);
  if (r.scope !== SCOPE.global && !omit.scope) parts.push(`scope ${scopeName(r.scope)}`);
  if (r.prefsrc !== undefined) parts.push(`src ${formatIpv4(r.prefsrc)}`);
  if (r.metric !== 0 && !omit.metric) parts.push(`metric ${r.metric}`);
  if (r.onlink) parts.push('onlink');
  return parts.join(' ');
}

/** One row of the mask arithmetic: destination AND mask, compared with the route's network. */
export function maskArithmetic(r: Route, dst: Ipv4): { masked: string; matches: boolean } {
  const masked = networkOf(dst, r.dst.len);
  return {
    masked: `${formatIpv4(dst)} & ${formatIpv4((maskOf(r.dst.len) >>> 0) as Ipv4)} = ${formatIpv4(masked)}`,
    matches: masked === networkOf(r.dst.addr, r.dst.len),
  };
}
