import type { Backend, DeviceMatrix } from '../backends/backend.js';
import { inputError, optionError } from '../errors.js';
import { Matrix, type MatrixChunk } from '../matrix.js';
import { OUTPUT_VALUES_PER_CALL } from './blocks.js';
import { Pacer } from './hierarchy-pacer.js';
import { requireChoice, requireInteger, requireNumber } from './validate.js';

export type Linkage = 'ward' | 'complete' | 'average' | 'single';

export const LINKAGES: readonly Linkage[] = ['ward', 'complete', 'average', 'single'];

/** Storage of the n × n distance matrix. */
export type DistancePrecision = 'auto' | 'float64' | 'float32';

export interface AgglomerativeOptions {
  /**
   * How the distance between two clusters is defined (default 'ward', as scikit-learn):
   * 'ward' (the increase of within-cluster variance, on Euclidean distances as SciPy),
   * 'complete' (largest pairwise distance), 'average' (mean pairwise distance, UPGMA),
   * 'single' (smallest pairwise distance).
   */
  linkage?: Linkage;
  /**
   * Cut the tree into this many clusters (default 2, as scikit-learn). Give either this or
   * `distanceThreshold`, not both.
   */
  nClusters?: number;
  /**
   * Cut the tree at this height: clusters are what the merges strictly below it form, i.e.
   * scikit-learn's `AgglomerativeClustering(distance_threshold=t)` (SciPy's
   * `fcluster(Z, t, 'distance')` also applies merges exactly at t).
   */
  distanceThreshold?: number;
  /**
   * Precision of the stored n × n distance matrix: 'float64' (8·n² bytes; the arithmetic of
   * SciPy), 'float32' (4·n² bytes), or 'auto' (default). The backends compute distances in
   * float32, and single and complete linkage only ever compare those values, so for them
   * float32 storage loses nothing and 'auto' picks it. Ward and average linkage compute new
   * distances at every merge; float32 rounds those (about 1e-7 relative, which can reorder
   * near-ties), so 'auto' keeps float64 while the matrix takes at most 2 GiB (n ≤ 16,384
   * rows) and float32 above.
   */
  precision?: DistancePrecision;
  /** Called now and then: distances computed, then merges done. */
  onProgress?: (progress: AgglomerativeProgress) => void;
}

export interface AgglomerativeProgress {
  stage: 'distances' | 'merging';
  /** Work done in this stage, out of `total` (pairs of rows, then merges). */
  done: number;
  total: number;
}

export interface AgglomerativeFit {
  /** Flat cluster of each row, 0..nClusters−1, numbered in order of first appearance. */
  labels: Int32Array;
  /**
   * SciPy's linkage matrix, (n−1) × 4 row-major: merge i joins clusters `idx1 < idx2` (an id
   * below n is row id; n + j is the cluster made by merge j) at `height`, giving a cluster of
   * `size` rows. Merges are sorted by height (stable), as `scipy.cluster.hierarchy.linkage`.
   * A Float64Array of 4·(n−1) values; row i is linkage.subarray(4·i, 4·i + 4).
   */
  linkage: Float64Array;
  /** Number of flat clusters in `labels`. */
  nClusters: number;
  /** The merge heights (column 2 of `linkage`), ascending. */
  heights: Float64Array;
  /** The precision the distance matrix was stored in. */
  precision: 'float64' | 'float32';
}

interface Resolved {
  linkage: Linkage;
  nClusters: number | undefined;
  distanceThreshold: number | undefined;
  precision: 'float64' | 'float32';
}

/** The full symmetric n × n distance matrix, row-major (both halves kept, so rows are contiguous). */
type Square = Float64Array | Float32Array;

/** Largest n that 'auto' keeps in float64: a 2 GiB matrix. */
const AUTO_FLOAT64_ROWS = 16_384;
/** Rows or columns per tile of the transposed copies. */
const TILE = 32;
/** Largest n: n² must fit one typed array. */
const MAX_ROWS = 65_535;

