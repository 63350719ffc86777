/// <reference types="@webgpu/types" />
import type { GpuContext } from './context.js';
import { GpuRows } from './resident.js';

/**
 * Listed rows of a resident matrix copied, on the device, into a batch matrix of their own: a
 * mini-batch step then uploads only its row numbers (8 bytes a row) instead of the rows, and
 * the batch's buffers, bind groups and the Lloyd session over them are made once per batch
 * size rather than per step.
 *
 * A list is grouped on the host by (batch chunk, source chunk); each group is one dispatch of
 * gather.wgsl over its (batch row, source row) pairs.
 */
export class RowGather {
  private disposed = false;

  private constructor(
    private readonly ctx: GpuContext,
    private readonly source: GpuRows,
    /** The gathered rows: row e is the e-th listed row. */
    readonly batch: GpuRows,
    private readonly pipeline: GPUComputePipeline,
    private readonly pairs: GPUBuffer,
    /** Per (batch chunk b, source chunk s) at b · sources + s: its params and bind group. */
    private readonly groups: { params: GPUBuffer; bindGroup: GPUBindGroup }[],
  ) {}

  static async create(ctx: GpuContext, source: GpuRows, size: number): Promise<RowGather> {
    source.assertLive();
    const pipeline = await ctx.pipeline('gather', { DP4: source.dp4 });
    let made: RowGather | undefined;
    try {
      await ctx.guard(`allocating a batch of ${size} rows`, () => {
        const batch = GpuRows.allocate(ctx, size, source.cols, source.mean);
        const pairs = ctx.storage(size * 8, 'batch row pairs');
        const groups = batch.chunks.flatMap((to) =>
          source.chunks.map((from) => {
            const params = ctx.uniform([0, 0, 0, 0], [], 'gather params');
            return { params, bindGroup: ctx.bindGroup(pipeline, { 0: from.buffer, 1: to.buffer, 2: pairs, 3: params }) };
          }),
        );
        made = new RowGather(ctx, source, batch, pipeline, pairs, groups);
      });
    } catch (error) {
      made?.dispose(); // an out-of-memory error is reported after the buffers exist
      throw error;
    }
    return made!;
  }

  /** Copies source rows rows[0], rows[1], … into batch rows 0, 1, … (valid rows, as many as the batch holds). */
  async gather(rows: Int32Array): Promise<void> {
    const { ctx, source, batch } = this;
    if (this.disposed) throw new Error('RowGather used after dispose()');
    if (rows.length !== batch.rows) throw new RangeError(`gather: ${rows.length} rows listed for a batch of ${batch.rows}`);
    source.assertLive();
    // Every chunk but the last holds as many rows as the first (see GpuRows).
    const perSource = source.chunks[0]!.rows;
    const perBatch = batch.chunks[0]!.rows;
    const sources = source.chunks.length;
    // Counting sort of the entries by group, so each group's pairs are contiguous.
    const groupOf = (e: number) => Math.floor(e / perBatch) * sources + Math.floor(rows[e]! / perSource);
    const first = new Uint32Array(this.groups.length + 1);
    for (let e = 0; e < rows.length; e++) first[groupOf(e) + 1]!++;
    for (let g = 0; g < this.groups.length; g++) first[g + 1]! += first[g]!;
    const fill = first.slice(0, this.groups.length);
    const pairs = new Uint32Array(rows.length * 2);
    for (let e = 0; e < rows.length; e++) {
      const at = fill[groupOf(e)]!++ * 2;
      pairs[at] = e % perBatch;
      pairs[at + 1] = rows[e]! % perSource;
    }
    await ctx.guard('gathering batch rows', () => {
      ctx.write(this.pairs, 0, pairs);
      const encoder = ctx.device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      this.groups.forEach(({ params, bindGroup }, g) => {
        const count = first[g + 1]! - first[g]!;
        if (count === 0) return;
        ctx.writeUniform(params, [first[g]!, count, 0, 0]);
        ctx.dispatch(pass, this.pipeline, bindGroup, Math.ceil((count * source.dp4) / 256));
      });
      pass.end();
      ctx.device.queue.submit([encoder.finish()]);
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.batch.dispose();
    this.pairs.destroy();
    for (const { params } of this.groups) params.destroy();
  }
}
