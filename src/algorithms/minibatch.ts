import type * as arrow from 'apache-arrow';
import type { Backend, DeviceMatrix, LloydSession, RowStepTotals } from '../backends/backend.js';
import { ClusterkitError, inputError, optionError } from '../errors.js';
import { Dataset, toMatrix, type DataInput } from '../input.js';
import type { TableSource } from '../io/read.js';
import type { ColumnSelection } from '../io/to-matrix.js';
import { Matrix, MatrixBuilder } from '../matrix.js';
import { Rng } from '../rng.js';
import { kmeansPlusPlus, meanColumnVariance } from './kmeans.js';
import { requireChoice, requireInteger, requireNumber } from './validate.js';

/**
 * Mini-batch k-means (Sculley 2010) with scikit-learn 1.2's `MiniBatchKMeans` rules, for data
 * that need not fit in memory:
 *
 * - init: nInit candidate initialisations, each by k-means++ (or random rows) on its own
 *   sample of `initSize` rows, the one with the lowest inertia on a separate validation sample
 *   kept;
 * - each step assigns a mini-batch to the nearest centres (a fused assignment + sums step of
 *   the backend's Lloyd session over the batch's rows where they lie: in memory the data is
 *   uploaded once, streamed each fill of the shuffle buffer) and moves every centre to the
 *   weighted mean of its old position (weight: the rows it has absorbed so far) and its
 *   new rows, i.e. a per-centre learning rate of 1 / count;
 * - centres whose count falls below `reassignmentRatio` × the largest count are moved to random
 *   rows of the current batch (every 10·k rows seen, and whenever a count is 0);
 * - early stopping on an exponentially weighted average of the per-row batch inertia
 *   (`maxNoImprovement` steps without a new minimum) or on the centre change (`tol`).
 *
 * In memory (a Matrix) the mini-batches are drawn as scikit-learn draws them: rows uniformly at
 * random with replacement, floor(maxIter · n / batchSize) steps. Streamed (record batches or
 * matrices read again on each pass), rows cannot be drawn at random: each pass ("epoch") reads
 * the source in order through a shuffle buffer of `shuffleBuffer` rows, and at most `maxIter`
 * passes are made. A first pass counts the rows, takes the column variances (for `tol`) and
 * fills the init and validation samples by reservoir sampling (without replacement); only those
 * samples and the shuffle buffer (with its copy on the backend) are ever in memory.
 */

export interface MiniBatchKMeansOptions {
  /** Number of clusters. */
  k: number;
  /** Rows per mini-batch (default 1024). */
  batchSize?: number;
  /** Passes over the data at most (default 100, scikit-learn's max_iter). */
  maxIter?: number;
  /** Rows of each init sample (default 3 × batchSize, at least 3k; at most n). */
  initSize?: number;
  /** Candidate initialisations (default 3; 1 with an explicit matrix). */
  nInit?: number;
  /** 'k-means++' (default), 'random' rows, or a k × d matrix. */
  init?: 'k-means++' | 'random' | Matrix;
  /** Stop when the summed squared centre change is at most tol × the mean column variance (default 0: off). */
  tol?: number;
  /** Stop after this many steps without a new minimum of the smoothed batch inertia (default 10; null: never). */
  maxNoImprovement?: number | null;
  /** Reassign centres with fewer than this fraction of the largest count (default 0.01; 0: never). */
  reassignmentRatio?: number;
  /** Seed of every random choice (default 0). */
  seed?: number;
  /** Finish with a pass labelling every row and computing the inertia on all of them (default true). */
  computeLabels?: boolean;
  /** Streamed data: rows buffered and shuffled before being cut into mini-batches (default 32 × batchSize). */
  shuffleBuffer?: number;
  onProgress?: (progress: MiniBatchProgress) => void;
}

export interface MiniBatchProgress {
  stage: 'scan' | 'init' | 'train' | 'label';
  /** Mini-batch steps so far. */
  step: number;
  /** Passes started (streamed data). */
  epoch: number;
  /** Smoothed per-row batch inertia (null before the second step). */
  ewaInertia: number | null;
  /** Rough fraction done, 0..1 (early stopping can end a run sooner). */
  fraction: number;
}

