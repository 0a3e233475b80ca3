/**
 * The neighbour (ARP) table of one namespace and its state machine, after net/core/neighbour.c:
 * INCOMPLETE → REACHABLE → STALE → DELAY → PROBE → FAILED, with packets queued while resolving.
 */
import { type Ipv4, formatIpv4 } from '../net/ipv4';
import { type Mac, MAC_BROADCAST } from '../net/mac';
import type { ScheduledEvent } from '../sim/scheduler';
import { type SimDuration, type SimTime, ms, seconds } from '../sim/time';
import { arpSolicit } from './arp';
import type { Device } from './device';
import type { NetNs } from './netns';
import type { Skb } from './skb';
import { emit } from './tracing';

export type NudState =
  | 'INCOMPLETE'
  | 'REACHABLE'
  | 'STALE'
  | 'DELAY'
  | 'PROBE'
  | 'FAILED'
  | 'NOARP'
  | 'PERMANENT'
  | 'NONE';

/** States in which the entry holds a usable link-layer address (NUD_VALID). */
const VALID: ReadonlySet<NudState> = new Set([
  'REACHABLE',
  'STALE',
  'DELAY',
  'PROBE',
  'PERMANENT',
  'NOARP',
]);

export interface PendingOutput {
  readonly skb: Skb;
  send(mac: Mac): void;
  /** Resolution failed: the kernel reports it (arp_error_report → ICMP host unreachable). */
  fail(): void;
}

export interface NeighEntry {
  readonly ip: Ipv4;
  readonly dev: Device;
  mac?: Mac;
  state: NudState;
  probes: number;
  /** Solicitations actually sent in this round (probes starts at ucast_solicit, as in the kernel). */
  sent: number;
  queue: PendingOutput[];
  updated: SimTime;
  confirmed: SimTime;
  used: SimTime;
  timer?: ScheduledEvent;
  router: boolean;
  /** Set by `ip neigh add … proto X`. */
  proto?: string;
  /** Whether it was created by the administrator (no garbage collection). */
  admin: boolean;
  /** The packet that last caused a probe (its source address and flow label the next probe). */
  lastCause?: Skb;
}

export class NeighTable {
  private readonly entries = new Map<string, NeighEntry>();
  /** The randomized reachable time (neigh_rand_reach_time), drawn per namespace. */
  private reachableTimeNs?: number;

  constructor(private readonly ns: NetNs) {}

  private key(dev: Device, ip: Ipv4): string {
    return `${dev.uid}/${ip}`;
  }

  /** Whether packet `skbId` waits in some entry's queue for its neighbour to resolve. */
  holds(skbId: number): boolean {
    for (const e of this.entries.values()) if (e.queue.some((q) => q.skb.id === skbId)) return true;
    return false;
  }

  lookup(dev: Device, ip: Ipv4): NeighEntry | undefined {
    return this.entries.get(this.key(dev, ip));
  }

  list(): NeighEntry[] {
    return [...this.entries.values()];
  }

  /** reachable_time: uniformly random in [base/2, 3·base/2), as neigh_rand_reach_time draws it. */
  private reachableTime(dev: Device): SimDuration {
    if (this.reachableTimeNs === undefined) {
      const base = dev.neighParms.base_reachable_time_ms;
      this.reachableTimeNs = ms(base / 2 + this.ns.world.rng.float() * base);
    }
    return this.reachableTimeNs as SimDuration;
  }

  private create(dev: Device, ip: Ipv4, state: NudState): NeighEntry {
    const now = this.ns.world.sched.now;
    const e: NeighEntry = {
      ip,
      dev,
      state,
      probes: 0,
      sent: 0,
      queue: [],
      updated: now,
      confirmed: (now - seconds(3600)) as SimTime,
      used: now,
      router: false,
      admin: false,
    };
    this.entries.set(this.key(dev, ip), e);
    return e;
  }

  remove(e: NeighEntry): void {
    this.ns.world.sched.cancel(e.timer);
    this.entries.delete(this.key(e.dev, e.ip));
  }

  /** neigh_ifdown: entries on a device that went down are flushed and their queues dropped. */
  flushDev(dev: Device): void {
    for (const e of [...this.entries.values()]) {
      if (e.dev !== dev) continue;
      if (e.state === 'PERMANENT') continue;
      this.remove(e);
    }
  }

