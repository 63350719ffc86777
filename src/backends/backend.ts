import type { Matrix, MatrixChunk } from '../matrix.js';

/**
 * The primitive kernels every backend implements. Algorithms (src/algorithms) are written once
 * against this interface and never branch on the backend; a backend only has to make these
 * primitives fast. The JS backend is the reference: every other backend must compute the same
 * function (up to float rounding, and exact ties in argmin).
 *
 * Conventions:
 * - Data is uploaded once (`upload`) and stays resident across calls; per call only small
 *   arrays (centroids, candidate rows, labels) go in and reductions come out.
 * - Row ranges (`start`, `end`) let algorithms bound how much output one call produces, so no
 *   N×N or oversized N×K array is ever built by a primitive.
 * - Sums, counts, inertia and potentials are float64 on the host side.
 */
export type BackendName = 'js' | 'wasm' | 'webgpu';

export type Metric = 'sqeuclidean' | 'euclidean' | 'cosine' | 'dot';

/** A matrix resident on a backend (GPU buffers, WASM memory, or the host arrays for js). */
export interface DeviceMatrix {
  readonly rows: number;
  readonly cols: number;
  /** The host matrix it was uploaded from (algorithms read single rows from it). */
  readonly host: Matrix;
  dispose(): void;
}

/**
 * A matrix handed to a backend while it is being read (record batches streamed in): each chunk
 * as soon as the reader completes it, so its transfer overlaps the reading of the next.
 */
export interface MatrixUpload {
  /** The next rows read (continuing the last chunk added); the finished host matrix holds this same chunk. */
  add(chunk: MatrixChunk): void;
  /**
   * The read is complete and `host` holds every chunk added: the resident matrix. Errors of the
   * transfer (out of memory, device loss) are thrown here, after the read, so the host matrix is
   * whole and the caller can still upload it elsewhere.
   */
  finish(host: Matrix): Promise<DeviceMatrix>;
  /** The read failed: frees whatever was transferred. */
  abort(): void;
}

/**
 * The upload of a backend whose transfer is a copy on the calling thread (wasm, js): nothing
 * could overlap it, so the whole matrix is uploaded once read.
 */
export function uploadWhenRead(backend: Pick<Backend, 'upload'>): MatrixUpload {
  return { add() {}, finish: (host) => backend.upload(host), abort() {} };
}

export interface LloydOptions {
  /**
   * Keep Hamerly's triangle-inequality bounds between steps and skip the distance evaluations
   * they prove unnecessary; labels must come out exactly as without bounds. 'auto': the
   * backend uses bounds where they pay on it, and may decide again at every step.
   */
  bounds: boolean | 'auto';
}

export interface StepOptions {
  /** Also return per-cluster coordinate sums and counts (the Lloyd update). */
  accumulate: boolean;
  /**
   * Return the labels (default true). A loop that only needs to know whether any label moved
   * passes false and reads `changed`: on the GPU the labels then stay on the device (at 10M
   * rows they are 40 MB per step); `LloydSession.labels()` reads them when they are needed.
   */
  labels?: boolean;
}

/** What a step returns besides the labels; its arrays are fresh and the caller's to keep or overwrite. */
export interface StepTotals {
  /** Σ over rows of the squared distance to the nearest centroid. */
  inertia: number;
  /** k × cols coordinate sums of the rows assigned to each centroid (when accumulating). */
  sums?: Float64Array;
  /** Rows assigned to each centroid (when accumulating). */
  counts?: Float64Array;
  /** Σ of the squared distances of each centroid's rows, k values (when accumulating). */
  clusterInertia?: Float64Array;
  /** Rows whose label differs from the previous step's in this session (every row on the first step). */
  changed: number;
  /** Row-to-centroid distances computed in this step (n·k without bounds). */
  distanceEvaluations: number;
}

export interface AssignResult extends StepTotals {
  /** Nearest centroid of each row (lowest index wins a tie). */
  labels: Int32Array;
}

/** What a step over listed rows returns (`LloydSession.stepRows`). */
export type RowStepTotals = Required<Pick<StepTotals, 'inertia' | 'sums' | 'counts' | 'clusterInertia' | 'distanceEvaluations'>>;

/** Throws a RangeError naming the first entry of `rows` that is not a row of an n-row matrix. */
export function checkRows(rows: Int32Array, n: number): void {
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (!(row >= 0 && row < n)) throw new RangeError(`stepRows: rows[${i}] = ${row} is not a row of the ${n}-row matrix`);
  }
}

/** A step's result: with `labels` only when the options cannot have said `labels: false`. */
export type StepResult<O extends StepOptions> = O extends { labels: infer L } ? ([L] extends [true | undefined] ? AssignResult : StepTotals) : AssignResult;