export interface MiniBatchKMeansResult {
  centroids: Matrix;
  /** Rows absorbed by each centre (scikit-learn's `_counts`). */
  counts: Float64Array;
  /**
   * Σ of squared distances from every row to its nearest centre, after fitting (scikit-learn's
   * `inertia_`); without computeLabels, the smoothed batch inertia × n, as scikit-learn.
   */
  inertia: number;
  /** Nearest centre of every row (with computeLabels). */
  labels?: Int32Array;
  /** Rows in the data. */
  n: number;
  d: number;
  /** Mini-batch steps made (scikit-learn's `n_steps_`). */
  steps: number;
  /**
   * Passes over the data: in memory ⌈steps · batchSize / n⌉ (scikit-learn's `n_iter_`); streamed,
   * the training passes read (the last one possibly cut short by early stopping).
   */
  epochs: number;
  /** Whether early stopping ended the run (rather than maxIter). */
  converged: boolean;
  /** Whether the data was streamed (in-order passes through the shuffle buffer). */
  streamed: boolean;
}

/**
 * Data read again on every pass: a table source (`batches()` is called per pass, e.g. a
 * TableSource from openTable, which is asked for the selected columns only), or a function
 * returning (or resolving to) a fresh stream of matrices or record batches per pass, e.g.
 * `() => RecordBatchReader.from(createReadStream(path))`.
 */
export type MiniBatchSource =
  | { batches(columns?: readonly string[]): AsyncIterable<arrow.RecordBatch> | Iterable<arrow.RecordBatch> }
  | (() => PassStream | Promise<PassStream>);

/** One pass over the data: matrices or record batches, in row order. */
export type PassStream = AsyncIterable<Matrix | arrow.RecordBatch> | Iterable<Matrix | arrow.RecordBatch>;

/** A stream of matrices, produced afresh on every call. */
export type MatrixPasses = () => AsyncIterable<Matrix>;

interface Resolved {
  k: number;
  batchSize: number;
  maxIter: number;
  initSize: number | undefined;
  nInit: number;
  init: 'k-means++' | 'random' | Matrix;
  tol: number;
  maxNoImprovement: number | null;
  reassignmentRatio: number;
  seed: number;
  computeLabels: boolean;
  shuffleBuffer: number;
}

export function resolveMiniBatchOptions(options: MiniBatchKMeansOptions): Resolved {
  if (options === null || typeof options !== 'object') throw optionError('k', 'mini-batch k-means needs options with at least { k }');
  const k = requireInteger('k', options.k, 1);
  const batchSize = requireInteger('batchSize', options.batchSize ?? 1024, 1);
  const init = options.init ?? 'k-means++';
  if (!(init instanceof Matrix)) requireChoice('init', init, ['k-means++', 'random'] as const);
  else init.assertFinite();
  const nInit = requireInteger('nInit', options.nInit ?? (init instanceof Matrix ? 1 : 3), 1);
  if (init instanceof Matrix && nInit > 1) throw optionError('nInit', 'explicit initial centroids give one run; use nInit = 1');
  const shuffleBuffer = requireInteger('shuffleBuffer', options.shuffleBuffer ?? 32 * batchSize, 1);
  if (shuffleBuffer < batchSize) throw optionError('shuffleBuffer', `must hold at least one batch (${batchSize} rows), got ${shuffleBuffer}`);
  const maxNoImprovement = options.maxNoImprovement === null ? null : requireInteger('maxNoImprovement', options.maxNoImprovement ?? 10, 0);
  return {
    k,
    batchSize,
    maxIter: requireInteger('maxIter', options.maxIter ?? 100, 1),
    initSize: options.initSize === undefined ? undefined : requireInteger('initSize', options.initSize, 1),
    nInit,
    init,
    tol: requireNumber('tol', options.tol ?? 0, 0),
    maxNoImprovement,
    reassignmentRatio: requireNumber('reassignmentRatio', options.reassignmentRatio ?? 0.01, 0),
    seed: requireInteger('seed', options.seed ?? 0, 0, 0xffffffff),
    computeLabels: options.computeLabels ?? true,
    shuffleBuffer,
  };
}

/** scikit-learn's init_size rule: 3 × batch size (at least 3k) unless given; never more than n. */
function initSizeFor(o: Resolved, batchSize: number, n: number): number {
  let size = o.initSize ?? 3 * batchSize;
  if (size < o.k) size = 3 * o.k;
  return Math.min(size, n);
}

// ---------------------------------------------------------------------------------------------
// The update rule and the stopping rule, shared by both modes

class MiniBatchState {
  readonly centers: Float64Array;
  readonly counts: Float64Array;
  steps = 0;
  converged = false;
  ewaInertia: number | null = null;
  private ewaMin: number | null = null;
  private noImprovement = 0;
  private sinceReassign = 0;

