import { checkRows, stepResult, type LloydSession, type RowStepTotals, type StepOptions, type StepResult, type StepTotals } from '../backend.js';
import { pruningBounds } from '../js/lloyd.js';
import { LLOYD_ACCUMULATE, LLOYD_BOUNDED, LLOYD_INCREMENTAL, LLOYD_LISTED, LP, LR, U32, type KernelCall } from './abi.js';
import type { WasmContext } from './context.js';
import { splitRange, type Shard } from './memory.js';
import type { Piece, WasmMatrix } from './resident.js';

interface WorkerScratch {
  /** float64 k × dp sums and k counts of this worker's rows (kept across steps in Hamerly sessions). */
  sums: number;
  counts: number;
  /** float64 k: each cluster's Σ of squared distances in this step. */
  clusterInertia: number;
  result: number;
  rows: number;
  list: number;
}

interface ShardState {
  shard: Shard;
  cent: number;
  centc: number;
  cnorm: number;
  mu: number;
  halfGap: number;
  workers: WorkerScratch[];
  blocks: number[];
}

interface PieceState {
  piece: Piece;
  state: ShardState;
  params: number;
  labels: number;
  lower: number;
  ranges: [number, number][];
}

/** Statistics of the last step (for the benchmark and tests). */
export interface LloydStepStats {
  /** Rows whose label float32 could not certify, searched again exactly. */
  refined: number;
  /** Rows the bounds kept without a full search. */
  kept: number;
  /** Whether the step used the bounds. */
  bounded: boolean;
}

/** 'auto' bounds: re-try the bounds after this many full-search steps. */
const RETRY_AFTER = 4;

/**
 * Lloyd / Hamerly assignment steps on the workers. The data stays in shard memory; per step
 * the centroids go in (each shard gets a copy) and labels, float64 partial sums per worker,
 * counts and inertia come out, merged here.
 */
export class WasmLloyd implements LloydSession {
  private readonly shards = new Map<Shard, ShardState>();
  private readonly pieces: PieceState[] = [];
  private previous: Float32Array | undefined;
  private disposed = false;
  private steps = 0;
  private readonly bounds: boolean;
  /** 'auto': whether the next step uses the bounds, and plain steps left before trying again. */
  private boundsPay = true;
  private plainSteps = 0;
  lastStats: LloydStepStats = { refined: 0, kept: 0, bounded: false };

  /**
   * `bounds` 'auto': the lower bounds are kept up to date on every step (cheap), but a step
   * only uses them while they pay: when a bounded step keeps fewer than max(4/k, …) of the
   * rows (high dimensions, overlapping clusters: every centroid about as near), the next steps
   * search fully, trying the bounds again every few steps.
   */
  constructor(
    private readonly context: WasmContext,
    private readonly x: WasmMatrix,
    private readonly k: number,
    private readonly mode: boolean | 'auto',
  ) {
    this.bounds = mode !== false;
    const bounds = this.bounds;
    x.assertLive();
    const { dp } = x;
    const w = context.threads;
    try {
      for (const piece of x.pieces) {
        let state = this.shards.get(piece.shard);
        if (!state) {
          state = this.shardState(piece.shard, w);
          this.shards.set(piece.shard, state);
        }
        const ranges = splitRange(piece.rows, w);
        const params = this.alloc(state, LP.BYTES);
        const labels = this.alloc(state, piece.paddedRows * 4);
        piece.shard.i32(labels, piece.paddedRows).fill(0);
        const lower = bounds ? this.alloc(state, piece.rows * 8) : 0;
        this.pieces.push({ piece, state, params, labels, lower, ranges });
      }
      // Per-worker list scratch: the longest range a worker gets in any piece of the shard.
      for (const state of this.shards.values()) {
        for (let wi = 0; wi < w; wi++) {
          let longest = 4;
          for (const p of this.pieces) if (p.state === state) longest = Math.max(longest, p.ranges[wi]![1] - p.ranges[wi]![0]);
          state.workers[wi]!.list = this.alloc(state, longest * 4);
        }
        state.shard.f32(state.mu, dp).set(x.mu);
      }
    } catch (error) {
      this.dispose();
      throw error;
    }
  }