export function resolveAgglomerativeOptions(options: AgglomerativeOptions, rows: number): Resolved {
  if (options === null || typeof options !== 'object') throw optionError('linkage', 'agglomerative clustering needs an options object');
  const linkage = requireChoice('linkage', options.linkage ?? 'ward', LINKAGES);
  if (options.nClusters !== undefined && options.distanceThreshold !== undefined) {
    throw optionError('distanceThreshold', 'give either nClusters or distanceThreshold, not both');
  }
  let nClusters: number | undefined;
  let distanceThreshold: number | undefined;
  if (options.distanceThreshold !== undefined) {
    distanceThreshold = requireNumber('distanceThreshold', options.distanceThreshold, 0);
  } else {
    nClusters = requireInteger('nClusters', options.nClusters ?? 2, 1);
    if (nClusters > rows) throw optionError('nClusters', `nClusters = ${nClusters} is more than the ${rows} rows of the data`);
  }
  const asked = requireChoice('precision', options.precision ?? 'auto', ['auto', 'float64', 'float32'] as const);
  if (rows < 2) throw inputError(`agglomerative clustering needs at least 2 rows, got ${rows}`);
  if (rows > MAX_ROWS) {
    throw inputError(`agglomerative clustering keeps an n × n distance matrix; at most ${MAX_ROWS} rows are supported, got ${rows}`);
  }
  const lossless = linkage === 'single' || linkage === 'complete';
  const precision = asked === 'auto' ? (rows <= AUTO_FLOAT64_ROWS && !lossless ? 'float64' : 'float32') : asked;
  return { linkage, nClusters, distanceThreshold, precision };
}

/**
 * Hierarchical agglomerative clustering with SciPy's algorithms and conventions: the
 * nearest-neighbour chain with Lance–Williams updates for ward / complete / average, Prim's
 * minimum spanning tree for single linkage, on the Euclidean distances of every pair of rows,
 * computed by the backend's `distances` primitive in row blocks.
 *
 * The distances are kept as a full symmetric n × n matrix rather than SciPy's condensed
 * triangle: twice the entries, but every row is contiguous, so the nearest-neighbour scans
 * stream through memory instead of striding across it (the condensed layout spends most of its
 * time in cache and TLB misses once it outgrows the caches). Time O(n²·d) for the distances
 * plus O(n²) for the merges; memory 8·n² bytes (float64) or 4·n² (float32, see `precision`).
 */
export async function agglomerative(backend: Backend, x: DeviceMatrix, options: AgglomerativeOptions = {}): Promise<AgglomerativeFit> {
  const resolved = resolveAgglomerativeOptions(options, x.rows);
  const n = x.rows;
  const report = options.onProgress ?? (() => {});
  const distances = await distanceMatrix(backend, x, resolved.precision, report);
  const linkage = await linkageOfDistances(distances, n, resolved.linkage, report);
  const heights = new Float64Array(n - 1);
  for (let i = 0; i < n - 1; i++) heights[i] = linkage[4 * i + 2]!;
  let nClusters = resolved.nClusters;
  if (nClusters === undefined) {
    // scikit-learn: n_clusters_ = count(heights >= threshold) + 1
    nClusters = 1;
    for (const h of heights) if (h >= resolved.distanceThreshold!) nClusters++;
  }
  return { labels: cutTree(linkage, n, nClusters), linkage, nClusters, heights, precision: resolved.precision };
}

// ---------------------------------------------------------------------------------------------
// The distance matrix

/** Rows [start, n) of `m` as a matrix sharing its storage (no copy on the host). */
function suffix(m: Matrix, start: number): Matrix {
  const chunks: MatrixChunk[] = [];
  for (const chunk of m.chunks) {
    const end = chunk.rowStart + chunk.rows;
    if (end <= start) continue;
    const from = Math.max(0, start - chunk.rowStart);
    chunks.push({ rowStart: chunk.rowStart + from - start, rows: chunk.rows - from, data: chunk.data.subarray(from * m.cols) });
  }
  return new Matrix(m.rows - start, m.cols, chunks, m.columnNames, true);
}