  constructor(
    private readonly o: Resolved,
    initial: Float64Array,
    private readonly d: number,
    private readonly n: number,
    private readonly batchSize: number,
    private readonly tolerance: number,
    private readonly rng: Rng,
  ) {
    this.centers = initial;
    this.counts = new Float64Array(o.k);
  }

  /** The fitted centres as a k × d matrix. */
  centroids(): Matrix {
    return Matrix.from(Float32Array.from(this.centers), this.o.k, this.d);
  }

  /**
   * The run's result. Without the labels of a final pass, the inertia is scikit-learn's estimate:
   * the smoothed batch inertia × n.
   */
  result(centroids: Matrix, epochs: number, streamed: boolean, assigned?: { labels: Int32Array; inertia: number }): MiniBatchKMeansResult {
    return {
      centroids,
      counts: this.counts,
      inertia: assigned ? assigned.inertia : (this.ewaInertia ?? 0) * this.n,
      ...(assigned ? { labels: assigned.labels } : {}),
      n: this.n,
      d: this.d,
      steps: this.steps,
      epochs,
      converged: this.converged,
      streamed,
    };
  }

  /** One mini-batch step; returns true when the run should stop. */
  async step(batch: MiniBatch): Promise<boolean> {
    const { k } = this.o;
    const d = this.d;
    const reassign = this.dueForReassignment();
    const assigned = await batch.assign(Float32Array.from(this.centers));
    const old = this.o.tol > 0 ? Float64Array.from(this.centers) : undefined;
    const sums = assigned.sums;
    const batchCounts = assigned.counts;
    for (let c = 0; c < k; c++) {
      const added = batchCounts[c]!;
      if (added === 0) continue;
      const weight = this.counts[c]!;
      const total = weight + added;
      for (let j = 0; j < d; j++) this.centers[c * d + j] = (this.centers[c * d + j]! * weight + sums[c * d + j]!) / total;
      this.counts[c] = total;
    }
    if (reassign && this.o.reassignmentRatio > 0) this.reassignLowCounts(batch);
    let change = 0;
    if (old) for (let i = 0; i < k * d; i++) change += (this.centers[i]! - old[i]!) ** 2;
    this.steps += 1;
    return this.checkConvergence(change, assigned.inertia / batch.rows);
  }

  /** scikit-learn's `_random_reassign`: every 10·k rows seen, or while some centre has no rows. */
  private dueForReassignment(): boolean {
    this.sinceReassign += this.batchSize;
    if (this.counts.some((c) => c === 0) || this.sinceReassign >= 10 * this.o.k) {
      this.sinceReassign = 0;
      return true;
    }
    return false;
  }

  private reassignLowCounts(batch: MiniBatch): void {
    const { k, reassignmentRatio } = this.o;
    const d = this.d;
    let largest = 0;
    for (const c of this.counts) largest = Math.max(largest, c);
    const flagged = Array.from(this.counts, (c) => c < reassignmentRatio * largest);
    const limit = Math.floor(0.5 * batch.rows);
    if (flagged.filter(Boolean).length > 0.5 * batch.rows) {
      // At most half a batch of new centres: keep the highest counts where they are.
      const order = Array.from({ length: k }, (_, c) => c).sort((a, b) => this.counts[a]! - this.counts[b]! || a - b);
      for (const c of order.slice(limit)) flagged[c] = false;
    }
    const moved = flagged.flatMap((f, c) => (f ? [c] : []));
    if (moved.length > 0) {
      const rows = this.rng.sampleWithoutReplacement(batch.rows, moved.length);
      moved.forEach((c, i) => this.centers.set(batch.row(rows[i]!), c * d));
    }
    let smallestKept = Infinity;
    this.counts.forEach((count, c) => {
      if (!flagged[c]) smallestKept = Math.min(smallestKept, count);
    });
    // Not too small, or they would be reassigned again at once (scikit-learn's rule).
    if (Number.isFinite(smallestKept)) for (const c of moved) this.counts[c] = smallestKept;
  }

