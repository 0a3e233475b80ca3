/**
 * Kernel timers (neighbour probes, TCP retransmission and delayed ACK, TIME_WAIT) run on the
 * timer wheel, in jiffies: they fire on a tick, never early, and rounded up to their level's
 * granularity (kernel/time/timer.c calc_index). A 1 s ARP retransmission therefore fires 1.004 to
 * 1.032 s later, and timers armed in the same tick fire together, the last armed first (each
 * bucket is a list the newest timer is pushed onto). User-space waits (ping's interval, curl's
 * timeouts, sleep) are hrtimers and stay exact.
 */
import { type SimDuration, type SimTime } from './time';

/** CONFIG_HZ of the reference kernel (Debian's default as well). */
export const HZ = 250;
export const TICK_NS = 1e9 / HZ;

/** Bits per wheel level (LVL_BITS) and the granularity step between levels (LVL_CLK_SHIFT). */
const LVL_BITS = 6;
const LVL_CLK_SHIFT = 3;
const LVL_DEPTH = 9;

/** The first delta (in jiffies) that goes to level `n` (LVL_START). */
function levelStart(n: number): number {
  return ((1 << LVL_BITS) - 1) << ((n - 1) * LVL_CLK_SHIFT);
}

/** msecs_to_jiffies and friends round up: a timer never fires before its delay. */
export function toJiffies(d: SimDuration): number {
  return Math.ceil(d / TICK_NS);
}

/** When a timer armed at `now` to expire at jiffy `expires` actually runs. */
export function wheelFireTime(now: SimTime, expires: number): SimTime {
  const clk = Math.floor(now / TICK_NS);
  const delta = Math.max(expires - clk, 0);
  let lvl = 0;
  while (lvl + 1 < LVL_DEPTH && delta >= levelStart(lvl + 1)) lvl++;
  const gran = 2 ** (lvl * LVL_CLK_SHIFT);
  const bucket = (Math.floor(Math.max(expires, clk) / gran) + 1) * gran;
  return (bucket * TICK_NS) as SimTime;
}

/** mod_timer(timer, jiffies + delay): when it runs. */
export function timerFireTime(now: SimTime, delay: SimDuration): SimTime {
  return wheelFireTime(now, Math.floor(now / TICK_NS) + toJiffies(delay));
}

/** mod_timer(timer, at), with `at` an absolute time converted to jiffies (rounded up). */
export function timerFireTimeAt(now: SimTime, at: SimTime): SimTime {
  return wheelFireTime(now, Math.ceil(at / TICK_NS));
}
