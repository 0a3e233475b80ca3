/**
 * Packet animation as pure functions: a plan (one entry per hop: where the packet rests, the path
 * it travels to get there, sampled once) and the frame at any playhead. The animation loop only
 * calls `frameAt` and moves SVG elements; tests call the same function.
 */
import type { TraceEvent } from '../../engine/sim/trace';
import {
  type Hop,
  type HopSchedule,
  type Place,
  type Playhead,
  eventAtProgress,
  parkedBefore,
} from '../../store/hops';
import { flowColor, truncate } from '../format';
import { type Pt, type Rect, center, pointAt, resample } from './geometry';
import { type LinkGeom, pairKey } from './flow';
import { SIZES, type TopologyLayout, devId, nsId, segId } from './layout';
import { diffLayers, headerLayers, packetLabel } from '../inspector/headers';

export const SAMPLES_PER_PATH = 48;

export interface HopAnim {
  readonly hop: number;
  readonly packetId: number;
  readonly fill: string;
  readonly text: string;
  readonly label: string;
  /** The outer protocol when the packet is encapsulated (drawn as a packet inside a packet). */
  readonly outer?: string;
  /** Where the packet sits during the hop. */
  readonly rest: Pt;
  /** The box of the place (highlighted while the hop is current). */
  readonly ring?: Rect;
  /** Evenly spaced points from where the packet was to `rest`. */
  readonly path?: readonly Pt[];
  /** Header fields changed since the packet's previous hop: "TTL 64 → 63". */
  readonly changes: readonly string[];
}

export interface AnimPlan {
  readonly hops: readonly HopAnim[];
}

/** The canvas node a place is drawn as. */
export function nodeOfPlace(p: Place, layout: TopologyLayout): string | undefined {
  if (p.segment !== undefined) return layout.segments.has(p.segment) ? segId(p.segment) : undefined;
  if (p.devId !== undefined && layout.devices.has(p.devId)) return devId(p.devId);
  return layout.namespaces.has(p.netnsId) ? nsId(p.netnsId) : undefined;
}

/** Header fields worth flashing when they change, most telling first. */
const CHANGE_LABELS: Record<string, string> = {
  'ip.src': 'src',
  'ip.dst': 'dst',
  'tcp.sport': 'sport',
  'tcp.dport': 'dport',
  'udp.sport': 'sport',
  'udp.dport': 'dport',
  'ip.ttl': 'TTL',
  'eth.src': 'src MAC',
  'eth.dst': 'dst MAC',
};

function changeLines(prev: TraceEvent | undefined, cur: TraceEvent | undefined): string[] {
  if (!prev || !cur) return [];
  const curLayers = headerLayers(cur);
  const values = new Map(curLayers.flatMap((l) => l.fields.map((f) => [f.key, f.value] as const)));
  const out: { rank: number; line: string }[] = [];
  const order = Object.keys(CHANGE_LABELS);
  for (const [key, old] of diffLayers(headerLayers(prev), curLayers)) {
    const bare = key.replace(/^(outer|inner)\./, '');
    const label = CHANGE_LABELS[bare];
    if (!label) continue;
    out.push({
      rank: order.indexOf(bare),
      line: `${key.startsWith('inner.') ? 'inner ' : ''}${label} ${old} → ${values.get(key)}`,
    });
  }
  // Addresses and ports (NAT) first, then the TTL, then MAC rewrites.
  return out.sort((a, b) => a.rank - b.rank).map((c) => c.line);
}

function lastWithHeaders(events: readonly TraceEvent[], h: Hop): TraceEvent | undefined {
  for (let i = h.last; i >= h.first; i--)
    if (events[i]?.frame || events[i]?.packet) return events[i];
  return undefined;
}

/**
 * Builds the plan for one run.
 *
 * @param links drawn links by `pairKey(nodeA, nodeB)`
 */
