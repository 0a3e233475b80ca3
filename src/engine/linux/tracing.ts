/** Small helpers that record trace events from inside the kernel model. */
import type { EthernetFrame, Ipv4Packet } from '../net/packet';
import type { Decision, TraceEvent, TraceStage, TraceWhere } from '../sim/trace';
import type { Device } from './device';
import type { NetNs } from './netns';
import type { Skb } from './skb';

export function whereOf(ns: NetNs, dev?: Device): TraceWhere {
  return dev
    ? { host: ns.host.name, netns: ns.label, netnsId: ns.id, dev: dev.name, devId: dev.uid }
    : { host: ns.host.name, netns: ns.label, netnsId: ns.id };
}

export interface EmitExtras {
  readonly decision?: Decision;
  readonly frame?: EthernetFrame;
  readonly packet?: Ipv4Packet;
  /** A device, or a place with no device (a physical network). */
  readonly to?: Device | TraceWhere;
  readonly final?: 'delivered' | 'dropped';
  readonly queued?: boolean;
}

/** Records one stage for `skb` in namespace `ns` (optionally at device `dev`). */
export function emit(
  ns: NetNs,
  stage: TraceStage,
  skb: Skb,
  summary: string,
  dev?: Device,
  extras: EmitExtras = {},
): TraceEvent {
  const world = ns.world;
  return world.trace.record(world.sched.now, {
    stage,
    where: whereOf(ns, dev),
    packetId: skb.id,
    parentId: skb.parentId,
    flowId: skb.flowId,
    summary,
    decision: extras.decision,
    frame: extras.frame ?? skb.frame,
    packet: extras.packet ?? skb.ip,
    to:
      extras.to === undefined
        ? undefined
        : 'ns' in extras.to
          ? whereOf(extras.to.ns, extras.to)
          : extras.to,
    final: extras.final,
    queued: extras.queued,
  });
}

/** Records a drop (kfree_skb) with a kernel-style reason and a sentence for the learner. */
export function drop(ns: NetNs, skb: Skb, reason: string, text: string, dev?: Device): void {
  emit(ns, 'kfree_skb', skb, text, dev, {
    decision: { kind: 'drop', reason, text },
    final: 'dropped',
  });
}
