import { RESERVED_BYTES, type KernelCall } from './abi.js';

/** The kernels of one instance, by export name. */
export type Kernels = Record<string, (...args: number[]) => number | undefined>;

/** What an instance of the kernels imports: the shard memory it works in. */
export function kernelImports(memory: WebAssembly.Memory): WebAssembly.Imports {
  const abort = (): never => {
    throw new Error('wasm kernel aborted');
  };
  return { env: { memory, abort } };
}

/**
 * The exports of an instance over a shard memory. The host allocates from RESERVED_BYTES up,
 * so the kernels' own static data must fit below; every instance over a memory writes the same
 * static data there, which is why the worker instances and the host's can share one memory.
 */
export function kernelExports(instance: WebAssembly.Instance): Kernels {
  const exports = instance.exports as unknown as Kernels;
  const used = Number(exports.heapBase!());
  if (used > RESERVED_BYTES) throw new Error(`kernels use ${used} bytes of static data, more than the ${RESERVED_BYTES} reserved`);
  return exports;
}

/** Runs a batch of kernel calls in order; returns their return values. */
export function runCalls(shards: ReadonlyMap<number, Kernels>, calls: readonly KernelCall[]): number[] {
  const results: number[] = [];
  for (const [shard, fn, ...args] of calls) {
    const exports = shards.get(shard);
    if (!exports) throw new Error(`no kernels for shard ${shard}`);
    results.push(Number(exports[fn]!(...args) ?? 0));
  }
  return results;
}
