/**
 * The discrete-event scheduler: a min-heap of actions ordered by simulated time, then by the
 * order they were scheduled (so equal times run FIFO, kernel timers aside, and every run is
 * reproducible).
 */
import { timerFireTime, timerFireTimeAt } from './jiffies';
import { type SimDuration, type SimTime, ZERO_TIME, after } from './time';

export interface ScheduledEvent {
  readonly at: SimTime;
  readonly seq: number;
  readonly label: string;
  /** Events that only keep state tidy (ageing, TIME_WAIT) do not keep a command waiting. */
  readonly background: boolean;
  cancelled: boolean;
  readonly action: () => void;
}

export interface RunBudget {
  /** Stop after this many events in this run. */
  readonly maxEvents: number;
  /** Stop before running an event later than this. */
  readonly until: SimTime;
}

export type RunOutcome =
  | { readonly kind: 'done' }
  | { readonly kind: 'idle' }
  | { readonly kind: 'until' }
  | { readonly kind: 'event-budget'; readonly events: number; readonly busiest: string };

export class Scheduler {
  private heap: ScheduledEvent[] = [];
  private seq = 0;
  private nowValue: SimTime = ZERO_TIME;
  /** Events run since the world was created. */
  eventsRun = 0;

  get now(): SimTime {
    return this.nowValue;
  }

  get pending(): number {
    return this.heap.length;
  }

  /** Schedules `action` after `delay`; returns a handle that `cancel` accepts. */
  schedule(
    delay: SimDuration,
    label: string,
    action: () => void,
    background = false,
  ): ScheduledEvent {
    return this.scheduleAt(after(this.nowValue, delay), label, action, background);
  }

  /**
   * A kernel timer (mod_timer) due `delay` from now: it runs on the timer wheel's tick (see
   * jiffies.ts), and among timers due on the same tick the last armed runs first.
   */
  timer(delay: SimDuration, label: string, action: () => void, background = false): ScheduledEvent {
    return this.scheduleAt(timerFireTime(this.nowValue, delay), label, action, background, true);
  }

  /** A kernel timer due at an absolute time (mod_timer with a computed expiry). */
  timerAt(at: SimTime, label: string, action: () => void, background = false): ScheduledEvent {
    return this.scheduleAt(timerFireTimeAt(this.nowValue, at), label, action, background, true);
  }

  scheduleAt(
    at: SimTime,
    label: string,
    action: () => void,
    background = false,
    lastArmedFirst = false,
  ): ScheduledEvent {
    const n = this.seq++;
    const ev: ScheduledEvent = {
      at: at < this.nowValue ? this.nowValue : at,
      // Timers on one tick run newest first; they run before other work due at that instant.
      seq: lastArmedFirst ? -n : n,
      label,
      background,
      cancelled: false,
      action,
    };
    this.push(ev);
    return ev;
  }

  cancel(ev: ScheduledEvent | undefined): void {
    if (ev) ev.cancelled = true;
  }

  /** True while a non-background event is queued (traffic in flight, a retry pending, a process timer). */
  hasForegroundWork(): boolean {
    return this.heap.some((e) => !e.cancelled && !e.background);
  }

  /** The time of the next live event, if any. */
  peekTime(): SimTime | undefined {
    this.dropCancelledTop();
    return this.heap[0]?.at;
  }

  /**
   * Runs events in order until `done()` holds, the queue empties, the next event lies beyond
   * `budget.until`, or `budget.maxEvents` have run. Time advances to each event's time.
   */
  run(done: () => boolean, budget: RunBudget): RunOutcome {
    let count = 0;
    const labels = new Map<string, number>();
    while (!done()) {
      this.dropCancelledTop();
      const next = this.heap[0];
      if (!next) return { kind: 'idle' };
      if (next.at > budget.until) {
        return { kind: 'until' };
      }
      if (count >= budget.maxEvents) {
        let busiest = '';
        let most = -1;
        for (const [l, n] of labels) if (n > most) [busiest, most] = [l, n];
        return { kind: 'event-budget', events: count, busiest };
      }
      this.pop();
      this.nowValue = next.at;
      count++;
      this.eventsRun++;
      labels.set(next.label, (labels.get(next.label) ?? 0) + 1);
      next.action();
    }
    return { kind: 'done' };
  }

  /** Moves the clock forward with nothing happening (time passing between typed commands). */
  advanceTo(t: SimTime): void {
    if (t > this.nowValue) this.nowValue = t;
  }

  private dropCancelledTop(): void {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.pop();
  }

  private less(a: ScheduledEvent, b: ScheduledEvent): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(ev: ScheduledEvent): void {
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): ScheduledEvent | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
