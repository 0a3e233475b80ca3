/**
 * The world: hosts and the physical networks joining them, one scheduler, one seeded rng, one
 * trace and one capture log. Everything the engine simulates hangs off a World.
 */
import { CaptureLog } from './capture';
import { DEFAULT_EPOCH } from './clock';
import { type SimDuration, after } from './time';
import { Rng } from './rng';
import { Scheduler } from './scheduler';
import { TraceRecorder } from './trace';
import { Host, type HostOptions } from '../linux/host';
import { Segment } from '../linux/segment';
import type { Skb } from '../linux/skb';
import type { Mac } from '../net/mac';
import { macFromBytes } from '../net/mac';

/**
 * Deliberate departures from Linux, for proving that the conformance suite notices them. Never
 * set by scenarios, the CLI or the app; only the comparator's own tests turn them on.
 */
export interface EngineFaults {
  /** ip_forward leaves the TTL as it was. */
  readonly ttlNotDecremented?: boolean;
  /** ARP answers requests for any address, as if every address were ours. */
  readonly arpAnswersForeign?: boolean;
}

export interface WorldOptions {
  readonly seed?: number;
  /** Unix time at simulated time zero, for what programs print as wall-clock time. */
  readonly epoch?: number;
  readonly faults?: EngineFaults;
}

export class World {
  readonly sched = new Scheduler();
  readonly rng: Rng;
  readonly trace = new TraceRecorder();
  readonly captures = new CaptureLog();
  readonly hosts = new Map<string, Host>();
  readonly segments = new Map<string, Segment>();
  private nextSkbId = 1;
  private nextFlowId = 1;
  private nextPid = 1000;
  private nextNsId = 1;
  private nextDeviceUid = 1;

  readonly epoch: number;
  readonly faults: EngineFaults;

  constructor(opts: WorldOptions = {}) {
    this.faults = opts.faults ?? {};
    this.rng = new Rng(opts.seed ?? 1);
    this.epoch = opts.epoch ?? DEFAULT_EPOCH;
  }

  /**
   * Lets simulated time pass with nobody typing: queued events (timers, retransmits, background
   * servers) run up to `now + d`. Bounded by `maxEvents` so a storm cannot hang the caller;
   * returns false when the budget ran out before the time did.
   */
  pass(d: SimDuration, maxEvents = 200_000): boolean {
    const until = after(this.sched.now, d);
    const outcome = this.sched.run(() => false, { maxEvents, until });
    if (outcome.kind === 'event-budget') return false;
    this.sched.advanceTo(until);
    return true;
  }

  /** Wall-clock seconds now (epoch + simulated time). */
  unixNow(): number {
    return this.epoch + this.sched.now / 1e9;
  }

  addHost(opts: HostOptions): Host {
    if (this.hosts.has(opts.name)) throw new Error(`duplicate host ${opts.name}`);
    const h = new Host(this, opts);
    this.hosts.set(opts.name, h);
    return h;
  }

  addSegment(name: string): Segment {
    if (this.segments.has(name)) throw new Error(`duplicate network ${name}`);
    const s = new Segment(this, name);
    this.segments.set(name, s);
    return s;
  }

  host(name: string): Host | undefined {
    return this.hosts.get(name);
  }

  newFlowId(): number {
    return this.nextFlowId++;
  }

  newSkb(flowId: number, parent?: Skb): Skb {
    return { id: this.nextSkbId++, parentId: parent?.id, flowId, mark: parent?.mark ?? 0 };
  }

  /** A clone of `skb` (bridge flooding, loopback copies) with its own id. */
  cloneSkb(skb: Skb): Skb {
    return { ...skb, id: this.nextSkbId++, parentId: skb.id };
  }

  /** A network namespace's id, unique in this world (its inode, in spirit). */
  allocNsId(): number {
    return this.nextNsId++;
  }

  /** A device's id, unique in this world across namespaces (what the trace names it by). */
  allocDeviceUid(): number {
    return this.nextDeviceUid++;
  }

  allocPid(): number {
    return this.nextPid++;
  }

  /** eth_random_addr: random bytes, multicast bit cleared, locally-administered bit set. */
  randomMac(): Mac {
    const b = this.rng.bytes(6);
    b[0] = (b[0]! & 0xfe) | 0x02;
    return macFromBytes(b);
  }
}