export function buildPlan(
  events: readonly TraceEvent[],
  hops: readonly Hop[],
  layout: TopologyLayout,
  links: ReadonlyMap<string, LinkGeom>,
): AnimPlan {
  const lastRest = new Map<number, Pt>();
  const lastLabel = new Map<number, { label: string; outer?: string }>();
  const lastHeaders = new Map<number, TraceEvent>();
  const out: HopAnim[] = [];

  for (const h of hops) {
    const node = nodeOfPlace(h.place, layout);
    const box = node ? layout.byId.get(node) : undefined;
    const prevRest =
      lastRest.get(h.packetId) ?? (h.parentId !== undefined ? lastRest.get(h.parentId) : undefined);

    // Where the packet rests: on a device card's bottom edge (its name, MAC and addresses stay
    // readable); a namespace's header; on a network bar, where it entered.
    let rest: Pt;
    if (!box) rest = prevRest ?? { x: 0, y: 0 };
    else if (h.place.segment !== undefined) {
      const x = prevRest
        ? Math.min(Math.max(prevRest.x, box.abs.x + 12), box.abs.x + box.abs.w - 12)
        : center(box.abs).x;
      rest = { x, y: box.abs.y + box.abs.h / 2 };
    } else if (node?.startsWith('ns:'))
      rest = { x: box.abs.x + box.abs.w - 40, y: box.abs.y + SIZES.nsHead / 2 };
    else rest = { x: center(box.abs).x, y: box.abs.y + box.abs.h };

    let path: Pt[] | undefined;
    if (h.from && prevRest) {
      const fromNode = nodeOfPlace(h.from, layout);
      const link = fromNode && node ? links.get(pairKey(fromNode, node)) : undefined;
      const pts: Pt[] = [prevRest];
      if (link) {
        const oriented =
          link.from === fromNode ? link.geom.points : [...link.geom.points].reverse();
        if (h.from.segment !== undefined && oriented[0])
          pts.push({ x: oriented[0].x, y: prevRest.y });
        pts.push(...oriented);
      }
      pts.push(rest);
      path = resample(pts, SAMPLES_PER_PATH);
    }

    const withHdr = lastWithHeaders(events, h);
    const label = (withHdr && packetLabel(withHdr)) ??
      lastLabel.get(h.packetId) ??
      (h.parentId !== undefined ? lastLabel.get(h.parentId) : undefined) ?? { label: 'PKT' };
    lastLabel.set(h.packetId, label);
    // Rewrites on the way here, including inside this hop (NAT at POSTROUTING, the TTL at ip_forward).
    const changes = changeLines(lastHeaders.get(h.packetId), withHdr);
    if (withHdr) lastHeaders.set(h.packetId, withHdr);

    const c = flowColor(h.flowId);
    out.push({
      hop: h.index,
      packetId: h.packetId,
      fill: c.fill,
      text: c.text,
      label: label.label,
      ...(label.outer ? { outer: label.outer } : {}),
      rest,
      ...(box ? { ring: box.abs } : {}),
      ...(path ? { path } : {}),
      changes,
    });
    lastRest.set(h.packetId, rest);
  }
  return { hops: out };
}

export type SpriteState = 'moving' | 'resting' | 'parked' | 'dropped' | 'delivered';

export interface Sprite {
  /** Stable per packet, so the renderer reuses its element. */
  readonly key: string;
  readonly x: number;
  readonly y: number;
  readonly fill: string;
  readonly text: string;
  readonly label: string;
  readonly outer?: string;
  readonly state: SpriteState;
  /**
   * For a moving sprite, the whole journey, so a renderer can hand it to the compositor (one
   * animation per edge traversal) instead of moving the element every frame. `x`/`y` stay the
   * exact position at this playhead.
   */
  readonly motion?: {
    /** Identifies the traversal (hop and packet). */
    readonly key: string;
    readonly path: readonly Pt[];
    /** Share of the traversal already done (before easing). */
    readonly done: number;
    /** How long the traversal takes at speed 1, in ms. */
    readonly durationMs: number;
  };
}

/** The eased position along a path at time share `u` (0–1) of its traversal, as frameAt draws it. */
export function travelPoint(path: readonly Pt[], u: number): Pt {
  return pointAt(path, ease(Math.min(Math.max(u, 0), 1)));
}

export interface Frame {
  readonly sprites: readonly Sprite[];
  readonly ring?: {
    readonly rect: Rect;
    readonly color: string;
    readonly tone: 'normal' | 'dropped' | 'delivered';
  };
  /** What is happening now, next to the packet: the kernel function and its summary. */
  readonly callout?: {
    readonly x: number;
    readonly y: number;
    readonly title: string;
    readonly text: string;
    readonly tone: 'normal' | 'dropped' | 'delivered' | 'decision';
  };
  /** Fields rewritten on the way here (NAT, TTL, MACs), flashed next to the packet. */
  readonly changes?: { readonly x: number; readonly y: number; readonly lines: readonly string[] };
  /** Where the packet ended, under the device: "Dropped · NEIGH_FAILED" or "Delivered". */
  readonly verdict?: {
    readonly x: number;
    readonly y: number;
    readonly text: string;
    readonly tone: 'dropped' | 'delivered';
  };
}

