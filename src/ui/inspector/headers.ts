/**
 * A packet's headers as layers of labelled fields (Ethernet, ARP or IPv4, ICMP/TCP/UDP, and the
 * inner packet of an encapsulation), and what changed between two hops. Presentation of what the
 * engine recorded; nothing is recomputed.
 */
import type { ArpPacket, EthernetFrame, Ipv4Packet, L4, TcpFlags } from '../../engine/net/packet';
import type { TraceEvent } from '../../engine/sim/trace';
import type { Hop } from '../../store/hops';
import { dottedQuad } from '../format';

export interface Field {
  /** Stable across hops, e.g. `ip.ttl`, `outer.ip.dst`, `inner.eth.src`. */
  readonly key: string;
  readonly label: string;
  readonly value: string;
}

export interface Layer {
  readonly key: string;
  readonly title: string;
  readonly fields: readonly Field[];
}

const PROTOCOLS: Record<number, string> = { 1: 'ICMP', 4: 'IPIP', 6: 'TCP', 17: 'UDP' };

const ICMP_TYPES: Record<number, string> = {
  0: 'echo reply',
  3: 'destination unreachable',
  5: 'redirect',
  8: 'echo request',
  11: 'time exceeded',
};
const UNREACH_CODES: Record<number, string> = {
  0: 'net unreachable',
  1: 'host unreachable',
  2: 'protocol unreachable',
  3: 'port unreachable',
  4: 'fragmentation needed',
  9: 'net prohibited',
  10: 'host prohibited',
  13: 'administratively prohibited',
};

export function tcpFlagsText(f: TcpFlags): string {
  const names: [keyof TcpFlags, string][] = [
    ['syn', 'SYN'],
    ['ack', 'ACK'],
    ['psh', 'PSH'],
    ['fin', 'FIN'],
    ['rst', 'RST'],
    ['urg', 'URG'],
  ];
  return (
    names
      .filter(([k]) => f[k])
      .map(([, n]) => n)
      .join(' ') || 'none'
  );
}

function ethLayer(f: EthernetFrame, prefix: string, title: string): Layer {
  const type = f.payload.kind === 'arp' ? 'ARP (0x0806)' : 'IPv4 (0x0800)';
  return {
    key: `${prefix}eth`,
    title,
    fields: [
      { key: `${prefix}eth.src`, label: 'Source MAC', value: f.src },
      {
        key: `${prefix}eth.dst`,
        label: 'Destination MAC',
        value: f.dst === 'ff:ff:ff:ff:ff:ff' ? 'ff:ff:ff:ff:ff:ff (broadcast)' : f.dst,
      },
      { key: `${prefix}eth.type`, label: 'EtherType', value: type },
    ],
  };
}

function arpLayer(a: ArpPacket, prefix: string): Layer {
  return {
    key: `${prefix}arp`,
    title: 'ARP',
    fields: [
      {
        key: `${prefix}arp.op`,
        label: 'Operation',
        value: a.op === 'request' ? 'request (who-has)' : 'reply (is-at)',
      },
      { key: `${prefix}arp.smac`, label: 'Sender MAC', value: a.senderMac },
      { key: `${prefix}arp.sip`, label: 'Sender IP', value: dottedQuad(a.senderIp) },
      { key: `${prefix}arp.tmac`, label: 'Target MAC', value: a.targetMac },
      { key: `${prefix}arp.tip`, label: 'Target IP', value: dottedQuad(a.targetIp) },
    ],
  };
}

function ipLayer(p: Ipv4Packet, prefix: string, title: string): Layer {
  return {
    key: `${prefix}ip`,
    title,
    fields: [
      { key: `${prefix}ip.src`, label: 'Source', value: dottedQuad(p.src) },
      { key: `${prefix}ip.dst`, label: 'Destination', value: dottedQuad(p.dst) },
      { key: `${prefix}ip.ttl`, label: 'TTL', value: String(p.ttl) },
      {
        key: `${prefix}ip.proto`,
        label: 'Protocol',
        value: `${PROTOCOLS[p.protocol] ?? 'unknown'} (${p.protocol})`,
      },
      { key: `${prefix}ip.id`, label: 'ID', value: String(p.id) },
      { key: `${prefix}ip.df`, label: "Don't fragment", value: p.df ? 'yes' : 'no' },
    ],
  };
}

