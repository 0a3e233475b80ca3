/**
 * The Linux bridge (net/bridge): ports enslaved with `master`, a forwarding database that learns
 * source MACs and ages them out, flooding of broadcast and unknown destinations, and local
 * delivery to the bridge device itself (which can hold an address and route).
 */
import { type Mac, compareMac, isMulticastMac } from '../net/mac';
import type { EthernetFrame } from '../net/packet';
import type { SimTime } from '../sim/time';
import { seconds } from '../sim/time';
import type { FdbDecision } from '../sim/trace';
import { formatIpv4 } from '../net/ipv4';
import { describeFrame } from './describe';
import { ipRouteInput } from './route';
import { Device } from './device';
import type { NetNs } from './netns';
import { deliverToStack, devQueueXmit, tap } from './rx';
import type { Skb } from './skb';
import { drop, emit } from './tracing';

export interface FdbEntry {
  readonly mac: Mac;
  /** The port behind which the MAC lives; for local entries, the device that owns it. */
  port: Device;
  /** One of the bridge's own addresses (a port's or the bridge's): delivered up, never aged. */
  readonly local: boolean;
  /** Never aged out: local entries and those the administrator added as permanent or static. */
  readonly isStatic: boolean;
  /** The state word `bridge fdb add` was given; learned and local entries have none. */
  readonly userState?: 'permanent' | 'static';
  updated: SimTime;
  /** Last time a frame was forwarded to it (`bridge -s fdb show` prints both ages). */
  used: SimTime;
}

/** One of the bridge's own addresses (a port's MAC or the bridge's). */
export function localEntry(mac: Mac, port: Device): FdbEntry {
  const now = port.ns.world.sched.now;
  return { mac, port, local: true, isStatic: true, updated: now, used: now };
}

export interface PortFlags {
  hairpin: boolean;
  learning: boolean;
  flood: boolean;
}

export class Bridge extends Device {
  readonly kind = 'bridge' as const;
  readonly ports: Device[] = [];
  readonly portFlags = new Map<Device, PortFlags>();
  readonly fdb = new Map<Mac, FdbEntry>();
  ageingTime = seconds(300);
  stpState = 0;

  constructor(ns: NetNs, name: string, mac: Mac, macAssign: 'random' | 'set') {
    super(ns, name, mac, macAssign, 1500);
    this.fdb.set(mac, localEntry(mac, this));
  }

  /** The bridge has carrier while at least one port is forwarding. */
  hasCarrier(): boolean {
    return this.ports.some((p) => this.portForwarding(p));
  }

  override operState(): 'UP' | 'DOWN' | 'UNKNOWN' | 'LOWERLAYERDOWN' {
    if (!this.adminUp || !this.hasCarrier()) return 'DOWN';
    return 'UP';
  }

  /** With STP off, a port forwards when it and the bridge are up and it has carrier. */
  portForwarding(p: Device): boolean {
    return this.adminUp && p.adminUp && p.hasCarrier();
  }

  portState(p: Device): 'forwarding' | 'disabled' {
    return this.portForwarding(p) ? 'forwarding' : 'disabled';
  }

  addPort(p: Device): void {
    this.ports.push(p);
    this.portFlags.set(p, { hairpin: false, learning: true, flood: true });
    p.master = this;
    this.fdb.set(p.mac, localEntry(p.mac, p));
    this.recalcMac();
  }

  removePort(p: Device): void {
    const i = this.ports.indexOf(p);
    if (i >= 0) this.ports.splice(i, 1);
    this.portFlags.delete(p);
    if (p.master === this) p.master = undefined;
    for (const [m, e] of this.fdb) if (e.port === p) this.fdb.delete(m);
    this.recalcMac();
  }

  /** A port's MAC changed: its local FDB entry follows. */
  portMacChanged(p: Device, old: Mac): void {
    const e = this.fdb.get(old);
    if (e && e.port === p && e.local) this.fdb.delete(old);
    this.fdb.set(p.mac, localEntry(p.mac, p));
    this.recalcMac();
  }

