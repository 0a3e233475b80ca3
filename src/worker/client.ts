/**
 * The UI's handle on the engine worker: requests with ids, promises for answers, progress
 * callbacks, cancellation, and a restart (with the scenario reloaded) if the worker crashes.
 */
import type { FromWorker, ToWorker } from './protocol';

type Answer = Exclude<FromWorker, { type: 'progress' }>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type Request = DistributiveOmit<ToWorker, 'id'>;

interface Pending {
  resolve(a: Answer): void;
  reject(e: Error): void;
  onProgress?: (done: number, total: number) => void;
}

export interface EngineClientOptions {
  /** Creates the worker; tests pass a fake. */
  readonly spawn: () => Worker;
  /** Called when the worker died and was restarted. */
  readonly onCrash?: (message: string) => void;
}

export class EngineClient {
  private worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly opts: EngineClientOptions) {
    this.worker = this.startWorker();
  }

  private startWorker(): Worker {
    const w = this.opts.spawn();
    w.onmessage = (e: MessageEvent<FromWorker>) => this.receive(e.data);
    w.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      this.crashed(e.message || 'the engine worker stopped unexpectedly');
    };
    return w;
  }

  private receive(m: FromWorker): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    if (m.type === 'progress') {
      p.onProgress?.(m.done, m.total);
      return;
    }
    this.pending.delete(m.id);
    p.resolve(m);
  }

  private crashed(message: string): void {
    for (const p of this.pending.values()) p.reject(new Error(`engine crashed: ${message}`));
    this.pending.clear();
    this.worker.terminate();
    this.worker = this.startWorker();
    this.opts.onCrash?.(message);
  }

  /** Sends a request; resolves with the worker's answer. */
  request(
    req: Request,
    onProgress?: (done: number, total: number) => void,
  ): { id: number; answer: Promise<Answer> } {
    const id = this.nextId++;
    const answer = new Promise<Answer>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
    });
    this.worker.postMessage({ ...req, id } as ToWorker);
    return { id, answer };
  }

  /**
   * Replaces the worker with a fresh one (for a request that will not stop on its own: a cancel
   * the busy worker cannot read until its current step ends). Pending requests are rejected; the
   * caller reloads the scenario and replays what it needs. `onCrash` is not called: this is intended.
   */
  restart(reason = 'restarted'): void {
    for (const p of this.pending.values()) p.reject(new Error(`engine ${reason}`));
    this.pending.clear();
    this.worker.terminate();
    this.worker = this.startWorker();
  }

  cancel(id: number): void {
    this.worker.postMessage({ type: 'cancel', id } satisfies ToWorker);
  }

  terminate(): void {
    this.worker.terminate();
  }
}