  private shardState(shard: Shard, workers: number): ShardState {
    const { dp } = this.x;
    const k = this.k;
    const state: ShardState = { shard, cent: 0, centc: 0, cnorm: 0, mu: 0, halfGap: 0, workers: [], blocks: [] };
    state.cent = this.alloc(state, k * dp * 4);
    const kEven = k + (k & 1);
    state.centc = this.alloc(state, kEven * dp * 4);
    state.cnorm = this.alloc(state, kEven * 4);
    state.mu = this.alloc(state, dp * 4);
    state.halfGap = this.alloc(state, k * 8);
    for (let w = 0; w < workers; w++) {
      state.workers.push({
        sums: this.alloc(state, k * dp * 8),
        counts: this.alloc(state, k * 8),
        clusterInertia: this.alloc(state, k * 8),
        result: this.alloc(state, LR.LENGTH * 8),
        rows: this.alloc(state, 4 * dp * 4 + 64),
        list: 0,
      });
    }
    return state;
  }

  private alloc(state: ShardState, bytes: number): number {
    const ptr = this.context.allocIn(state.shard, bytes);
    state.blocks.push(ptr);
    return ptr;
  }

  async step<O extends StepOptions>(centroids: Float32Array, options: O): Promise<StepResult<O>> {
    const { k, x } = this;
    const reach = this.loadCentroids(centroids);
    // Hamerly sessions: the first step computes the per-worker sums afresh; later steps update
    // them by the rows that change cluster. (Float64 add and subtract of the same rows: the sums
    // agree with fresh ones to ~1e-16, as partial sums merged in another order would.)
    const incremental = this.bounds && this.previous !== undefined;
    const useBounds = incremental && (this.mode === true || this.boundsPay || this.plainSteps >= RETRY_AFTER);
    const pruning = useBounds ? pruningBounds(this.previous!, centroids, k, x.cols) : undefined;
    const flags =
      (options.accumulate || this.bounds ? LLOYD_ACCUMULATE : 0) | (pruning ? LLOYD_BOUNDED : 0) | (incremental ? LLOYD_INCREMENTAL : 0);
    this.resetScratch(!incremental, pruning?.halfGap);

    const batches: KernelCall[][] = Array.from({ length: this.context.threads }, () => []);
    for (const p of this.pieces) {
      this.writeParams(p, flags, reach, pruning);
      p.ranges.forEach(([r0, r1], wi) => {
        if (r1 > r0) batches[wi]!.push(this.stepCall(p, wi, r0, r1, p.state.workers[wi]!.list));
      });
    }
    await this.context.run(batches, x.rows * this.kEven * x.dp);

    const merged = this.merge(options.accumulate);
    this.lastStats = { refined: merged.refined, kept: merged.kept, bounded: pruning !== undefined };
    if (this.mode === 'auto' && this.previous) {
      if (pruning) {
        this.boundsPay = merged.kept >= Math.min(0.5, 4 / k) * x.rows;
        this.plainSteps = 0;
      } else {
        this.plainSteps++;
      }
    }
    if (this.bounds) this.previous = Float32Array.from(centroids);
    // The first step has no labels before it: every row counts as changed.
    const totals: StepTotals = { inertia: merged.inertia, changed: this.steps++ === 0 ? x.rows : merged.changed, distanceEvaluations: merged.evaluations };
    if (options.accumulate) Object.assign(totals, { sums: merged.sums, counts: merged.counts, clusterInertia: merged.clusterInertia });
    return stepResult(options, totals, () => this.collectLabels());
  }