function l4Layers(l4: L4, prefix: string, depth: number): Layer[] {
  switch (l4.kind) {
    case 'icmp': {
      const type = `${l4.type} (${ICMP_TYPES[l4.type] ?? 'other'})`;
      if ('original' in l4) {
        const o = l4.original;
        const code =
          l4.type === 3 ? `${l4.code} (${UNREACH_CODES[l4.code] ?? 'other'})` : String(l4.code);
        return [
          {
            key: `${prefix}icmp`,
            title: 'ICMP',
            fields: [
              { key: `${prefix}icmp.type`, label: 'Type', value: type },
              { key: `${prefix}icmp.code`, label: 'Code', value: code },
              {
                key: `${prefix}icmp.about`,
                label: 'About',
                value: `${dottedQuad(o.src)} → ${dottedQuad(o.dst)} ${PROTOCOLS[o.protocol] ?? o.protocol}`,
              },
              ...(l4.mtu !== undefined
                ? [{ key: `${prefix}icmp.mtu`, label: 'Next-hop MTU', value: String(l4.mtu) }]
                : []),
              ...(l4.gateway !== undefined
                ? [{ key: `${prefix}icmp.gw`, label: 'Gateway', value: dottedQuad(l4.gateway) }]
                : []),
            ],
          },
        ];
      }
      return [
        {
          key: `${prefix}icmp`,
          title: 'ICMP',
          fields: [
            { key: `${prefix}icmp.type`, label: 'Type', value: type },
            { key: `${prefix}icmp.code`, label: 'Code', value: String(l4.code) },
            { key: `${prefix}icmp.id`, label: 'Identifier', value: String(l4.id) },
            { key: `${prefix}icmp.seq`, label: 'Sequence', value: String(l4.seq) },
            { key: `${prefix}icmp.len`, label: 'Data', value: `${l4.dataLen} bytes` },
          ],
        },
      ];
    }
    case 'tcp':
      return [
        {
          key: `${prefix}tcp`,
          title: 'TCP',
          fields: [
            { key: `${prefix}tcp.sport`, label: 'Source port', value: String(l4.sport) },
            { key: `${prefix}tcp.dport`, label: 'Destination port', value: String(l4.dport) },
            { key: `${prefix}tcp.flags`, label: 'Flags', value: tcpFlagsText(l4.flags) },
            { key: `${prefix}tcp.seq`, label: 'Sequence', value: String(l4.seq) },
            {
              key: `${prefix}tcp.ack`,
              label: 'Acknowledgment',
              value: l4.flags.ack ? String(l4.ack) : '—',
            },
            { key: `${prefix}tcp.win`, label: 'Window', value: String(l4.window) },
            {
              key: `${prefix}tcp.data`,
              label: 'Data',
              value: l4.data.length ? `${l4.data.length} bytes` : 'none',
            },
          ],
        },
      ];
    case 'udp': {
      const udp: Layer = {
        key: `${prefix}udp`,
        title: 'UDP',
        fields: [
          { key: `${prefix}udp.sport`, label: 'Source port', value: String(l4.sport) },
          { key: `${prefix}udp.dport`, label: 'Destination port', value: String(l4.dport) },
        ],
      };
      if (l4.payload.kind === 'vxlan' && depth === 0) {
        const vx: Layer = {
          key: `${prefix}vxlan`,
          title: 'VXLAN',
          fields: [{ key: `${prefix}vxlan.vni`, label: 'VNI', value: String(l4.payload.vni) }],
        };
        return [udp, vx, ...frameLayers(l4.payload.inner, 'inner.', 1)];
      }
      return [udp];
    }
    case 'ipip':
      return depth === 0
        ? [ipLayer(l4.inner, 'inner.', 'Inner IPv4'), ...l4Layers(l4.inner.payload, 'inner.', 1)]
        : [];
  }
}

