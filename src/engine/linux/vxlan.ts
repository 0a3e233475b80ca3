/**
 * VXLAN devices (drivers/net/vxlan/vxlan_core.c) as Flannel uses them: `flannel.1`, VNI 1, UDP
 * port 8472, no learning, a static FDB of (peer VTEP MAC → peer node IP) entries that flanneld
 * programs with `bridge fdb append`. Transmit looks the inner destination MAC up in that FDB and
 * wraps the frame in UDP/IPv4 to the entry's address (udp_tunnel_xmit_skb → ip_local_out);
 * receive is the encap_rcv hook of the device's UDP socket: a datagram to the port whose VXLAN
 * header names this VNI is stripped and its inner frame enters the stack on the VXLAN device.
 *
 * Checked on kernel 6.18 (iproute2 6.1.0, tcpdump 4.99.3): the outer header has DF clear, TTL 64
 * ("ttl auto" is ip4_dst_hoplimit) and TOS 0; the UDP source port comes from the inner flow's
 * hash, symmetric in the addresses (both directions of a ping used the same port) and blind to
 * the ICMP echo id; frames with no FDB entry (IPv6 multicast from addrconf) count as TX drops.
 */
import { type Ipv4, formatIpv4 } from '../net/ipv4';
import type { Mac } from '../net/mac';
import {
  ETH_HEADER_LEN,
  type EthernetFrame,
  IPPROTO_UDP,
  type Ipv4Packet,
  type UdpDatagram,
  frameLength,
} from '../net/packet';
import { us } from '../sim/time';
import { ipLocalOut } from './ip';
import type { NetNs } from './netns';
import { ipRouteOutput, isOutputError } from './route';
import type { Skb } from './skb';
import { drop, emit } from './tracing';
import { TunnelDevice } from './tunnel';
import type { Device } from './device';

/** One `bridge fdb` entry of a VXLAN device (struct vxlan_fdb with its one remote). */
export interface VxlanFdbEntry {
  readonly mac: Mac;
  readonly dst: Ipv4;
  readonly state: 'permanent' | 'static';
}

export interface VxlanConfig {
  readonly vni: number;
  readonly dstport: number;
  readonly local?: Ipv4;
  /** The underlay device (`dev eth0`). */
  readonly lower?: Device;
  readonly learning: boolean;
  /** 0 is "ttl auto". */
  readonly ttl: number;
  readonly ageing: number;
}

export class VxlanDevice extends TunnelDevice {
  readonly kind = 'vxlan' as const;
  readonly cfg: VxlanConfig;
  /** The FDB, in the order entries were added (the kernel walks its hash table). */
  readonly fdb: VxlanFdbEntry[] = [];

  constructor(ns: NetNs, name: string, mac: Mac, macAssign: 'random' | 'set', cfg: VxlanConfig) {
    // vxlan_config_apply: the lower device's MTU less the 50 bytes of outer headers, else 1500.
    super(ns, name, mac, macAssign, cfg.lower ? cfg.lower.mtu - 50 : 1500);
    this.cfg = cfg;
  }

  fdbFind(mac: Mac): VxlanFdbEntry | undefined {
    return this.fdb.find((e) => e.mac === mac);
  }

  /**
   * vxlan_fdb_add / vxlan_fdb_update: `add` fails on an existing MAC; `append` adds a remote only
   * to the all-zeros or a multicast MAC and is otherwise a no-op on an existing one; `replace`
   * swaps the remote. New entries go to the head of the hash chain (shown first).
   */
  fdbAdd(
    mac: Mac,
    dst: Ipv4,
    state: VxlanFdbEntry['state'],
    mode: 'add' | 'append' | 'replace',
  ): 'EEXIST' | undefined {
    const existing = this.fdb.filter((e) => e.mac === mac);
    if (existing.length === 0) {
      this.fdb.unshift({ mac, dst, state });
      return undefined;
    }
    if (mode === 'add') return 'EEXIST';
    const multi = mac === '00:00:00:00:00:00' || (parseInt(mac.slice(0, 2), 16) & 1) === 1;
    if (mode === 'append') {
      if (multi && !existing.some((e) => e.dst === dst)) {
        const last = this.fdb.lastIndexOf(existing[existing.length - 1]!);
        this.fdb.splice(last + 1, 0, { mac, dst, state });
      }
      return undefined;
    }
    const i = this.fdb.indexOf(existing[0]!);
    this.fdb[i] = { mac, dst, state };
    return undefined;
  }

  /** vxlan_fdb_delete: one remote when `dst` is given, else the whole entry. */
  fdbDel(mac: Mac, dst: Ipv4 | undefined): 'ENOENT' | undefined {
    const hit = this.fdb.filter((e) => e.mac === mac && (dst === undefined || e.dst === dst));
    if (hit.length === 0) return 'ENOENT';
    for (const e of hit) this.fdb.splice(this.fdb.indexOf(e), 1);
    return undefined;
  }

