import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TICK_NS, timerFireTime } from './jiffies';
import { Scheduler } from './scheduler';
import { type SimTime, ms, seconds } from './time';

const at = (n: number) => n as SimTime;

describe('timer wheel', () => {
  it('fires a 1 s timer 4 to 32 ms late, as the kernel retransmitted ARP (1.024 s apart)', () => {
    // Armed on a tick whose jiffy is ≡ 0 (mod 8): 250 jiffies round up to 256.
    expect(timerFireTime(at(0), seconds(1)) / 1e9).toBeCloseTo(1.024, 6);
    // Each retransmission is armed from the previous one, so the period stays 1.024 s.
    expect(timerFireTime(at(1.024e9), seconds(1)) / 1e9).toBeCloseTo(2.048, 6);
  });

  it('fires level-0 timers (40 ms delayed ACK) one tick after their expiry', () => {
    expect(timerFireTime(at(0), ms(40)) / 1e6).toBeCloseTo(44, 6);
  });

  it('never fires early, and at most one granule plus a tick late', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e12 }),
        fc.integer({ min: 1, max: 600_000 }),
        (now, delayMs) => {
          const fire = timerFireTime(at(now), ms(delayMs));
          const due = now + delayMs * 1e6;
          expect(fire).toBeGreaterThanOrEqual(due);
          expect(fire % TICK_NS).toBe(0);
          // The wheel keeps about 12 % precision at every level.
          expect(fire - due).toBeLessThanOrEqual(Math.max(delayMs * 1e6 * 0.13, 2 * TICK_NS));
        },
      ),
    );
  });

  it('runs timers due on the same tick last armed first', () => {
    const s = new Scheduler();
    const order: string[] = [];
    s.timer(seconds(1), 'a', () => order.push('a'));
    s.timer(seconds(1), 'b', () => order.push('b'));
    s.schedule(seconds(1.024), 'plain', () => order.push('plain'));
    s.run(() => false, { maxEvents: 10, until: seconds(2) as number as SimTime });
    expect(order).toEqual(['b', 'a', 'plain']);
  });
});
