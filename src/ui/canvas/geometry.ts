/**
 * Edge geometry shared by the canvas (the drawn links) and the packet animation (the paths packets
 * follow), so a packet always rides exactly on the line the learner sees. Pure: no DOM.
 */

export interface Pt {
  readonly x: number;
  readonly y: number;
}

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

export const center = (r: Rect): Pt => ({ x: r.x + r.w / 2, y: r.y + r.h / 2 });

/** A drawable path: the SVG `d` and a dense polyline of it (for sampling). */
export interface PathGeom {
  readonly d: string;
  readonly points: readonly Pt[];
}

const r1 = (n: number) => Math.round(n * 10) / 10;

function cubic(p0: Pt, c1: Pt, c2: Pt, p1: Pt, steps = 40): PathGeom {
  const points: Pt[] = [];
  for (let i = 0; i <= steps; i++) {
    const t = i / steps;
    const u = 1 - t;
    points.push({
      x: u * u * u * p0.x + 3 * u * u * t * c1.x + 3 * u * t * t * c2.x + t * t * t * p1.x,
      y: u * u * u * p0.y + 3 * u * u * t * c1.y + 3 * u * t * t * c2.y + t * t * t * p1.y,
    });
  }
  return {
    d: `M${r1(p0.x)},${r1(p0.y)} C${r1(c1.x)},${r1(c1.y)} ${r1(c2.x)},${r1(c2.y)} ${r1(p1.x)},${r1(p1.y)}`,
    points,
  };
}

function line(points: Pt[]): PathGeom {
  return { d: points.map((p, i) => `${i ? 'L' : 'M'}${r1(p.x)},${r1(p.y)}`).join(' '), points };
}

/**
 * The link between two device cards:
 * - side by side in one row and adjacent: a straight line between the facing sides;
 * - in one row with cards between them: a U under the row (so it crosses no card);
 * - otherwise: an S-curve from the bottom of the upper card to the top of the lower one.
 */
export function deviceLink(a: Rect, b: Rect, gap: number): PathGeom {
  const ca = center(a);
  const cb = center(b);
  const sameRow = Math.abs(ca.y - cb.y) < (a.h + b.h) / 4;
  if (sameRow) {
    const left = ca.x <= cb.x ? a : b;
    const right = left === a ? b : a;
    const between = right.x - (left.x + left.w);
    if (between <= gap * 3) {
      const p = { x: left.x + left.w, y: left.y + left.h / 2 };
      const q = { x: right.x, y: right.y + right.h / 2 };
      return left === a ? line([p, q]) : line([q, p]);
    }
    const sag = 34 + Math.min(60, Math.abs(cb.x - ca.x) / 12);
    const pa = { x: ca.x, y: a.y + a.h };
    const pb = { x: cb.x, y: b.y + b.h };
    const low = Math.max(pa.y, pb.y) + sag;
    return cubic(pa, { x: pa.x, y: low }, { x: pb.x, y: low }, pb);
  }
  const aAbove = ca.y < cb.y;
  const pa = aAbove ? { x: ca.x, y: a.y + a.h } : { x: ca.x, y: a.y };
  const pb = aAbove ? { x: cb.x, y: b.y } : { x: cb.x, y: b.y + b.h };
  const mid = (pa.y + pb.y) / 2;
  return cubic(pa, { x: pa.x, y: mid }, { x: pb.x, y: mid }, pb);
}

/** A NIC's cable down (or up) to the bar that stands for its physical network. */
export function wireLink(dev: Rect, segment: Rect): PathGeom {
  const x = Math.min(Math.max(center(dev).x, segment.x + 8), segment.x + segment.w - 8);
  const below = segment.y >= dev.y + dev.h;
  return below
    ? line([
        { x, y: dev.y + dev.h },
        { x, y: segment.y },
      ])
    : line([
        { x, y: dev.y },
        { x, y: segment.y + segment.h },
      ]);
}

/** Total length of a polyline. */
export function polylineLength(points: readonly Pt[]): number {
  let len = 0;
  for (let i = 1; i < points.length; i++)
    len += Math.hypot(points[i]!.x - points[i - 1]!.x, points[i]!.y - points[i - 1]!.y);
  return len;
}

/**
 * Resamples a polyline into `n` points evenly spaced along its length (what getPointAtLength would
 * give, computed once per path so the animation loop only interpolates).
 */
export function resample(points: readonly Pt[], n: number): Pt[] {
  if (points.length === 0) return [];
  if (points.length === 1 || n < 2) return Array.from({ length: Math.max(n, 1) }, () => points[0]!);
  const total = polylineLength(points);
  if (total === 0) return Array.from({ length: n }, () => points[0]!);
  const out: Pt[] = [];
  let seg = 1;
  let segStart = 0;
  let segLen = Math.hypot(points[1]!.x - points[0]!.x, points[1]!.y - points[0]!.y);
  for (let i = 0; i < n; i++) {
    const target = (total * i) / (n - 1);
    while (segStart + segLen < target - 1e-9 && seg < points.length - 1) {
      segStart += segLen;
      seg++;
      segLen = Math.hypot(points[seg]!.x - points[seg - 1]!.x, points[seg]!.y - points[seg - 1]!.y);
    }
    const t = segLen === 0 ? 0 : Math.min(1, Math.max(0, (target - segStart) / segLen));
    const p0 = points[seg - 1]!;
    const p1 = points[seg]!;
    out.push({ x: p0.x + (p1.x - p0.x) * t, y: p0.y + (p1.y - p0.y) * t });
  }
  return out;
}

/** The point at fraction `t` (0–1) of evenly spaced samples, interpolating between them. */
export function pointAt(samples: readonly Pt[], t: number): Pt {
  if (samples.length === 0) return { x: 0, y: 0 };
  if (samples.length === 1) return samples[0]!;
  const f = Math.min(Math.max(t, 0), 1) * (samples.length - 1);
  const i = Math.min(Math.floor(f), samples.length - 2);
  const k = f - i;
  const a = samples[i]!;
  const b = samples[i + 1]!;
  return { x: a.x + (b.x - a.x) * k, y: a.y + (b.y - a.y) * k };
}
