/**
 * An in-process engine for tests: the real worker host, answered asynchronously like a worker
 * would, plus a way to simulate a crash. Not used by the app.
 */
import { createHost } from '../worker/host';
import type { ToWorker } from '../worker/protocol';
import type { Answer, EngineFactory, EngineLike } from './engine';

export interface TestEngine extends EngineLike {
  /** Simulates the worker dying: pending requests fail, a fresh host replaces it, onCrash fires. */
  crash(message: string): void;
  /** Requests received, in order (for assertions). */
  readonly log: ToWorker['type'][];
}

export function testEngineFactory(sink: { engine?: TestEngine }): EngineFactory {
  return (onCrash) => {
    let host = createHost();
    let next = 1;
    const pending = new Map<number, { resolve(a: Answer): void; reject(e: Error): void }>();
    const log: ToWorker['type'][] = [];
    const failAll = (msg: string) => {
      for (const p of pending.values()) p.reject(new Error(msg));
      pending.clear();
    };
    const engine: TestEngine = {
      log,
      request(req, onProgress) {
        const id = next++;
        log.push(req.type);
        const answer = new Promise<Answer>((resolve, reject) => {
          pending.set(id, { resolve, reject });
          setTimeout(() => {
            if (!pending.has(id)) return;
            if (req.type === 'debugCrash') {
              pending.delete(id);
              engine.crash('debug crash requested');
              return;
            }
            host.handle({ ...req, id } as ToWorker, (m) => {
              if (m.type === 'progress') onProgress?.(m.done, m.total);
              else if (pending.has(id)) {
                pending.delete(id);
                resolve(m);
              }
            });
          }, 0);
        });
        return { id, answer };
      },
      cancel() {},
      restart(reason = 'restarted') {
        failAll(`engine ${reason}`);
        host = createHost();
      },
      terminate() {
        failAll('engine terminated');
      },
      crash(message) {
        failAll(`engine crashed: ${message}`);
        host = createHost();
        onCrash(message);
      },
    };
    sink.engine = engine;
    return engine;
  };
}