  /**
   * neigh_resolve_output: sends `out` now if the neighbour is known, otherwise queues it and
   * starts (or continues) resolution.
   */
  resolveOutput(dev: Device, nexthop: Ipv4, out: PendingOutput): void {
    const now = this.ns.world.sched.now;
    let e = this.lookup(dev, nexthop);
    if (!e) e = this.create(dev, nexthop, 'NONE');
    e.used = now;
    const decision = (action: string, queued = false) =>
      emit(
        this.ns,
        'neigh_resolve_output',
        out.skb,
        `neighbour ${formatIpv4(nexthop)} is ${e.state}: ${action}`,
        dev,
        {
          decision: {
            kind: 'neigh',
            ip: formatIpv4(nexthop),
            dev: dev.name,
            state: e.state,
            mac: e.mac,
            action,
          },
          queued: queued || undefined,
        },
      );
    switch (e.state) {
      case 'REACHABLE':
      case 'PERMANENT':
      case 'NOARP':
      case 'DELAY':
      case 'PROBE':
        decision(`send to ${e.mac}`);
        out.send(e.mac!);
        return;
      case 'STALE':
        decision(`send to ${e.mac}, start DELAY`);
        this.setState(e, 'DELAY');
        e.timer = this.ns.world.sched.timer(
          seconds(dev.neighParms.delay_first_probe_time),
          'neigh delay',
          () => this.timer(e!),
        );
        out.send(e.mac!);
        return;
      case 'INCOMPLETE':
        decision('queue until ARP resolves', true);
        this.enqueue(e, out);
        return;
      case 'NONE':
      case 'FAILED': {
        // __neigh_event_send: start resolution with probes = ucast_probes, first probe at once.
        this.setState(e, 'INCOMPLETE');
        e.probes = dev.neighParms.ucast_solicit;
        e.sent = 0;
        decision('queue and send ARP request', true);
        this.enqueue(e, out);
        this.probe(e);
        e.timer = this.ns.world.sched.timer(
          ms(dev.neighParms.retrans_time_ms),
          'neigh retrans',
          () => this.timer(e!),
        );
        return;
      }
    }
  }

  /** neigh_event_send without a packet: start resolving `ip` if nothing is known (redirects do this). */
  eventSend(dev: Device, ip: Ipv4, cause: Skb): void {
    let e = this.lookup(dev, ip);
    if (!e) e = this.create(dev, ip, 'NONE');
    if (e.state !== 'NONE' && e.state !== 'FAILED') return;
    this.setState(e, 'INCOMPLETE');
    e.probes = dev.neighParms.ucast_solicit;
    e.sent = 0;
    this.probeWith(e, cause);
    e.timer = this.ns.world.sched.timer(ms(dev.neighParms.retrans_time_ms), 'neigh retrans', () =>
      this.timer(e!),
    );
  }

  private enqueue(e: NeighEntry, out: PendingOutput): void {
    e.queue.push(out);
    // unres_qlen_bytes (212992) holds about 100 small packets; older ones are dropped first.
    while (e.queue.length > 101) e.queue.shift();
  }

  private setState(e: NeighEntry, s: NudState): void {
    e.state = s;
    e.updated = this.ns.world.sched.now;
  }

  /** Sends one solicitation: broadcast while INCOMPLETE, unicast to the cached MAC in PROBE. */
  private probe(e: NeighEntry): void {
    this.probeWith(e, e.queue[e.queue.length - 1]?.skb ?? e.lastCause);
  }

  private probeWith(e: NeighEntry, trigger: Skb | undefined): void {
    const unicast = e.probes - e.dev.neighParms.ucast_solicit < 0 && e.mac !== undefined;
    e.probes++;
    e.sent++;
    e.lastCause = trigger;
    arpSolicit(this.ns, e.dev, e.ip, unicast ? e.mac! : MAC_BROADCAST, trigger);
  }

  private maxProbes(e: NeighEntry): number {
    const p = e.dev.neighParms;
    return (
      p.ucast_solicit + p.app_solicit + (e.state === 'PROBE' ? p.mcast_resolicit : p.mcast_solicit)
    );
  }

  /** neigh_timer_handler */
  private timer(e: NeighEntry): void {
    const sched = this.ns.world.sched;
    const now = sched.now;
    const p = e.dev.neighParms;
    e.timer = undefined;
    if (e.state === 'REACHABLE') {
      if (now < e.confirmed + this.reachableTime(e.dev)) {
        e.timer = sched.timerAt(
          (e.confirmed + this.reachableTime(e.dev)) as SimTime,
          'neigh reachable',
          () => this.timer(e),
          true,
        );
      } else if (now <= e.used + seconds(p.delay_first_probe_time)) {
        this.setState(e, 'DELAY');
        e.timer = sched.timer(seconds(p.delay_first_probe_time), 'neigh delay', () =>
          this.timer(e),
        );
      } else {
        this.setState(e, 'STALE');
      }
      return;
    }
    if (e.state === 'DELAY') {
      if (now < e.confirmed + seconds(p.delay_first_probe_time)) {
        this.setState(e, 'REACHABLE');
        e.timer = sched.timer(
          this.reachableTime(e.dev),
          'neigh reachable',
          () => this.timer(e),
          true,
        );
      } else {
        this.setState(e, 'PROBE');
        e.probes = 0;
        e.sent = 0;
        this.probeOrFail(e);
      }
      return;
    }
    if (e.state === 'INCOMPLETE' || e.state === 'PROBE') this.probeOrFail(e);
  }

