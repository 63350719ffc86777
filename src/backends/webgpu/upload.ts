/// <reference types="@webgpu/types" />
import type { Matrix, MatrixChunk } from '../../matrix.js';
import type { MatrixUpload } from '../backend.js';
import type { GpuContext } from './context.js';
import { checkedChunkRows, GpuMatrix, placeChunks } from './resident.js';

/**
 * Host rows written into device chunks (see GpuRows) while they are still arriving: a device
 * chunk is made and written as soon as all its rows are in. `queue.writeBuffer` copies them into
 * staging memory on this thread and returns; the transfer to the device then runs while the
 * reader reads the rows of the next chunk. The rest, up to one chunk, is written by `finish`. Every buffer is made at its final size: a stream's
 * length is unknown, but a device chunk is complete before it is made. The host chunks are
 * the host matrix's own, so keeping them until they are written costs nothing.
 *
 * A whole matrix is uploaded the same way (`uploadMatrix`). Each device chunk is written in an
 * error scope; the first error is thrown by `finish`.
 */
export class RowUpload implements MatrixUpload {
  private readonly rowBytes: number;
  private readonly perChunk: number;
  /** Host chunks holding rows not yet written to the device, in order. */
  private readonly waiting: MatrixChunk[] = [];
  private readonly written: { buffer: GPUBuffer; rows: number }[] = [];
  private readonly pending: Promise<void>[] = [];
  private failure: unknown;
  private rows = 0;
  private writtenRows = 0;

  constructor(
    private readonly ctx: GpuContext,
    private readonly cols: number,
  ) {
    this.rowBytes = Math.ceil(cols / 4) * 16;
    this.perChunk = checkedChunkRows(ctx, cols);
  }

  /** Rows whose device chunk has been made and written so far. */
  get uploadedRows(): number {
    return this.writtenRows;
  }

  add(chunk: MatrixChunk): void {
    if (chunk.rowStart !== this.rows || chunk.data.length !== chunk.rows * this.cols) {
      throw new RangeError(`webgpu upload: a chunk at row ${chunk.rowStart} does not continue row ${this.rows} with ${this.cols} columns`);
    }
    this.waiting.push(chunk);
    this.rows += chunk.rows;
    while (this.rows - this.writtenRows >= this.perChunk) this.writeChunk(this.perChunk);
  }

  async finish(host: Matrix): Promise<GpuMatrix> {
    if (host.rows !== this.rows || host.cols !== this.cols) {
      throw new RangeError(`webgpu upload: finished with a ${host.rows} × ${host.cols} matrix after ${this.rows} rows of ${this.cols} columns`);
    }
    if (this.rows > this.writtenRows) this.writeChunk(this.rows - this.writtenRows);
    await Promise.all(this.pending);
    if (this.failure !== undefined) {
      this.abort();
      throw this.failure;
    }
    return new GpuMatrix(this.ctx, host, placeChunks(this.written));
  }

  abort(): void {
    for (const chunk of this.written) chunk.buffer.destroy();
    this.written.length = 0;
    this.waiting.length = 0;
  }

  /** Makes the next device chunk, of `rows` rows, and writes the waiting host rows into it. */
  private writeChunk(rows: number): void {
    const start = this.writtenRows;
    const end = start + rows;
    this.writtenRows = end;
    const pieces = this.waiting.filter((chunk) => chunk.rowStart < end);
    while (this.waiting.length > 0 && this.waiting[0]!.rowStart + this.waiting[0]!.rows <= end) this.waiting.shift();
    const work = this.ctx.guard(`uploading rows ${start + 1}–${end}`, () => {
      const buffer = this.ctx.storage(rows * this.rowBytes, `matrix rows ${start}..${end - 1}`);
      this.written.push({ buffer, rows });
      for (const chunk of pieces) this.write(chunk, buffer, start, Math.max(start, chunk.rowStart), Math.min(end, chunk.rowStart + chunk.rows));
    });
    this.pending.push(work.catch((error: unknown) => void (this.failure ??= error)));
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

/** Uploads a whole host matrix. */
export function uploadMatrix(ctx: GpuContext, host: Matrix): Promise<GpuMatrix> {
  const upload = new RowUpload(ctx, host.cols);
  for (const chunk of host.chunks) upload.add(chunk);
  return upload.finish(host);
}
