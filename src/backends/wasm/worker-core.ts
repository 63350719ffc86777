import { PROTOCOL, RESERVED_BYTES, type FromWorker, type ToWorker } from './abi.js';

type Kernel = (...args: number[]) => number | undefined;

/**
 * Everything a kernel worker does, shared by the Node (worker_threads) and browser (module
 * Worker) bootstraps: instantiate the kernels once per shard memory, run batches of calls,
 * answer with their return values. The only per-platform code is how messages arrive.
 */
export function createWorkerCore(post: (message: FromWorker) => void): (message: ToWorker) => void {
  let module: WebAssembly.Module | undefined;
  const shards: (Record<string, Kernel> | undefined)[] = [];
  const abort = (): never => {
    throw new Error('wasm kernel aborted');
  };

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
        const instance = new WebAssembly.Instance(module, { env: { memory: message.memory, abort } });
        const exports = instance.exports as unknown as Record<string, Kernel>;
        // The host allocates from RESERVED_BYTES up: the kernels' own static data must fit below.
        if (exports.heapBase!()! > RESERVED_BYTES) {
          post({ op: 'error', id: undefined, message: `kernels use ${exports.heapBase!()} bytes of static data, more than the ${RESERVED_BYTES} reserved` });
          return;
        }
        shards[message.index] = exports;
        return;
      }
      case 'drop':
        shards[message.index] = undefined;
        return;
      case 'run': {
        try {
          const results: number[] = [];
          for (const [shard, fn, ...args] of message.calls) {
            const exports = shards[shard];
            if (!exports) throw new Error(`worker: no shard ${shard}`);
            results.push(Number(exports[fn]!(...args) ?? 0));
          }
          post({ op: 'done', id: message.id, results });
        } catch (error) {
          post({ op: 'error', id: message.id, message: (error as Error).message ?? String(error) });
        }
        return;
      }
    }
  };
}