  private probeOrFail(e: NeighEntry): void {
    const sched = this.ns.world.sched;
    if (e.probes >= this.maxProbes(e)) {
      this.setState(e, 'FAILED');
      const queued = e.queue;
      e.queue = [];
      for (const out of queued) {
        emit(
          this.ns,
          'neigh_timer_handler',
          out.skb,
          `ARP for ${formatIpv4(e.ip)} on ${e.dev.name} got no answer: FAILED`,
          e.dev,
          {
            decision: {
              kind: 'drop',
              reason: 'NEIGH_FAILED',
              text: `no ARP reply for ${formatIpv4(e.ip)} after ${e.sent} request${e.sent === 1 ? '' : 's'}`,
            },
            final: 'dropped',
          },
        );
        out.fail();
      }
      return;
    }
    this.probe(e);
    e.timer = sched.timer(ms(e.dev.neighParms.retrans_time_ms), 'neigh retrans', () =>
      this.timer(e),
    );
  }

  /**
   * neigh_update: a link-layer address was learnt (ARP reply or request) or set by the user.
   * `override` lets a different MAC replace a valid one.
   */
  update(
    dev: Device,
    ip: Ipv4,
    mac: Mac,
    newState: NudState,
    opts: { override: boolean; create: boolean; admin?: boolean },
  ): NeighEntry | undefined {
    let e = this.lookup(dev, ip);
    if (!e) {
      if (!opts.create) return undefined;
      e = this.create(dev, ip, 'NONE');
    }
    const sched = this.ns.world.sched;
    const now = sched.now;
    const old = e.state;
    if (old === 'PERMANENT' && !opts.admin) return e;
    let state = newState;
    if (VALID.has(old) && e.mac !== undefined) {
      if (mac !== e.mac && !opts.override) {
        // A different address without override only marks a connected entry stale.
        if (old === 'REACHABLE') this.setState(e, 'STALE');
        return e;
      }
      if (mac === e.mac && state === 'STALE' && !opts.admin) state = old;
    }
    if (state === 'REACHABLE') e.confirmed = now;
    e.mac = mac;
    if (opts.admin) e.admin = true;
    if (state !== old) {
      sched.cancel(e.timer);
      e.timer = undefined;
      this.setState(e, state);
      if (state === 'REACHABLE') {
        e.timer = sched.timer(
          this.reachableTime(dev),
          'neigh reachable',
          () => this.timer(e!),
          true,
        );
      }
    } else {
      e.updated = now;
    }
    if (!VALID.has(old) && VALID.has(e.state)) {
      const queued = e.queue;
      e.queue = [];
      for (const out of queued) {
        if (e.state === 'STALE') {
          // Sending through a STALE entry starts the DELAY timer (neigh_event_send).
          this.setState(e, 'DELAY');
          sched.cancel(e.timer);
          e.timer = sched.timer(seconds(dev.neighParms.delay_first_probe_time), 'neigh delay', () =>
            this.timer(e!),
          );
        }
        out.send(mac);
      }
    }
    return e;
  }

  /** Upper-layer confirmation (dst_confirm_neigh): forward progress proves reachability. */
  confirm(dev: Device, ip: Ipv4): void {
    const e = this.lookup(dev, ip);
    if (e) e.confirmed = this.ns.world.sched.now;
  }

  /** `ip neigh add/replace`: an administrative entry. */
  setAdmin(
    dev: Device,
    ip: Ipv4,
    mac: Mac | undefined,
    state: NudState,
    proto?: string,
  ): NeighEntry {
    let e = this.lookup(dev, ip);
    if (!e) e = this.create(dev, ip, 'NONE');
    this.ns.world.sched.cancel(e.timer);
    e.timer = undefined;
    e.admin = true;
    e.proto = proto;
    const old = e.state;
    e.mac = mac;
    this.setState(e, state);
    if (state === 'REACHABLE') {
      e.confirmed = this.ns.world.sched.now;
      e.timer = this.ns.world.sched.timer(
        this.reachableTime(dev),
        'neigh reachable',
        () => this.timer(e!),
        true,
      );
    }
    if (!VALID.has(old) && VALID.has(state) && mac) {
      const queued = e.queue;
      e.queue = [];
      for (const out of queued) out.send(mac);
    }
    return e;
  }
}