  async stepRows(centroids: Float32Array, rows: Int32Array): Promise<RowStepTotals> {
    if (this.bounds) throw new Error('stepRows: this session keeps bounds; start it with bounds: false');
    const { x } = this;
    checkRows(rows, x.rows);
    const reach = this.loadCentroids(centroids);
    this.resetScratch(true);
    // Each piece gets the list of its rows (local indices, in the order given), split among the workers.
    const lists: { shard: Shard; ptr: number }[] = [];
    try {
      const batches: KernelCall[][] = Array.from({ length: this.context.threads }, () => []);
      for (const p of this.pieces) {
        const { rowStart, rows: pieceRows, shard } = p.piece;
        const rowEnd = rowStart + pieceRows;
        let count = 0;
        for (const row of rows) if (row >= rowStart && row < rowEnd) count++;
        if (count === 0) continue;
        const ptr = this.context.allocIn(shard, count * 4);
        lists.push({ shard, ptr });
        const local = shard.i32(ptr, count);
        count = 0;
        for (const row of rows) if (row >= rowStart && row < rowEnd) local[count++] = row - rowStart;
        this.writeParams(p, LLOYD_ACCUMULATE | LLOYD_LISTED, reach, undefined);
        splitRange(count, this.context.threads).forEach(([r0, r1], wi) => {
          if (r1 > r0) batches[wi]!.push(this.stepCall(p, wi, r0, r1, ptr));
        });
      }
      await this.context.run(batches, rows.length * this.kEven * x.dp);
    } finally {
      for (const { shard, ptr } of lists) shard.release(ptr);
    }
    const { inertia, sums, counts, clusterInertia, evaluations } = this.merge(true);
    return { inertia, sums, counts, clusterInertia, distanceEvaluations: evaluations };
  }

  private get kEven(): number {
    return this.k + (this.k & 1);
  }

  /**
   * The centroids into every shard: as given, and centred on μ for the score kernel, in pairs
   * interleaved by vector (see assembly/lloyd.ts), an odd k completed by a pseudo-centroid of
   * infinite norm; ‖c − μ‖² summed in float64. Returns the largest ‖c − μ‖.
   */
  private loadCentroids(centroids: Float32Array): number {
    if (this.disposed) throw new Error('wasm: Lloyd session used after dispose()');
    this.x.assertLive();
    const { k, x, kEven } = this;
    const { dp, cols: d } = x;
    if (centroids.length !== k * d) throw new RangeError(`step: expected ${k} × ${d} centroids`);
    const mu = x.mu;
    const cent = new Float32Array(k * dp);
    const centc = new Float32Array(kEven * dp);
    const cnorm = new Float32Array(kEven).fill(Infinity);
    let reach = 0;
    for (let c = 0; c < k; c++) {
      let norm = 0;
      const pairBase = (c >> 1) * 2 * dp + (c & 1) * 4;
      for (let j = 0; j < d; j++) {
        const value = centroids[c * d + j]!;
        cent[c * dp + j] = value;
        const centred = Math.fround(value - mu[j]!);
        centc[pairBase + (j >> 2) * 8 + (j & 3)] = centred;
        norm += centred * centred;
      }
      cnorm[c] = norm;
      reach = Math.max(reach, Math.sqrt(norm));
    }
    for (const state of this.shards.values()) {
      state.shard.f32(state.cent, k * dp).set(cent);
      state.shard.f32(state.centc, kEven * dp).set(centc);
      state.shard.f32(state.cnorm, kEven).set(cnorm);
    }
    return reach;
  }

  /** Zeroes the per-worker results and cluster inertias (and sums and counts when `fresh`); the Hamerly gaps in. */
  private resetScratch(fresh: boolean, halfGap?: Float64Array): void {
    const { k, x } = this;
    for (const state of this.shards.values()) {
      const { shard } = state;
      if (halfGap) shard.f64(state.halfGap, k).set(halfGap);
      for (const scratch of state.workers) {
        if (fresh) {
          shard.f64(scratch.sums, k * x.dp).fill(0);
          shard.f64(scratch.counts, k).fill(0);
        }
        shard.f64(scratch.clusterInertia, k).fill(0);
        shard.f64(scratch.result, LR.LENGTH).fill(0);
      }
    }
  }

