/** Simulated time, in nanoseconds since the world was created. Never wall-clock time. */
export type SimTime = number & { readonly __brand: 'SimTime' };
/** A simulated duration in nanoseconds. */
export type SimDuration = number & { readonly __brand: 'SimDuration' };

export const ZERO_TIME = 0 as SimTime;

export const ns = (n: number): SimDuration => n as SimDuration;
export const us = (n: number): SimDuration => Math.round(n * 1e3) as SimDuration;
export const ms = (n: number): SimDuration => Math.round(n * 1e6) as SimDuration;
export const seconds = (n: number): SimDuration => Math.round(n * 1e9) as SimDuration;

export function after(t: SimTime, d: SimDuration): SimTime {
  return (t + d) as SimTime;
}

export function between(from: SimTime, to: SimTime): SimDuration {
  return (to - from) as SimDuration;
}

export function toMs(d: number): number {
  return d / 1e6;
}

export function toSeconds(d: number): number {
  return d / 1e9;
}

/** "12.345678" seconds with microsecond precision, as trace listings show it. */
export function formatSeconds(t: SimTime): string {
  return (t / 1e9).toFixed(6);
}
