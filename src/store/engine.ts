/**
 * The store's only way to the engine: the worker client. The Worker is created here (and only
 * here) so Vite bundles `engine.worker.ts` as its own chunk.
 */
import { EngineClient, type Request } from '../worker/client';
import type { FromWorker } from '../worker/protocol';

export type Answer = Exclude<FromWorker, { type: 'progress' }>;

/** What the store needs from an engine; tests pass an in-process fake. */
export interface EngineLike {
  request(
    req: Request,
    onProgress?: (done: number, total: number) => void,
  ): { id: number; answer: Promise<Answer> };
  cancel(id: number): void;
  /** Replaces the worker; pending requests are rejected. */
  restart(reason?: string): void;
  terminate(): void;
}

export type EngineFactory = (onCrash: (message: string) => void) => EngineLike;

/** The real engine: a module Web Worker behind the typed client. */
export const createWorkerEngine: EngineFactory = (onCrash) =>
  new EngineClient({
    spawn: () =>
      new Worker(new URL('../worker/engine.worker.ts', import.meta.url), {
        type: 'module',
        name: 'packet-life engine',
      }),
    onCrash,
  });
