/**
 * The engine's only source of randomness: a seeded xoroshiro128+ (pure-rand), so the same
 * scenario and seed give the same MACs, ports, sequence numbers and load-balancing choices.
 */
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

export class Rng {
  private gen: RandomGenerator;

  constructor(seed: number) {
    this.gen = xoroshiro128plus(seed | 0);
  }

  /** A uniformly distributed integer in [min, max] (inclusive). */
  int(min: number, max: number): number {
    return uniformInt(this.gen, min, max);
  }

  /** A float in [0, 1) with 32 bits of precision. */
  float(): number {
    return this.int(0, 0xffffffff) / 0x100000000;
  }

  bytes(n: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(this.int(0, 255));
    return out;
  }

  hex(nBytes: number): string {
    return this.bytes(nBytes)
      .map((b) => b.toString(16).padStart(2, '0'))
      .join('');
  }
}