  /** br_stp_recalculate_bridge_id: unless set by hand, the bridge takes its lowest port MAC. */
  recalcMac(): void {
    if (this.macAssign === 'set' || this.ports.length === 0) return;
    let lowest: Mac | undefined;
    for (const p of this.ports)
      if (lowest === undefined || compareMac(p.mac, lowest) < 0) lowest = p.mac;
    if (lowest === undefined || lowest === this.mac) return;
    const old = this.mac;
    const own = this.fdb.get(old);
    if (own && own.port === this) this.fdb.delete(old);
    this.mac = lowest;
    if (!this.fdb.has(lowest)) this.fdb.set(lowest, localEntry(lowest, this));
  }

  /**
   * A port that stops forwarding (down, no carrier) loses the entries learned behind it, and a
   * bridge going down loses all of them (br_fdb_delete_by_port); local and static ones stay.
   */
  override onStateChange(): void {
    for (const [m, e] of this.fdb) {
      if (e.local || e.isStatic) continue;
      if (!this.adminUp || (e.port !== this && !this.portForwarding(e.port))) this.fdb.delete(m);
    }
    super.onStateChange();
  }

  /** Entries that are alive now (dynamic ones age out after ageing_time). */
  liveFdb(): FdbEntry[] {
    const now = this.ns.world.sched.now;
    const out: FdbEntry[] = [];
    for (const [m, e] of this.fdb) {
      if (!e.local && !e.isStatic && now - e.updated > this.ageingTime) {
        this.fdb.delete(m);
        continue;
      }
      out.push(e);
    }
    return out;
  }

  private lookup(mac: Mac): FdbEntry | undefined {
    const e = this.fdb.get(mac);
    if (!e) return undefined;
    if (!e.local && !e.isStatic && this.ns.world.sched.now - e.updated > this.ageingTime) {
      this.fdb.delete(mac);
      return undefined;
    }
    return e;
  }

  private fdbView(): string[] {
    if (!this.ns.world.trace.detailed) return [];
    return this.liveFdb().map(
      (e) => `${e.mac} ${e.local ? `local (${e.port.name})` : `port ${e.port.name}`}`,
    );
  }

  /** br_handle_frame: a frame arrived on port `port`. */
  handleFrame(port: Device, skb: Skb): void {
    const frame = skb.frame!;
    if (!this.portForwarding(port)) {
      drop(
        this.ns,
        skb,
        'BRIDGE_PORT_DISABLED',
        `${port.name} is not forwarding (bridge ${this.name} ${this.adminUp ? 'port down' : 'is down'})`,
        port,
      );
      return;
    }
    const flags = this.portFlags.get(port)!;
    // br_fdb_update: learn where the source lives, unless it is one of our own addresses.
    if (!isMulticastMac(frame.src) && flags.learning) {
      const e = this.fdb.get(frame.src);
      if (!e) {
        const now = this.ns.world.sched.now;
        this.fdb.set(frame.src, {
          mac: frame.src,
          port,
          local: false,
          isStatic: false,
          updated: now,
          used: now,
        });
        emit(
          this.ns,
          'br_fdb_update',
          skb,
          `bridge ${this.name} learns ${frame.src} is behind ${port.name}`,
          this,
          {
            decision: {
              kind: 'fdb',
              mac: frame.src,
              port: port.name,
              action: 'learn',
              entries: this.fdbView(),
            },
          },
        );
      } else if (!e.local && !e.isStatic) {
        e.port = port;
        e.updated = this.ns.world.sched.now;
      }
    }
    const nf = this.brNfPreRouting(port, skb, frame);
    if (nf) this.switchFrame(port, nf.skb, nf.frame);
  }

