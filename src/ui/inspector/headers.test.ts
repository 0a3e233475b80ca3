import { describe, expect, it } from 'vitest';
import type { EthernetFrame, Ipv4Packet } from '../../engine/net/packet';
import type { TraceEvent } from '../../engine/sim/trace';
import fx from '../../store/fixtures/traces.json';
import { groupHops } from '../../store/hops';
import { diffLayers, headerLayers, hopHeaders, packetLabel } from './headers';

const ip = (a: number, b: number, c: number, d: number) =>
  ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;

const inner: Ipv4Packet = {
  kind: 'ipv4',
  src: ip(10, 244, 1, 5) as never,
  dst: ip(10, 244, 2, 7) as never,
  ttl: 63,
  protocol: 1,
  id: 9,
  tos: 0,
  df: true,
  payload: { kind: 'icmp', type: 8, code: 0, id: 1, seq: 1, dataLen: 56 },
};
const innerFrame: EthernetFrame = {
  src: 'aa:aa:aa:aa:aa:01' as never,
  dst: 'aa:aa:aa:aa:aa:02' as never,
  payload: inner,
};
const vxlan: EthernetFrame = {
  src: '02:00:00:00:00:01' as never,
  dst: '02:00:00:00:00:02' as never,
  payload: {
    kind: 'ipv4',
    src: ip(192, 168, 1, 10) as never,
    dst: ip(192, 168, 1, 11) as never,
    ttl: 64,
    protocol: 17,
    id: 1,
    tos: 0,
    df: false,
    payload: {
      kind: 'udp',
      sport: 40000,
      dport: 4789,
      payload: { kind: 'vxlan', vni: 1, inner: innerFrame },
    },
  },
};

describe('headers', () => {
  it('lists an ICMP echo layer by layer', () => {
    const layers = headerLayers({ frame: innerFrame });
    expect(layers.map((l) => l.title)).toEqual(['Ethernet', 'IPv4', 'ICMP']);
    expect(layers[1]!.fields.find((f) => f.key === 'ip.src')!.value).toBe('10.244.1.5');
    expect(layers[2]!.fields.find((f) => f.key === 'icmp.type')!.value).toBe('8 (echo request)');
  });

  it('shows outer and inner headers of an encapsulated packet', () => {
    const layers = headerLayers({ frame: vxlan });
    expect(layers.map((l) => l.title)).toEqual([
      'Outer Ethernet',
      'Outer IPv4',
      'UDP',
      'VXLAN',
      'Inner Ethernet',
      'Inner IPv4',
      'ICMP',
    ]);
    expect(layers[5]!.fields[0]!.key).toBe('inner.ip.src');
    expect(packetLabel({ frame: vxlan })).toEqual({ label: 'ICMP', outer: 'VXLAN' });
  });

  it('highlights what a NAT rewrite changed', () => {
    const before = headerLayers({ packet: inner });
    const after = headerLayers({ packet: { ...inner, dst: ip(10, 96, 0, 10) as never, ttl: 62 } });
    expect([...diffLayers(before, after)]).toEqual([
      ['ip.dst', '10.244.2.7'],
      ['ip.ttl', '63'],
    ]);
  });

  it("compares a hop with the same packet's previous hop", () => {
    const events = fx.vethPing.trace as unknown as TraceEvent[];
    const hops = groupHops(events);
    // the ARP request arriving at the server: same frame as it left
    const h = hopHeaders(events, hops, 2);
    expect(h.layers.map((l) => l.title)).toEqual(['Ethernet', 'ARP']);
    expect(h.changed.size).toBe(0);
    expect(packetLabel(h.source!)).toEqual({ label: 'ARP' });
  });

  it('charges a NAT rewrite to the netfilter hook and target that made it', () => {
    const events = fx.kindNat.trace as unknown as TraceEvent[];
    const hops = groupHops(events);
    // The hop on the node's eth0 where POSTROUTING masquerades the pod's SYN.
    const at = events.findIndex(
      (e) => e.stage === 'nf_hook' && e.decision?.kind === 'netfilter' && !!e.decision.nat,
    );
    expect(at).toBeGreaterThan(0);
    const hop = hops.findIndex((h) => h.first <= at && at <= h.last);
    const h = hopHeaders(events, hops, hop, at);
    expect(h.changed.get('ip.src')).toBe('10.0.0.1');
    expect(h.layers.flatMap((l) => l.fields).find((f) => f.key === 'ip.src')?.value).toBe(
      '172.18.0.2',
    );
    expect(h.causes.get('ip.src')).toBe('POSTROUTING · MASQUERADE');
    expect(h.causes.get('ip.ttl')).toBe('ip_forward');
    expect(h.changed.has('ip.dst')).toBe(false);
    // One event earlier (ip_output), the packet is not yet rewritten: only the TTL has changed.
    const before = hopHeaders(events, hops, hop, at - 1);
    expect(before.changed.has('ip.src')).toBe(false);
    expect(before.causes.get('ip.ttl')).toBe('ip_forward');
  });
});
