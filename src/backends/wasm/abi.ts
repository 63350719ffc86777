/**
 * The contract between the host and the AssemblyScript kernels (assembly/): exported function
 * names and signatures, parameter-block offsets and mode numbers. Keep in step with assembly/.
 */

/** Bumped whenever the worker protocol or the kernels' ABI changes (a stale dist/ is refused). */
export const PROTOCOL = 4;

/** Bytes at the bottom of every shard memory left to the kernels' static data (one page). */
export const RESERVED_BYTES = 65536;

/** Lloyd parameter block (assembly/lloyd.ts LP_*), byte offsets. */
export const LP = {
  X: 0,
  DP: 4,
  D: 8,
  K: 12,
  CENT: 16,
  CENTC: 20,
  CNORM: 24,
  MU: 28,
  LABELS: 32,
  LOWER: 36,
  HALFGAP: 40,
  FASTEST: 44,
  FLAGS: 48,
  ESCALE: 56,
  B: 64,
  FIRSTMOVE: 72,
  SECONDMOVE: 80,
  TAUD: 88,
  NORMTAU: 96,
  BYTES: 128,
} as const;

export const LLOYD_ACCUMULATE = 1;
export const LLOYD_BOUNDED = 2;
export const LLOYD_INCREMENTAL = 4;
/** Rows from a list (a mini-batch), labels left alone. */
export const LLOYD_LISTED = 8;

/** Lloyd result block (float64 indices). */
export const LR = { INERTIA: 0, EVALS: 1, REFINED: 2, KEPT: 3, SINK: 4, CHANGED: 5, LENGTH: 6 } as const;

export const DIST_MODE = { SQ: 0, EUCLID: 1, KNN: 2, SIL: 3 } as const;
export const DOT_MODE = { DOT: 0, COSINE: 1, KNN_DOT: 2, KNN_COSINE: 3, LOGITS: 4 } as const;

/** Bytes of one query's k-NN state: int32 size, pad, k float64 keys, k int32 ids (8-aligned). */
export function topStride(k: number): number {
  return (8 + 12 * k + 7) & ~7;
}

/** Unit roundoff of float32. */
export const U32 = 2 ** -24;

/** One kernel call: [shard, export name, ...numeric arguments]. */
export type KernelCall = [shard: number, fn: KernelName, ...args: number[]];

export type KernelName = 'lloydStep' | 'seedTrial' | 'distTile' | 'dotTile' | 'innerTile' | 'rowNorms' | 'silhouetteSym' | 'softmaxRows' | 'heapBase';

/** Messages host → worker. */
export type ToWorker =
  | { op: 'init'; protocol: number; module: WebAssembly.Module }
  | { op: 'shard'; index: number; memory: WebAssembly.Memory }
  | { op: 'run'; id: number; calls: KernelCall[] };

/** Messages worker → host. */
export type FromWorker =
  | { op: 'ready'; id?: undefined }
  | { op: 'done'; id: number; results: number[] }
  | { op: 'error'; id: number | undefined; message: string };