  /** scikit-learn's `_mini_batch_convergence`. */
  private checkConvergence(change: number, batchInertia: number): boolean {
    if (this.steps === 1) return false; // the first step's inertia is the init's
    if (this.ewaInertia === null) {
      this.ewaInertia = batchInertia;
    } else {
      const alpha = Math.min(1, (this.batchSize * 2) / (this.n + 1));
      this.ewaInertia = this.ewaInertia * (1 - alpha) + batchInertia * alpha;
    }
    if (this.tolerance > 0 && change <= this.tolerance) return (this.converged = true);
    if (this.ewaMin === null || this.ewaInertia < this.ewaMin) {
      this.noImprovement = 0;
      this.ewaMin = this.ewaInertia;
    } else {
      this.noImprovement += 1;
    }
    if (this.o.maxNoImprovement !== null && this.noImprovement >= this.o.maxNoImprovement) return (this.converged = true);
    return false;
  }
}

/** The rows of one step: their count, their assignment (sums and counts), and each row. */
interface MiniBatch {
  rows: number;
  assign(centers: Float32Array): Promise<RowStepTotals>;
  row(i: number): Float32Array;
}

/** Rows `rows` of the session's matrix `x` as a mini-batch, assigned where they lie. */
function listedBatch(session: LloydSession, x: Matrix, rows: Int32Array): MiniBatch {
  return { rows: rows.length, assign: (centers) => session.stepRows(centers, rows), row: (i) => x.row(rows[i]!) };
}

/** Runs `use` with a Lloyd session (no bounds) over `x` uploaded to the backend; frees both after. */
async function withSession<T>(backend: Backend, x: Matrix, k: number, use: (session: LloydSession) => Promise<T>): Promise<T> {
  const resident = await backend.upload(x);
  try {
    return await withResidentSession(backend, resident, k, use);
  } finally {
    resident.dispose();
  }
}

/** Runs `use` with a Lloyd session (no bounds) over rows already resident; frees the session after. */
async function withResidentSession<T>(backend: Backend, resident: DeviceMatrix, k: number, use: (session: LloydSession) => Promise<T>): Promise<T> {
  const session = await backend.startLloyd(resident, k, { bounds: false });
  try {
    return await use(session);
  } finally {
    session.dispose();
  }
}

/** Labels and inertia of `x` against fixed centroids (k × d, row-major). */
export async function assignToCentroids(backend: Backend, x: Matrix, centroids: Float32Array): Promise<{ labels: Int32Array; inertia: number }> {
  return withSession(backend, x, centroids.length / x.cols, async (session) => {
    const { labels, inertia } = await session.step(centroids, { accumulate: false });
    return { labels, inertia };
  });
}

/**
 * Picks the initial centres: nInit candidates, each from its own sample, the lowest validation
 * inertia. `data`: the whole data's resident copy, used for a sample that is the whole data.
 */
async function chooseInit(backend: Backend, o: Resolved, samples: Matrix[], validation: Matrix, d: number, rng: Rng, data?: DeviceMatrix): Promise<Float64Array> {
  if (o.init instanceof Matrix) {
    if (o.init.rows !== o.k || o.init.cols !== d) {
      throw optionError('init', `initial centroids are ${o.init.rows} × ${o.init.cols}, expected k × d = ${o.k} × ${d}`);
    }
    return Float64Array.from(o.init.toFloat32Array());
  }
  let best: { centers: Float64Array; inertia: number } | undefined;
  for (const sample of samples) {
    const centers = new Float64Array(o.k * d);
    let rows: Int32Array;
    if (o.init === 'random') {
      rows = rng.sampleWithoutReplacement(sample.rows, o.k);
    } else {
      const whole = sample === data?.host;
      const resident = whole ? data! : await backend.upload(sample);
      try {
        rows = await kmeansPlusPlus(backend, resident, o.k, rng);
      } finally {
        if (!whole) resident.dispose();
      }
    }
    rows.forEach((r, c) => centers.set(sample.row(r), c * d));
    const { inertia } = await assignToCentroids(backend, validation, Float32Array.from(centers));
    if (!best || inertia < best.inertia) best = { centers, inertia };
  }
  return best!.centers;
}

// ---------------------------------------------------------------------------------------------
// In memory: scikit-learn's sampling

