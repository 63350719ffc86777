// Browser bootstrap of a kernel worker (module Worker): all the work is in worker-core.
import type { FromWorker, ToWorker } from './abi.js';
import { createWorkerCore } from './worker-core.js';

const scope = globalThis as unknown as {
  postMessage(message: FromWorker): void;
  addEventListener(type: 'message', listener: (event: { data: ToWorker }) => void): void;
};
const handle = createWorkerCore((message) => scope.postMessage(message));
scope.addEventListener('message', (event) => handle(event.data));
