/**
 * Hops: the units the playhead moves through. A hop is a run of consecutive trace events of one
 * packet at one place (a device, a namespace, or a physical network). Moving from one hop to the
 * next of the same packet is one edge traversal on the canvas.
 *
 * Nothing here computes networking: it only groups and times the events the engine recorded.
 */
import type { Decision, TraceEvent, TraceWhere } from '../engine/sim/trace';

/** Where a hop happens, as the trace names it. */
export interface Place {
  readonly host: string;
  readonly netnsId: number;
  readonly netns: string;
  readonly devId?: number;
  readonly dev?: string;
  /** A physical network between hosts (`wire` events). */
  readonly segment?: string;
}

export interface Hop {
  readonly index: number;
  readonly packetId: number;
  readonly parentId?: number;
  readonly flowId: number;
  readonly place: Place;
  /** Index (into the run's events) of the hop's first event. */
  readonly first: number;
  /** Index of its last event (inclusive); a hop's events are contiguous. */
  readonly last: number;
  /**
   * Where the packet was just before (its own previous hop, or its parent's for a clone's first
   * hop) when that is somewhere else: the edge the packet travels to get here.
   */
  readonly from?: Place;
  /**
   * Hops that play together: clones of one parent leaving the same place (a bridge flooding an
   * ARP broadcast to every port). `start`/`end` are hop indexes; alone, both equal `index`.
   */
  readonly fan: { readonly start: number; readonly end: number };
  readonly final?: 'delivered' | 'dropped';
  /** How many of the hop's events carry a decision (route lookup, ARP, FDB, netfilter, drop). */
  readonly decisions: number;
}

/** The place of a trace event. */
export function placeOf(w: TraceWhere): Place {
  return {
    host: w.host,
    netnsId: w.netnsId,
    netns: w.netns,
    ...(w.devId !== undefined ? { devId: w.devId, dev: w.dev } : {}),
    ...(w.segment !== undefined ? { segment: w.segment } : {}),
  };
}

/**
 * True when an event at `b` can belong to a hop at `a`: same namespace (or network), and the same
 * device unless one side names none (a route lookup before the output device is known).
 */
export function compatiblePlace(a: Place, b: Place): boolean {
  if (a.segment !== undefined || b.segment !== undefined) return a.segment === b.segment;
  if (a.netnsId !== b.netnsId || a.host !== b.host) return false;
  return a.devId === undefined || b.devId === undefined || a.devId === b.devId;
}

/** Whether a packet stayed put between two places (a device and its namespace count as one). */
export const samePlace = compatiblePlace;

/** A stable key for a place, e.g. `d:5`, `ns:3`, `s:lan`. */
export function placeKey(p: Place): string {
  if (p.segment !== undefined) return `s:${p.segment}`;
  if (p.devId !== undefined) return `d:${p.devId}`;
  return `ns:${p.netnsId}`;
}

interface Draft {
  packetId: number;
  parentId?: number;
  flowId: number;
  place: Place;
  first: number;
  last: number;
  final?: 'delivered' | 'dropped';
  decisions: number;
}

/**
 * Groups a run's events into hops, in trace order.
 *
 * @example
 * groupHops(events).map((h) => `${h.packetId}@${placeKey(h.place)}`) // ['1@d:6', '2@d:6', '2@d:5', …]
 */
export function groupHops(events: readonly TraceEvent[]): Hop[] {
  const drafts: Draft[] = [];
  let cur: Draft | undefined;
  events.forEach((e, i) => {
    const place = placeOf(e.where);
    if (cur && cur.packetId === e.packetId && compatiblePlace(cur.place, place)) {
      if (cur.place.devId === undefined && place.devId !== undefined) cur.place = place;
      cur.last = i;
    } else {
      cur = {
        packetId: e.packetId,
        parentId: e.parentId,
        flowId: e.flowId,
        place,
        first: i,
        last: i,
        decisions: 0,
      };
      drafts.push(cur);
    }
    if (e.decision) cur.decisions++;
    if (e.final) cur.final = e.final;
  });

  // Second pass, once places are final: where each hop came from.
  const lastPlace = new Map<number, Place>();
  const hops: Hop[] = [];
  drafts.forEach((d, index) => {
    const prev =
      lastPlace.get(d.packetId) ??
      (d.parentId !== undefined ? lastPlace.get(d.parentId) : undefined);
    const from = prev && !samePlace(prev, d.place) ? prev : undefined;
    lastPlace.set(d.packetId, d.place);
    hops.push({
      index,
      packetId: d.packetId,
      ...(d.parentId !== undefined ? { parentId: d.parentId } : {}),
      flowId: d.flowId,
      place: d.place,
      first: d.first,
      last: d.last,
      ...(from ? { from } : {}),
      fan: { start: index, end: index },
      ...(d.final ? { final: d.final } : {}),
      decisions: d.decisions,
    });
  });

  // Fan groups: consecutive first hops of clones of one parent, leaving one place.
  const seen = new Set<number>();
  const isFirst: boolean[] = hops.map((h) => {
    const first = !seen.has(h.packetId);
    seen.add(h.packetId);
    return first;
  });
  let i = 0;
  while (i < hops.length) {
    const h = hops[i]!;
    let j = i;
    if (isFirst[i] && h.parentId !== undefined && h.from) {
      while (
        j + 1 < hops.length &&
        isFirst[j + 1] &&
        hops[j + 1]!.parentId === h.parentId &&
        hops[j + 1]!.from !== undefined &&
        samePlace(hops[j + 1]!.from!, h.from)
      )
        j++;
    }
    if (j > i) for (let k = i; k <= j; k++) hops[k] = { ...hops[k]!, fan: { start: i, end: j } };
    i = j + 1;
  }
  return hops;
}