/** Mini-batch k-means over rows resident on the backend (`data.host` is sampled on the host). */
export async function miniBatchKMeansInMemory(backend: Backend, data: DeviceMatrix, options: MiniBatchKMeansOptions): Promise<MiniBatchKMeansResult> {
  const o = resolveMiniBatchOptions(options);
  const x = data.host;
  x.assertFinite();
  const { rows: n, cols: d } = x;
  if (o.k > n) throw optionError('k', `k = ${o.k} is more than the ${n} rows of the data`);
  const rng = new Rng(o.seed);
  const batchSize = Math.min(o.batchSize, n);
  const initSize = initSizeFor(o, batchSize, n);
  const report = (stage: MiniBatchProgress['stage'], step: number, ewa: number | null, fraction: number) =>
    options.onProgress?.({ stage, step, epoch: 0, ewaInertia: ewa, fraction });

  report('init', 0, null, 0);
  const draw = (count: number) => {
    const rows = new Int32Array(count);
    for (let i = 0; i < count; i++) rows[i] = rng.nextInt(n);
    return rows;
  };
  const validation = x.selectRows(draw(initSize));
  const samples: Matrix[] = [];
  if (!(o.init instanceof Matrix)) {
    for (let i = 0; i < o.nInit; i++) samples.push(initSize < n ? x.selectRows(draw(initSize)) : x);
  }
  const initial = await chooseInit(backend, o, samples, validation, d, rng, data);

  const tolerance = o.tol > 0 ? o.tol * meanColumnVariance(x) : 0;
  const state = new MiniBatchState(o, initial, d, n, batchSize, tolerance, rng);
  const steps = Math.floor((o.maxIter * n) / batchSize);
  // The data is on the backend once; each step assigns the drawn rows where they lie.
  return withResidentSession(backend, data, o.k, async (session) => {
    for (let i = 0; i < steps; i++) {
      if (await state.step(listedBatch(session, x, draw(batchSize)))) break;
      if (i % 16 === 0) report('train', state.steps, state.ewaInertia, 0.05 + (0.9 * i) / steps);
    }
    report('label', state.steps, state.ewaInertia, 0.95);
    const centroids = state.centroids();
    const assigned = o.computeLabels ? await session.step(centroids.toFloat32Array(), { accumulate: false }) : undefined;
    report('label', state.steps, state.ewaInertia, 1);
    return state.result(centroids, Math.ceil((state.steps * batchSize) / n), false, assigned);
  });
}

// ---------------------------------------------------------------------------------------------
// Streamed: in-order passes through a shuffle buffer

export async function miniBatchKMeansStreamed(backend: Backend, passes: MatrixPasses, options: MiniBatchKMeansOptions): Promise<MiniBatchKMeansResult> {
  const o = resolveMiniBatchOptions(options);
  const rng = new Rng(o.seed);
  const report = (stage: MiniBatchProgress['stage'], step: number, epoch: number, ewa: number | null, fraction: number) =>
    options.onProgress?.({ stage, step, epoch, ewaInertia: ewa, fraction });

  // Pass 0: count, variances, and the init / validation reservoirs.
  report('scan', 0, 0, null, 0);
  const capacity = o.initSize ?? Math.max(3 * o.batchSize, 3 * o.k);
  const reservoirs = Array.from({ length: o.init instanceof Matrix ? 1 : o.nInit + 1 }, () => new Reservoir(capacity));
  const moments = new ColumnMoments();
  let d = 0;
  for await (const chunk of passes()) {
    if (d === 0) d = chunk.cols;
    else if (chunk.cols !== d) throw inputError(`a batch of the stream has ${chunk.cols} columns, the first had ${d}`);
    chunk.assertFinite();
    moments.add(chunk);
    for (let i = 0; i < chunk.rows; i++) {
      let row: Float32Array | undefined; // made only for a reservoir that keeps it
      for (const reservoir of reservoirs) {
        const slot = reservoir.slotFor(d, rng);
        if (slot >= 0) reservoir.keep(slot, (row ??= chunk.row(i)));
      }
    }
  }
  const n = moments.rows;
  if (n === 0) throw inputError('the data has no rows');
  if (o.k > n) throw optionError('k', `k = ${o.k} is more than the ${n} rows of the data`);
  const batchSize = Math.min(o.batchSize, n);
  const initSize = initSizeFor(o, batchSize, n);
  const [validation, ...samples] = reservoirs.map((r) => r.matrix(d, initSize));

  report('init', 0, 0, null, 0.02);
  const initial = await chooseInit(backend, o, samples, validation!, d, rng);
  const tolerance = o.tol > 0 ? o.tol * moments.meanVariance() : 0;
  const state = new MiniBatchState(o, initial, d, n, batchSize, tolerance, rng);

  // Each fill of the shuffle buffer goes to the backend once; its batches are steps over its rows.
  const stepThrough = (block: ShuffledBlock) =>
    withSession(backend, block.rows, o.k, async (session) => {
      for (let start = 0; start < block.order.length; start += batchSize) {
        if (await state.step(listedBatch(session, block.rows, block.order.subarray(start, start + batchSize)))) return true;
      }
      return false;
    });
  let epoch = 0;
  const bufferRows = Math.max(batchSize, o.shuffleBuffer);
  train: for (; epoch < o.maxIter; epoch++) {
    const buffer = new ShuffleBuffer(bufferRows, d, rng);
    let seen = 0;
    for await (const chunk of passes()) {
      for (const block of buffer.push(chunk, batchSize)) {
        if (await stepThrough(block)) {
          epoch += 1;
          break train;
        }
      }
      seen += chunk.rows;
      report('train', state.steps, epoch + 1, state.ewaInertia, 0.05 + (0.9 * (epoch + seen / n)) / o.maxIter);
    }
    for (const block of buffer.drain(batchSize)) {
      if (await stepThrough(block)) {
        epoch += 1;
        break train;
      }
    }
  }

  const centroids = state.centroids();
  let assigned: { labels: Int32Array; inertia: number } | undefined;
  if (o.computeLabels) {
    report('label', state.steps, epoch, state.ewaInertia, 0.95);
    const labels = new Int32Array(n);
    let inertia = 0;
    let offset = 0;
    const centers = centroids.toFloat32Array();
    for await (const chunk of passes()) {
      const part = await assignToCentroids(backend, chunk, centers);
      if (offset + chunk.rows > n) throw inputError(`the stream gave more rows on a later pass than the ${n} of the first`);
      labels.set(part.labels, offset);
      inertia += part.inertia;
      offset += chunk.rows;
    }
    if (offset !== n) throw inputError(`the stream gave ${offset} rows on a later pass, the first gave ${n}`);
    assigned = { labels, inertia };
  }
  report('label', state.steps, epoch, state.ewaInertia, 1);
  return state.result(centroids, epoch, true, assigned);
}

