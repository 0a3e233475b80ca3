/**
 * Display helpers: colours for flows, and turning the engine's values into text. Presentation
 * only; nothing here decides anything about networking.
 */
import type { TopologySnapshot } from '../engine/sim/snapshot';

/**
 * Flow colours: the Okabe–Ito palette (distinguishable with the common colour-vision
 * deficiencies), minus its yellow, which is unreadable on white. Each has a text colour with
 * at least 4.5:1 contrast on it.
 */
export const FLOW_COLORS: readonly {
  readonly fill: string;
  readonly text: string;
  readonly name: string;
}[] = [
  { fill: '#0072B2', text: '#ffffff', name: 'blue' },
  { fill: '#D55E00', text: '#000000', name: 'vermillion' },
  { fill: '#009E73', text: '#000000', name: 'green' },
  { fill: '#CC79A7', text: '#000000', name: 'pink' },
  { fill: '#56B4E9', text: '#000000', name: 'sky blue' },
  { fill: '#E69F00', text: '#000000', name: 'orange' },
  { fill: '#3A3A3A', text: '#ffffff', name: 'charcoal' },
];

export function flowColor(flowId: number): { fill: string; text: string; name: string } {
  const i = (((flowId - 1) % FLOW_COLORS.length) + FLOW_COLORS.length) % FLOW_COLORS.length;
  return FLOW_COLORS[i]!;
}

/** A uint32 IPv4 address as a dotted quad. */
export function dottedQuad(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Simulated nanoseconds as seconds, the way tcpdump prints relative time. */
export function formatSimTime(ns: number): string {
  return `${(ns / 1e9).toFixed(6)}`;
}

/** A short offset from a reference time: "+0", "+2 µs", "+1.000002 s". */
export function formatOffset(ns: number): string {
  if (ns <= 0) return '+0';
  if (ns < 1e3) return `+${ns} ns`;
  if (ns < 1e6) return `+${+(ns / 1e3).toFixed(1)} µs`;
  if (ns < 1e9) return `+${+(ns / 1e6).toFixed(3)} ms`;
  return `+${+(ns / 1e9).toFixed(6)} s`;
}

const podsCache = new WeakMap<TopologySnapshot, ReadonlyMap<number, string>>();

/**
 * "pod NAME" for each namespace a pod's sandbox holds, by namespace id: learners know the pod,
 * not its cni-<uuid>. A namespace gone by the end of a run is not in its snapshot; callers then
 * fall back to the namespace's own name.
 */
export function podsByNetns(
  snap: TopologySnapshot | null | undefined,
): ReadonlyMap<number, string> {
  if (!snap) return new Map();
  let m = podsCache.get(snap);
  if (!m) {
    const out = new Map<number, string>();
    for (const h of snap.hosts)
      for (const n of h.namespaces) if (n.pod) out.set(n.id, `pod ${n.pod.name}`);
    podsCache.set(snap, (m = out));
  }
  return m;
}

/** A trace place's namespace: `root`, the pod whose namespace it is, or the namespace's name. */
export function netnsName(
  w: { netns: string; netnsId: number },
  pods: ReadonlyMap<number, string>,
  root = 'root',
): string {
  return w.netns === 'root' ? root : (pods.get(w.netnsId) ?? w.netns);
}

/** "master · client · veth-client" (or "kind-worker · pod web · eth0") for a trace place. */
export function placeLabel(
  w: { host: string; netns: string; netnsId: number; dev?: string; segment?: string },
  pods: ReadonlyMap<number, string> = new Map(),
): string {
  if (w.segment) return `network ${w.segment}`;
  return [w.host, netnsName(w, pods, 'root ns'), w.dev].filter(Boolean).join(' · ');
}

export function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}