function encapsulated(p: Ipv4Packet): boolean {
  return (
    p.payload.kind === 'ipip' || (p.payload.kind === 'udp' && p.payload.payload.kind === 'vxlan')
  );
}

function frameLayers(f: EthernetFrame, prefix: string, depth: number): Layer[] {
  const inner = prefix === 'inner.';
  if (f.payload.kind === 'arp')
    return [
      ethLayer(f, prefix, inner ? 'Inner Ethernet' : 'Ethernet'),
      arpLayer(f.payload, prefix),
    ];
  const outer = !inner && encapsulated(f.payload);
  const p = outer ? 'outer.' : prefix;
  return [
    ethLayer(f, p, inner ? 'Inner Ethernet' : outer ? 'Outer Ethernet' : 'Ethernet'),
    ipLayer(f.payload, p, inner ? 'Inner IPv4' : outer ? 'Outer IPv4' : 'IPv4'),
    ...l4Layers(f.payload.payload, p, depth),
  ];
}

/**
 * The frame an event shows. Events inside the IP layer (ip_forward, a netfilter hook, the
 * neighbour lookup) carry both the frame the packet arrived in and the IP packet as it stands
 * now; when they are the same datagram (same IP ID, neither encapsulated), the IP part is the
 * current one, so a NAT rewrite or a TTL decrement shows where it happens, not a hop later.
 */
function currentFrame(ev: Pick<TraceEvent, 'frame' | 'packet'>): EthernetFrame | undefined {
  const { frame, packet } = ev;
  if (!frame || !packet || frame.payload.kind !== 'ipv4' || frame.payload === packet) return frame;
  const old = frame.payload;
  if (old.id !== packet.id || old.protocol !== packet.protocol) return frame;
  if (encapsulated(old) || encapsulated(packet)) return frame;
  return { ...frame, payload: packet };
}

/** The layers of whatever an event carries (a whole frame, or an IP packet before/after L2). */
export function headerLayers(ev: Pick<TraceEvent, 'frame' | 'packet'>): Layer[] {
  const frame = currentFrame(ev);
  if (frame) return frameLayers(frame, '', 0);
  if (ev.packet) {
    const outer = encapsulated(ev.packet);
    const p = outer ? 'outer.' : '';
    return [
      ipLayer(ev.packet, p, outer ? 'Outer IPv4' : 'IPv4'),
      ...l4Layers(ev.packet.payload, p, 0),
    ];
  }
  return [];
}

/** Fields whose value differs between two header stacks: key → the previous value. */
export function diffLayers(prev: readonly Layer[], cur: readonly Layer[]): Map<string, string> {
  const before = new Map<string, string>();
  for (const l of prev) for (const f of l.fields) before.set(f.key, f.value);
  const changed = new Map<string, string>();
  for (const l of cur)
    for (const f of l.fields) {
      const old = before.get(f.key);
      if (old !== undefined && old !== f.value) changed.set(f.key, old);
    }
  return changed;
}

/** Index of the first event from `from` to `to` (either direction) that carries headers. */
function withHeaders(
  events: readonly TraceEvent[],
  from: number,
  to: number,
  step: 1 | -1,
): number | undefined {
  for (let i = from; step > 0 ? i <= to : i >= to; i += step) {
    const e = events[i];
    if (e && (e.frame || e.packet)) return i;
  }
  return undefined;
}

/**
 * What rewrote a header at an event, in the learner's terms: the netfilter hook and target for a
 * NAT ("POSTROUTING · MASQUERADE", or the connection's binding undone by conntrack for a reply),
 * otherwise the kernel function (`ip_forward` for the TTL, `neigh_resolve_output` for MACs).
 */
export function rewriteCause(e: TraceEvent): string {
  const d = e.decision;
  if (e.stage === 'nf_hook' && d?.kind === 'netfilter') {
    const target =
      (d.nat?.rule && /-j\s+(\S+)/.exec(d.nat.rule)?.[1]) ??
      [...d.walks].reverse().find((w) => /^(SNAT|DNAT|MASQUERADE|REDIRECT)\b/.test(w.outcome))
        ?.outcome;
    return target ? `${d.hook} · ${target}` : `${d.hook} · conntrack NAT`;
  }
  return e.stage;
}