const ease = (t: number) => (t < 0.5 ? 2 * t * t : 1 - (-2 * t + 2) ** 2 / 2);

/**
 * The frame at a playhead: every packet's position and what to highlight. Deterministic: the same
 * playhead always draws the same picture.
 */
export function frameAt(
  plan: AnimPlan,
  run: {
    readonly events: readonly TraceEvent[];
    readonly hops: readonly Hop[];
    readonly schedules: readonly HopSchedule[];
  },
  ph: Playhead,
  reducedMotion: boolean,
): Frame {
  const h = run.hops[ph.hop];
  const anim = plan.hops[ph.hop];
  if (!h || !anim) return { sprites: [] };
  const sprites: Sprite[] = [];

  // Packets waiting elsewhere (queued behind ARP), drawn faded where they wait.
  for (const p of parkedBefore(run.hops, run.events, ph.hop)) {
    const last = [...plan.hops].reverse().find((a) => a.packetId === p.packetId && a.hop < ph.hop);
    if (!last) continue;
    sprites.push({
      key: `p${p.packetId}`,
      x: last.rest.x,
      y: last.rest.y,
      fill: last.fill,
      text: last.text,
      label: last.label,
      ...(last.outer ? { outer: last.outer } : {}),
      state: 'parked',
    });
  }

  const sched = run.schedules[ph.hop]!;
  const travelling = ph.progress < sched.travelEnd && !reducedMotion;
  const eventIndex = eventAtProgress(h, sched, ph.progress);
  const ev = run.events[eventIndex];
  // The packet's end, once the playhead has reached it within this hop.
  let finalEv: TraceEvent | undefined;
  for (let i = h.first; i <= eventIndex && !finalEv; i++)
    if (run.events[i]?.final) finalEv = run.events[i];
  const finalNow = finalEv?.final;

  // The current packet, and its siblings when a bridge floods clones out of every port at once.
  for (let k = h.fan.start; k <= h.fan.end; k++) {
    const a = plan.hops[k]!;
    const s = run.schedules[k]!;
    let pos = a.rest;
    let state: SpriteState = 'resting';
    let motion: Sprite['motion'];
    if (a.path && ph.progress < s.travelEnd && !reducedMotion) {
      const done = ph.progress / s.travelEnd;
      pos = travelPoint(a.path, done);
      state = 'moving';
      motion = {
        key: `${ph.run}:${k}:${a.packetId}`,
        path: a.path,
        done,
        durationMs: s.travelEnd * s.totalMs,
      };
    }
    if (k === ph.hop && finalNow) state = finalNow;
    sprites.push({
      key: `p${a.packetId}`,
      x: pos.x,
      y: pos.y,
      fill: a.fill,
      text: a.text,
      label: a.label,
      ...(a.outer ? { outer: a.outer } : {}),
      state,
      ...(motion ? { motion } : {}),
    });
  }

  const tone = finalNow ?? 'normal';
  const frame: {
    sprites: Sprite[];
    ring?: Frame['ring'];
    callout?: Frame['callout'];
    changes?: Frame['changes'];
    verdict?: Frame['verdict'];
  } = { sprites };
  if (anim.ring) frame.ring = { rect: anim.ring, color: anim.fill, tone };
  if (ev && !travelling) {
    const text =
      ev.decision?.kind === 'drop' ? `${ev.decision.reason}: ${ev.decision.text}` : ev.summary;
    frame.callout = {
      x: anim.rest.x,
      y: (anim.ring?.y ?? anim.rest.y) - 10,
      title: ev.stage,
      text: truncate(text, 90),
      tone: finalNow ?? (ev.decision && ev.decision.kind !== 'note' ? 'decision' : 'normal'),
    };
  }
  if (finalEv && !travelling) {
    const d = finalEv.decision;
    const text =
      finalEv.final === 'dropped'
        ? d?.kind === 'drop'
          ? `Dropped · ${d.reason}`
          : 'Dropped'
        : 'Delivered';
    frame.verdict = {
      x: anim.rest.x,
      y: Math.max(anim.ring ? anim.ring.y + anim.ring.h : anim.rest.y, anim.rest.y) + 17,
      text,
      tone: finalEv.final!,
    };
  }
  if (anim.changes.length && !travelling)
    // Beside the packet, clear of the card's text above it.
    frame.changes = { x: anim.rest.x + 44, y: anim.rest.y - 9, lines: anim.changes.slice(0, 3) };
  return frame;
}
