/// <reference types="@webgpu/types" />
import { checkRows, stepResult, type LloydSession, type RowStepTotals, type StepOptions, type StepResult, type StepTotals } from '../backend.js';
import type { GpuContext, Readback, ReadHandle } from './context.js';
import { assignKernel, assignTile, pow2, rowKernelDefines, type TileConfig } from './plan.js';
import { RowGather } from './gather.js';
import type { GpuRows } from './resident.js';

const U = 2 ** -24;

/** Largest k whose per-workgroup histogram lives in workgroup memory (4 KiB). */
const LOCAL_BINS = 1024;

interface ChunkState {
  rows: number;
  labels: GPUBuffer;
  /** The labels before this step, and the pass counting the rows that changed. */
  previous: GPUBuffer;
  changed: GPUBindGroup;
  assign: GPUBindGroup;
  assignParams: GPUBuffer;
  hist: GPUBindGroup;
  scan: GPUBindGroup;
  scatter: GPUBindGroup;
  segsum: GPUBindGroup;
  reduce: GPUBindGroup;
  inertia: GPUBindGroup;
  pieces: number;
  // Hamerly
  lower?: GPUBuffer;
  xn?: GPUBuffer;
  list?: GPUBuffer;
  bounds?: GPUBindGroup;
  assignList?: GPUBindGroup;
}

interface Pipelines {
  assign: GPUComputePipeline;
  assignList?: GPUComputePipeline;
  halfGap?: GPUComputePipeline;
  bounds?: GPUComputePipeline;
  hist: GPUComputePipeline;
  scan: GPUComputePipeline;
  scatter: GPUComputePipeline;
  segsum: GPUComputePipeline;
  reduce: GPUComputePipeline;
  inertia: GPUComputePipeline;
  changed: GPUComputePipeline;
}

interface SharedBuffers {
  craw: GPUBuffer;
  ccen: GPUBuffer;
  aux: GPUBuffer;
  cnOffset: number;
  sums: GPUBuffer;
  inert: GPUBuffer;
  total: GPUBuffer;
  parts: GPUBuffer;
  changedCount: GPUBuffer;
  own: GPUBuffer[];
  half?: GPUBuffer;
  halfGap?: GPUBindGroup;
  halfParams?: GPUBuffer;
  boundsParams: GPUBuffer[];
}

/** The Lloyd update's passes, in order: sort by label (histogram, scan, scatter), segment sums, reduction. */
export const UPDATE_PASSES = ['hist', 'scan', 'scatter', 'segsum', 'reduce'] as const;

/** The passes of a full-search step over one chunk. */
export type LloydPass = 'assign' | 'changed' | 'inertia' | (typeof UPDATE_PASSES)[number];

/** Options the benchmark and tests use to pin a kernel shape. */
export interface LloydTuning {
  tile?: string;
}

/**
 * Lloyd steps on the GPU. The data stays resident; per step the host writes k centroids (raw
 * and centred, plus their norms) and reads back the k × d sums (df32 pairs), counts, inertia,
 * the number of rows whose label changed and, unless the caller does without, the labels —
 * one submission, one batched readback.
 *
 * Per step and chunk: the fused assignment (tile kernel, argmin on the fly), then either the
 * update (counting sort by label, segment sums, reduction — no float atomics) or, without
 * accumulation, an inertia pass. With bounds (Hamerly), later steps first test each row's
 * bounds and run the assignment only over the rows that failed (gathered through a list).
 */
export class GpuLloyd implements LloydSession {
  private previous: Float64Array | undefined;
  private steps = 0;
  private disposed = false;
  /** Mini-batch steps: the listed rows gathered on the device, and a session over them (kept while the batch size stays). */
  private miniBatch: { gather: RowGather; session: GpuLloyd } | undefined;

  private constructor(
    private readonly ctx: GpuContext,
    private readonly x: GpuRows,
    private readonly k: number,
    private readonly bounds: boolean,
    readonly tile: TileConfig,
    private readonly pipes: Pipelines,
    private readonly chunks: ChunkState[],
    private readonly shared: SharedBuffers,
  ) {}

