/// <reference types="@webgpu/types" />
import type { SeedingState } from '../backend.js';
import { lowerBound } from '../js/kernels.js';
import type { GpuContext } from './context.js';
import { rowKernelDefines } from './plan.js';
import { MAX_TRIALS, type GpuMatrix } from './resident.js';

interface ChunkSeed {
  closest: GPUBuffer;
  trial: GPUBuffer | undefined;
  trialCapacity: number;
  params: GPUBuffer;
}

/**
 * Greedy k-means++ on the GPU. The closest squared distance of every row stays on the device;
 * a trial evaluates all candidates in one pass over the data (each row read once) and leaves
 * each candidate's new closest distances on the device, so `commit` is a buffer copy. The
 * host keeps only the sums per 256-row block (from the same pass), which give the potential
 * and, by a prefix sum over blocks, which block each sampling target falls in; the search
 * inside that block reads back just its 256 values.
 */
export class GpuSeeding implements SeedingState {
  potential = 0;
  /** Block sums of the current closest distances. */
  private blockSums: Float64Array;
  private cumulative: Float64Array | undefined;
  private trialSums: Float64Array[] = [];
  private readonly own: GPUBuffer[] = [];
  private part: GPUBuffer | undefined;
  private partCapacity = 0;
  private cand: GPUBuffer | undefined;
  private candCapacity = 0;
  private disposed = false;

  private constructor(
    private readonly ctx: GpuContext,
    private readonly x: GpuMatrix,
    private readonly chunks: ChunkSeed[],
  ) {
    this.blockSums = new Float64Array(x.blocks);
  }

  static async create(ctx: GpuContext, x: GpuMatrix, firstRow: number): Promise<GpuSeeding> {
    x.assertLive();
    const chunks: ChunkSeed[] = [];
    await ctx.guard('starting k-means++', () => {
      for (const chunk of x.chunks) {
        chunks.push({
          closest: ctx.storage(chunk.rows * 4, 'closest distances'),
          trial: undefined,
          trialCapacity: 0,
          params: ctx.uniform([chunk.rows, chunk.blockStart, x.blocks, 0], [], 'seeding params'),
        });
      }
    });
    const state = new GpuSeeding(ctx, x, chunks);
    for (const c of chunks) state.own.push(c.closest, c.params);
    const sums = await state.run(Int32Array.of(firstRow), true);
    state.setClosest(sums[0]!);
    return state;
  }

  async sample(targets: Float64Array): Promise<Int32Array> {
    this.x.assertLive();
    const { x, ctx } = this;
    if (!this.cumulative) {
      this.cumulative = new Float64Array(x.blocks);
      let running = 0;
      for (let b = 0; b < x.blocks; b++) this.cumulative[b] = running += this.blockSums[b]!;
    }
    const cumulative = this.cumulative;
    const out = new Int32Array(targets.length);
    const wanted = new Map<number, number>(); // block → readback index
    const blocks: number[] = [];
    targets.forEach((target, t) => {
      const block = lowerBound(cumulative, target);
      if (block >= x.blocks) {
        out[t] = x.rows - 1;
        blocks.push(-1);
      } else {
        if (!wanted.has(block)) wanted.set(block, wanted.size);
        blocks.push(block);
      }
    });
    if (wanted.size === 0) return out;
    const rb = ctx.readback();
    const where = new Map<number, { handle: ReturnType<typeof rb.add>; first: number }>();
    for (const block of wanted.keys()) {
      const { chunk, index } = this.blockChunk(block);
      const localRow = (block - x.chunks[index]!.blockStart) * 256;
      const rows = Math.min(256, chunk.rows - localRow);
      where.set(block, { handle: rb.add(this.chunks[index]!.closest, localRow * 4, rows * 4), first: chunk.rowStart + localRow });
    }
    await ctx.guard('k-means++ sampling', () => {
      const encoder = ctx.device.createCommandEncoder();
      rb.encode(encoder);
      ctx.device.queue.submit([encoder.finish()]);
    });
    await rb.map('k-means++ sampling');
    targets.forEach((target, t) => {
      const block = blocks[t]!;
      if (block < 0) return;
      const { handle, first } = where.get(block)!;
      const values = rb.f32(handle);
      let running = cumulative[block]! - this.blockSums[block]!;
      let row = first + values.length - 1;
      for (let i = 0; i < values.length; i++) {
        running += values[i]!;
        if (running >= target) {
          row = first + i;
          break;
        }
      }
      out[t] = Math.min(row, x.rows - 1);
    });
    return out;
  }