export interface HopHeaders {
  readonly layers: readonly Layer[];
  /** key → previous value, for fields changed since the previous hop of the same packet. */
  readonly changed: ReadonlyMap<string, string>;
  /** key → what changed it (see `rewriteCause`), for the fields in `changed`. */
  readonly causes: ReadonlyMap<string, string>;
  /** The event the headers were taken from. */
  readonly source?: TraceEvent;
}

/**
 * The headers at an event of a hop (the nearest event that carries them, looking back first),
 * compared with the packet's previous hop, with the event that made each change.
 */
export function hopHeaders(
  events: readonly TraceEvent[],
  hops: readonly Hop[],
  hopIndex: number,
  eventIndex?: number,
): HopHeaders {
  const none: HopHeaders = { layers: [], changed: new Map(), causes: new Map() };
  const hop = hops[hopIndex];
  if (!hop) return none;
  const at = eventIndex ?? hop.last;
  const si = withHeaders(events, at, hop.first, -1) ?? withHeaders(events, at + 1, hop.last, 1);
  if (si === undefined) return none;
  const source = events[si]!;
  const layers = headerLayers(source);
  for (let k = hopIndex - 1; k >= 0; k--) {
    const prev = hops[k]!;
    if (prev.packetId !== hop.packetId) continue;
    const pi = withHeaders(events, prev.last, prev.first, -1);
    if (pi === undefined) continue;
    const before = headerLayers(events[pi]!);
    // Walk the hop's own events up to the shown one: each rewrite is charged to the event after
    // which it first appears (ip_forward for the TTL, the nat hook for an address).
    const causes = new Map<string, string>();
    let running = before;
    for (let i = hop.first; i <= si; i++) {
      const e = events[i]!;
      if (!e.frame && !e.packet) continue;
      const next = headerLayers(e);
      for (const key of diffLayers(running, next).keys()) causes.set(key, rewriteCause(e));
      running = next;
    }
    const changed = diffLayers(before, layers);
    for (const key of [...causes.keys()]) if (!changed.has(key)) causes.delete(key);
    return { layers, changed, causes, source };
  }
  return { layers, changed: new Map(), causes: new Map(), source };
}

/** Short protocol label for a packet marker: ARP, ICMP, SYN, TCP, UDP, DNS… and the outer one if encapsulated. */
export function packetLabel(
  ev: Pick<TraceEvent, 'frame' | 'packet'>,
): { label: string; outer?: string } | undefined {
  const ip = ev.frame
    ? ev.frame.payload.kind === 'arp'
      ? undefined
      : ev.frame.payload
    : ev.packet;
  if (ev.frame?.payload.kind === 'arp') return { label: 'ARP' };
  if (!ip) return undefined;
  const l4label = (p: Ipv4Packet): string => {
    const l = p.payload;
    switch (l.kind) {
      case 'icmp':
        return 'ICMP';
      case 'tcp': {
        const f = l.flags;
        if (f.syn && f.ack) return 'SYN-ACK';
        if (f.syn) return 'SYN';
        if (f.rst) return 'RST';
        if (f.fin) return 'FIN';
        return l.data.length ? 'TCP' : 'ACK';
      }
      case 'udp':
        return l.dport === 53 || l.sport === 53 ? 'DNS' : 'UDP';
      case 'ipip':
        return 'IPIP';
    }
  };
  const l = ip.payload;
  if (l.kind === 'ipip') return { label: l4label(l.inner), outer: 'IPIP' };
  if (l.kind === 'udp' && l.payload.kind === 'vxlan') {
    const inner = l.payload.inner;
    return { label: inner.payload.kind === 'arp' ? 'ARP' : l4label(inner.payload), outer: 'VXLAN' };
  }
  return { label: l4label(ip) };
}
