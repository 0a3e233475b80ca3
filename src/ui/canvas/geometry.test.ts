import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deviceLink, pointAt, polylineLength, resample, wireLink } from './geometry';

describe('geometry', () => {
  it('resamples a polyline into evenly spaced points (like getPointAtLength)', () => {
    const pts = resample(
      [
        { x: 0, y: 0 },
        { x: 10, y: 0 },
        { x: 10, y: 30 },
      ],
      5,
    );
    expect(pts).toEqual([
      { x: 0, y: 0 },
      { x: 10, y: 0 },
      { x: 10, y: 10 },
      { x: 10, y: 20 },
      { x: 10, y: 30 },
    ]);
  });

  it('keeps the ends and the length of any path (property)', () => {
    const pt = fc.record({
      x: fc.integer({ min: -500, max: 500 }),
      y: fc.integer({ min: -500, max: 500 }),
    });
    fc.assert(
      fc.property(
        fc.array(pt, { minLength: 2, maxLength: 8 }),
        fc.integer({ min: 2, max: 64 }),
        (points, n) => {
          const s = resample(points, n);
          expect(s.length).toBe(n);
          expect(s[0]!.x).toBeCloseTo(points[0]!.x);
          expect(s[n - 1]!.y).toBeCloseTo(points[points.length - 1]!.y);
          expect(polylineLength(s)).toBeLessThanOrEqual(polylineLength(points) + 1e-6);
        },
      ),
    );
  });

  it('interpolates between samples', () => {
    const s = [
      { x: 0, y: 0 },
      { x: 10, y: 0 },
      { x: 20, y: 0 },
    ];
    expect(pointAt(s, 0.25)).toEqual({ x: 5, y: 0 });
    expect(pointAt(s, 2)).toEqual({ x: 20, y: 0 });
  });

  it('joins adjacent cards side to side, and distant ones in a row with a U under them', () => {
    const a = { x: 0, y: 0, w: 200, h: 96 };
    const near = deviceLink(a, { x: 214, y: 0, w: 200, h: 96 }, 14);
    expect(near.points).toEqual([
      { x: 200, y: 48 },
      { x: 214, y: 48 },
    ]);
    const far = deviceLink(a, { x: 642, y: 0, w: 200, h: 96 }, 14);
    expect(Math.max(...far.points.map((p) => p.y))).toBeGreaterThan(96);
    const below = deviceLink(a, { x: 300, y: 400, w: 200, h: 96 }, 14);
    expect(below.points[0]).toEqual({ x: 100, y: 96 });
    expect(below.points[below.points.length - 1]).toEqual({ x: 400, y: 400 });
  });

  it('runs a NIC cable straight up to its network bar', () => {
    const g = wireLink({ x: 100, y: 200, w: 200, h: 96 }, { x: 0, y: 0, w: 800, h: 34 });
    expect(g.points).toEqual([
      { x: 200, y: 200 },
      { x: 200, y: 34 },
    ]);
  });
});