  /**
   * br_nf_pre_routing: with br_netfilter loaded and bridge-nf-call-iptables=1, an IPv4 frame
   * goes through iptables PREROUTING (conntrack, DNAT, the reverse of an SNAT) as it enters the
   * bridge, before the forwarding decision: the bridge then switches the rewritten frame, and the
   * IP layer above does not run PREROUTING a second time. Returns undefined when the frame went
   * elsewhere (dropped, or routed after a DNAT).
   */
  private brNfPreRouting(
    port: Device,
    skb: Skb,
    frame: EthernetFrame,
  ): { skb: Skb; frame: EthernetFrame } | undefined {
    const ns = this.ns;
    if (frame.payload.kind !== 'ipv4' || !ns.bridgeCallsIptables || ns.netfilter.empty)
      return { skb, frame };
    const before = frame.payload;
    const r = ns.netfilter.run('PREROUTING', { ...skb, ip: before, brInPort: port }, this);
    if (r.verdict !== 'ACCEPT') return undefined;
    const ip = r.skb.ip!;
    const out: EthernetFrame = { ...frame, payload: ip };
    const next: Skb = { ...r.skb, frame: out, brNfPrerouted: true };
    if (ip.dst === before.dst) return { skb: next, frame: out };
    // The destination changed (DNAT, or an SNAT's reply): route the new one. Reached through this
    // bridge, the frame is re-addressed to its MAC and bridged; otherwise it goes up to be routed.
    const rt = ipRouteInput(ns, this, ip.dst, ip.src);
    if (rt.kind === 'forward' && rt.dev === this) {
      ns.neigh.resolveOutput(this, rt.nexthop, {
        skb: next,
        send: (mac) =>
          this.switchFrame(port, { ...next, frame: { ...out, dst: mac } }, { ...out, dst: mac }),
        fail: () =>
          drop(ns, next, 'NEIGH_FAILED', `no ARP reply for ${formatIpv4(rt.nexthop)}`, this),
      });
      return undefined;
    }
    const up: EthernetFrame = { ...out, dst: this.mac };
    this.passUp({ ...next, frame: up, pktType: 'host' }, up);
    return undefined;
  }

  /** The forwarding decision (br_handle_frame_finish) for a frame that entered on `port`. */
  private switchFrame(port: Device, skb: Skb, frame: EthernetFrame): void {
    const flags = this.portFlags.get(port)!;
    const decide = (d: Omit<FdbDecision, 'kind' | 'entries'>, summary: string) =>
      emit(this.ns, 'br_handle_frame', skb, summary, this, {
        decision: { kind: 'fdb', ...d, entries: this.fdbView() },
      });
    if (isMulticastMac(frame.dst)) {
      decide(
        { mac: frame.dst, action: 'flood' },
        `bridge ${this.name}: broadcast ${describeFrame(frame)}: flood to every other port and pass up`,
      );
      this.flood(skb, frame, port);
      this.passUp(this.ns.world.cloneSkb(skb), frame);
      return;
    }
    const e = this.lookup(frame.dst);
    if (e?.local) {
      decide(
        { mac: frame.dst, port: this.name, action: 'local' },
        `bridge ${this.name}: ${frame.dst} is our own address: deliver to ${this.name}`,
      );
      this.passUp(skb, frame);
      return;
    }
    if (e) {
      if (e.port === port && !flags.hairpin) {
        decide(
          { mac: frame.dst, port: e.port.name, action: 'drop' },
          `bridge ${this.name}: ${frame.dst} is behind the port the frame came from: drop`,
        );
        drop(
          this.ns,
          skb,
          'BRIDGE_NO_EGRESS_PORT',
          'a bridge never sends a frame back out of its ingress port (hairpin off)',
          port,
        );
        this.seenByBridge(this.promiscCount > 0 ? this.ns.world.cloneSkb(skb) : undefined, frame);
        return;
      }
      decide(
        { mac: frame.dst, port: e.port.name, action: 'forward' },
        `bridge ${this.name}: ${frame.dst} is behind ${e.port.name}: forward`,
      );
      e.used = this.ns.world.sched.now;
      const copy = this.promiscCount > 0 ? this.ns.world.cloneSkb(skb) : undefined;
      this.forwardTo(e.port, skb, frame);
      this.seenByBridge(copy, frame);
      return;
    }
    decide(
      { mac: frame.dst, action: 'flood' },
      `bridge ${this.name}: ${frame.dst} unknown: flood to every other port`,
    );
    const copy = this.promiscCount > 0 ? this.ns.world.cloneSkb(skb) : undefined;
    this.flood(skb, frame, port);
    this.seenByBridge(copy, frame);
  }

  /**
   * A frame the bridge forwarded rather than received for itself. A promiscuous bridge (tcpdump
   * on it) passes a copy up its own stack, where IP discards it as not addressed to it. Otherwise
   * only the capture log records it, as tcpdump -i BRIDGE would show it: running tcpdump turns
   * promiscuous mode on, so the capture always sees these frames.
   */
  private seenByBridge(copy: Skb | undefined, frame: EthernetFrame): void {
    if (copy) this.passUp(copy, frame);
    else if (this.adminUp) tap(this, 'In', frame);
  }