  async trial(candidateRows: Int32Array): Promise<Float64Array> {
    this.x.assertLive();
    this.trialSums = await this.run(candidateRows, false);
    return Float64Array.from(this.trialSums, (sums) => sums.reduce((a, b) => a + b, 0));
  }

  async commit(index: number): Promise<void> {
    this.x.assertLive();
    const sums = this.trialSums[index];
    if (!sums) throw new RangeError(`commit: no trial candidate ${index}`);
    const { ctx, x } = this;
    await ctx.guard('k-means++ commit', () => {
      const encoder = ctx.device.createCommandEncoder();
      x.chunks.forEach((chunk, i) => {
        const c = this.chunks[i]!;
        encoder.copyBufferToBuffer(c.trial!, index * chunk.rows * 4, c.closest, 0, chunk.rows * 4);
      });
      ctx.device.queue.submit([encoder.finish()]);
    });
    this.setClosest(sums);
    this.trialSums = [];
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const b of this.own) b.destroy();
    for (const c of this.chunks) c.trial?.destroy();
    this.part?.destroy();
    this.cand?.destroy();
  }

  private setClosest(sums: Float64Array): void {
    this.blockSums = sums;
    this.cumulative = undefined;
    this.potential = sums.reduce((a, b) => a + b, 0);
  }

  private blockChunk(block: number) {
    const chunks = this.x.chunks;
    let index = chunks.length - 1;
    while (index > 0 && chunks[index]!.blockStart > block) index--;
    return { chunk: chunks[index]!, index };
  }

  /**
   * Distances from every row to each candidate row (min with the current closest unless
   * `first`); returns per candidate the sums per block.
   */
  private async run(candidateRows: Int32Array, first: boolean): Promise<Float64Array[]> {
    const { ctx, x } = this;
    const nt = candidateRows.length;
    if (nt < 1 || nt > MAX_TRIALS) throw new RangeError(`k-means++: ${nt} candidates (1..${MAX_TRIALS} supported)`);
    const dp = x.dp4 * 4;
    const pipeline = await ctx.pipeline('seeding', { ...rowKernelDefines(x.dp4, ctx), NT: nt, FIRST: first });
    const rows = new Float32Array(nt * dp);
    candidateRows.forEach((r, t) => rows.set(x.host.row(r), t * dp));
    const rb = ctx.readback();
    let handle!: ReturnType<typeof rb.add>;
    await ctx.guard('k-means++ distances', () => {
      if (this.candCapacity < nt) {
        this.cand?.destroy();
        this.cand = ctx.storage(nt * dp * 4, 'k-means++ candidates');
        this.candCapacity = nt;
      }
      if (this.partCapacity < nt) {
        this.part?.destroy();
        this.part = ctx.storage(nt * x.blocks * 4, 'k-means++ block sums');
        this.partCapacity = nt;
      }
      ctx.write(this.cand!, 0, rows);
      const encoder = ctx.device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      x.chunks.forEach((chunk, i) => {
        const c = this.chunks[i]!;
        const entries: Record<number, GPUBuffer> = { 0: chunk.buffer, 1: c.params, 2: this.cand!, 3: c.closest, 5: this.part! };
        if (!first) {
          if (c.trialCapacity < nt) {
            c.trial?.destroy();
            c.trial = ctx.storage(nt * chunk.rows * 4, 'k-means++ trial distances');
            c.trialCapacity = nt;
          }
          entries[4] = c.trial!;
        }
        ctx.dispatch(pass, pipeline, ctx.bindGroup(pipeline, entries), Math.ceil(chunk.rows / 256));
      });
      pass.end();
      handle = rb.add(this.part!, 0, nt * x.blocks * 4);
      rb.encode(encoder);
      ctx.device.queue.submit([encoder.finish()]);
    });
    await rb.map('k-means++ distances');
    const part = rb.f32(handle);
    return Array.from({ length: nt }, (_, t) => Float64Array.from(part.subarray(t * x.blocks, (t + 1) * x.blocks)));
  }
}
