/**
 * A physical network joining hosts' NICs: a learning switch with no address of its own, so
 * each host's tcpdump sees what a switch port would deliver (broadcasts, frames for it, floods).
 */
import { type Mac, isMulticastMac } from '../net/mac';
import type { EthernetFrame } from '../net/packet';
import { us } from '../sim/time';
import type { World } from '../sim/world';
import type { Ether, Medium } from './device';
import type { Skb } from './skb';
import { whereOf } from './tracing';

/**
 * One-way delay across the switch, as the conformance lab's stand-in for a network (a veth into
 * a bridge and a veth out of it) measures: a little more than one veth hop.
 */
const WIRE_LATENCY = us(15);

export class Segment implements Medium {
  readonly ports: Ether[] = [];
  private readonly table = new Map<Mac, Ether>();

  constructor(
    readonly world: World,
    readonly name: string,
  ) {}

  plug(nic: Ether): void {
    if (!this.ports.includes(nic)) this.ports.push(nic);
    nic.medium = this;
  }

  unplug(nic: Ether): void {
    const i = this.ports.indexOf(nic);
    if (i >= 0) this.ports.splice(i, 1);
    for (const [m, p] of this.table) if (p === nic) this.table.delete(m);
    if (nic.medium === this) nic.medium = undefined;
  }

  transmit(from: Ether, skb: Skb, frame: EthernetFrame): void {
    this.table.set(frame.src, from);
    const known = isMulticastMac(frame.dst) ? undefined : this.table.get(frame.dst);
    const targets = known ? (known === from ? [] : [known]) : this.ports.filter((p) => p !== from);
    const world = this.world;
    world.trace.record(world.sched.now, {
      stage: 'wire',
      where: { host: '', netns: '', netnsId: 0, segment: this.name },
      packetId: skb.id,
      parentId: skb.parentId,
      flowId: skb.flowId,
      summary: known
        ? `switch ${this.name} forwards to ${known.ns.host.name}`
        : `switch ${this.name} floods to ${targets.map((t) => t.ns.host.name).join(', ') || 'nobody'}`,
      frame,
      to: targets.length === 1 ? whereOf(targets[0]!.ns, targets[0]!) : undefined,
    });
    for (const t of targets) {
      if (!t.adminUp) continue;
      t.arrive(targets.length > 1 ? world.cloneSkb(skb) : skb, frame, WIRE_LATENCY);
    }
  }
}