  /** vxlan_xmit: find the remote for the inner destination MAC and encapsulate. */
  xmit(skb: Skb, frame: EthernetFrame): void {
    const ns = this.ns;
    const entry = this.fdbFind(frame.dst) ?? this.fdbFind('00:00:00:00:00:00' as Mac);
    if (!entry) {
      // No entry and no default destination: dropped and counted, not transmitted.
      this.uncountTx(frame);
      this.stats.txDropped++;
      drop(
        ns,
        skb,
        'VXLAN_NO_REMOTE',
        `${this.name} has no FDB entry for ${frame.dst}: nowhere to send it`,
        this,
      );
      return;
    }
    const rt = ipRouteOutput(ns, entry.dst, { src: this.cfg.local });
    if (isOutputError(rt)) {
      this.uncountTx(frame);
      this.stats.txDropped++;
      drop(ns, skb, 'IP_OUTNOROUTES', `no route to the VTEP ${formatIpv4(entry.dst)}`, this);
      return;
    }
    const sport = vxlanSourcePort(ns, frame);
    const dgram: UdpDatagram = {
      kind: 'udp',
      sport,
      dport: this.cfg.dstport,
      payload: { kind: 'vxlan', vni: this.cfg.vni, inner: frame },
    };
    const outer: Ipv4Packet = {
      kind: 'ipv4',
      src: this.cfg.local ?? rt.src,
      dst: entry.dst,
      ttl: this.cfg.ttl || ns.sysctlNumber('net.ipv4.ip_default_ttl'),
      protocol: IPPROTO_UDP,
      id: (ns.ipIdCounter = (ns.ipIdCounter + 1) & 0xffff),
      // The inner ECN bits would be copied; everything here is ECN-free.
      tos: 0,
      df: false,
      payload: dgram,
    };
    const out: Skb = {
      ...skb,
      frame: undefined,
      ip: outer,
      local: true,
      pktType: undefined,
      inDev: undefined,
      ct: undefined,
    };
    emit(
      ns,
      'vxlan_xmit',
      out,
      `${this.name} wraps the frame for ${frame.dst} in VXLAN (VNI ${this.cfg.vni}): UDP ${formatIpv4(outer.src)}:${sport} → ${formatIpv4(entry.dst)}:${this.cfg.dstport} (FDB: ${frame.dst} dst ${formatIpv4(entry.dst)})`,
      this,
      {
        decision: {
          kind: 'fdb',
          mac: frame.dst,
          action: 'forward',
          port: formatIpv4(entry.dst),
          entries: this.fdb.map((e) => `${e.mac} dst ${formatIpv4(e.dst)} self ${e.state}`),
        },
      },
    );
    ipLocalOut(ns, out, rt);
  }

  private uncountTx(frame: EthernetFrame): void {
    this.stats.txPackets--;
    this.stats.txBytes -= frameLength(frame) - ETH_HEADER_LEN;
  }

  /** vxlan_rcv: the UDP socket's encap_rcv. Returns false when the datagram is not for us. */
  rcv(skb: Skb, dgram: UdpDatagram): void {
    const ns = this.ns;
    if (dgram.payload.kind !== 'vxlan') {
      drop(ns, skb, 'UDP_CSUM', 'not a VXLAN header: dropped by the tunnel socket', this);
      return;
    }
    const inner = dgram.payload.inner;
    if (inner.src === this.mac) {
      // A frame we sent ourselves, looped back by the network.
      drop(ns, skb, 'VXLAN_LOOP', `${inner.src} is ${this.name}'s own address`, this);
      return;
    }
    emit(
      ns,
      'vxlan_rcv',
      skb,
      `VXLAN VNI ${dgram.payload.vni} from ${formatIpv4(skb.ip!.src)}: the inner frame enters ${this.name}`,
      this,
      { frame: inner },
    );
    // iptunnel_pull_header → skb_scrub_packet; gro_cells_receive queues it for the device.
    const next: Skb = {
      ...skb,
      frame: inner,
      ip: undefined,
      pktType: undefined,
      inDev: undefined,
      brInPort: undefined,
      brNfPrerouted: undefined,
      ct: undefined,
      local: undefined,
    };
    ns.world.sched.schedule(us(1), `vxlan_rcv ${this.name}`, () => {
      ns.receiveFrame(this, next);
    });
  }
}

/** The VXLAN device in `ns` that owns UDP port `port` and VNI `vni`, if up. */
export function vxlanFor(ns: NetNs, port: number): VxlanDevice[] {
  return ns.devices.filter(
    (d): d is VxlanDevice => d instanceof VxlanDevice && d.adminUp && d.cfg.dstport === port,
  );
}

/**
 * udp_flow_src_port: the skb's flow hash scaled into the local port range [32768, 61000). The
 * kernel hashes the dissected inner flow (addresses in a canonical order, then L4 ports) with a
 * boot-time random key, so its ports cannot be reproduced; this is a fixed, deterministic mix of
 * the same inputs with the same symmetry.
 */
export function vxlanSourcePort(ns: NetNs, frame: EthernetFrame): number {
  const range = (ns.globals.get('net.ipv4.ip_local_port_range') ?? '32768\t60999')
    .split(/\s+/)
    .map(Number);
  const lo = range[0] ?? 32768;
  const hi = (range[1] ?? 60999) + 1;
  const hash = flowHash(frame);
  return Math.floor((hash * (hi - lo)) / 0x100000000) + lo;
}

function flowHash(frame: EthernetFrame): number {
  const p = frame.payload;
  let words: number[];
  if (p.kind === 'ipv4') {
    let a = p.src >>> 0;
    let b = p.dst >>> 0;
    let sp = 0;
    let dp = 0;
    const l4 = p.payload;
    if (l4.kind === 'tcp' || l4.kind === 'udp') {
      sp = l4.sport;
      dp = l4.dport;
    }
    // __flow_hash_consistentify: the lower address (then port) first.
    if (a > b || (a === b && sp > dp)) {
      [a, b] = [b, a];
      [sp, dp] = [dp, sp];
    }
    words = [a, b, ((sp << 16) | dp) >>> 0, p.protocol];
  } else {
    words = [p.senderIp >>> 0, p.targetIp >>> 0, 0x0806];
  }
  // A murmur3-style mix with a fixed key.
  let h = 0x5bd1e995;
  for (const w of words) {
    let k = Math.imul(w, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