  static async create(ctx: GpuContext, x: GpuRows, k: number, bounds: boolean, tuning: LloydTuning = {}): Promise<GpuLloyd> {
    x.assertLive();
    const dp4 = x.dp4;
    const maxRows = Math.max(...x.chunks.map((c) => c.rows));
    const tile = assignTile(x.rows, k, dp4, ctx.limits.workgroupStorage, ctx.adapter.software, tuning.tile);
    const kernel = assignKernel(tile, dp4);
    const ct = Math.min(64, pow2(dp4));
    const colblocks = Math.ceil(dp4 / ct);
    const piece = Math.max(256, Math.min(4096, pow2(Math.ceil(maxRows / 512))));
    const lk = k <= LOCAL_BINS ? k : 0;
    const upd = { DP4: dp4, LK: lk, CT: ct, LOCAL: lk > 0 };
    const rowKernel = rowKernelDefines(dp4, ctx);
    const [assign, assignList, bnds, hist, scan, scatter, segsum, reduce, inertia, normsFast, changed] = await Promise.all([
      ctx.pipeline(kernel.shader, { ...kernel.defines, HAMERLY: bounds }),
      bounds ? ctx.pipeline(kernel.shader, { ...kernel.defines, HAMERLY: true, LIST: true }) : undefined,
      bounds ? ctx.pipeline('rows', { ...rowKernel, BOUNDS: true }) : undefined,
      ctx.pipeline('update', { ...upd, HIST: true }),
      ctx.pipeline('update', { ...upd, SCAN: true }),
      ctx.pipeline('update', { ...upd, SCATTER: true }),
      ctx.pipeline('update', { ...upd, SEGSUM: true }),
      ctx.pipeline('update', { ...upd, REDUCE: true }),
      ctx.pipeline('rows', { ...rowKernel, INERTIA: true }),
      bounds ? ctx.pipeline('rows', { ...rowKernel, NORMS: true, FAST: true }) : undefined,
      ctx.pipeline('changed', {}),
    ]);
    const pipes: Pipelines = { assign, hist, scan, scatter, segsum, reduce, inertia, changed };
    if (bounds) Object.assign(pipes, { assignList, halfGap: assign, bounds: bnds });

    const cnOffset = Math.ceil((dp4 * 16) / 256) * 256; // bytes; a binding offset must be 256-aligned
    const chunks: ChunkState[] = [];
    let shared!: SharedBuffers;
    await ctx.guard(`starting k-means (k = ${k}) on ${x.rows} × ${x.cols}`, () => {
      const own: GPUBuffer[] = [];
      const track = (b: GPUBuffer) => (own.push(b), b);
      const craw = track(ctx.storage(k * dp4 * 16, 'centroids'));
      const ccen = track(ctx.storage(k * dp4 * 16, 'centred centroids'));
      const aux = track(ctx.storage(cnOffset + k * 4, 'column means and centroid norms'));
      ctx.write(aux, 0, x.mean);
      const sums = track(ctx.storage(k * dp4 * 32, 'cluster sums'));
      const inert = track(ctx.storage(k * 8, 'cluster inertia'));
      const total = track(ctx.storage(k * 4, 'cluster counts'));
      const parts = track(ctx.storage(x.blocks * 8, 'inertia partials'));
      const changedCount = track(ctx.storage(4, 'changed labels'));
      const counts = track(ctx.storage(k * 4, 'counts'));
      const offs = track(ctx.storage((k + 1) * 4, 'offsets'));
      const pstart = track(ctx.storage((k + 1) * 4, 'piece starts'));
      const cursor = track(ctx.storage(k * 4, 'cursor'));
      const perm = track(ctx.storage(maxRows * 4, 'row order'));
      const maxPieces = Math.ceil(maxRows / piece) + k;
      const part = track(ctx.storage(maxPieces * dp4 * 32, 'piece sums'));
      const pin = track(ctx.storage(maxPieces * dp4 * 8, 'piece inertia'));
      const boundsParams: GPUBuffer[] = [];
      let half: GPUBuffer | undefined;
      let halfGap: GPUBindGroup | undefined;
      let halfParams: GPUBuffer | undefined;
      if (bounds) {
        half = track(ctx.storage(k * 4, 'half gaps'));
        const dummy = track(ctx.storage(k * 4, 'centroid self-labels'));
        halfParams = track(ctx.uniform([k, 0, k, 0, 0, 0, 0, 0, cnOffset / 4, 0, 0, 0], [0, 0, 0, 0], 'half-gap params'));
        halfGap = ctx.bindGroup(assign, {
          0: craw,
          1: ccen,
          2: halfParams,
          3: aux,
          4: dummy,
          5: half,
          6: { buffer: aux, offset: cnOffset, size: k * 4 },
        });
      }
      for (const chunk of x.chunks) {
        const rows = chunk.rows;
        const labels = track(ctx.storage(rows * 4, 'labels'));
        const previous = track(ctx.storage(rows * 4, 'previous labels'));
        const assignParams = track(ctx.uniform([rows, 0, k, 0, 0, 0, 0, 0, cnOffset / 4, 0, 0, 0], [0, 0, 0, 0], 'assign params'));
        const updParams = track(ctx.uniform([rows, k, piece, colblocks], [], 'update params'));
        const rowParams = track(ctx.uniform([rows, 0, chunk.blockStart, 0], [0, 0, 0, 0], 'row params'));
        const lower = bounds ? track(ctx.storage(rows * 4, 'lower bounds')) : undefined;
        const xn = bounds ? track(ctx.storage(rows * 4, 'centred row norms')) : undefined;
        const state: ChunkState = {
          rows,
          labels,
          previous,
          changed: ctx.bindGroup(changed, { 0: labels, 1: previous, 2: track(ctx.uniform([rows, 0, 0, 0], [], 'changed params')), 3: changedCount }),
          assignParams,
          pieces: Math.ceil(rows / piece) + k,
          // With bounds the assignment kernel also writes lower bounds and reads row norms.
          assign: bounds
            ? ctx.bindGroup(assign, { 0: chunk.buffer, 1: ccen, 2: assignParams, 3: aux, 4: labels, 5: lower!, 6: xn! })
            : ctx.bindGroup(assign, { 0: chunk.buffer, 1: ccen, 2: assignParams, 3: aux, 4: labels }),
          hist: ctx.bindGroup(hist, { 0: labels, 1: counts, 2: updParams }),
          scan: ctx.bindGroup(scan, { 0: counts, 1: offs, 2: updParams, 3: pstart, 4: cursor, 5: total }),
          scatter: ctx.bindGroup(scatter, { 0: labels, 1: offs, 2: updParams, 3: cursor, 4: perm }),
          segsum: ctx.bindGroup(segsum, { 0: chunk.buffer, 1: offs, 2: updParams, 3: pstart, 4: perm, 5: craw, 6: part, 7: pin }),
          reduce: ctx.bindGroup(reduce, { 0: part, 1: pin, 2: updParams, 3: pstart, 4: sums, 5: inert }),
          inertia: ctx.bindGroup(inertia, { 0: chunk.buffer, 1: rowParams, 2: craw, 3: labels, 4: parts }),
        };
        if (bounds) {
          const list = track(ctx.storage((rows + 1) * 4, 'rows to search'));
          const bp = track(ctx.uniform([rows, 0, 0, 0], [0, 0, 0, 0], 'bounds params'));
          boundsParams.push(bp);
          state.lower = lower!;
          state.xn = xn!;
          state.list = list;
          state.assignList = ctx.bindGroup(assignList!, {
            0: chunk.buffer,
            1: ccen,
            2: assignParams,
            3: aux,
            4: labels,
            5: lower!,
            6: xn!,
            7: list,
          });
          state.bounds = ctx.bindGroup(bnds!, { 0: chunk.buffer, 1: bp, 2: craw, 3: labels, 4: lower!, 5: half!, 6: list });
        }
        chunks.push(state);
      }
      shared = { craw, ccen, aux, cnOffset, sums, inert, total, parts, changedCount, own, boundsParams };
      if (half) Object.assign(shared, { half, halfGap, halfParams });
      if (bounds) {
        // ‖x − mean‖² per row, for the lower bounds.
        const encoder = ctx.device.createCommandEncoder();
        const pass = encoder.beginComputePass();
        x.chunks.forEach((chunk, i) => {
          const params = track(ctx.uniform([chunk.rows, 0, 0, 0], [0, 0, 0, 0], 'norm params'));
          ctx.dispatch(pass, normsFast!, ctx.bindGroup(normsFast!, { 0: chunk.buffer, 1: params, 2: aux, 3: chunks[i]!.xn! }), Math.ceil(chunk.rows / 256));
        });
        pass.end();
        ctx.device.queue.submit([encoder.finish()]);
      }
    });
    return new GpuLloyd(ctx, x, k, bounds, tile, pipes, chunks, shared);
  }

