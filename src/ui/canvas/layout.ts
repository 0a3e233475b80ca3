/**
 * The topology layout: a deterministic, pure function of the engine's snapshot and a memory of
 * where things were, so that what existed does not jump when a step adds devices.
 *
 * Shape (the containment every scenario has), top to bottom:
 * - physical networks as bars along the top, spanning the NICs plugged into them;
 * - hosts in a row under them, left to right in the engine's order;
 * - inside a host, the root namespace first (its NICs face the network bar), its devices in rows;
 * - below it, the named namespaces (pods, containers) in a grid, each a column of its devices,
 *   with a row of container chips at the foot once any namespace on the host holds containers.
 *   Adding a namespace only ever adds a cell after the others.
 * - loopback devices are compact chips in their namespace's header.
 *
 * New devices in the root namespace take the free slot nearest to what they link to (a veth's
 * peer in a pod below, a bridge's ports), which keeps links short; everything else keeps its
 * remembered slot. Sizes only grow (remembered), so nothing moves up or left.
 */
import type { DeviceView, TopologySnapshot } from '../../engine/sim/snapshot';
import type { Pt, Rect } from './geometry';

export const SIZES = {
  devW: 200,
  devH: 96,
  devGap: 14,
  nsPad: 12,
  nsHead: 34,
  loW: 76,
  loH: 22,
  rootLoX: 150,
  rootCols: 6,
  hostPad: 16,
  hostHead: 44,
  nsGap: 18,
  podCols: 4,
  /** The row of container chips at the foot of a pod's (or container's) namespace. */
  ctrH: 22,
  /** A namespace cell's width on a host whose cells hold containers: room for their names. */
  footCellW: 272,
  hostGap: 96,
  segH: 34,
  segSpacing: 16,
  segGap: 56,
} as const;

export interface LayoutMemory {
  readonly hostX: ReadonlyMap<string, number>;
  readonly nsSlot: ReadonlyMap<number, { readonly host: string; readonly slot: number }>;
  readonly devSlot: ReadonlyMap<number, { readonly ns: number; readonly slot: number }>;
  /** Per host: root namespace rows and namespace-cell rows seen so far (they only grow). */
  readonly rootRows: ReadonlyMap<string, number>;
  readonly cellRows: ReadonlyMap<string, number>;
  /** Per host: inner width seen so far (only grows, so hosts to the right move only when one grows). */
  readonly innerW: ReadonlyMap<string, number>;
  /** Hosts whose namespace cells have had a container row (kept, so cells never shrink). */
  readonly containerRow: ReadonlySet<string>;
}

export const EMPTY_MEMORY: LayoutMemory = {
  hostX: new Map(),
  nsSlot: new Map(),
  devSlot: new Map(),
  rootRows: new Map(),
  cellRows: new Map(),
  innerW: new Map(),
  containerRow: new Set(),
};

export interface Box {
  /** React Flow node id: `h:<host>`, `ns:<id>`, `d:<id>`, `s:<segment>`. */
  readonly id: string;
  readonly parent?: string;
  /** Position relative to the parent (absolute for hosts and segments). */
  readonly rel: Pt;
  readonly abs: Rect;
}

export interface TopologyLayout {
  readonly hosts: ReadonlyMap<string, Box>;
  readonly namespaces: ReadonlyMap<number, Box>;
  /** Every device, loopback chips included. */
  readonly devices: ReadonlyMap<number, Box>;
  readonly segments: ReadonlyMap<string, Box>;
  /** Namespaces whose cell ends in a row for container chips. */
  readonly footed: ReadonlySet<number>;
  /** Every box by node id. */
  readonly byId: ReadonlyMap<string, Box>;
  readonly bounds: Rect;
}

export const hostId = (name: string) => `h:${name}`;
export const nsId = (id: number) => `ns:${id}`;
export const devId = (id: number) => `d:${id}`;
export const segId = (name: string) => `s:${name}`;

const isLo = (d: DeviceView) => d.kind === 'loopback';

function firstFree(used: Set<number>): number {
  let i = 0;
  while (used.has(i)) i++;
  return i;
}

/** Height of a namespace box holding `rows` rows of device cards. */
export function nsHeight(rows: number): number {
  const S = SIZES;
  return S.nsHead + rows * S.devH + (rows - 1) * S.devGap + S.nsPad;
}

