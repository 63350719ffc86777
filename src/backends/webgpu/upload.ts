/// <reference types="@webgpu/types" />
import type { Matrix, MatrixChunk } from '../../matrix.js';
import type { MatrixUpload } from '../backend.js';
import type { GpuContext } from './context.js';
import { checkedChunkRows, GpuMatrix, placeChunks } from './resident.js';

/** A device chunk being filled: room for `capacity` rows, of which the first `rows` are written. */
interface FillingChunk {
  buffer: GPUBuffer;
  capacity: number;
  rows: number;
}

/**
 * Host rows written into device chunks (see GpuRows) as they arrive, a host chunk at a time.
 * `queue.writeBuffer` stages the rows and returns: the transfer runs while the caller reads the
 * next record batch, so a streamed input is resident about when its last batch is read.
 *
 * The row count of a stream is known only at the end, so a device chunk starts with room for
 * what has arrived and doubles (a copy on the device) up to the chunk size; `finish` cuts the
 * last one to its rows. Given `expectedRows` (a whole matrix), every chunk is made at its final
 * size. Each add runs in an error scope; the first error is thrown by `finish`.
 */
export class RowUpload implements MatrixUpload {
  private readonly rowBytes: number;
  private readonly perChunk: number;
  private readonly filling: FillingChunk[] = [];
  private readonly pending: Promise<void>[] = [];
  private failure: unknown;
  private rows = 0;

  constructor(
    private readonly ctx: GpuContext,
    private readonly cols: number,
    private readonly expectedRows?: number,
  ) {
    this.rowBytes = Math.ceil(cols / 4) * 16;
    this.perChunk = checkedChunkRows(ctx, cols);
  }

  add(chunk: MatrixChunk): void {
    if (chunk.rowStart !== this.rows || chunk.data.length !== chunk.rows * this.cols) {
      throw new RangeError(`webgpu upload: a chunk at row ${chunk.rowStart} does not continue row ${this.rows} with ${this.cols} columns`);
    }
    const first = this.rows;
    this.rows += chunk.rows;
    this.track(`uploading rows ${first + 1}–${this.rows}`, () => {
      for (let from = first; from < this.rows; ) {
        const index = Math.floor(from / this.perChunk);
        const chunkStart = index * this.perChunk;
        const to = Math.min(this.rows, chunkStart + this.perChunk);
        const target = this.reserve(index, to - chunkStart);
        this.write(chunk, target.buffer, chunkStart, from, to);
        target.rows = to - chunkStart;
        from = to;
      }
    });
  }

  async finish(host: Matrix): Promise<GpuMatrix> {
    if (host.rows !== this.rows || host.cols !== this.cols) {
      throw new RangeError(`webgpu upload: finished with a ${host.rows} × ${host.cols} matrix after ${this.rows} rows of ${this.cols} columns`);
    }
    const last = this.filling[this.filling.length - 1];
    if (last && last.capacity > last.rows) this.track('trimming the last chunk of rows', () => this.resize(last, last.rows));
    await Promise.all(this.pending);
    if (this.failure !== undefined) {
      this.abort();
      throw this.failure;
    }
    return new GpuMatrix(this.ctx, host, placeChunks(this.filling));
  }

  abort(): void {
    for (const chunk of this.filling) chunk.buffer.destroy();
    this.filling.length = 0;
  }

  /** Runs `work` in the context's error scopes, keeping the first error for `finish`. */
  private track(what: string, work: () => void): void {
    this.pending.push(this.ctx.guard(what, work).catch((error: unknown) => void (this.failure ??= error)));
  }

  /** Device chunk `index` with room for at least `rows` rows (made, or grown, on demand). */
  private reserve(index: number, rows: number): FillingChunk {
    const chunk = this.filling[index];
    if (chunk && rows <= chunk.capacity) return chunk;
    const expected = this.expectedRows === undefined ? 0 : this.expectedRows - index * this.perChunk;
    const capacity = Math.min(this.perChunk, Math.max(rows, expected, 2 * (chunk?.capacity ?? 0)));
    if (chunk) {
      this.resize(chunk, capacity);
      return chunk;
    }
    const made = { buffer: this.allocate(index, capacity), capacity, rows: 0 };
    this.filling.push(made);
    return made;
  }

  /** Moves a chunk's rows into a buffer of `capacity` rows, on the device. */
  private resize(chunk: FillingChunk, capacity: number): void {
    const index = this.filling.indexOf(chunk);
    const buffer = this.allocate(index, capacity);
    const encoder = this.ctx.device.createCommandEncoder({ label: 'resizing a chunk of rows' });
    encoder.copyBufferToBuffer(chunk.buffer, 0, buffer, 0, chunk.rows * this.rowBytes);
    this.ctx.device.queue.submit([encoder.finish()]);
    chunk.buffer.destroy(); // freed once the copy has run
    chunk.buffer = buffer;
    chunk.capacity = capacity;
  }

  private allocate(index: number, capacity: number): GPUBuffer {
    const start = index * this.perChunk;
    return this.ctx.storage(capacity * this.rowBytes, `matrix rows ${start}..${start + capacity - 1}`);
  }

  /** Writes rows [from, to) (global) of a host chunk into a device chunk whose first row is `chunkStart`, padding columns with zeros. */
  private write(chunk: MatrixChunk, buffer: GPUBuffer, chunkStart: number, from: number, to: number): void {
    const d = this.cols;
    const dp = this.rowBytes / 4;
    const src = chunk.data.subarray((from - chunk.rowStart) * d, (to - chunk.rowStart) * d);
    const offset = (from - chunkStart) * this.rowBytes;
    if (dp === d) {
      this.ctx.write(buffer, offset, src);
      return;
    }
    // Repacked in slabs of about 16 MiB.
    const slabRows = Math.max(1, Math.floor((1 << 22) / dp));
    for (let r = 0; r < to - from; r += slabRows) {
      const n = Math.min(slabRows, to - from - r);
      const slab = new Float32Array(n * dp);
      for (let i = 0; i < n; i++) slab.set(src.subarray((r + i) * d, (r + i + 1) * d), i * dp);
      this.ctx.write(buffer, offset + r * this.rowBytes, slab);
    }
  }
}

/** Uploads a whole host matrix (every chunk at its final size). */
export function uploadMatrix(ctx: GpuContext, host: Matrix): Promise<GpuMatrix> {
  const upload = new RowUpload(ctx, host.cols, host.rows);
  for (const chunk of host.chunks) upload.add(chunk);
  return upload.finish(host);
}
