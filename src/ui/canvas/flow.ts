/**
 * Snapshot + layout → React Flow nodes and edges, and the link geometry the packet animation
 * follows. Pure (types only from React Flow), so it is tested in Node.
 */
import type { Edge, Node } from '@xyflow/react';
import type { DeviceView, LinkView, NetnsView, TopologySnapshot } from '../../engine/sim/snapshot';
import { type PathGeom, deviceLink, wireLink } from './geometry';
import { SIZES, type TopologyLayout, devId, hostId, nsId, segId } from './layout';

export type HostNode = Node<
  { name: string; external: boolean; description?: string; w: number; h: number },
  'host'
>;
export type NetnsNode = Node<
  { ns: NetnsView; w: number; h: number; empty: boolean; footed: boolean },
  'netns'
>;
export type DeviceNode = Node<
  { dev: DeviceView; peer?: string; master?: string; w: number; h: number },
  'device'
>;
export type LoopbackNode = Node<{ dev: DeviceView; w: number; h: number }, 'loopback'>;
export type SegmentNode = Node<
  { name: string; description?: string; w: number; h: number },
  'segment'
>;
export type AppNode = HostNode | NetnsNode | DeviceNode | LoopbackNode | SegmentNode;

export type LinkKind = LinkView['kind'] | 'tunnel';
export type LinkEdgeData = { kind: LinkKind; d: string; label: string };
export type LinkEdge = Edge<LinkEdgeData, 'link'>;

/** A drawn link, with both end node ids, for path finding. */
export interface LinkGeom {
  readonly id: string;
  readonly kind: LinkKind;
  readonly from: string;
  readonly to: string;
  readonly geom: PathGeom;
}

export interface FlowModel {
  readonly nodes: AppNode[];
  readonly edges: LinkEdge[];
  /** Links by the unordered pair of their end node ids (`a|b`, sorted). */
  readonly links: ReadonlyMap<string, LinkGeom>;
}

export const pairKey = (a: string, b: string) => (a < b ? `${a}|${b}` : `${b}|${a}`);

export function linkId(l: LinkView): string {
  return l.kind === 'wire' ? `wire:${l.a}-${l.segment}` : `${l.kind}:${l.a}-${l.b}`;
}

/**
 * Builds the canvas model.
 *
 * @param describe host descriptions and network descriptions from the scenario, for labels
 */
export function toFlow(
  snap: TopologySnapshot,
  layout: TopologyLayout,
  describe: { hosts?: ReadonlyMap<string, string>; networks?: ReadonlyMap<string, string> } = {},
  selectedDevice: number | null = null,
): FlowModel {
  const nodes: AppNode[] = [];
  const names = new Map<number, string>();
  for (const h of snap.hosts)
    for (const n of h.namespaces) for (const d of n.devices) names.set(d.id, d.name);

  // Parents before children, as React Flow requires.
  for (const name of [...snap.segments]) {
    const b = layout.segments.get(name);
    if (!b) continue;
    nodes.push({
      id: b.id,
      type: 'segment',
      position: b.rel,
      width: b.abs.w,
      height: b.abs.h,
      draggable: false,
      selectable: false,
      focusable: false,
      data: {
        name,
        ...(describe.networks?.get(name) ? { description: describe.networks.get(name)! } : {}),
        w: b.abs.w,
        h: b.abs.h,
      },
    });
  }
  for (const h of snap.hosts) {
    const b = layout.hosts.get(h.name)!;
    const description = describe.hosts?.get(h.name);
    nodes.push({
      id: b.id,
      type: 'host',
      position: b.rel,
      width: b.abs.w,
      height: b.abs.h,
      draggable: false,
      selectable: false,
      focusable: false,
      data: {
        name: h.name,
        external: h.external,
        ...(description ? { description } : {}),
        w: b.abs.w,
        h: b.abs.h,
      },
    });
  }
  for (const h of snap.hosts) {
    for (const n of h.namespaces) {
      const b = layout.namespaces.get(n.id)!;
      nodes.push({
        id: b.id,
        type: 'netns',
        parentId: hostId(h.name),
        extent: 'parent',
        position: b.rel,
        width: b.abs.w,
        height: b.abs.h,
        draggable: false,
        selectable: false,
        focusable: false,
        data: {
          ns: n,
          w: b.abs.w,
          h: b.abs.h,
          empty: n.devices.every((d) => d.kind === 'loopback'),
          footed: layout.footed.has(n.id),
        },
      });
    }
  }
  for (const h of snap.hosts) {
    for (const n of h.namespaces) {
      for (const d of n.devices) {
        const b = layout.devices.get(d.id)!;
        const common = {
          id: b.id,
          parentId: nsId(n.id),
          extent: 'parent' as const,
          position: b.rel,
          width: b.abs.w,
          height: b.abs.h,
          draggable: false,
          selected: selectedDevice === d.id,
          ariaLabel: `${d.name}, ${d.kind === 'ether' ? 'network card' : d.kind} in ${n.kind === 'root' ? 'the root namespace' : n.pod ? `pod ${n.pod.name} (namespace ${n.label})` : `namespace ${n.label}`} of ${h.name}, ${d.operState}${d.addrs.length ? `, ${d.addrs.join(', ')}` : ''}`,
        };
        if (d.kind === 'loopback')
          nodes.push({ ...common, type: 'loopback', data: { dev: d, w: b.abs.w, h: b.abs.h } });
        else {
          const peer = d.peer !== undefined ? names.get(d.peer) : undefined;
          const master = d.master !== undefined ? names.get(d.master) : undefined;
          nodes.push({
            ...common,
            type: 'device',
            data: {
              dev: d,
              ...(peer ? { peer } : {}),
              ...(master ? { master } : {}),
              w: b.abs.w,
              h: b.abs.h,
            },
          });
        }
      }
    }
  }

  const edges: LinkEdge[] = [];
  const links = new Map<string, LinkGeom>();
  for (const l of snap.links) {
    const a = layout.devices.get(l.a);
    const target =
      l.kind === 'wire'
        ? l.segment !== undefined
          ? layout.segments.get(l.segment)
          : undefined
        : l.b !== undefined
          ? layout.devices.get(l.b)
          : undefined;
    if (!a || !target) continue;
    const geom =
      l.kind === 'wire' ? wireLink(a.abs, target.abs) : deviceLink(a.abs, target.abs, SIZES.devGap);
    const id = linkId(l);
    const label =
      l.kind === 'veth' ? 'veth pair' : l.kind === 'port' ? 'bridge port' : `cable to ${l.segment}`;
    edges.push({
      id,
      type: 'link',
      source: a.id,
      target: target.id,
      selectable: false,
      focusable: false,
      data: { kind: l.kind, d: geom.d, label },
      zIndex: 1,
    });
    links.set(pairKey(a.id, target.id), { id, kind: l.kind, from: a.id, to: target.id, geom });
  }
  return { nodes, edges, links };
}

export { devId, hostId, nsId, segId };
