/// <reference types="@webgpu/types" />
import { ClusterkitError } from '../../errors.js';
import type { Matrix } from '../../matrix.js';
import type { DeviceMatrix } from '../backend.js';
import type { GpuContext } from './context.js';

/** Most candidates one k-means++ trial evaluates at once (2 + ⌊ln k⌋ < 32 for any real k). */
export const MAX_TRIALS = 32;

export interface GpuChunk {
  /** Global index of the chunk's first row. */
  readonly rowStart: number;
  readonly rows: number;
  /** rows × dp4 vec4s, row-major, columns zero-padded to a multiple of 4. */
  readonly buffer: GPUBuffer;
  /** Index of the chunk's first 256-row block among all blocks of the matrix. */
  readonly blockStart: number;
}

/**
 * Rows of one chunk: as many as fit in one storage binding (so each chunk binds whole), and
 * few enough that per-row side buffers of up to MAX_TRIALS floats per row bind whole too.
 */
export function chunkRows(ctx: GpuContext, dp4: number): number {
  const rowBytes = dp4 * 16;
  const limit = ctx.limits.maxBinding;
  const rows = Math.min(Math.floor(limit / rowBytes), Math.floor(limit / (4 * MAX_TRIALS)));
  return rows >= 256 ? rows - (rows % 256) : rows;
}

/**
 * Rows resident on the GPU, in chunks of storage buffers (10M × 512 floats is 20 GB, ten 2 GB
 * bindings on an H100), columns padded with zeros to a multiple of four so every kernel reads
 * vec4s (zeros change no distance, dot product or norm). Every chunk but the last holds
 * `chunkRows(ctx, dp4)` rows.
 *
 * `mean` is an approximate column mean: the expanded distance form ‖x‖² − 2x·c + ‖c‖² is
 * computed on x − mean and c − mean, which keeps its cancellation error at the scale of the
 * data's spread rather than of its offset.
 */
export class GpuRows {
  readonly rows: number;
  readonly cols: number;
  readonly dp4: number;
  readonly chunks: readonly GpuChunk[];
  readonly mean: Float32Array;
  readonly blocks: number;
  private readonly norms = new Map<string, GPUBuffer>();
  private disposed = false;

  protected constructor(protected readonly ctx: GpuContext, rows: number, cols: number, chunks: GpuChunk[], mean: Float32Array) {
    this.rows = rows;
    this.cols = cols;
    this.dp4 = Math.ceil(cols / 4);
    this.chunks = chunks;
    this.mean = mean;
    const last = chunks[chunks.length - 1]!;
    this.blocks = last.blockStart + Math.ceil(last.rows / 256);
  }

  /**
   * Room for `rows` rows of `cols` values, left for kernels to fill (a gathered mini-batch);
   * `mean` is the centring of the matrix they come from. Call inside a GpuContext guard.
   */
  static allocate(ctx: GpuContext, rows: number, cols: number, mean: Float32Array): GpuRows {
    return new GpuRows(ctx, rows, cols, allocateChunks(ctx, rows, cols), mean);
  }

  /** The chunk-local pieces of global rows [start, end). */
  *parts(start: number, end: number): Generator<{ chunk: GpuChunk; base: number; rows: number; offset: number }> {
    for (const chunk of this.chunks) {
      const from = Math.max(start, chunk.rowStart);
      const to = Math.min(end, chunk.rowStart + chunk.rows);
      if (from < to) yield { chunk, base: from - chunk.rowStart, rows: to - from, offset: from - start };
    }
  }

  /**
   * Per-row norms of the whole matrix, indexed by global row, computed once: 'centred' is
   * ‖x − mean‖² rounded exactly like the pairs kernel's dot products; 'euclidean' is ‖x‖.
   */
  async rowNorms(kind: 'centred' | 'euclidean', compute: (out: GPUBuffer) => Promise<void>): Promise<GPUBuffer> {
    this.assertLive();
    let buffer = this.norms.get(kind);
    if (!buffer) {
      buffer = await this.ctx.guard('allocating row norms', () => this.ctx.storage(this.rows * 4, `${kind} norms`));
      await compute(buffer);
      this.norms.set(kind, buffer);
    }
    return buffer;
  }

  assertLive(): void {
    if (this.disposed) throw new ClusterkitError('backend', 'webgpu: matrix used after dispose()');
    this.ctx.check();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const chunk of this.chunks) chunk.buffer.destroy();
    for (const buffer of this.norms.values()) buffer.destroy();
    this.norms.clear();
  }
}

/**
 * A host matrix uploaded to the GPU (by a RowUpload): its rows resident (see GpuRows), centred
 * on the column mean of at most 65,536 evenly spaced rows, and the host copy kept for single rows.
 */
export class GpuMatrix extends GpuRows implements DeviceMatrix {
  readonly host: Matrix;

  constructor(ctx: GpuContext, host: Matrix, chunks: GpuChunk[]) {
    super(ctx, host.rows, host.cols, chunks, columnMean(host, Math.ceil(host.cols / 4) * 4));
    this.host = host;
  }
}

/** Rows per chunk for rows of `cols` values, refused with a clear error when one row cannot be bound. */
export function checkedChunkRows(ctx: GpuContext, cols: number): number {
  const rowBytes = Math.ceil(cols / 4) * 16;
  if (rowBytes > ctx.limits.maxBinding) {
    throw new ClusterkitError('backend', `webgpu: one row of ${cols} float32 values (${rowBytes} bytes) exceeds this device's storage binding limit (${ctx.limits.maxBinding} bytes)`);
  }
  const perChunk = chunkRows(ctx, rowBytes / 16);
  if (perChunk < 1) throw new ClusterkitError('backend', `webgpu: the storage binding limit (${ctx.limits.maxBinding} bytes) is too small`);
  return perChunk;
}

/** Storage buffers for `rows` rows of `cols` values padded to vec4s, `chunkRows` rows each (the last fewer). */
function allocateChunks(ctx: GpuContext, rows: number, cols: number): GpuChunk[] {
  const rowBytes = Math.ceil(cols / 4) * 16;
  const perChunk = checkedChunkRows(ctx, cols);
  const filled: { buffer: GPUBuffer; rows: number }[] = [];
  for (let rowStart = 0; rowStart < rows; rowStart += perChunk) {
    const count = Math.min(perChunk, rows - rowStart);
    filled.push({ buffer: ctx.storage(count * rowBytes, `matrix rows ${rowStart}..${rowStart + count - 1}`), rows: count });
  }
  return placeChunks(filled);
}

/** Buffers of consecutive rows, in order, as chunks: each one's first row and first 256-row block. */
export function placeChunks(filled: readonly { buffer: GPUBuffer; rows: number }[]): GpuChunk[] {
  let rowStart = 0;
  let blockStart = 0;
  return filled.map(({ buffer, rows }) => {
    const chunk = { rowStart, rows, buffer, blockStart };
    rowStart += rows;
    blockStart += Math.ceil(rows / 256);
    return chunk;
  });
}

/** Column means from at most 65,536 evenly spaced rows, float64 then rounded; padded to dp. */
function columnMean(host: Matrix, dp: number): Float32Array {
  const d = host.cols;
  const step = Math.max(1, Math.floor(host.rows / 65536));
  const sums = new Float64Array(d);
  let n = 0;
  for (let i = 0; i < host.rows; i += step) {
    const row = host.row(i);
    for (let j = 0; j < d; j++) sums[j]! += row[j]!;
    n++;
  }
  const mean = new Float32Array(dp);
  for (let j = 0; j < d; j++) mean[j] = sums[j]! / n;
  return mean;
}
