import type { KernelCall } from './abi.js';
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

  constructor(
    readonly pool: ThreadPool,
    /** Bytes per shard memory (4 GiB − 64 KiB unless a test asks for less). */
    readonly shardLimit: number,
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

  /** Runs per-worker batches of kernel calls. */
  run(batches: KernelCall[][]): Promise<number[][]> {
    return this.pool.run(batches);
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
