import type { KernelCall } from './abi.js';
import { kernelExports, kernelImports, runCalls, type Kernels } from './kernels.js';
import { RESERVED_BYTES, Shard } from './memory.js';
import type { ThreadPool } from './pool.js';

/** A block in one shard. */
export interface Block {
  shard: Shard;
  ptr: number;
}

/**
 * The shards (WebAssembly memories) and the worker pool of one backend. A new shard is made,
 * and announced to every worker, when no existing one has room.
 */
export class WasmContext {
  readonly shards: Shard[] = [];
  /** This thread's own instances of the kernels, per shard, made on first use (small calls). */
  private readonly hostKernels = new Map<number, Kernels>();

  constructor(
    readonly pool: ThreadPool,
    private readonly module: WebAssembly.Module,
    /** Bytes per shard memory (4 GiB − 64 KiB unless a test asks for less). */
    readonly shardLimit: number,
    /** Calls of less work than this (multiply-adds) run on this thread (see run). */
    readonly inlineBelow: number,
  ) {}

  get threads(): number {
    return this.pool.size;
  }

  /** Largest single block a shard can hold. */
  get shardCapacity(): number {
    return this.shardLimit - RESERVED_BYTES;
  }

  /**
   * A block in the first shard with room for it and `reserve` bytes more (kept free for the
   * scratch that operations on this block will need in the same shard), else in a new shard.
   */
  alloc(bytes: number, reserve = 0): Block {
    for (const shard of this.shards) {
      if (shard.available < bytes + reserve) continue;
      const ptr = shard.alloc(bytes);
      if (ptr !== undefined) return { shard, ptr };
    }
    const shard = this.addShard();
    const ptr = shard.alloc(bytes);
    if (ptr === undefined) throw new RangeError(`wasm: ${bytes} bytes do not fit one memory of ${this.shardLimit} bytes`);
    return { shard, ptr };
  }

  /** A block in the given shard (scratch next to resident data the kernels read with it). */
  allocIn(shard: Shard, bytes: number): number {
    const ptr = shard.alloc(bytes);
    if (ptr === undefined) {
      throw new RangeError(`wasm: memory shard ${shard.index} is full (${bytes} more bytes needed; limit ${this.shardLimit})`);
    }
    return ptr;
  }

  /**
   * Runs per-worker batches of kernel calls; `work` is about how many multiply-adds they make
   * together. A worker round trip costs a few hundred microseconds (two messages and a thread
   * waking up), more than a small call computes in (a mini-batch step, a k-means++ round on a
   * sample): below `inlineBelow` the same batches run here, one after another, on this
   * thread's own instances of the kernels over the same memories. The split into batches is
   * the caller's either way, so the results are the same bit for bit.
   */
  async run(batches: KernelCall[][], work: number): Promise<number[][]> {
    if (work >= this.inlineBelow) return this.pool.run(batches);
    this.pool.assertUsable();
    for (const calls of batches) for (const [shard] of calls) if (!this.hostKernels.has(shard)) await this.instantiateFor(shard);
    try {
      return batches.map((calls) => runCalls(this.hostKernels, calls));
    } catch (error) {
      throw new Error(`wasm kernel failed: ${(error as Error).message}`);
    }
  }

  private async instantiateFor(index: number): Promise<void> {
    // Asynchronous instantiation: browsers refuse a synchronous one of this size on the main thread.
    const instance = await WebAssembly.instantiate(this.module, kernelImports(this.shards[index]!.memory));
    this.hostKernels.set(index, kernelExports(instance));
  }

  private addShard(): Shard {
    const shard = new Shard(this.shards.length, this.shardLimit);
    this.shards.push(shard);
    this.pool.addShard(shard.index, shard.memory);
    return shard;
  }
}

/**
 * Scratch blocks allocated for one operation and released together.
 */
export class Scratch {
  private readonly blocks: Block[] = [];

  constructor(private readonly context: WasmContext) {}

  in(shard: Shard, bytes: number): number {
    const ptr = this.context.allocIn(shard, bytes);
    this.blocks.push({ shard, ptr });
    return ptr;
  }

  /** A zero-filled block. */
  zeroed(shard: Shard, bytes: number): number {
    const ptr = this.in(shard, bytes);
    new Uint8Array(shard.memory.buffer, ptr, bytes).fill(0);
    return ptr;
  }

  release(): void {
    for (const { shard, ptr } of this.blocks.splice(0)) shard.release(ptr);
  }
}
