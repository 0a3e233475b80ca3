import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DeviceView, LinkView, NetnsView, TopologySnapshot } from '../../engine/sim/snapshot';
import fx from '../../store/fixtures/traces.json';
import type { Rect } from './geometry';
import { EMPTY_MEMORY, type LayoutMemory, SIZES, layoutTopology } from './layout';

// ---- a tiny builder of snapshots, so the layout can be tested on worlds that grow ----

interface World {
  hosts: {
    name: string;
    ns: {
      id: number;
      label: string;
      root: boolean;
      /** How many containers live in it (the first a pod's pause). */
      ctrs?: number;
      devs: {
        id: number;
        name: string;
        kind: DeviceView['kind'];
        peer?: number;
        master?: number;
        segment?: string;
      }[];
    }[];
  }[];
  segments: string[];
}

let nextId = 1000;
function dev(
  name: string,
  kind: DeviceView['kind'],
  extra: { peer?: number; master?: number; segment?: string } = {},
) {
  return { id: nextId++, name, kind, ...extra };
}

function toSnapshot(w: World): TopologySnapshot {
  const links: LinkView[] = [];
  const hosts = w.hosts.map((h) => ({
    name: h.name,
    external: false,
    namespaces: h.ns.map((n): NetnsView => ({
      id: n.id,
      host: h.name,
      label: n.label,
      kind: n.root ? 'root' : 'named',
      devices: n.devs.map((d, i): DeviceView => {
        if (d.peer !== undefined && d.id < d.peer) links.push({ kind: 'veth', a: d.id, b: d.peer });
        if (d.master !== undefined) links.push({ kind: 'port', a: d.id, b: d.master });
        if (d.segment) links.push({ kind: 'wire', a: d.id, segment: d.segment });
        return {
          id: d.id,
          ifindex: i + 1,
          name: d.name,
          kind: d.kind,
          mac: '02:00:00:00:00:01',
          mtu: 1500,
          up: true,
          carrier: true,
          operState: 'UP',
          flags: '<UP>',
          addrs: [],
          ...(d.peer !== undefined ? { peer: d.peer } : {}),
          ...(d.master !== undefined ? { master: d.master } : {}),
          ...(d.segment ? { segment: d.segment } : {}),
        };
      }),
      routes: [],
      localRoutes: [],
      neighbours: [],
      ipForward: false,
      processes: [],
      listening: [],
      containers: Array.from({ length: n.ctrs ?? 0 }, (_, i) => ({
        pid: 100 + i,
        name: i === 0 ? 'pause' : `c${i}`,
        sandbox: i === 0,
      })),
    })),
  }));
  return { time: 0, hosts, segments: w.segments, links };
}

let nsIds = 1;
function host(name: string): World['hosts'][number] {
  return {
    name,
    ns: [
      {
        id: nsIds++,
        label: 'root',
        root: true,
        devs: [dev('lo', 'loopback'), dev('eth0', 'ether', { segment: 'lan' })],
      },
    ],
  };
}

function overlaps(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}
function inside(inner: Rect, outer: Rect): boolean {
  return (
    inner.x >= outer.x - 1e-6 &&
    inner.y >= outer.y - 1e-6 &&
    inner.x + inner.w <= outer.x + outer.w + 1e-6 &&
    inner.y + inner.h <= outer.y + outer.h + 1e-6
  );
}

function checkWellFormed(snap: TopologySnapshot, memory: LayoutMemory = EMPTY_MEMORY) {
  const { layout } = layoutTopology(snap, memory);
  const hostBoxes = [...layout.hosts.values()].map((b) => b.abs).sort((a, b) => a.x - b.x);
  for (let i = 1; i < hostBoxes.length; i++)
    expect(hostBoxes[i]!.x).toBeGreaterThanOrEqual(hostBoxes[i - 1]!.x + hostBoxes[i - 1]!.w);
  for (const h of snap.hosts) {
    const hb = layout.hosts.get(h.name)!.abs;
    const nsBoxes = h.namespaces.map((n) => layout.namespaces.get(n.id)!.abs);
    for (const nb of nsBoxes) expect(inside(nb, hb)).toBe(true);
    for (let i = 0; i < nsBoxes.length; i++)
      for (let j = i + 1; j < nsBoxes.length; j++)
        expect(overlaps(nsBoxes[i]!, nsBoxes[j]!)).toBe(false);
    for (const n of h.namespaces) {
      const nb = layout.namespaces.get(n.id)!.abs;
      const devs = n.devices.map((d) => layout.devices.get(d.id)!.abs);
      for (const d of devs) expect(inside(d, nb)).toBe(true);
      for (let i = 0; i < devs.length; i++)
        for (let j = i + 1; j < devs.length; j++) expect(overlaps(devs[i]!, devs[j]!)).toBe(false);
      // The row of container chips at the foot of the box is clear of every device.
      if (!layout.footed.has(n.id)) continue;
      const row = {
        x: nb.x + SIZES.nsPad,
        y: nb.y + nb.h - SIZES.nsPad - SIZES.ctrH,
        w: nb.w - 2 * SIZES.nsPad,
        h: SIZES.ctrH,
      };
      for (const d of devs) expect(overlaps(d, row)).toBe(false);
    }
  }
  for (const s of layout.segments.values())
    for (const h of layout.hosts.values()) expect(overlaps(s.abs, h.abs)).toBe(false);
  return layout;
}