/**
 * The n × n Euclidean distance matrix from the backend's `distances` primitive. Only the upper
 * triangle is asked for: rows are split into segments, each segment's rows measured against
 * the rows from the segment's start on (uploaded once per segment), so just a sliver below the
 * diagonal is computed needlessly (1/segments of the work); no call returns more than
 * OUTPUT_VALUES_PER_CALL values. Each block is written to its rows and, transposed, to its
 * columns, so the matrix is symmetric by construction. (Asking the backend for whole rows
 * instead saves the transposed copy but doubles the distance work; at 5,000 × 32 on the wasm
 * backend both took the same time, and the work saved grows with the width.)
 */
export async function distanceMatrix(
  backend: Backend,
  x: DeviceMatrix,
  precision: 'float64' | 'float32',
  report: (progress: AgglomerativeProgress) => void = () => {},
  segments = x.rows <= 4096 ? 1 : 16,
): Promise<Square> {
  const n = x.rows;
  let out: Square;
  try {
    out = precision === 'float64' ? new Float64Array(n * n) : new Float32Array(n * n);
  } catch (error) {
    const gib = ((n * n * (precision === 'float64' ? 8 : 4)) / 2 ** 30).toFixed(1);
    throw inputError(`agglomerative clustering of ${n} rows needs ${gib} GiB for its distance matrix, which cannot be allocated here (${(error as Error).message})${precision === 'float64' ? "; precision 'float32' halves it" : ''}`);
  }
  const total = (n * (n - 1)) / 2;
  let done = 0;
  for (let s = 0; s < segments; s++) {
    const s0 = Math.floor((s * n) / segments);
    const s1 = Math.floor(((s + 1) * n) / segments);
    if (s1 <= s0) continue;
    const width = n - s0;
    const targets = s0 === 0 ? x : await backend.upload(suffix(x.host, s0));
    try {
      const block = Math.max(1, Math.floor(OUTPUT_VALUES_PER_CALL / width));
      for (let start = s0; start < s1; start += block) {
        const end = Math.min(s1, start + block);
        const values = await backend.distances(x, targets, 'euclidean', start, end);
        for (let i = start; i < end; i++) {
          const base = (i - start) * width - s0;
          out.set(values.subarray(base + i + 1, base + n), i * n + i + 1);
          out[i * n + i] = 0;
          done += n - 1 - i;
        }
        // The lower triangle, transposed in tiles of TILE columns so that both the reads (rows
        // of the block) and the writes (columns of the matrix) stay within a few cache lines.
        for (let j0 = start + 1; j0 < n; j0 += TILE) {
          const j1 = Math.min(n, j0 + TILE);
          const last = Math.min(end, j1 - 1);
          for (let i = start; i < last; i++) {
            const from = (i - start) * width - s0;
            for (let j = Math.max(j0, i + 1); j < j1; j++) out[j * n + i] = values[from + j]!;
          }
        }
        report({ stage: 'distances', done, total });
      }
    } finally {
      if (targets !== x) targets.dispose();
    }
  }
  return out;
}

