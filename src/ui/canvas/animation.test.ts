import { describe, expect, it } from 'vitest';
import type { TopologySnapshot } from '../../engine/sim/snapshot';
import type { TraceEvent } from '../../engine/sim/trace';
import fx from '../../store/fixtures/traces.json';
import { groupHops, hopSchedule } from '../../store/hops';
import { buildPlan, frameAt } from './animation';
import { toFlow } from './flow';
import { layoutTopology } from './layout';
import { center } from './geometry';

function prepare(trace: unknown, snapshot: unknown) {
  const events = trace as TraceEvent[];
  const snap = snapshot as TopologySnapshot;
  const { layout } = layoutTopology(snap);
  const model = toFlow(snap, layout);
  const hops = groupHops(events);
  const run = { events, hops, schedules: hops.map((h) => hopSchedule(h, events)) };
  return { run, layout, model, plan: buildPlan(events, hops, layout, model.links) };
}

describe('animation', () => {
  const { run, layout, model, plan } = prepare(fx.vethPing.trace, fx.vethPing.snapshot);

  it('builds canvas nodes with parents first and an edge per link', () => {
    const seen = new Set<string>();
    for (const n of model.nodes) {
      if (n.parentId) expect(seen.has(n.parentId)).toBe(true);
      seen.add(n.id);
    }
    expect(model.edges.map((e) => e.id).sort()).toEqual(['veth:5-6', 'wire:2-lan'].sort());
  });

  it('moves a packet along the veth link, from one end to the other', () => {
    const h = run.hops[2]!; // ARP request arriving at veth-server
    const a = plan.hops[2]!;
    expect(a.path).toBeDefined();
    // From where the packet rested (the bottom edge of the sending card) to the receiving card's.
    const bottom = (r: { x: number; y: number; w: number; h: number }) => ({
      x: center(r).x,
      y: r.y + r.h,
    });
    expect(a.path![0]).toEqual(bottom(layout.devices.get(6)!.abs));
    expect(a.path![a.path!.length - 1]).toEqual(bottom(layout.devices.get(5)!.abs));
    expect(a.label).toBe('ARP');
    const start = frameAt(plan, run, { run: 0, hop: h.index, progress: 0 }, false);
    const mid = frameAt(
      plan,
      run,
      { run: 0, hop: h.index, progress: run.schedules[2]!.travelEnd / 2 },
      false,
    );
    expect(start.sprites.find((s) => s.key === 'p2')!.state).toBe('moving');
    expect(mid.sprites.find((s) => s.key === 'p2')!.x).toBeGreaterThan(
      Math.min(a.path![0]!.x, a.rest.x),
    );
    const end = frameAt(plan, run, { run: 0, hop: h.index, progress: 1 }, false);
    expect(end.sprites.find((s) => s.key === 'p2')).toMatchObject({
      x: a.rest.x,
      y: a.rest.y,
      state: 'resting',
    });
    expect(end.callout?.title).toBe('arp_process');
  });

  it('is deterministic, and jumps instead of moving with reduced motion', () => {
    const ph = { run: 0, hop: 2, progress: 0.1 };
    expect(frameAt(plan, run, ph, false)).toEqual(frameAt(plan, run, ph, false));
    const still = frameAt(plan, run, ph, true);
    expect(still.sprites.find((s) => s.key === 'p2')).toMatchObject({
      x: plan.hops[2]!.rest.x,
      state: 'resting',
    });
  });

  it('shows the queued echo request waiting while ARP resolves', () => {
    const f = frameAt(plan, run, { run: 0, hop: 2, progress: 1 }, false);
    expect(f.sprites.find((s) => s.key === 'p1')?.state).toBe('parked');
  });

  it('fans ARP broadcast clones out of a bridge together', () => {
    const b = prepare(fx.bridgeFlood.trace, fx.bridgeFlood.snapshot);
    const fan = b.run.hops.find((h) => h.fan.end > h.fan.start)!;
    const f = frameAt(b.plan, b.run, { run: 0, hop: fan.index, progress: 0.2 }, false);
    expect(f.sprites.filter((s) => s.state === 'moving').length).toBe(
      fan.fan.end - fan.fan.start + 1,
    );
  });

  it('marks where a packet is dropped and why', () => {
    const d = prepare(fx.vethArpFail.trace, fx.vethPing.snapshot);
    const i = d.run.hops.findIndex((h) => h.final === 'dropped');
    const f = frameAt(d.plan, d.run, { run: 0, hop: i, progress: 1 }, false);
    expect(f.ring?.tone).toBe('dropped');
    expect(f.verdict).toMatchObject({ tone: 'dropped', text: 'Dropped · NEIGH_FAILED' });
  });
});