/** Uniform sample of `capacity` rows without replacement (Algorithm R). */
class Reservoir {
  private data = new Float32Array(0);
  private filled = 0;
  private seen = 0;

  constructor(private readonly capacity: number) {}

  /** The next row of the stream (d values) is offered: the slot it goes to, or -1 when it is not kept. */
  slotFor(d: number, rng: Rng): number {
    if (this.data.length === 0) this.data = new Float32Array(Math.min(this.capacity, 1024) * d);
    let slot = -1;
    if (this.filled < this.capacity) {
      slot = this.filled++;
      if (slot * d >= this.data.length) {
        const grown = new Float32Array(Math.min(this.capacity, 2 * (this.data.length / d)) * d);
        grown.set(this.data);
        this.data = grown;
      }
    } else {
      const j = rng.nextInt(this.seen + 1);
      if (j < this.capacity) slot = j;
    }
    this.seen += 1;
    return slot;
  }

  keep(slot: number, row: Float32Array): void {
    this.data.set(row, slot * row.length);
  }

  /** The first `rows` rows kept (the whole reservoir when it holds fewer). */
  matrix(d: number, rows: number): Matrix {
    const count = Math.min(rows, this.filled);
    return Matrix.from(this.data.slice(0, count * d), count, d);
  }
}

/** Running column means and variances (Chan et al.'s pairwise merge, float64). */
class ColumnMoments {
  rows = 0;
  private mean = new Float64Array(0);
  private m2 = new Float64Array(0);

  add(x: Matrix): void {
    const d = x.cols;
    if (this.mean.length === 0) {
      this.mean = new Float64Array(d);
      this.m2 = new Float64Array(d);
    }
    const batchMean = new Float64Array(d);
    for (const { data, rows } of x.chunks) {
      for (let r = 0; r < rows; r++) for (let j = 0, o = r * d; j < d; j++) batchMean[j]! += data[o + j]!;
    }
    for (let j = 0; j < d; j++) batchMean[j]! /= x.rows;
    const batchM2 = new Float64Array(d);
    for (const { data, rows } of x.chunks) {
      for (let r = 0; r < rows; r++) for (let j = 0, o = r * d; j < d; j++) batchM2[j]! += (data[o + j]! - batchMean[j]!) ** 2;
    }
    const total = this.rows + x.rows;
    for (let j = 0; j < d; j++) {
      const delta = batchMean[j]! - this.mean[j]!;
      this.mean[j]! += (delta * x.rows) / total;
      this.m2[j]! += batchM2[j]! + (delta * delta * this.rows * x.rows) / total;
    }
    this.rows = total;
  }

