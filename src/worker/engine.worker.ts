/// <reference lib="webworker" />
// Wiring only: the logic is in host.ts so it can be tested without a browser.
import { createHost } from './host';
import type { ToWorker } from './protocol';

const host = createHost();
const scope = self as unknown as DedicatedWorkerGlobalScope;
scope.onmessage = (e: MessageEvent<ToWorker>) => {
  host.handle(e.data, (m) => scope.postMessage(m));
};