  private writeParams(p: PieceState, flags: number, reach: number, pruning: ReturnType<typeof pruningBounds> | undefined): void {
    const { dp, cols: d } = this.x;
    const n = dp / 4;
    const gamma = (m: number) => (m * U32) / (1 - m * U32);
    const view = p.piece.shard.view(p.params, LP.BYTES);
    view.setUint32(LP.X, p.piece.ptr, true);
    view.setInt32(LP.DP, dp, true);
    view.setInt32(LP.D, d, true);
    view.setInt32(LP.K, this.k, true);
    view.setUint32(LP.CENT, p.state.cent, true);
    view.setUint32(LP.CENTC, p.state.centc, true);
    view.setUint32(LP.CNORM, p.state.cnorm, true);
    view.setUint32(LP.MU, p.state.mu, true);
    view.setUint32(LP.LABELS, p.labels, true);
    view.setUint32(LP.LOWER, p.lower, true);
    view.setUint32(LP.HALFGAP, p.state.halfGap, true);
    view.setInt32(LP.FASTEST, pruning?.fastest ?? 0, true);
    view.setInt32(LP.FLAGS, flags, true);
    // Score error bound (see assembly/lloyd.ts): 1% slack over γ(n + 10)·(‖x'‖ + B)².
    view.setFloat64(LP.ESCALE, 1.01 * gamma(n + 10), true);
    view.setFloat64(LP.B, reach * (1 + 8 * U32), true);
    view.setFloat64(LP.FIRSTMOVE, pruning?.firstMove ?? 0, true);
    view.setFloat64(LP.SECONDMOVE, pruning?.secondMove ?? 0, true);
    view.setFloat64(LP.TAUD, 1.05 * gamma(n + 8), true);
    view.setFloat64(LP.NORMTAU, 1.05 * gamma(n + 8), true);
  }

  /** Worker `wi`'s call for rows [r0, r1) of a piece (or entries [r0, r1) of a listed step's list). */
  private stepCall(p: PieceState, wi: number, r0: number, r1: number, list: number): KernelCall {
    const s = p.state.workers[wi]!;
    return [p.piece.shard.index, 'lloydStep', p.params, r0, r1, s.sums, s.counts, s.clusterInertia, s.result, s.rows, list];
  }

  /** The workers' results added up (float64). */
  private merge(accumulate: boolean) {
    const { k, x } = this;
    const { dp, cols: d } = x;
    const merged = {
      inertia: 0,
      evaluations: 0,
      refined: 0,
      kept: 0,
      changed: 0,
      sums: new Float64Array(k * d),
      counts: new Float64Array(k),
      clusterInertia: new Float64Array(k),
    };
    for (const state of this.shards.values()) {
      for (const scratch of state.workers) {
        const result = state.shard.f64(scratch.result, LR.LENGTH);
        merged.inertia += result[LR.INERTIA]!;
        merged.evaluations += result[LR.EVALS]!;
        merged.refined += result[LR.REFINED]!;
        merged.kept += result[LR.KEPT]!;
        merged.changed += result[LR.CHANGED]!;
        if (!accumulate) continue;
        const part = state.shard.f64(scratch.sums, k * dp);
        for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) merged.sums[c * d + j]! += part[c * dp + j]!;
        const partCounts = state.shard.f64(scratch.counts, k);
        const partInertia = state.shard.f64(scratch.clusterInertia, k);
        for (let c = 0; c < k; c++) {
          merged.counts[c]! += partCounts[c]!;
          merged.clusterInertia[c]! += partInertia[c]!;
        }
      }
    }
    return merged;
  }

  async labels(): Promise<Int32Array> {
    if (this.disposed) throw new Error('LloydSession used after dispose()');
    if (this.steps === 0) throw new Error('labels(): no step has run in this session');
    return this.collectLabels();
  }

  /** The labels as the last step left them in the shards. */
  private collectLabels(): Int32Array {
    const labels = new Int32Array(this.x.rows);
    for (const p of this.pieces) labels.set(p.piece.shard.i32(p.labels, p.piece.rows), p.piece.rowStart);
    return labels;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const state of this.shards.values()) for (const ptr of state.blocks) state.shard.release(ptr);
    this.shards.clear();
  }
}