  /** Population variances' mean (scikit-learn's tolerance scale). */
  meanVariance(): number {
    let s = 0;
    for (const m of this.m2) s += m / this.rows;
    return s / this.m2.length;
  }

  means(): Float64Array {
    return Float64Array.from(this.mean);
  }

  /** Population standard deviations. */
  deviations(): Float64Array {
    return this.m2.map((m) => Math.sqrt(m / this.rows));
  }
}

/** A fill of the shuffle buffer: its rows, and the order to take them in (batch after batch). */
interface ShuffledBlock {
  rows: Matrix;
  order: Int32Array;
}

/** Rows collected up to `capacity`, and handed out in a random order. */
class ShuffleBuffer {
  private readonly data: Float32Array;
  private filled = 0;

  constructor(
    private readonly capacity: number,
    private readonly d: number,
    private readonly rng: Rng,
  ) {
    this.data = new Float32Array(capacity * d);
  }

  /** Adds a chunk's rows; whenever the buffer fills up, yields its rows to take as whole batches. */
  *push(chunk: Matrix, batchSize: number): Generator<ShuffledBlock> {
    if (chunk.cols !== this.d) throw inputError(`a batch of the stream has ${chunk.cols} columns, the first had ${this.d}`);
    for (const part of chunk.chunks) {
      let offset = 0;
      while (offset < part.rows) {
        const take = Math.min(part.rows - offset, this.capacity - this.filled);
        this.data.set(part.data.subarray(offset * this.d, (offset + take) * this.d), this.filled * this.d);
        this.filled += take;
        offset += take;
        if (this.filled === this.capacity) yield* this.emit(batchSize, false);
      }
    }
  }

  /** Everything left (the last batch possibly short). */
  *drain(batchSize: number): Generator<ShuffledBlock> {
    yield* this.emit(batchSize, true);
  }

  private *emit(batchSize: number, all: boolean): Generator<ShuffledBlock> {
    const d = this.d;
    const rows = this.filled;
    // Fisher–Yates over the buffered rows' indices (the rows stay where they are).
    const order = new Int32Array(rows);
    for (let i = 0; i < rows; i++) order[i] = i;
    for (let i = rows - 1; i > 0; i--) {
      const j = this.rng.nextInt(i + 1);
      const swap = order[i]!;
      order[i] = order[j]!;
      order[j] = swap;
    }
    const used = all ? rows : rows - (rows % batchSize);
    if (used > 0) yield { rows: Matrix.from(this.data.slice(0, rows * d), rows, d), order: order.subarray(0, used) };
    // Keep the remainder (less than a batch), in its shuffled order, for the next fill.
    const rest = new Float32Array((rows - used) * d);
    for (let i = used; i < rows; i++) rest.set(this.data.subarray(order[i]! * d, (order[i]! + 1) * d), (i - used) * d);
    this.data.set(rest);
    this.filled = rows - used;
  }
}

// ---------------------------------------------------------------------------------------------
// Sources

/**
 * Matrices from a source read again on every pass. Record batches are converted with the
 * column selection (as readMatrix does for a whole table), batch by batch, so only one batch
 * is in memory at a time; errors name the row in the whole table. `columns` receives the
 * table columns used once the first batch is read.
 */
export function matrixPasses(source: MiniBatchSource, selection: ColumnSelection = {}, columns?: (names: string[]) => void): MatrixPasses {
  const label = 'path' in source && typeof source.path === 'string' ? source.path : undefined;
  return async function* () {
    const { batchSource, planColumns, readMatrix } = await import('../io/to-matrix.js');
    let perBatch = selection;
    let stream: PassStream;
    if (typeof source === 'function') {
      stream = await source();
    } else if ('schema' in source && 'path' in source) {
      // A file (openTable) is asked for the selected columns only; each batch finds them by name.
      stream = batchSource(source as TableSource, (schema, where) => {
        const chosen = planColumns(schema, selection, where);
        perBatch = chosen.selection;
        return chosen.columns;
      }).batches;
    } else {
      stream = source.batches();
    }
    let firstRow = 0;
    let named = false;
    for await (const item of stream) {
      if (item instanceof Matrix) {
        item.assertFinite();
        firstRow += item.rows;
        yield item;
        continue;
      }
      const batch = item as arrow.RecordBatch;
      if (batch.numRows === 0) continue;
      let read;
      try {
        read = await readMatrix([batch], perBatch);
      } catch (error) {
        throw shiftRows(error, firstRow, label);
      }
      if (!named) {
        columns?.(read.columns);
        named = true;
      }
      firstRow += batch.numRows;
      yield read.matrix;
    }
  };
}

