import { optionError } from '../../errors.js';
import type { Matrix } from '../../matrix.js';
import {
  uploadWhenRead,
  type Backend,
  type DeviceMatrix,
  type KnnResult,
  type LloydOptions,
  type LloydSession,
  type MatrixUpload,
  type Metric,
  type SeedingState,
  type SimilarityResult,
} from '../backend.js';
import { WasmContext } from './context.js';
import { WasmLloyd } from './lloyd.js';
import { MAX_SHARD_BYTES } from './memory.js';
import * as pairwise from './pairwise.js';
import { loadPlatform, type Platform } from './platform.js';
import { ThreadPool } from './pool.js';
import { uploadMatrix, WasmMatrix } from './resident.js';
import { WasmSeeding } from './seeding.js';

export interface WasmBackendOptions {
  /** Worker threads (default: every core: os.availableParallelism(), navigator.hardwareConcurrency). */
  threads?: number;
  /** Bytes per WebAssembly memory (default 4 GiB − 64 KiB); smaller values force chunking (tests). */
  maxShardBytes?: number;
  /** 'auto' (default): relaxed SIMD when the runtime has it; 'simd': never. */
  simd?: 'auto' | 'simd';
  /**
   * Kernel calls of fewer multiply-adds than this run on the calling thread rather than on the
   * workers (default 2²⁰, well under a millisecond of work: less than a worker round trip
   * costs); 0 sends every call to the workers.
   */
  inlineBelow?: number;
}

const INLINE_BELOW = 2 ** 20;

/**
 * Smallest k at which 'auto' turns Hamerly's bounds on; the session then keeps using them only
 * while they skip enough of the search (see WasmLloyd). k = 2 included: a row the bounds keep
 * costs one distance and no pass adding it into the sums, so once the two centres settle a
 * bounded step of 2-means at 100k × 32 took 1.7 ms against 3.3 ms searched in full (2-core Xeon).
 */
const BOUNDS_MIN_K = 2;

/**
 * The WebAssembly backend: AssemblyScript SIMD kernels (assembly/) run by worker threads over
 * shared WebAssembly memories. Data is copied into the memories once per upload and stays
 * there; the host keeps the allocators, splits rows among workers and merges their float64
 * partial results.
 */
export class WasmBackend implements Backend {
  readonly name = 'wasm' as const;
  readonly description: string;

  constructor(
    private readonly context: WasmContext,
    readonly relaxedSimd: boolean,
  ) {
    const threads = context.threads;
    this.description = `wasm: SIMD${relaxedSimd ? ', relaxed SIMD (fused multiply-add)' : ' (no relaxed SIMD)'}, ${threads} thread${threads === 1 ? '' : 's'}`;
  }

  get threads(): number {
    return this.context.threads;
  }

  /** Shard memories in use (tests check that big data is chunked). */
  get shardCount(): number {
    return this.context.shards.length;
  }

  async upload(matrix: Matrix): Promise<DeviceMatrix> {
    return uploadMatrix(this.context, matrix);
  }

  startUpload(): MatrixUpload {
    return uploadWhenRead(this);
  }

  async startLloyd(x: DeviceMatrix, k: number, options: LloydOptions): Promise<LloydSession> {
    const bounds = options.bounds === 'auto' ? (k >= BOUNDS_MIN_K ? 'auto' : false) : options.bounds;
    return new WasmLloyd(this.context, resident(x), k, bounds);
  }

  async startSeeding(x: DeviceMatrix, firstRow: number): Promise<SeedingState> {
    return WasmSeeding.start(this.context, resident(x), firstRow);
  }

  clusterDistanceSums(x: DeviceMatrix, labels: Int32Array, k: number, start: number, end: number): Promise<Float64Array> {
    return pairwise.clusterDistanceSums(this.context, resident(x), labels, k, start, end);
  }

  distances(a: DeviceMatrix, b: DeviceMatrix, metric: Metric, start: number, end: number): Promise<Float32Array> {
    return pairwise.distances(this.context, resident(a), resident(b), metric, start, end);
  }

