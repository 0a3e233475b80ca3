import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { type Ipv4, ipv4, networkOf } from '../net/ipv4';
import { World } from '../sim/world';
import { Fib, RT_TABLE_MAIN, type Route, SCOPE, formatRoute } from './fib';
import { addrAdd, linkAddDummy, linkSetUp, routeAdd } from './rtnl';
import { ROUTE_ROWS_MISSES_SHOWN } from './route';
import { lab } from '../testing/lab';

function route(dst: number, len: number, metric: number, dev: Route['dev']): Route {
  return {
    table: RT_TABLE_MAIN,
    type: 'unicast',
    dst: { addr: networkOf(dst as Ipv4, len), len },
    metric,
    proto: 'boot',
    scope: SCOPE.link,
    dev,
    onlink: false,
  };
}

describe('Fib.lookup', () => {
  it('equals a brute-force longest-prefix match (property)', () => {
    const w = new World();
    const ns = w.addHost({ name: 'h' }).rootNs;
    const dev = linkAddDummy(ns, 'd0').ok ? ns.device('d0')! : undefined;
    linkSetUp(dev!, true);
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            dst: fc.integer({ min: 0, max: 0xffffffff }),
            len: fc.integer({ min: 0, max: 32 }),
            metric: fc.integer({ min: 0, max: 3 }),
          }),
          { maxLength: 40 },
        ),
        fc.integer({ min: 0, max: 0xffffffff }),
        (specs, target) => {
          const fib = new Fib();
          const routes = specs.map((s) => route(s.dst, s.len, s.metric, dev));
          for (const r of routes) fib.insert(r);
          const hit = fib.lookupTable(RT_TABLE_MAIN, target as Ipv4);
          // Brute force: every matching route, longest prefix first, then lowest metric.
          const matching = routes.filter(
            (r) =>
              r.dst.len === 0 || r.dst.addr >>> (32 - r.dst.len) === target >>> (32 - r.dst.len),
          );
          if (matching.length === 0) return hit === undefined;
          const bestLen = Math.max(...matching.map((r) => r.dst.len));
          const bestMetric = Math.min(
            ...matching.filter((r) => r.dst.len === bestLen).map((r) => r.metric),
          );
          return hit !== undefined && hit.dst.len === bestLen && hit.metric === bestMetric;
        },
      ),
    );
  });

  it('derives kernel routes from addresses and checks gateways like the kernel', () => {
    const w = new World();
    const ns = w.addHost({ name: 'h' }).rootNs;
    linkAddDummy(ns, 'd0');
    const d0 = ns.device('d0')!;
    addrAdd(d0, { addr: ipv4('10.0.0.11'), len: 24 });
    // Down: no routes through the device yet.
    expect(ns.fib.sorted(RT_TABLE_MAIN)).toHaveLength(0);
    linkSetUp(d0, true);
    expect(ns.fib.sorted(RT_TABLE_MAIN).map((r) => formatRoute(r))).toEqual([
      '10.0.0.0/24 dev d0 proto kernel scope link src 10.0.0.11',
    ]);
    const bad = routeAdd(ns, { dst: { addr: 0 as Ipv4, len: 0 }, gateway: ipv4('10.9.0.1') });
    expect(bad).toMatchObject({
      ok: false,
      errno: 'EINVAL',
      extack: 'Nexthop has invalid gateway',
    });
    const good = routeAdd(ns, { dst: { addr: 0 as Ipv4, len: 0 }, gateway: ipv4('10.0.0.1') });
    expect(good.ok).toBe(true);
    expect(
      routeAdd(ns, { dst: { addr: 0 as Ipv4, len: 0 }, gateway: ipv4('10.0.0.1') }),
    ).toMatchObject({ ok: false, errno: 'EEXIST' });
    expect(formatRoute(ns.fib.lookup(ipv4('8.8.8.8'))!.route)).toBe('default via 10.0.0.1 dev d0');
    // Taking the device down flushes every route through it, the static default too.
    linkSetUp(d0, false);
    expect(ns.fib.lookup(ipv4('8.8.8.8'))).toBeUndefined();
  });
});

describe('the route decision in the trace', () => {
  it('lists every matching route and the first misses of a large table, counting the rest', () => {
    const l = lab();
    const routes = Array.from({ length: 40 }, (_, i) => `ip route add 10.9.${i}.0/24 dev lo`);
    l.setup([
      'ip link add d0 type dummy',
      'ip addr add 192.168.5.1/24 dev d0',
      'ip link set d0 up',
      ...routes,
    ]);
    const r = l.run('ping -c 1 -W 1 10.9.39.7');
    const decision = l.world.trace
      .since(r.traceFrom)
      .map((e) => e.decision)
      .find((d) => d?.kind === 'route');
    expect(decision?.kind).toBe('route');
    if (decision?.kind !== 'route') return;
    // 41 routes in main (ours and d0's subnet); one matches, 40 do not.
    expect(decision.rows.filter((x) => x.matches).map((x) => x.text)).toEqual([
      '10.9.39.0/24 dev lo scope link',
    ]);
    expect(decision.rows.filter((x) => !x.matches)).toHaveLength(ROUTE_ROWS_MISSES_SHOWN);
    expect(decision.omitted).toBe(40 - ROUTE_ROWS_MISSES_SHOWN);
    expect(decision.rows[decision.chosen!]!.masked).toBe('10.9.39.7 & 255.255.255.0 = 10.9.39.0');
  });
});
