import { RESERVED_BYTES } from './abi.js';

const PAGE = 65536;
const ALIGN = 64;

/** Default bytes per shard: one whole 32-bit WebAssembly memory, less a page (4 GiB − 64 KiB). */
export const MAX_SHARD_BYTES = 65535 * PAGE;

export { RESERVED_BYTES };

/**
 * One shared WebAssembly.Memory and a first-fit allocator over it, run by the host: every
 * buffer the kernels touch (resident rows, centroids, per-worker partial sums) lives here.
 * Memory grows on demand up to `limit` bytes.
 */
export class Shard {
  readonly memory: WebAssembly.Memory;
  private readonly free: { ptr: number; size: number }[] = [];
  private readonly sizes = new Map<number, number>();
  private top = RESERVED_BYTES;

  constructor(
    readonly index: number,
    readonly limit: number,
  ) {
    const maximum = Math.floor(limit / PAGE);
    this.memory = new WebAssembly.Memory({ initial: RESERVED_BYTES / PAGE + 1, maximum, shared: true });
  }

  /** Bytes still allocatable (free blocks and the untouched tail). */
  get available(): number {
    return this.free.reduce((sum, block) => sum + block.size, 0) + (this.limit - this.top);
  }

  /** A 64-byte aligned block of `bytes`, or undefined when the shard cannot hold it. */
  alloc(bytes: number): number | undefined {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    for (let i = 0; i < this.free.length; i++) {
      const block = this.free[i]!;
      if (block.size < size) continue;
      const ptr = block.ptr;
      if (block.size === size) this.free.splice(i, 1);
      else {
        block.ptr += size;
        block.size -= size;
      }
      this.sizes.set(ptr, size);
      return ptr;
    }
    if (this.top + size > this.limit) return undefined;
    const ptr = this.top;
    const needed = Math.ceil((ptr + size) / PAGE);
    const pages = this.memory.buffer.byteLength / PAGE;
    if (needed > pages) this.memory.grow(needed - pages);
    this.top += size;
    this.sizes.set(ptr, size);
    return ptr;
  }

  release(ptr: number): void {
    const size = this.sizes.get(ptr);
    if (size === undefined) throw new Error(`wasm shard ${this.index}: free of unknown block ${ptr}`);
    this.sizes.delete(ptr);
    let at = this.free.findIndex((block) => block.ptr > ptr);
    if (at < 0) at = this.free.length;
    this.free.splice(at, 0, { ptr, size });
    // Merge with the neighbours, then give the tail back to the bump pointer.
    const next = this.free[at + 1];
    if (next && ptr + size === next.ptr) {
      this.free[at]!.size += next.size;
      this.free.splice(at + 1, 1);
    }
    const prev = this.free[at - 1];
    if (prev && prev.ptr + prev.size === ptr) {
      prev.size += this.free[at]!.size;
      this.free.splice(at, 1);
    }
    const last = this.free[this.free.length - 1];
    if (last && last.ptr + last.size === this.top) {
      this.top = last.ptr;
      this.free.pop();
    }
  }

  get used(): number {
    let total = 0;
    for (const size of this.sizes.values()) total += size;
    return total;
  }

  /** The memory's current buffer (a new object after each growth). */
  private get buffer(): ArrayBuffer | SharedArrayBuffer {
    return this.memory.buffer;
  }

  f32(ptr: number, length: number): Float32Array {
    return new Float32Array(this.buffer, ptr, length);
  }

  f64(ptr: number, length: number): Float64Array {
    return new Float64Array(this.buffer, ptr, length);
  }

  i32(ptr: number, length: number): Int32Array {
    return new Int32Array(this.buffer, ptr, length);
  }

  u32(ptr: number, length: number): Uint32Array {
    return new Uint32Array(this.buffer, ptr, length);
  }

  view(ptr: number, bytes: number): DataView {
    return new DataView(this.buffer, ptr, bytes);
  }
}

/** Splits [0, n) into `parts` contiguous ranges with boundaries on multiples of `align`. */
export function splitRange(n: number, parts: number, align = 4): [number, number][] {
  const ranges: [number, number][] = [];
  const blocks = Math.ceil(n / align);
  let start = 0;
  for (let p = 0; p < parts; p++) {
    const end = Math.min(n, Math.round((blocks * (p + 1)) / parts) * align);
    ranges.push([start, Math.max(start, end)]);
    start = Math.max(start, end);
  }
  return ranges;
}