  innerProducts(a: DeviceMatrix, b: DeviceMatrix, start: number, end: number): Promise<Float32Array> {
    return pairwise.distances(this.context, resident(a), resident(b), 'inner', start, end);
  }

  knn(a: DeviceMatrix, b: DeviceMatrix, k: number, metric: Metric, start: number, end: number): Promise<KnnResult> {
    return pairwise.knn(this.context, resident(a), resident(b), k, metric, start, end);
  }

  similarity(images: DeviceMatrix, texts: DeviceMatrix, logitScale: number, softmax: boolean, start: number, end: number): Promise<SimilarityResult> {
    return pairwise.similarity(this.context, resident(images), resident(texts), logitScale, softmax, start, end);
  }

  dispose(): void {
    this.context.pool.dispose();
  }
}

function resident(x: DeviceMatrix): WasmMatrix {
  if (!(x instanceof WasmMatrix)) throw new TypeError('wasm backend: matrix was not uploaded to this backend');
  return x;
}

/** Compiled kernels per variant, shared by every backend in this realm. */
const compiled = new Map<string, Promise<WebAssembly.Module>>();

/** Whether a module using relaxed SIMD validates here (after enabling it if the platform can). */
function relaxedSimdAvailable(platform: Platform, bytes: Uint8Array<ArrayBuffer>): boolean {
  if (WebAssembly.validate(bytes)) return true;
  return platform.enableRelaxedSimd() && WebAssembly.validate(bytes);
}

/**
 * A ready WebAssembly backend, or the reason it cannot run here (no shared memory, kernels not
 * built, no SIMD).
 */
export async function createWasmBackend(options: WasmBackendOptions = {}): Promise<WasmBackend | { unavailable: string }> {
  if (typeof WebAssembly !== 'object') return { unavailable: 'no WebAssembly here' };
  let platform: Platform;
  try {
    platform = await loadPlatform();
  } catch (error) {
    return { unavailable: (error as Error).message };
  }
  const reason = platform.unavailable();
  if (reason) return { unavailable: reason };

  const threads = options.threads ?? platform.defaultThreads();
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
    // A wrong option is the caller's error, not a reason to fall back to another backend.
    throw optionError('threads', `expected an integer from 1 to 256, got ${String(options.threads)}`);
  }
  const inlineBelow = options.inlineBelow ?? INLINE_BELOW;
  if (!(inlineBelow >= 0)) throw optionError('inlineBelow', `expected a number ≥ 0, got ${String(options.inlineBelow)}`);
  const shardBytes = Math.floor((options.maxShardBytes ?? MAX_SHARD_BYTES) / 65536) * 65536;
  if (!(shardBytes >= 4 * 65536 && shardBytes <= MAX_SHARD_BYTES)) {
    return { unavailable: `maxShardBytes must be from 256 KiB to ${MAX_SHARD_BYTES}` };
  }

  let variant: 'relaxed' | 'simd' = 'simd';
  let module: WebAssembly.Module;
  try {
    if (options.simd !== 'simd') {
      const relaxed = await platform.loadKernels('relaxed');
      if (relaxedSimdAvailable(platform, relaxed)) variant = 'relaxed';
    }
    let pending = compiled.get(variant);
    if (!pending) {
      const bytes = await platform.loadKernels(variant);
      if (!WebAssembly.validate(bytes)) return { unavailable: 'this WebAssembly runtime has no SIMD (v128)' };
      pending = platform.compile(bytes);
      compiled.set(variant, pending);
      pending.catch(() => compiled.delete(variant));
    }
    module = await pending;
  } catch (error) {
    return { unavailable: `cannot load the kernels: ${(error as Error).message}` };
  }

  let pool: ThreadPool;
  try {
    pool = await ThreadPool.start(platform, threads, module);
  } catch (error) {
    return { unavailable: `cannot start worker threads: ${(error as Error).message}` };
  }
  return new WasmBackend(new WasmContext(pool, module, shardBytes, inlineBelow), variant === 'relaxed');
}