/**
 * Lays out a snapshot.
 *
 * @example
 * const { layout, memory } = layoutTopology(snapshot, previousMemory);
 * layout.devices.get(5)?.abs // { x, y, w, h } of device 5 on the canvas
 */
export function layoutTopology(
  snap: TopologySnapshot,
  memory: LayoutMemory = EMPTY_MEMORY,
): { layout: TopologyLayout; memory: LayoutMemory } {
  const S = SIZES;
  const hostX = new Map(memory.hostX);
  const nsSlot = new Map(memory.nsSlot);
  const devSlot = new Map(memory.devSlot);
  const rootRowsMem = new Map(memory.rootRows);
  const cellRowsMem = new Map(memory.cellRows);
  const innerWMem = new Map(memory.innerW);
  const containerRow = new Set(memory.containerRow);
  const footedNs = new Set<number>();

  const portsOf = new Map<number, number[]>();
  for (const l of snap.links)
    if (l.kind === 'port' && l.b !== undefined)
      portsOf.set(l.b, [...(portsOf.get(l.b) ?? []), l.a]);

  const segTop = 0;
  const hostsY = snap.segments.length
    ? segTop + snap.segments.length * (S.segH + S.segSpacing) - S.segSpacing + S.segGap
    : 0;

  interface Draft {
    name: string;
    w: number;
    h: number;
    ns: { id: number; rel: Pt; w: number; h: number }[];
    devs: { id: number; ns: number; rel: Pt; w: number; h: number }[];
  }
  const drafts: Draft[] = [];
  const bareCellW = S.devW + 2 * S.nsPad;

  for (const host of snap.hosts) {
    const draft: Draft = { name: host.name, w: 0, h: 0, ns: [], devs: [] };
    const pods = host.namespaces.filter((n) => n.kind !== 'root');
    const root = host.namespaces.find((n) => n.kind === 'root');
    // Once a namespace here holds containers, every cell is wider (for the pod's name and its
    // containers' chips) and taller (for the chips' row at its foot); device cards stay centred.
    if (pods.some((n) => n.containers.length > 0)) containerRow.add(host.name);
    const footed = containerRow.has(host.name);
    const cellW = footed ? S.footCellW : bareCellW;
    const devX = (cellW - S.devW) / 2;

    // 1. Grid slots of the named namespaces (kept; new ones take the first free cell).
    const usedNs = new Set<number>();
    for (const n of pods) {
      const m = nsSlot.get(n.id);
      if (m && m.host === host.name && !usedNs.has(m.slot)) usedNs.add(m.slot);
      else nsSlot.delete(n.id);
    }
    for (const n of pods) {
      if (nsSlot.has(n.id)) continue;
      const slot = firstFree(usedNs);
      usedNs.add(slot);
      nsSlot.set(n.id, { host: host.name, slot });
    }
    const podX = (slot: number) => S.hostPad + (slot % S.podCols) * (cellW + S.nsGap);

    // 2. Device slots in named namespaces: one column.
    const podRows = new Map<number, number>();
    const podDevX = new Map<number, number>(); // host-relative centre x of pod devices
    for (const n of pods) {
      const used = new Set<number>();
      const devs = n.devices.filter((d) => !isLo(d));
      for (const d of devs) {
        const m = devSlot.get(d.id);
        if (m && m.ns === n.id && !used.has(m.slot)) used.add(m.slot);
        else devSlot.delete(d.id);
      }
      for (const d of devs) {
        if (devSlot.has(d.id)) continue;
        const slot = firstFree(used);
        used.add(slot);
        devSlot.set(d.id, { ns: n.id, slot });
      }
      podRows.set(n.id, Math.max(1, ...devs.map((d) => devSlot.get(d.id)!.slot + 1)));
      for (const d of devs) podDevX.set(d.id, podX(nsSlot.get(n.id)!.slot) + devX + S.devW / 2);
    }

    // 3. The root namespace: devices in rows, each new one near what it links to.
    const rootSlotX = (slot: number) =>
      S.hostPad + S.nsPad + (slot % S.rootCols) * (S.devW + S.devGap) + S.devW / 2;
    let rootCols = 1;
    let rootRows = rootRowsMem.get(host.name) ?? 1;
    if (root) {
      const devs = root.devices.filter((d) => !isLo(d));
      const used = new Set<number>();
      for (const d of devs) {
        const m = devSlot.get(d.id);
        if (m && m.ns === root.id && !used.has(m.slot)) used.add(m.slot);
        else devSlot.delete(d.id);
      }
      const placedX = (id: number): number | undefined => {
        const p = podDevX.get(id);
        if (p !== undefined) return p;
        const m = devSlot.get(id);
        return m && m.ns === root.id ? rootSlotX(m.slot) : undefined;
      };
      const target = (d: DeviceView): number | undefined => {
        if (d.peer !== undefined) return placedX(d.peer);
        const ports = (portsOf.get(d.id) ?? [])
          .map(placedX)
          .filter((x): x is number => x !== undefined);
        if (ports.length) return ports.reduce((a, b) => a + b, 0) / ports.length;
        if (d.master !== undefined) return placedX(d.master);
        return undefined;
      };
      for (const d of devs) {
        if (devSlot.has(d.id)) continue;
        const want = target(d);
        let slot = firstFree(used);
        if (want !== undefined) {
          let best = Infinity;
          const limit = Math.max(S.rootCols, used.size + 1);
          for (let s = 0; s < limit; s++) {
            if (used.has(s)) continue;
            // Prefer the first row; within it, the nearest column.
            const cost = Math.abs(rootSlotX(s) - want) + Math.floor(s / S.rootCols) * 100_000;
            if (cost < best) {
              best = cost;
              slot = s;
            }
          }
        }
        used.add(slot);
        devSlot.set(d.id, { ns: root.id, slot });
      }
      const maxSlot = Math.max(0, ...devs.map((d) => devSlot.get(d.id)!.slot));
      rootCols = Math.min(S.rootCols, maxSlot + 1);
      rootRows = Math.max(rootRows, Math.floor(maxSlot / S.rootCols) + 1);
      rootRowsMem.set(host.name, rootRows);
    }
    const rootW = 2 * S.nsPad + rootCols * S.devW + (rootCols - 1) * S.devGap;
    const rootH = nsHeight(rootRows);

    // 4. The grid of named namespaces under the root namespace.
    const cellRows = Math.max(cellRowsMem.get(host.name) ?? 1, ...[...podRows.values()]);
    if (pods.length) cellRowsMem.set(host.name, cellRows);
    const cellH = nsHeight(cellRows) + (footed ? S.ctrH + S.nsPad : 0);
    const gridY = S.hostHead + rootH + S.nsGap;
    const maxNsSlot = Math.max(-1, ...pods.map((n) => nsSlot.get(n.id)!.slot));
    const gridCols = Math.min(S.podCols, maxNsSlot + 1);
    const gridRows = maxNsSlot < 0 ? 0 : Math.floor(maxNsSlot / S.podCols) + 1;
    const gridW = gridCols > 0 ? gridCols * cellW + (gridCols - 1) * S.nsGap : 0;
    // Hosts only grow: a namespace leaving does not pull the hosts on the right back.
    const innerW = Math.max(rootW, gridW, 260, innerWMem.get(host.name) ?? 0);
    innerWMem.set(host.name, innerW);

    // Loopback chips sit in the namespace header: after the fixed "root namespace" label, or at
    // the right edge of a (fixed-width) namespace cell, so they never move.
    const lo = (x: number): { rel: Pt; w: number; h: number } => ({
      rel: { x, y: (S.nsHead - S.loH) / 2 },
      w: S.loW,
      h: S.loH,
    });
    if (root) {
      draft.ns.push({ id: root.id, rel: { x: S.hostPad, y: S.hostHead }, w: innerW, h: rootH });
      for (const d of root.devices) {
        if (isLo(d)) {
          draft.devs.push({ id: d.id, ns: root.id, ...lo(S.rootLoX) });
          continue;
        }
        const slot = devSlot.get(d.id)!.slot;
        draft.devs.push({
          id: d.id,
          ns: root.id,
          rel: {
            x: S.nsPad + (slot % S.rootCols) * (S.devW + S.devGap),
            y: S.nsHead + Math.floor(slot / S.rootCols) * (S.devH + S.devGap),
          },
          w: S.devW,
          h: S.devH,
        });
      }
    }
    for (const n of pods) {
      const slot = nsSlot.get(n.id)!.slot;
      const rel = { x: podX(slot), y: gridY + Math.floor(slot / S.podCols) * (cellH + S.nsGap) };
      draft.ns.push({ id: n.id, rel, w: cellW, h: cellH });
      if (footed) footedNs.add(n.id);
      for (const d of n.devices) {
        if (isLo(d)) {
          draft.devs.push({ id: d.id, ns: n.id, ...lo(cellW - S.nsPad - S.loW) });
          continue;
        }
        draft.devs.push({
          id: d.id,
          ns: n.id,
          rel: { x: devX, y: S.nsHead + devSlot.get(d.id)!.slot * (S.devH + S.devGap) },
          w: S.devW,
          h: S.devH,
        });
      }
    }
    draft.w = 2 * S.hostPad + innerW;
    draft.h =
      (gridRows > 0 ? gridY + gridRows * cellH + (gridRows - 1) * S.nsGap : S.hostHead + rootH) +
      S.hostPad;
    drafts.push(draft);
  }

  // 5. Hosts in a row: remembered x, pushed right only if the host on the left grew into them.
  const hosts = new Map<string, Box>();
  const namespaces = new Map<number, Box>();
  const devices = new Map<number, Box>();
  const segments = new Map<string, Box>();
  let right = -Infinity;
  for (const d of drafts) {
    const remembered = hostX.get(d.name);
    const x =
      remembered !== undefined
        ? Math.max(remembered, right + S.hostGap)
        : right === -Infinity
          ? 0
          : right + S.hostGap;
    hostX.set(d.name, x);
    right = x + d.w;
    const hid = hostId(d.name);
    hosts.set(d.name, { id: hid, rel: { x, y: hostsY }, abs: { x, y: hostsY, w: d.w, h: d.h } });
    for (const n of d.ns) {
      namespaces.set(n.id, {
        id: nsId(n.id),
        parent: hid,
        rel: n.rel,
        abs: { x: x + n.rel.x, y: hostsY + n.rel.y, w: n.w, h: n.h },
      });
    }
    for (const v of d.devs) {
      const nsBox = namespaces.get(v.ns)!;
      devices.set(v.id, {
        id: devId(v.id),
        parent: nsId(v.ns),
        rel: v.rel,
        abs: { x: nsBox.abs.x + v.rel.x, y: nsBox.abs.y + v.rel.y, w: v.w, h: v.h },
      });
    }
  }

  // 6. Physical networks: bars along the top, spanning the NICs plugged into them.
  const firstX = drafts.length ? hostX.get(drafts[0]!.name)! : 0;
  const lastX = right === -Infinity ? 400 : right;
  snap.segments.forEach((name, i) => {
    const xs = snap.links
      .filter((l) => l.kind === 'wire' && l.segment === name)
      .map((l) => devices.get(l.a))
      .filter((b): b is Box => b !== undefined)
      .map((b) => b.abs.x + b.abs.w / 2);
    const x0 = xs.length ? Math.min(...xs) - 110 : firstX;
    const x1 = xs.length ? Math.max(...xs) + 110 : lastX;
    const w = Math.max(x1 - x0, 280);
    const y = segTop + i * (S.segH + S.segSpacing);
    segments.set(name, { id: segId(name), rel: { x: x0, y }, abs: { x: x0, y, w, h: S.segH } });
  });

  const byId = new Map<string, Box>();
  for (const m of [hosts, namespaces, devices, segments] as ReadonlyMap<unknown, Box>[])
    for (const b of m.values()) byId.set(b.id, b);
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const b of byId.values()) {
    x0 = Math.min(x0, b.abs.x);
    y0 = Math.min(y0, b.abs.y);
    x1 = Math.max(x1, b.abs.x + b.abs.w);
    y1 = Math.max(y1, b.abs.y + b.abs.h);
  }
  const bounds = byId.size ? { x: x0, y: y0, w: x1 - x0, h: y1 - y0 } : { x: 0, y: 0, w: 0, h: 0 };

  return {
    layout: { hosts, namespaces, devices, segments, footed: footedNs, byId, bounds },
    memory: {
      hostX,
      nsSlot,
      devSlot,
      rootRows: rootRowsMem,
      cellRows: cellRowsMem,
      innerW: innerWMem,
      containerRow,
    },
  };
}