/** A backend's step result: `totals`, with the labels unless the options say `labels: false`. */
export function stepResult<O extends StepOptions>(options: O, totals: StepTotals, labels: () => Int32Array): StepResult<O> {
  return (options.labels === false ? totals : { ...totals, labels: labels() }) as StepResult<O>;
}

/**
 * Assignment steps over one resident dataset with k centroids. The backend may keep per-row
 * state between steps (labels, bounds); each step gets the full new centroids.
 */
export interface LloydSession {
  /**
   * Fused assignment: nearest of the k centroids (k × cols, row-major) for every row, inertia,
   * and optionally the Lloyd sums — without materialising the N×K distance matrix.
   */
  step<O extends StepOptions>(centroids: Float32Array, options: O): Promise<StepResult<O>>;
  /**
   * A mini-batch step on the resident rows listed in `rows` (a row listed twice counts twice):
   * inertia, sums and counts over those rows only. The session's labels are left as they were.
   * Only in a session started with `bounds: false` (the bounds cover every row).
   */
  stepRows(centroids: Float32Array, rows: Int32Array): Promise<RowStepTotals>;
  /** The labels of the last step (a fresh array). */
  labels(): Promise<Int32Array>;
  dispose(): void;
}

/**
 * Greedy k-means++ state: the squared distance from every row to its closest chosen centre,
 * kept resident on the backend.
 */
export interface SeedingState {
  /** Σ of the closest squared distances (the "potential"). */
  readonly potential: number;
  /**
   * For each target t in [0, potential), the first row whose running sum of closest squared
   * distances reaches t (NumPy's searchsorted on the float64 cumulative sum, clipped to the
   * last row).
   */
  sample(targets: Float64Array): Promise<Int32Array>;
  /** For each candidate row, the potential if it were added as a centre. */
  trial(candidateRows: Int32Array): Promise<Float64Array>;
  /** Adds candidate `index` of the last `trial` as a centre. */
  commit(index: number): Promise<void>;
  dispose(): void;
}

export interface KnnResult {
  /** rows × k neighbour indices into B, nearest first. */
  indices: Int32Array;
  /** rows × k values of the metric, in the same order. */
  distances: Float32Array;
}

export interface SimilarityResult {
  /** rows × texts: softmax probabilities (or scaled cosine logits without softmax). */
  scores: Float32Array;
  /** Index of the best text per row. */
  labels: Int32Array;
}

export interface Backend {
  readonly name: BackendName;
  /** One line for `clusterkit info` (e.g. "wasm: SIMD, relaxed SIMD, 16 threads"). */
  readonly description: string;

  upload(matrix: Matrix): Promise<DeviceMatrix>;

  /** Starts uploading a matrix of `cols` columns chunk by chunk while it is read. */
  startUpload(cols: number): MatrixUpload;

  /** Starts assignment steps of `x` against k centroids (k-means, predict). */
  startLloyd(x: DeviceMatrix, k: number, options: LloydOptions): Promise<LloydSession>;

  /** Starts greedy k-means++ with row `firstRow` as the first centre. */
  startSeeding(x: DeviceMatrix, firstRow: number): Promise<SeedingState>;

  /**
   * For rows [start, end) of `x`: the sum of Euclidean distances to every row of each of the
   * `k` clusters given by `labels` (one label per row of x). Result: (end−start) × k.
   * Silhouette needs exactly these sums; the N×N distance matrix is never stored.
   */
  clusterDistanceSums(x: DeviceMatrix, labels: Int32Array, k: number, start: number, end: number): Promise<Float64Array>;

  /** Distances (by `metric`) from rows [start, end) of `a` to every row of `b`: (end−start) × b.rows. */
  distances(a: DeviceMatrix, b: DeviceMatrix, metric: Metric, start: number, end: number): Promise<Float32Array>;

  /**
   * Inner products of rows [start, end) of `a` with every row of `b`, (end−start) × b.rows,
   * for Gram and covariance blocks that the caller sums in float64. Less exact than the 'dot'
   * metric where that is faster: the error of an entry is at most about 32 · 2⁻²⁴ · Σⱼ|aⱼbⱼ|.
   */
  innerProducts(a: DeviceMatrix, b: DeviceMatrix, start: number, end: number): Promise<Float32Array>;

  /**
   * The `k` nearest rows of `b` for rows [start, end) of `a`. For 'dot', nearest means the
   * largest inner product; for the others, the smallest distance. Ties go to the lower index.
   */
  knn(a: DeviceMatrix, b: DeviceMatrix, k: number, metric: Metric, start: number, end: number): Promise<KnnResult>;

  /**
   * CLIP zero-shot scores for rows [start, end) of `images`: logitScale × cosine similarity to
   * each row of `texts`, then a softmax over texts when `softmax` is set.
   */
  similarity(
    images: DeviceMatrix,
    texts: DeviceMatrix,
    logitScale: number,
    softmax: boolean,
    start: number,
    end: number,
  ): Promise<SimilarityResult>;

  dispose(): void;
}