/** Copies the upper triangle onto the lower one (in tiles, so reads and writes stay local). */
export function mirrorUpper(d: Square, n: number): void {
  for (let i0 = 0; i0 < n; i0 += TILE) {
    const i1 = Math.min(n, i0 + TILE);
    for (let j0 = i0; j0 < n; j0 += TILE) {
      const j1 = Math.min(n, j0 + TILE);
      for (let i = i0; i < i1; i++) {
        const row = i * n;
        for (let j = Math.max(j0, i + 1); j < j1; j++) d[j * n + i] = d[row + j]!;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Merging

/** Merges in the order found: pairs of row slots (x < y for the chain) and heights. */
interface Steps {
  a: Int32Array;
  b: Int32Array;
  height: Float64Array;
}

/** Ascending list of the active cluster slots, with O(active) removal. */
class ActiveSet {
  readonly slots: Int32Array;
  count: number;

  constructor(n: number) {
    this.slots = Int32Array.from({ length: n }, (_, i) => i);
    this.count = n;
  }

  remove(slot: number): void {
    let lo = 0;
    let hi = this.count - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.slots[mid]! < slot) lo = mid + 1;
      else hi = mid;
    }
    this.slots.copyWithin(lo, lo + 1, this.count);
    this.count--;
  }
}

/**
 * The nearest-neighbour chain (Murtagh; Müllner 2011, as SciPy's `nn_chain`): grow a chain of
 * nearest neighbours from the first active cluster until its last two links are reciprocal
 * nearest neighbours, merge them, and continue from what is left of the chain. Exact for the
 * reducible linkages (ward, complete, average). Ties are broken as SciPy does: the previous
 * link of the chain is kept against an equally near cluster, otherwise the lowest slot wins;
 * the merged cluster lives in the higher slot of the pair. Only active slots are visited.
 */
async function nearestNeighbourChain(
  d: Square,
  n: number,
  linkage: Exclude<Linkage, 'single'>,
  report: (progress: AgglomerativeProgress) => void,
  pacer: Pacer,
): Promise<Steps> {
  const steps: Steps = { a: new Int32Array(n - 1), b: new Int32Array(n - 1), height: new Float64Array(n - 1) };
  const size = new Float64Array(n).fill(1);
  const active = new ActiveSet(n);
  const slots = active.slots;
  const chain = new Int32Array(n + 1);
  let length = 0;
  const method = linkage === 'ward' ? 0 : linkage === 'complete' ? 1 : 2;

  for (let k = 0; k < n - 1; k++) {
    if (length === 0) chain[length++] = slots[0]!;
    let x: number;
    let y: number;
    let best: number;
    for (;;) {
      if (length > active.count) {
        // With symmetric distances each link is strictly shorter than the one before, so the
        // chain ends within the active clusters; it cycled, so the distances given to
        // linkageOfDistances were not symmetric. Make them so and grow the chain again.
        mirrorUpper(d, n);
        length = 1;
      }
      x = chain[length - 1]!;
      const row = x * n;
      if (length > 1) {
        y = chain[length - 2]!;
        best = d[row + y]!;
      } else {
        y = -1;
        best = Infinity;
      }
      const m = active.count;
      for (let p = 0; p < m; p++) {
        const i = slots[p]!;
        const dist = d[row + i]!;
        if (dist < best && i !== x) {
          best = dist;
          y = i;
        }
      }
      if (length > 1 && y === chain[length - 2]) break;
      chain[length++] = y;
    }
    length -= 2;
    if (x > y) [x, y] = [y, x];
    const nx = size[x]!;
    const ny = size[y]!;
    steps.a[k] = x;
    steps.b[k] = y;
    steps.height[k] = best;
    size[x] = 0;
    size[y] = nx + ny;
    active.remove(x);

    // Lance–Williams: the distance from every other cluster i to the merged one, in slot y.
    const m = active.count;
    const rx = x * n;
    const ry = y * n;
    const dxy = best;
    for (let p = 0; p < m; p++) {
      const i = slots[p]!;
      if (i === y) continue;
      const dxi = d[rx + i]!;
      const dyi = d[ry + i]!;
      let value: number;
      if (method === 0) {
        const ni = size[i]!;
        const t = 1 / (nx + ny + ni);
        const square = (ni + nx) * t * dxi * dxi + (ni + ny) * t * dyi * dyi - ni * t * dxy * dxy;
        value = square > 0 ? Math.sqrt(square) : 0; // ≥ 0 in exact arithmetic; rounding can dip below
      } else if (method === 1) {
        value = dxi > dyi ? dxi : dyi;
      } else {
        value = (nx * dxi + ny * dyi) / (nx + ny);
      }
      d[ry + i] = value;
      d[i * n + y] = value;
    }
    if (pacer.due(k)) {
      report({ stage: 'merging', done: k + 1, total: n - 1 });
      await pacer.pause();
    }
  }
  report({ stage: 'merging', done: n - 1, total: n - 1 });
  return steps;
}

/**
 * Single linkage as Prim's minimum spanning tree (SciPy's `mst_single_linkage`): grow the tree
 * from row 0, each step adding the outside row nearest to the tree (lowest row on ties). Step
 * k is recorded as (row added at step k−1, row added at step k, its distance to the tree):
 * consecutive rows of Prim's order with that distance have the same single-linkage
 * hierarchy as the tree's own edges, which is what SciPy records.
 */
async function primSingleLinkage(
  d: Square,
  n: number,
  report: (progress: AgglomerativeProgress) => void,
  pacer: Pacer,
): Promise<Steps> {
  const steps: Steps = { a: new Int32Array(n - 1), b: new Int32Array(n - 1), height: new Float64Array(n - 1) };
  const nearest = new Float64Array(n).fill(Infinity);
  const outside = new ActiveSet(n);
  const slots = outside.slots;
  let x = 0;
  for (let k = 0; k < n - 1; k++) {
    outside.remove(x);
    const row = x * n;
    let best = Infinity;
    let y = -1;
    const m = outside.count;
    for (let p = 0; p < m; p++) {
      const i = slots[p]!;
      const dist = d[row + i]!;
      if (dist < nearest[i]!) nearest[i] = dist;
      if (nearest[i]! < best) {
        best = nearest[i]!;
        y = i;
      }
    }
    steps.a[k] = x;
    steps.b[k] = y;
    steps.height[k] = best;
    x = y;
    if (pacer.due(k)) {
      report({ stage: 'merging', done: k + 1, total: n - 1 });
      await pacer.pause();
    }
  }
  report({ stage: 'merging', done: n - 1, total: n - 1 });
  return steps;
}

/**
 * SciPy's linkage matrix of a precomputed n × n distance matrix (symmetric, zero diagonal,
 * row-major); `d` is overwritten. What `agglomerative` does after computing the distances.
 */
export async function linkageOfDistances(d: Square, n: number, linkage: Linkage, report: (progress: AgglomerativeProgress) => void = () => {}): Promise<Float64Array> {
  const pacer = new Pacer();
  const steps = linkage === 'single' ? await primSingleLinkage(d, n, report, pacer) : await nearestNeighbourChain(d, n, linkage, report, pacer);
  return sortAndLabel(steps, n);
}

/**
 * The linkage matrix from merges of slots: stable sort by height, then cluster ids by
 * union-find in that order (the smaller id first, the new cluster n + i), as SciPy's `label`.
 */
function sortAndLabel(steps: Steps, n: number): Float64Array {
  const order = Array.from({ length: n - 1 }, (_, i) => i);
  order.sort((p, q) => steps.height[p]! - steps.height[q]!); // Array.prototype.sort is stable
  const parent = Int32Array.from({ length: 2 * n - 1 }, (_, i) => i);
  const sizes = new Float64Array(2 * n - 1);
  sizes.fill(1, 0, n);
  const find = (node: number): number => {
    let root = node;
    while (parent[root] !== root) root = parent[root]!;
    while (parent[node] !== root) {
      const next = parent[node]!;
      parent[node] = root;
      node = next;
    }
    return root;
  };
  const z = new Float64Array(4 * (n - 1));
  order.forEach((step, i) => {
    const a = find(steps.a[step]!);
    const b = find(steps.b[step]!);
    const id = n + i;
    parent[a] = id;
    parent[b] = id;
    sizes[id] = sizes[a]! + sizes[b]!;
    z[4 * i] = Math.min(a, b);
    z[4 * i + 1] = Math.max(a, b);
    z[4 * i + 2] = steps.height[step]!;
    z[4 * i + 3] = sizes[id]!;
  });
  return z;
}

/**
 * Flat clusters from the first n − k merges of a linkage matrix (those below the k − 1 highest,
 * as scikit-learn's `_hc_cut`), numbered in order of first appearance by row.
 */
export function cutTree(linkage: Float64Array, n: number, k: number): Int32Array {
  const parent = Int32Array.from({ length: 2 * n - 1 }, (_, i) => i);
  const find = (node: number): number => {
    while (parent[node] !== node) node = parent[node] = parent[parent[node]!]!;
    return node;
  };
  for (let i = 0; i < n - k; i++) {
    parent[find(linkage[4 * i]!)] = n + i;
    parent[find(linkage[4 * i + 1]!)] = n + i;
  }
  const labels = new Int32Array(n);
  const ids = new Map<number, number>();
  for (let row = 0; row < n; row++) {
    const root = find(row);
    let id = ids.get(root);
    if (id === undefined) ids.set(root, (id = ids.size));
    labels[row] = id;
  }
  return labels;
}