  async step<O extends StepOptions>(centroids: Float32Array, options: O): Promise<StepResult<O>> {
    const { ctx, x, k, chunks, pipes, shared } = this;
    if (this.disposed) throw new Error('LloydSession used after dispose()');
    x.assertLive();
    const d = x.cols;
    const dp4 = x.dp4;
    const dp = dp4 * 4;
    if (centroids.length !== k * d) throw new RangeError(`step: expected ${k} × ${d} centroids, got ${centroids.length} values`);
    const accumulate = options.accumulate;
    const prune = this.bounds && this.previous !== undefined;
    // On the first step every row counts as changed; later the labels are compared on the device.
    const countChanges = this.steps > 0;

    // Centroids raw (for sums, inertia and bounds) and centred on the data's mean (for the
    // expanded-form assignment), with the centred norms.
    // A padded copy only when d is not a multiple of 4; otherwise the caller's array goes as is.
    const padded = dp !== d;
    const raw = padded ? new Float32Array(k * dp) : centroids;
    const centred = new Float32Array(k * dp);
    const norms = new Float32Array(k);
    let cmax = 0;
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) {
        const v = centroids[c * d + j]!;
        if (padded) raw[c * dp + j] = v;
        const w = Math.fround(v - x.mean[j]!);
        centred[c * dp + j] = w;
        s += w * w;
      }
      norms[c] = s;
      cmax = Math.max(cmax, Math.sqrt(s));
    }
    ctx.write(shared.craw, 0, raw);
    ctx.write(shared.ccen, 0, centred);
    ctx.write(shared.aux, shared.cnOffset, norms);
    // Error of ‖c'‖² − 2x'·c' in float32 (a bound with a factor 2 to spare, see pairs.wgsl).
    const err = 2 * (dp + 6) * U;
    const assignFloats = [err, cmax, 0, 0];
    const assignWords = (rows: number) => [rows, 0, k, 0, 0, 0, 0, 0, shared.cnOffset / 4, 0, 0, 0];
    if (this.bounds) {
      chunks.forEach((c) => ctx.writeUniform(c.assignParams, assignWords(c.rows), assignFloats));
      if (shared.halfParams) ctx.writeUniform(shared.halfParams, assignWords(k), assignFloats);
    }
    if (prune) {
      const moves = centroidMoves(this.previous!, centroids, k, d);
      chunks.forEach((c, i) =>
        ctx.writeUniform(shared.boundsParams[i]!, [c.rows, 0, 0, moves.fastest], [moves.first, moves.second, (dp + 4) * U, 0]),
      );
    }

    const rb = ctx.readback();
    const labelHandles = options.labels === false ? undefined : this.addLabels(rb);
    const changedHandle = countChanges ? rb.add(shared.changedCount, 0, 4) : undefined;
    let sumsHandle: ReadHandle | undefined;
    let totalHandle: ReadHandle | undefined;
    let inertHandle: ReadHandle | undefined;
    let partsHandle: ReadHandle | undefined;
    if (accumulate) {
      sumsHandle = rb.add(shared.sums, 0, k * dp4 * 32);
      totalHandle = rb.add(shared.total, 0, k * 4);
      inertHandle = rb.add(shared.inert, 0, k * 8);
    } else {
      partsHandle = rb.add(shared.parts, 0, x.blocks * 8);
    }
    const listHandles = prune ? chunks.map((c) => rb.add(c.list!, 0, 4)) : [];

    await ctx.guard('k-means step', () => {
      const encoder = ctx.device.createCommandEncoder();
      if (accumulate) {
        encoder.clearBuffer(shared.sums);
        encoder.clearBuffer(shared.inert);
        encoder.clearBuffer(shared.total);
      }
      if (prune) for (const c of chunks) encoder.clearBuffer(c.list!, 0, 16);
      if (countChanges) {
        encoder.clearBuffer(shared.changedCount);
        for (const c of chunks) encoder.copyBufferToBuffer(c.labels, 0, c.previous, 0, c.rows * 4);
      }
      const pass = encoder.beginComputePass();
      if (prune) {
        ctx.dispatch(pass, pipes.halfGap!, shared.halfGap!, Math.ceil(k / this.tile.TM));
        for (const c of chunks) {
          ctx.dispatch(pass, pipes.bounds!, c.bounds!, Math.ceil(c.rows / 256));
          ctx.dispatch(pass, pipes.assignList!, c.assignList!, Math.ceil(c.rows / this.tile.TM));
        }
      } else {
        for (const c of chunks) this.dispatch(pass, c, 'assign');
      }
      const after: LloydPass[] = [...(countChanges ? (['changed'] as const) : []), ...(accumulate ? UPDATE_PASSES : (['inertia'] as const))];
      for (const c of chunks) for (const kernel of after) this.dispatch(pass, c, kernel);
      pass.end();
      rb.encode(encoder);
      ctx.device.queue.submit([encoder.finish()]);
    });
    await rb.map('k-means step');
    this.steps++;

    let evaluations = x.rows * k;
    if (prune) {
      evaluations = x.rows;
      for (const h of listHandles) evaluations += rb.u32(h)[0]! * k;
    }
    let inertia = 0;
    const changed = changedHandle ? rb.u32(changedHandle)[0]! : x.rows;
    const result: StepTotals = { inertia, changed, distanceEvaluations: evaluations };
    if (accumulate) {
      const s = rb.f32(sumsHandle!);
      const sums = new Float64Array(k * d);
      for (let c = 0; c < k; c++) {
        for (let j = 0; j < d; j++) {
          const at = (c * dp4 + (j >> 2)) * 8 + (j & 3);
          sums[c * d + j] = s[at]! + s[at + 4]!;
        }
      }
      const counts = Float64Array.from(rb.u32(totalHandle!));
      const inert = rb.f32(inertHandle!);
      const clusterInertia = new Float64Array(k);
      for (let c = 0; c < k; c++) {
        clusterInertia[c] = inert[2 * c]! + inert[2 * c + 1]!;
        inertia += clusterInertia[c]!;
      }
      Object.assign(result, { sums, counts, clusterInertia });
    } else {
      const parts = rb.f32(partsHandle!);
      for (let b = 0; b < x.blocks; b++) inertia += parts[2 * b]! + parts[2 * b + 1]!;
    }
    result.inertia = inertia;
    if (this.bounds) this.previous = Float64Array.from(centroids);
    return stepResult(options, result, () => this.collectLabels(rb, labelHandles!));
  }

  async stepRows(centroids: Float32Array, rows: Int32Array): Promise<RowStepTotals> {
    if (this.disposed) throw new Error('LloydSession used after dispose()');
    if (this.bounds) throw new Error('stepRows: this session keeps bounds; start it with bounds: false');
    checkRows(rows, this.x.rows);
    if (rows.length === 0) {
      const { k } = this;
      return { inertia: 0, sums: new Float64Array(k * this.x.cols), counts: new Float64Array(k), clusterInertia: new Float64Array(k), distanceEvaluations: 0 };
    }
    if (this.miniBatch?.gather.batch.rows !== rows.length) {
      this.disposeMiniBatch();
      const gather = await RowGather.create(this.ctx, this.x, rows.length);
      try {
        this.miniBatch = { gather, session: await GpuLloyd.create(this.ctx, gather.batch, this.k, false) };
      } catch (error) {
        gather.dispose();
        throw error;
      }
    }
    await this.miniBatch.gather.gather(rows);
    const { inertia, sums, counts, clusterInertia, distanceEvaluations } = await this.miniBatch.session.step(centroids, { accumulate: true, labels: false });
    return { inertia, sums: sums!, counts: counts!, clusterInertia: clusterInertia!, distanceEvaluations };
  }

  async labels(): Promise<Int32Array> {
    const { ctx } = this;
    if (this.disposed) throw new Error('LloydSession used after dispose()');
    if (this.steps === 0) throw new Error('labels(): no step has run in this session');
    this.x.assertLive();
    const rb = ctx.readback();
    const handles = this.addLabels(rb);
    await ctx.guard('reading k-means labels', () => {
      const encoder = ctx.device.createCommandEncoder();
      rb.encode(encoder);
      ctx.device.queue.submit([encoder.finish()]);
    });
    await rb.map('reading k-means labels');
    return this.collectLabels(rb, handles);
  }

  private addLabels(rb: Readback): ReadHandle[][] {
    return this.chunks.map((c) => rb.addLarge(c.labels, 0, c.rows * 4));
  }

  private collectLabels(rb: Readback, handles: ReadHandle[][]): Int32Array {
    const labels = new Int32Array(this.x.rows);
    this.x.chunks.forEach((chunk, i) => {
      let offset = chunk.rowStart;
      for (const h of handles[i]!) {
        const part = rb.u32(h);
        labels.set(new Int32Array(part.buffer, part.byteOffset, part.length), offset);
        offset += part.length;
      }
    });
    return labels;
  }

  /**
   * Benchmark hook: milliseconds per repetition of the given passes (each over every chunk, in
   * the order given), over `reps` repetitions in one submission with no readback. Call `step`
   * once first (it writes the centroids and the labels the update reads).
   */
  async profile(passes: readonly LloydPass[], reps: number): Promise<number> {
    const { ctx, chunks, shared } = this;
    this.x.assertLive();
    const updating = passes.some((p) => (UPDATE_PASSES as readonly string[]).includes(p));
    const start = performance.now();
    await ctx.guard(`profiling ${passes.join(', ')}`, () => {
      const encoder = ctx.device.createCommandEncoder();
      for (let r = 0; r < reps; r++) {
        if (updating) {
          encoder.clearBuffer(shared.sums);
          encoder.clearBuffer(shared.inert);
          encoder.clearBuffer(shared.total);
        }
        const pass = encoder.beginComputePass();
        for (const c of chunks) for (const kernel of passes) this.dispatch(pass, c, kernel);
        pass.end();
      }
      ctx.device.queue.submit([encoder.finish()]);
    });
    await ctx.device.queue.onSubmittedWorkDone();
    return (performance.now() - start) / reps;
  }

  /** One full-search pass over one chunk (the Hamerly passes are dispatched by `step`). */
  private dispatch(pass: GPUComputePassEncoder, c: ChunkState, kernel: LloydPass): void {
    const { ctx, pipes } = this;
    const rowGroups = Math.ceil(c.rows / 256);
    const dp4 = this.x.dp4;
    switch (kernel) {
      case 'assign':
        return ctx.dispatch(pass, pipes.assign, c.assign, Math.ceil(c.rows / this.tile.TM));
      case 'changed':
        return ctx.dispatch(pass, pipes.changed, c.changed, rowGroups);
      case 'inertia':
        return ctx.dispatch(pass, pipes.inertia, c.inertia, rowGroups);
      case 'hist':
        return ctx.dispatch(pass, pipes.hist, c.hist, rowGroups);
      case 'scan':
        return ctx.dispatch(pass, pipes.scan, c.scan, 1);
      case 'scatter':
        return ctx.dispatch(pass, pipes.scatter, c.scatter, rowGroups);
      case 'segsum':
        return ctx.dispatch(pass, pipes.segsum, c.segsum, c.pieces * Math.ceil(dp4 / Math.min(64, pow2(dp4))));
      case 'reduce':
        return ctx.dispatch(pass, pipes.reduce, c.reduce, Math.ceil((this.k * dp4) / 256));
    }
  }

  private disposeMiniBatch(): void {
    this.miniBatch?.session.dispose();
    this.miniBatch?.gather.dispose();
    this.miniBatch = undefined;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.disposeMiniBatch();
    for (const b of this.shared.own) b.destroy();
  }
}

/**
 * How far each centroid moved (float64, rounded up for the float32 bounds): the largest move,
 * which centroid made it, and the second largest.
 */
function centroidMoves(previous: Float64Array, centroids: Float32Array, k: number, d: number) {
  let fastest = 0;
  let first = 0;
  let second = 0;
  for (let c = 0; c < k; c++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += (previous[c * d + j]! - centroids[c * d + j]!) ** 2;
    const move = Math.sqrt(s) * (1 + 1e-6) + 1e-30;
    if (move > first) {
      second = first;
      first = move;
      fastest = c;
    } else if (move > second) {
      second = move;
    }
  }
  return { fastest, first, second };
}