describe('layoutTopology', () => {
  it('lays out the recorded veth-pair world: namespaces inside the host, no overlaps', () => {
    const snap = fx.vethPing.snapshot as unknown as TopologySnapshot;
    const layout = checkWellFormed(snap);
    expect(layout.segments.get('lan')).toBeDefined();
    // the two veth ends sit side by side, so their link is short
    const ends = snap.links.find((l) => l.kind === 'veth')!;
    const a = layout.devices.get(ends.a)!.abs;
    const b = layout.devices.get(ends.b!)!.abs;
    expect(a.y).toBe(b.y);
    expect(Math.abs(a.x - b.x)).toBeLessThan(300);
  });

  it('is deterministic', () => {
    const snap = fx.bridgeFlood.snapshot as unknown as TopologySnapshot;
    const one = layoutTopology(snap);
    const two = layoutTopology(snap);
    expect([...two.layout.byId.entries()]).toEqual([...one.layout.byId.entries()]);
    // …and idempotent with its own memory
    const again = layoutTopology(snap, one.memory);
    expect([...again.layout.byId.entries()]).toEqual([...one.layout.byId.entries()]);
  });

  // (Six devices fill the root namespace's first row; a seventh starts a row and moves the pods down.)
  it('keeps what existed in place as a walkthrough adds namespaces, veths and a bridge', () => {
    const w: World = { hosts: [host('node1'), host('node2')], segments: ['lan'] };
    const snaps: TopologySnapshot[] = [toSnapshot(w)];
    const root = w.hosts[0]!.ns[0]!;
    const br = dev('br0', 'bridge');
    root.devs.push(br);
    snaps.push(toSnapshot(w));
    for (const name of ['a', 'b', 'c', 'd']) {
      const inPod = dev(`${name}-eth0`, 'veth');
      const onHost = dev(`veth-${name}`, 'veth', { peer: inPod.id, master: br.id });
      (inPod as { peer?: number }).peer = onHost.id;
      w.hosts[0]!.ns.push({
        id: nsIds++,
        label: name,
        root: false,
        devs: [dev('lo', 'loopback'), inPod],
      });
      snaps.push(toSnapshot(w));
      root.devs.push(onHost);
      snaps.push(toSnapshot(w));
    }
    let memory = EMPTY_MEMORY;
    let prev: Map<string, Rect> | undefined;
    for (const snap of snaps) {
      checkWellFormed(snap, memory);
      const r = layoutTopology(snap, memory);
      memory = r.memory;
      const now = new Map(
        [...r.layout.byId.entries()]
          .filter(([id]) => id.startsWith('d:'))
          .map(([id, b]) => [id, b.abs]),
      );
      // Everything on node1 (where the walkthrough happens) stays put; node2 may only slide right.
      const onNode1 = new Set(
        snap.hosts[0]!.namespaces.flatMap((n) => n.devices.map((d) => `d:${d.id}`)),
      );
      if (prev)
        for (const [id, rect] of prev) {
          const r2 = now.get(id);
          if (!r2) continue;
          if (onNode1.has(id)) expect({ id, ...r2 }).toEqual({ id, ...rect });
          else expect(r2.y === rect.y && r2.x >= rect.x).toBe(true);
        }
      prev = now;
    }
  });

  it("gives a host's namespace cells a container row once one holds containers, and keeps it", () => {
    const w: World = { hosts: [host('h0')], segments: ['lan'] };
    const pod = (ctrs: number) => ({
      id: nsIds++,
      label: `p${nsIds}`,
      root: false,
      ctrs,
      devs: [dev('lo', 'loopback'), dev('eth0', 'veth'), dev('eth1', 'veth')],
    });
    w.hosts[0]!.ns.push(pod(0));
    const bare = layoutTopology(toSnapshot(w));
    const first = w.hosts[0]!.ns[1]!;
    const bareBox = bare.layout.namespaces.get(first.id)!.abs;
    w.hosts[0]!.ns.push(pod(3));
    const withCtrs = layoutTopology(toSnapshot(w), bare.memory);
    checkWellFormed(toSnapshot(w), bare.memory);
    // Every cell grows by the row and widens (cells of a host are alike); the first cell's
    // device cards keep their height and move right by half the widening, staying centred.
    const wider = SIZES.footCellW - bareBox.w;
    expect(wider).toBeGreaterThan(0);
    for (const n of w.hosts[0]!.ns.slice(1)) {
      const box = withCtrs.layout.namespaces.get(n.id)!.abs;
      expect([box.w, box.h]).toEqual([SIZES.footCellW, bareBox.h + SIZES.ctrH + SIZES.nsPad]);
    }
    for (const d of first.devs) {
      if (d.kind === 'loopback') continue;
      const was = bare.layout.devices.get(d.id)!.abs;
      expect(withCtrs.layout.devices.get(d.id)!.abs).toEqual({ ...was, x: was.x + wider / 2 });
    }
    expect(withCtrs.layout.footed.has(first.id)).toBe(true);
    expect(bare.layout.footed.has(first.id)).toBe(false);
    // The pod goes away: the row stays, so nothing below it moves up.
    w.hosts[0]!.ns.pop();
    const after = layoutTopology(toSnapshot(w), withCtrs.memory);
    expect(after.layout.namespaces.get(first.id)!.abs).toEqual(
      withCtrs.layout.namespaces.get(first.id)!.abs,
    );
  });

  it('never overlaps and never moves existing devices, whatever order things are added in (property)', () => {
    type Op =
      | { kind: 'pod'; host: number; ctrs: number }
      | { kind: 'rootdev'; host: number }
      | { kind: 'poddev'; host: number; pod: number };
    const op = fc.oneof(
      fc.record({ kind: fc.constant('pod' as const), host: fc.nat(2), ctrs: fc.nat(3) }),
      fc.record({ kind: fc.constant('rootdev' as const), host: fc.nat(2) }),
      fc.record({ kind: fc.constant('poddev' as const), host: fc.nat(2), pod: fc.nat(10) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops: Op[]) => {
        const w: World = { hosts: [host('h0'), host('h1'), host('h2')], segments: ['lan'] };
        let memory = EMPTY_MEMORY;
        let prev = layoutTopology(toSnapshot(w), memory);
        memory = prev.memory;
        for (const o of ops) {
          const h = w.hosts[o.host]!;
          if (o.kind === 'pod')
            h.ns.push({
              id: nsIds++,
              label: `p${nsIds}`,
              root: false,
              ctrs: o.ctrs,
              devs: [dev('lo', 'loopback'), dev('eth0', 'veth')],
            });
          else if (o.kind === 'rootdev') h.ns[0]!.devs.push(dev(`v${nextId}`, 'veth'));
          else {
            const pods = h.ns.filter((n) => !n.root);
            if (!pods.length) continue;
            pods[o.pod % pods.length]!.devs.push(dev(`x${nextId}`, 'veth'));
          }
          const snap = toSnapshot(w);
          checkWellFormed(snap, memory);
          const next = layoutTopology(snap, memory);
          const hostOf = new Map(
            snap.hosts.flatMap((hv, i) =>
              hv.namespaces.flatMap((n) => n.devices.map((d) => [d.id, i] as const)),
            ),
          );
          const shifts = new Set<number>();
          for (const [id, b] of prev.layout.devices) {
            const now = next.layout.devices.get(id);
            if (!now) continue;
            const hi = hostOf.get(id)!;
            // Nothing ever moves left or up.
            expect(now.abs.x).toBeGreaterThanOrEqual(b.abs.x);
            expect(now.abs.y).toBeGreaterThanOrEqual(b.abs.y);
            // Hosts left of the change do not move; in the changed host, adding a namespace moves
            // nothing, unless its containers gave the host's cells their container row.
            const grew =
              o.kind === 'pod' && !prev.memory.containerRow.has(snap.hosts[o.host]!.name);
            if (hi < o.host || (hi === o.host && o.kind === 'pod' && !grew))
              expect(now.abs).toEqual(b.abs);
            // Hosts to the right only slide, all together.
            if (hi > o.host) {
              expect(now.abs.y).toBe(b.abs.y);
              shifts.add(now.abs.x - b.abs.x);
            }
          }
          expect(shifts.size).toBeLessThanOrEqual(1);
          memory = next.memory;
          prev = next;
        }
      }),
      { numRuns: 80 },
    );
  });
});