/** A batch's error names its row within the batch: make it the row within the table. */
function shiftRows(error: unknown, firstRow: number, label: string | undefined): unknown {
  if (!(error instanceof ClusterkitError) || error.kind !== 'input') return error;
  const message = error.message.replace(/\brow (\d+)\b/, (_, row: string) => `row ${Number(row) + firstRow}`);
  return new ClusterkitError('input', label && !message.startsWith(label) ? `${label}: ${message}` : message, { cause: error });
}

/**
 * Column means and population standard deviations of a stream, in one pass (for z-scoring
 * streamed data as `standardize` does a matrix: a constant column keeps scale 1).
 */
export async function streamMoments(passes: MatrixPasses): Promise<{ rows: number; mean: Float64Array; scale: Float64Array }> {
  const moments = new ColumnMoments();
  for await (const chunk of passes()) moments.add(chunk);
  if (moments.rows === 0) throw inputError('the data has no rows');
  return { rows: moments.rows, mean: moments.means(), scale: moments.deviations().map((s) => (s > 0 ? 1 / s : 1)) };
}

/** Each matrix of a stream z-scored with given means and scales. */
export function standardizedPasses(passes: MatrixPasses, mean: Float64Array, scale: Float64Array): MatrixPasses {
  return async function* () {
    for await (const chunk of passes()) {
      const d = chunk.cols;
      const builder = new MatrixBuilder(d, chunk.columnNames);
      for (const part of chunk.chunks) {
        const out = builder.reserveRows(part.rows);
        for (let i = 0; i < part.data.length; i++) out[i] = (part.data[i]! - mean[i % d]!) * scale[i % d]!;
      }
      yield builder.build();
    }
  };
}

/**
 * What `engine.miniBatchKMeans` accepts: data in memory (a Matrix, Dataset or Arrow table: sampled as
 * scikit-learn samples), or data read again on each pass (a MiniBatchSource, or a re-iterable
 * collection of record batches such as an array). A one-shot stream (an iterator, e.g. an async
 * generator object) cannot be read more than once and is refused.
 */
export type MiniBatchInput = DataInput | MiniBatchSource;

export async function miniBatchKMeans(
  backend: Backend,
  input: MiniBatchInput,
  options: MiniBatchKMeansOptions & ColumnSelection,
): Promise<MiniBatchKMeansResult> {
  resolveMiniBatchOptions(options); // bad options fail before any data is read
  const { columns, embedding, exclude, ...rest } = options;
  const selection: ColumnSelection = { columns, embedding, exclude };
  if (input instanceof Dataset) return miniBatchKMeansInMemory(backend, await input.residentOn(backend), rest);
  if (input instanceof Matrix || isArrowTable(input)) {
    const resident = await backend.upload(await toMatrix(input as DataInput, selection));
    try {
      return await miniBatchKMeansInMemory(backend, resident, rest);
    } finally {
      resident.dispose();
    }
  }
  if (typeof input === 'function' || (typeof input === 'object' && input !== null && 'batches' in input && typeof input.batches === 'function')) {
    return miniBatchKMeansStreamed(backend, matrixPasses(input as MiniBatchSource, selection), rest);
  }
  const iterable = input as AsyncIterable<arrow.RecordBatch> | Iterable<arrow.RecordBatch>;
  const iterator = Symbol.asyncIterator in iterable ? iterable[Symbol.asyncIterator]() : (iterable as Iterable<arrow.RecordBatch>)[Symbol.iterator]();
  if ((iterator as unknown) === iterable) {
    throw optionError('source', 'a one-shot stream (an iterator or generator) can be read only once; mini-batch k-means reads its data several times: pass a function returning a fresh stream per pass, or a TableSource');
  }
  return miniBatchKMeansStreamed(backend, matrixPasses(() => iterable, selection), rest);
}

function isArrowTable(input: unknown): boolean {
  // Structural check, so that apache-arrow is not loaded for callers that never use it.
  return typeof input === 'object' && input !== null && 'schema' in input && 'batches' in input && Array.isArray((input as { batches: unknown }).batches);
}
