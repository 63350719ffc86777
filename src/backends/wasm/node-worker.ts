// Node bootstrap of a kernel worker (worker_threads): all the work is in worker-core.
import { parentPort } from 'node:worker_threads';
import type { ToWorker } from './abi.js';
import { createWorkerCore } from './worker-core.js';

if (!parentPort) throw new Error('node-worker: not started as a worker thread');
const port = parentPort;
const handle = createWorkerCore((message) => port.postMessage(message));
port.on('message', (message: ToWorker) => handle(message));
