/**
 * Display helpers: colours for flows, and turning the engine's values into text. Presentation
 * only; nothing here decides anything about networking.
 */

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

/** "master · client · veth-client" for a trace place. */
export function placeLabel(w: {
  host: string;
  netns: string;
  dev?: string;
  segment?: string;
}): string {
  if (w.segment) return `network ${w.segment}`;
  return [w.host, w.netns === 'root' ? 'root ns' : w.netns, w.dev].filter(Boolean).join(' · ');
}

export function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}
