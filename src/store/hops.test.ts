import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../engine/sim/trace';
import fx from './fixtures/traces.json';
import {
  TIMING,
  advance,
  eventAtProgress,
  groupHops,
  hopOfEvent,
  hopSchedule,
  nextHopIndex,
  parkedBefore,
  placeKey,
  prevHopIndex,
  progressOfEvent,
} from './hops';

const veth = fx.vethPing.trace as unknown as TraceEvent[];
const flood = fx.bridgeFlood.trace as unknown as TraceEvent[];
const wire = fx.wire.trace as unknown as TraceEvent[];

const describeHops = (events: TraceEvent[]) =>
  groupHops(events).map(
    (h) => `${h.packetId}@${placeKey(h.place)}${h.from ? `<${placeKey(h.from)}` : ''}`,
  );

describe('groupHops', () => {
  it('groups consecutive events of one packet at one place, and records where it came from', () => {
    expect(describeHops(veth).slice(0, 8)).toEqual([
      // route lookup (no device yet) + ip_output + neigh_resolve_output at veth-client
      '1@d:6',
      // the ARP request, a clone of the echo request, sent from the same device: no travel
      '2@d:6',
      // …arrives at the peer: one edge traversal
      '2@d:5<d:6',
      '3@d:5',
      '3@d:6<d:5',
      // the queued echo request leaves once ARP has answered
      '1@d:6',
      '3@d:6',
      '1@d:5<d:6',
    ]);
  });

  it('covers every event exactly once, in order', () => {
    for (const events of [veth, flood, wire]) {
      const hops = groupHops(events);
      let next = 0;
      for (const h of hops) {
        expect(h.first).toBe(next);
        expect(h.last).toBeGreaterThanOrEqual(h.first);
        next = h.last + 1;
      }
      expect(next).toBe(events.length);
    }
  });

  it('marks the final hop of a delivered packet', () => {
    const hops = groupHops(veth);
    const last = hops[hops.length - 1]!;
    expect(last.final).toBe('delivered');
    expect(veth[last.last]!.stage).toBe('sock_deliver');
  });

  it('makes a fan group of the clones a bridge floods out of its ports', () => {
    const hops = groupHops(flood);
    const fans = hops.filter((h) => h.fan.end > h.fan.start);
    expect(fans.length).toBe(2);
    const [a, b] = fans;
    expect(a!.fan).toEqual(b!.fan);
    expect(a!.parentId).toBe(b!.parentId);
    expect(placeKey(a!.from!)).toBe(placeKey(b!.from!));
    // next/prev hop skip the group as a whole
    expect(nextHopIndex(hops, a!.index)).toBe(a!.fan.end + 1);
    expect(prevHopIndex(hops, a!.fan.end + 1)).toBe(a!.fan.start);
  });

  it('routes a frame across a physical network through the segment', () => {
    const hops = describeHops(wire);
    // The two NICs plugged into the network, as the recorded snapshot links them.
    const nics = fx.wire.snapshot.links
      .filter((l) => l.kind === 'wire' && l.segment === 'lan')
      .map((l) => l.a);
    expect(nics).toHaveLength(2);
    const [a, b] = nics;
    // The first frame onto the wire goes from one NIC to the segment, then on to the other NIC.
    const onto = hops.findIndex((h) => /^\d+@s:lan</.test(h));
    const packet = hops[onto]!.split('@')[0];
    expect([`${packet}@s:lan<d:${a}`, `${packet}@s:lan<d:${b}`]).toContain(hops[onto]);
    const from = hops[onto]!.endsWith(`d:${a}`) ? b : a;
    expect(hops.slice(onto + 1)).toContain(`${packet}@d:${from}<s:lan`);
  });
});

describe('schedule and playhead', () => {
  const hops = groupHops(veth);
  const sched = (i: number) => hopSchedule(hops[i]!, veth);

  it('gives travel time only to hops that move, and pauses on decisions', () => {
    const still = hopSchedule(hops[0]!, veth);
    expect(still.travelEnd).toBe(0);
    const moving = hopSchedule(hops[2]!, veth);
    expect(moving.travelEnd).toBeGreaterThan(0);
    expect(moving.totalMs).toBeGreaterThanOrEqual(TIMING.travelMs + TIMING.decisionMs);
  });

  it('maps progress to events and back', () => {
    const h = hops[2]!;
    const s = sched(2);
    expect(eventAtProgress(h, s, 0)).toBe(h.first);
    expect(eventAtProgress(h, s, 1)).toBe(h.last);
    for (let e = h.first; e <= h.last; e++)
      expect(eventAtProgress(h, s, progressOfEvent(h, s, e))).toBe(e);
    expect(hopOfEvent(hops, h.last)).toBe(2);
    expect(hopOfEvent(hops, 0)).toBe(0);
  });

  it('advances across hops and stops at the end', () => {
    let ph = { run: 0, hop: 0, progress: 0 };
    const r1 = advance(ph, sched(0).totalMs / 2, 1, hops, sched);
    expect(r1.playhead.hop).toBe(0);
    expect(r1.playhead.progress).toBeCloseTo(0.5);
    const r2 = advance(ph, sched(0).totalMs + 1, 1, hops, sched);
    expect(r2.playhead.hop).toBe(1);
    ph = r2.playhead;
    const r3 = advance(ph, 1e9, 1, hops, sched);
    expect(r3.ended).toBe(true);
    expect(r3.playhead).toEqual({ run: 0, hop: hops.length - 1, progress: 1 });
    // double speed covers twice the ground
    const a = advance({ run: 0, hop: 0, progress: 0 }, 100, 2, hops, sched).playhead.progress;
    const b = advance({ run: 0, hop: 0, progress: 0 }, 200, 1, hops, sched).playhead.progress;
    expect(a).toBeCloseTo(b);
  });

  it('shows the echo request parked while ARP resolves', () => {
    // hop 2: the ARP request arrives at the server; the echo request waits at veth-client
    const parked = parkedBefore(hops, veth, 2);
    expect(parked.map((p) => `${p.packetId}@${placeKey(p.place)}`)).toEqual(['1@d:6']);
    // once the echo request moves again it is no longer parked
    const resumed = hops.findIndex((h, i) => i > 0 && h.packetId === 1);
    expect(parkedBefore(hops, veth, resumed + 1).length).toBe(0);
  });
});
