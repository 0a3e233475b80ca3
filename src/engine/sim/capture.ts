/**
 * Every frame every interface carried, in order: what `tcpdump -i IF` would have seen.
 * Recorded always (cheap references), read by tcpdump and the CLI's --capture.
 */
import type { EthernetFrame } from '../net/packet';
import type { SimTime } from './time';

export interface CapturedFrame {
  readonly seq: number;
  readonly time: SimTime;
  readonly host: string;
  readonly netns: string;
  readonly netnsId: number;
  readonly dev: string;
  readonly devId: number;
  /** Direction as `tcpdump -i any` prints it. */
  readonly dir: 'In' | 'Out';
  readonly frame: EthernetFrame;
}

export type CaptureListener = (c: CapturedFrame) => void;

export class CaptureLog {
  private frames: CapturedFrame[] = [];
  private nextSeq = 0;
  private listeners = new Set<CaptureListener>();
  /** When false, frames are not stored (large benchmarks); listeners still hear them. */
  storing = true;

  /** False only when nothing stores or listens (big benchmarks): taps are skipped entirely. */
  get active(): boolean {
    return this.storing || this.listeners.size > 0;
  }

  record(c: CapturedFrame): void {
    const full = { ...c, seq: this.nextSeq++ };
    if (this.storing) this.frames.push(full);
    for (const l of this.listeners) l(full);
  }

  get length(): number {
    return this.frames.length;
  }

  since(index: number): readonly CapturedFrame[] {
    return this.frames.slice(index);
  }

  /** Registers a live listener (a running tcpdump); returns the function that removes it. */
  listen(l: CaptureListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}