/** Playback pacing at speed 1, in milliseconds. */
export const TIMING = {
  /** Moving along one edge. */
  travelMs: 900,
  /** An event without a decision (a function the packet passes through). */
  eventMs: 260,
  /** An event with a decision: the pause where the learner reads it. */
  decisionMs: 1100,
  /** Where a packet ends (delivered or dropped). */
  finalMs: 1200,
} as const;

export interface HopSchedule {
  /** Total duration in ms at speed 1. */
  readonly totalMs: number;
  /** Share of the hop spent travelling (0 when the packet does not move). */
  readonly travelEnd: number;
  /** Progress (0–1) at which each of the hop's events becomes current. */
  readonly starts: readonly number[];
}

function eventWeight(d: Decision | undefined, final: TraceEvent['final']): number {
  if (final) return TIMING.finalMs;
  if (!d) return TIMING.eventMs;
  return d.kind === 'note' ? TIMING.eventMs * 2 : TIMING.decisionMs;
}

/** How a hop's time is shared between travelling and its events. */
export function hopSchedule(hop: Hop, events: readonly TraceEvent[]): HopSchedule {
  const travel = hop.from ? TIMING.travelMs : 0;
  const weights: number[] = [];
  for (let i = hop.first; i <= hop.last; i++)
    weights.push(eventWeight(events[i]?.decision, events[i]?.final));
  const total = travel + weights.reduce((a, b) => a + b, 0);
  const starts: number[] = [];
  let t = travel;
  for (const w of weights) {
    starts.push(t / total);
    t += w;
  }
  return { totalMs: total, travelEnd: travel / total, starts };
}

/**
 * The event (index into the run's events) that is current at `progress` within a hop. While the
 * packet travels, that is the hop's first event (its arrival).
 */
export function eventAtProgress(hop: Hop, schedule: HopSchedule, progress: number): number {
  let k = 0;
  for (let i = 0; i < schedule.starts.length; i++)
    if (progress >= schedule.starts[i]! - 1e-9) k = i;
  return hop.first + k;
}

/** The progress at which an event of a hop becomes current (the inverse of eventAtProgress). */
export function progressOfEvent(hop: Hop, schedule: HopSchedule, eventIndex: number): number {
  const k = Math.min(Math.max(eventIndex - hop.first, 0), schedule.starts.length - 1);
  return schedule.starts[k] ?? 0;
}

/** The hop containing an event. Hops are sorted by `first`, so this is a binary search. */
export function hopOfEvent(hops: readonly Hop[], eventIndex: number): number {
  let lo = 0;
  let hi = hops.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (hops[mid]!.first <= eventIndex) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The hop the playhead moves to on "next hop": past this hop's fan group. */
export function nextHopIndex(hops: readonly Hop[], i: number): number | undefined {
  const h = hops[i];
  if (!h) return undefined;
  return h.fan.end + 1 < hops.length ? h.fan.end + 1 : undefined;
}

/** The hop the playhead moves to on "previous hop": the start of the previous fan group. */
export function prevHopIndex(hops: readonly Hop[], i: number): number | undefined {
  const h = hops[i];
  if (!h || h.fan.start === 0) return undefined;
  return hops[h.fan.start - 1]!.fan.start;
}

export interface Playhead {
  /** Index into the session's runs; -1 before the first one (the scenario as booted). */
  readonly run: number;
  readonly hop: number;
  /** 0–1 within the hop. */
  readonly progress: number;
}

/**
 * Advances a playhead by `dtMs` of wall time at `speed`, crossing hop boundaries (fan groups count
 * once). Pure, so pausing, scrubbing and tests all see the same positions.
 */
export function advance(
  ph: Playhead,
  dtMs: number,
  speed: number,
  hops: readonly Hop[],
  scheduleOf: (hopIndex: number) => HopSchedule,
): { playhead: Playhead; ended: boolean } {
  if (hops.length === 0) return { playhead: { ...ph, hop: 0, progress: 1 }, ended: true };
  let hop = Math.min(Math.max(ph.hop, 0), hops.length - 1);
  let remaining = Math.max(0, dtMs) * speed;
  let progress = ph.progress;
  for (;;) {
    const total = scheduleOf(hop).totalMs;
    const left = (1 - progress) * total;
    if (remaining < left) {
      progress += remaining / total;
      return { playhead: { run: ph.run, hop, progress }, ended: false };
    }
    remaining -= left;
    const next = nextHopIndex(hops, hop);
    if (next === undefined) return { playhead: { run: ph.run, hop, progress: 1 }, ended: true };
    hop = next;
    progress = 0;
  }
}

/**
 * Packets waiting somewhere while others move (an echo request queued until ARP answers): for the
 * hop at `at`, the packets whose last hop before it ended in an event the engine marked `queued`.
 */
export function parkedBefore(
  hops: readonly Hop[],
  events: readonly TraceEvent[],
  at: number,
): { packetId: number; flowId: number; place: Place }[] {
  const parked = new Map<number, { packetId: number; flowId: number; place: Place }>();
  const end = hops[at]?.fan.start ?? at;
  for (let i = 0; i < end; i++) {
    const h = hops[i]!;
    parked.delete(h.packetId);
    if (!h.final && events[h.last]?.queued) {
      parked.set(h.packetId, { packetId: h.packetId, flowId: h.flowId, place: h.place });
    }
  }
  const current = hops[at];
  if (current)
    for (let k = current.fan.start; k <= current.fan.end; k++) parked.delete(hops[k]!.packetId);
  return [...parked.values()];
}
