import { PROTOCOL, type FromWorker, type ToWorker } from './abi.js';
import { kernelExports, kernelImports, runCalls, type Kernels } from './kernels.js';

/**
 * Everything a kernel worker does, shared by the Node (worker_threads) and browser (module
 * Worker) bootstraps: instantiate the kernels once per shard memory, run batches of calls,
 * answer with their return values. The only per-platform code is how messages arrive.
 */
export function createWorkerCore(post: (message: FromWorker) => void): (message: ToWorker) => void {
  let module: WebAssembly.Module | undefined;
  const shards = new Map<number, Kernels>();

  return (message) => {
    switch (message.op) {
      case 'init':
        if (message.protocol !== PROTOCOL) {
          post({ op: 'error', id: undefined, message: `worker speaks protocol ${PROTOCOL}, host ${message.protocol}: rebuild (npm run build)` });
          return;
        }
        module = message.module;
        post({ op: 'ready' });
        return;
      case 'shard': {
        if (!module) throw new Error('worker: shard before init');
        try {
          shards.set(message.index, kernelExports(new WebAssembly.Instance(module, kernelImports(message.memory))));
        } catch (error) {
          post({ op: 'error', id: undefined, message: (error as Error).message });
        }
        return;
      }
      case 'run': {
        try {
          post({ op: 'done', id: message.id, results: runCalls(shards, message.calls) });
        } catch (error) {
          post({ op: 'error', id: message.id, message: (error as Error).message ?? String(error) });
        }
        return;
      }
    }
  };
}