describe('rewrites and encapsulation', () => {
  const ip = (a: number, b: number, c: number, d: number) =>
    (((a << 24) | (b << 16) | (c << 8) | d) >>> 0) as never;
  const inner = {
    kind: 'ipv4',
    src: ip(10, 0, 0, 1),
    dst: ip(10, 96, 0, 10),
    ttl: 64,
    protocol: 6,
    id: 1,
    tos: 0,
    df: true,
    payload: {
      kind: 'tcp',
      sport: 40000,
      dport: 80,
      seq: 1,
      ack: 0,
      flags: { syn: true },
      window: 64240,
      options: [],
      data: '',
    },
  } as const;
  const snap = fx.bridgeFlood.snapshot as unknown as TopologySnapshot;
  const ns = snap.hosts[0]!.namespaces;
  const a = ns.find((n) => n.label === 'a')!;
  const root = ns.find((n) => n.kind === 'root')!;
  const va = a.devices.find((d) => d.name === 'va')!;
  const vaBr = root.devices.find((d) => d.name === 'va-br')!;
  const base = { time: 0, packetId: 1, flowId: 1, summary: '' };
  const at = (n: typeof a, d: typeof va) => ({
    host: 'node1',
    netns: n.label,
    netnsId: n.id,
    dev: d.name,
    devId: d.id,
  });

  it('flashes a NAT rewrite between hops, addresses first', () => {
    const events = [
      {
        ...base,
        seq: 0,
        stage: 'dev_queue_xmit',
        where: at(a, va),
        packet: inner,
        to: at(root, vaBr),
      },
      {
        ...base,
        seq: 1,
        stage: 'netif_receive_skb',
        where: at(root, vaBr),
        packet: { ...inner, dst: ip(10, 244, 1, 5), ttl: 63 },
      },
    ] as unknown as TraceEvent[];
    const { plan } = prepare(events, snap);
    expect(plan.hops[1]!.changes).toEqual(['dst 10.96.0.10 → 10.244.1.5', 'TTL 64 → 63']);
    expect(plan.hops[1]!.label).toBe('SYN');
  });

  it('draws an encapsulated packet as a packet inside a packet', () => {
    const outer = {
      kind: 'ipv4',
      src: ip(192, 168, 1, 10),
      dst: ip(192, 168, 1, 11),
      ttl: 64,
      protocol: 17,
      id: 2,
      tos: 0,
      df: false,
      payload: {
        kind: 'udp',
        sport: 51000,
        dport: 4789,
        payload: {
          kind: 'vxlan',
          vni: 1,
          inner: { src: 'aa:aa:aa:aa:aa:01', dst: 'aa:aa:aa:aa:aa:02', payload: inner },
        },
      },
    };
    const events = [
      { ...base, seq: 0, stage: 'vxlan_xmit', where: at(a, va), packet: outer },
    ] as unknown as TraceEvent[];
    const p = prepare(events, snap);
    expect(p.plan.hops[0]).toMatchObject({ label: 'SYN', outer: 'VXLAN' });
    const f = frameAt(p.plan, p.run, { run: 0, hop: 0, progress: 1 }, false);
    expect(f.sprites[0]).toMatchObject({ label: 'SYN', outer: 'VXLAN' });
  });
});