  private forwardTo(port: Device, skb: Skb, frame: EthernetFrame): void {
    if (!this.portForwarding(port)) {
      drop(this.ns, skb, 'BRIDGE_PORT_DISABLED', `${port.name} is not forwarding`, port);
      return;
    }
    const out = this.brNfForward(skb, frame);
    if (!out) return;
    emit(this.ns, 'br_forward', out.skb, `bridge ${this.name} forwards out of ${port.name}`, port, {
      to: port,
    });
    devQueueXmit(port, out.skb, out.frame);
  }

  /**
   * br_nf_forward_ip and br_nf_post_routing: a frame that went through PREROUTING at the bridge
   * also meets iptables FORWARD and POSTROUTING (with the bridge as both in and out device) on
   * its way to a port.
   */
  private brNfForward(
    skb: Skb,
    frame: EthernetFrame,
  ): { skb: Skb; frame: EthernetFrame } | undefined {
    if (!skb.brNfPrerouted || frame.payload.kind !== 'ipv4') return { skb, frame };
    const nf = this.ns.netfilter;
    const f = nf.run('FORWARD', { ...skb, ip: frame.payload }, this, this);
    if (f.verdict !== 'ACCEPT') return undefined;
    const p = nf.run('POSTROUTING', f.skb, undefined, this);
    if (p.verdict !== 'ACCEPT') return undefined;
    const out: EthernetFrame = { ...frame, payload: p.skb.ip! };
    return { skb: { ...p.skb, frame: out }, frame: out };
  }

  private flood(skb: Skb, frame: EthernetFrame, ingress?: Device): void {
    const targets = this.ports.filter(
      (p) =>
        this.portForwarding(p) &&
        this.portFlags.get(p)!.flood &&
        (p !== ingress || this.portFlags.get(p)!.hairpin),
    );
    for (const p of targets) {
      const c = targets.length > 1 ? this.ns.world.cloneSkb(skb) : skb;
      const out = this.brNfForward(c, frame);
      if (!out) continue;
      emit(this.ns, 'br_flood', out.skb, `bridge ${this.name} floods out of ${p.name}`, p, {
        to: p,
      });
      devQueueXmit(p, out.skb, out.frame);
    }
  }

  /** br_pass_frame_up: the frame goes up the bridge device's own stack. */
  private passUp(skb: Skb, frame: EthernetFrame): void {
    if (!this.adminUp) return;
    this.countRx(frame);
    tap(this, 'In', frame);
    emit(
      this.ns,
      'br_pass_frame_up',
      skb,
      `bridge ${this.name} passes the frame up to its own stack`,
      this,
    );
    deliverToStack(this, skb);
  }

  /** br_dev_xmit: the bridge's own stack sends a frame (it has an address or routes through it). */
  xmit(skb: Skb, frame: EthernetFrame): void {
    if (isMulticastMac(frame.dst)) {
      emit(
        this.ns,
        'br_handle_frame',
        skb,
        `bridge ${this.name} sends broadcast ${describeFrame(frame)} to every port`,
        this,
        {
          decision: { kind: 'fdb', mac: frame.dst, action: 'flood', entries: this.fdbView() },
        },
      );
      this.flood(skb, frame);
      return;
    }
    const e = this.lookup(frame.dst);
    if (e && !e.local) {
      emit(
        this.ns,
        'br_handle_frame',
        skb,
        `bridge ${this.name}: ${frame.dst} is behind ${e.port.name}`,
        this,
        {
          decision: {
            kind: 'fdb',
            mac: frame.dst,
            port: e.port.name,
            action: 'forward',
            entries: this.fdbView(),
          },
        },
      );
      this.forwardTo(e.port, skb, frame);
      return;
    }
    emit(
      this.ns,
      'br_handle_frame',
      skb,
      `bridge ${this.name}: ${frame.dst} unknown: flood`,
      this,
      {
        decision: { kind: 'fdb', mac: frame.dst, action: 'flood', entries: this.fdbView() },
      },
    );
    this.flood(skb, frame);
  }
}
