import type { Backend, DeviceMatrix } from '../backends/backend.js';
import { inputError, optionError } from '../errors.js';
import { Rng } from '../rng.js';
import { rowBlocks } from './blocks.js';
import { Pacer } from './hierarchy-pacer.js';
import { selectInPlace } from './select.js';
import { requireInteger, requireNumber } from './validate.js';

export interface AffinityOptions {
  /** How much of the previous messages each update keeps, in [0.5, 1) (default 0.5). */
  damping?: number;
  /**
   * How likely each row is to be chosen as an exemplar: one number for every row, or one per
   * row. Default: the median of all n² similarities, the zero diagonal included (scikit-learn);
   * lower gives fewer clusters.
   */
  preference?: number | ArrayLike<number>;
  /** Stop once the exemplars have not changed for this many iterations (default 15). */
  convergenceIter?: number;
  /** Iterations at most (default 200). */
  maxIter?: number;
  /**
   * Seed of the tiny noise added to the similarities to break exact ties (default 0). The
   * noise has scikit-learn's size, (ε·|s| + 100·tiny)·N(0, 1), but comes from clusterkit's
   * generator, not NumPy's: on data without exact ties the result does not depend on it.
   */
  seed?: number;
  /** Called after every iteration. */
  onIteration?: (progress: AffinityProgress) => void;
}

export interface AffinityProgress {
  iteration: number;
  maxIter: number;
  /** Rows that are currently exemplars. */
  exemplars: number;
}

export interface AffinityFit {
  /** Cluster of each row: the index of its exemplar in `exemplars`; −1 for every row when there is none. */
  labels: Int32Array;
  /** Row indices of the exemplars (cluster centres), ascending: cluster c is represented by row exemplars[c]. */
  exemplars: Int32Array;
  /** Iterations run (scikit-learn's `n_iter_`). */
  iterations: number;
  /** Whether the exemplars stayed the same for `convergenceIter` iterations before `maxIter`. */
  converged: boolean;
  /** The preference used (the median similarity unless given; per-row values as given). */
  preference: number | Float64Array;
}

interface Resolved {
  damping: number;
  preference: number | Float64Array | undefined;
  convergenceIter: number;
  maxIter: number;
  seed: number;
}

/** n² must fit one typed array (S, R and A are n × n float64). */
const MAX_ROWS = 65_535;

export function resolveAffinityOptions(options: AffinityOptions, rows: number): Resolved {
  if (options === null || typeof options !== 'object') throw optionError('damping', 'affinity propagation needs an options object');
  const damping = requireNumber('damping', options.damping ?? 0.5, 0.5);
  if (damping >= 1) throw optionError('damping', `must be at least 0.5 and less than 1, got ${damping}`);
  let preference: number | Float64Array | undefined;
  if (typeof options.preference === 'number') {
    preference = requireNumber('preference', options.preference);
  } else if (options.preference !== undefined) {
    const values = options.preference as ArrayLike<number>;
    if (values === null || typeof values !== 'object' || typeof values.length !== 'number') {
      throw optionError('preference', `expected a number or one number per row, got ${String(options.preference)}`);
    }
    if (values.length !== rows) throw optionError('preference', `${values.length} preferences for ${rows} rows; give one number or one per row`);
    preference = Float64Array.from(values, (v, i) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw optionError('preference', `row ${i + 1}: expected a finite number, got ${String(v)}`);
      return v;
    });
  }
  if (rows > MAX_ROWS) {
    throw inputError(`affinity propagation keeps three ${rows} × ${rows} matrices; at most ${MAX_ROWS} rows are supported (${((24 * rows * rows) / 2 ** 30).toFixed(1)} GiB)`);
  }
  return {
    damping,
    preference,
    convergenceIter: requireInteger('convergenceIter', options.convergenceIter ?? 15, 1),
    maxIter: requireInteger('maxIter', options.maxIter ?? 200, 1),
    seed: requireInteger('seed', options.seed ?? 0, 0, 0xffffffff),
  };
}

/**
 * Affinity propagation (Frey & Dueck 2007) as scikit-learn 1.2 runs it: similarities are
 * negative squared Euclidean distances from the backend's 'sqeuclidean' primitive, the
 * preference goes on the diagonal, responsibilities and availabilities are updated with
 * damping, and the run stops when every row's exemplar status has been unchanged for
 * `convergenceIter` iterations (with at least one exemplar). Exemplars are then refined
 * within their clusters and rows assigned to the most similar exemplar, as scikit-learn.
 * Memory: three n × n float64 matrices (24·n² bytes); time O(n²) per iteration.
 */
export async function affinityPropagation(backend: Backend, x: DeviceMatrix, options: AffinityOptions = {}): Promise<AffinityFit> {
  const resolved = resolveAffinityOptions(options, x.rows);
  const n = x.rows;
  const s = await similarities(backend, x);
  const preference = resolved.preference ?? medianSimilarity(s, n);
  const preferenceAt = typeof preference === 'number' ? () => preference : (i: number) => preference[i]!;

  if (n === 1 || allEqual(s, n, preference)) {
    // Nothing to tell the rows apart (scikit-learn returns without iterating): every row its
    // own exemplar when the preference is at least the similarities, else one cluster.
    const own = preferenceAt(0) >= s[n - 1]!;
    const exemplars = own ? Int32Array.from({ length: n }, (_, i) => i) : Int32Array.of(0);
    const labels = own ? Int32Array.from({ length: n }, (_, i) => i) : new Int32Array(n);
    return { labels, exemplars, iterations: 0, converged: true, preference };
  }

  for (let i = 0; i < n; i++) s[i * n + i] = preferenceAt(i);
  addTieBreakingNoise(s, new Rng(resolved.seed));
  const { isExemplar, iterations, converged } = await iterate(s, n, resolved, options.onIteration);
  const { labels, exemplars } = assign(s, n, isExemplar);
  return { labels, exemplars, iterations, converged, preference };
}

/** S = −‖xᵢ − xⱼ‖², n × n, symmetric (upper triangle mirrored), zero diagonal. */
async function similarities(backend: Backend, x: DeviceMatrix): Promise<Float64Array> {
  const n = x.rows;
  let s: Float64Array;
  try {
    s = new Float64Array(n * n);
  } catch (error) {
    throw inputError(`affinity propagation of ${n} rows cannot allocate its ${n} × ${n} similarity matrix (${(error as Error).message})`);
  }
  for (const [start, end] of rowBlocks(n, n)) {
    const block = await backend.distances(x, x, 'sqeuclidean', start, end);
    for (let i = start; i < end; i++) {
      const row = i * n;
      const from = (i - start) * n;
      for (let j = i + 1; j < n; j++) s[row + j] = -block[from + j]!;
    }
  }
  for (let i = 0; i < n; i++) {
    s[i * n + i] = 0;
    for (let j = 0; j < i; j++) s[i * n + j] = s[j * n + i]!;
  }
  return s;
}

/**
 * NumPy's median of all n² similarities, the zero diagonal included: every off-diagonal value
 * counts twice (S is symmetric) and the n zeros sort last (similarities are ≤ 0).
 */
function medianSimilarity(s: Float64Array, n: number): number {
  const pairs = (n * (n - 1)) / 2;
  const upper = new Float64Array(pairs);
  let p = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) upper[p++] = s[i * n + j]!;
  const total = n * n;
  // Position p of the sorted n² values is upper's (p >> 1)-th smallest, or 0 past 2·pairs.
  const low = (total - 1) >> 1;
  const high = total >> 1;
  const at = (position: number): number => {
    if (position >= 2 * pairs) return 0;
    const rank = position >> 1;
    selectInPlace(upper, 0, upper.length - 1, rank);
    return upper[rank]!;
  };
  if (low === high) return at(low);
  const first = at(low);
  // Same rank (both positions in one doubled pair) or the next rank: after select(rank), the
  // next value in order is the smallest of what lies above it.
  if (high >= 2 * pairs) return (first + 0) / 2;
  if (high >> 1 === low >> 1) return (first + first) / 2;
  let next = Infinity;
  for (let i = (low >> 1) + 1; i < pairs; i++) if (upper[i]! < next) next = upper[i]!;
  return (first + next) / 2;
}

/** All off-diagonal similarities equal and all preferences equal. */
function allEqual(s: Float64Array, n: number, preference: number | Float64Array): boolean {
  if (typeof preference !== 'number' && preference.some((v) => v !== preference[0])) return false;
  const first = s[1]!;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) if (i !== j && s[i * n + j] !== first) return false;
  }
  return true;
}

/** scikit-learn's degeneracy breaker: s += (ε·s + 100·tiny)·N(0, 1), over the whole matrix. */
function addTieBreakingNoise(s: Float64Array, rng: Rng): void {
  const eps = 2 ** -52;
  const tiny100 = 100 * 2 ** -1022;
  for (let i = 0; i < s.length; i += 2) {
    // Box–Muller: two standard normals from two uniforms.
    const radius = Math.sqrt(-2 * Math.log(1 - rng.nextFloat()));
    const angle = 2 * Math.PI * rng.nextFloat();
    s[i] = s[i]! + (eps * s[i]! + tiny100) * radius * Math.cos(angle);
    if (i + 1 < s.length) s[i + 1] = s[i + 1]! + (eps * s[i + 1]! + tiny100) * radius * Math.sin(angle);
  }
}

/** The message passing; returns which rows are exemplars after the last iteration. */
async function iterate(
  s: Float64Array,
  n: number,
  options: Resolved,
  onIteration: ((progress: AffinityProgress) => void) | undefined,
): Promise<{ isExemplar: Uint8Array; iterations: number; converged: boolean }> {
  const { damping, convergenceIter, maxIter } = options;
  const keep = 1 - damping;
  const r = new Float64Array(n * n);
  const a = new Float64Array(n * n);
  const columnSums = new Float64Array(n);
  const isExemplar = new Uint8Array(n);
  // The last `convergenceIter` exemplar flags of each row, and how many of them are set.
  const history = new Uint8Array(n * convergenceIter);
  const setCount = new Int32Array(n);
  const pacer = new Pacer();
  let iteration = 0;
  let converged = false;

  for (; iteration < maxIter; iteration++) {
    // Responsibilities: r(i,k) ← s(i,k) − max_{k'≠k} (a(i,k') + s(i,k')), damped; the column
    // sums of max(r, 0) (r(k,k) itself on the diagonal) are gathered on the way.
    columnSums.fill(0);
    for (let i = 0; i < n; i++) {
      const row = i * n;
      let first = -Infinity;
      let second = -Infinity;
      let best = 0;
      for (let k = 0; k < n; k++) {
        const v = a[row + k]! + s[row + k]!;
        if (v > first) {
          second = first;
          first = v;
          best = k;
        } else if (v > second) {
          second = v;
        }
      }
      for (let k = 0; k < n; k++) {
        const fresh = s[row + k]! - (k === best ? second : first);
        const value = r[row + k]! * damping + fresh * keep;
        r[row + k] = value;
        columnSums[k]! += k === i || value > 0 ? value : 0;
      }
    }
    // Availabilities: a(i,k) ← min(0, r(k,k) + Σ_{i'∉{i,k}} max(0, r(i',k))) off the diagonal,
    // a(k,k) ← Σ_{i'≠k} max(0, r(i',k)); damped.
    for (let i = 0; i < n; i++) {
      const row = i * n;
      for (let k = 0; k < n; k++) {
        const rik = r[row + k]!;
        let t: number;
        if (k === i) {
          t = rik - columnSums[k]!;
        } else {
          t = (rik > 0 ? rik : 0) - columnSums[k]!;
          if (t < 0) t = 0;
        }
        a[row + k] = a[row + k]! * damping - t * keep;
      }
    }
    // Convergence: every row's exemplar flag constant over the last convergenceIter iterations.
    const slot = iteration % convergenceIter;
    let exemplars = 0;
    for (let k = 0; k < n; k++) {
      const flag = a[k * n + k]! + r[k * n + k]! > 0 ? 1 : 0;
      isExemplar[k] = flag;
      exemplars += flag;
      setCount[k]! += flag - history[k * convergenceIter + slot]!;
      history[k * convergenceIter + slot] = flag;
    }
    onIteration?.({ iteration: iteration + 1, maxIter, exemplars });
    if (iteration >= convergenceIter && exemplars > 0) {
      let settled = 0;
      for (let k = 0; k < n; k++) if (setCount[k] === 0 || setCount[k] === convergenceIter) settled++;
      if (settled === n) {
        converged = true;
        break;
      }
    }
    if (pacer.due(0)) await pacer.pause();
  }
  return { isExemplar, iterations: converged ? iteration + 1 : maxIter, converged };
}

/**
 * scikit-learn's final assignment: each row to its most similar exemplar, each exemplar
 * replaced by the member with the largest summed similarity to its cluster, rows assigned
 * again; clusters numbered by exemplar row.
 */
function assign(s: Float64Array, n: number, isExemplar: Uint8Array): { labels: Int32Array; exemplars: Int32Array } {
  const centres: number[] = [];
  for (let k = 0; k < n; k++) if (isExemplar[k]) centres.push(k);
  if (centres.length === 0) return { labels: new Int32Array(n).fill(-1), exemplars: new Int32Array(0) };
  let cluster = nearestExemplar(s, n, centres);
  for (let c = 0; c < centres.length; c++) {
    const members: number[] = [];
    for (let i = 0; i < n; i++) if (cluster[i] === c) members.push(i);
    let best = -Infinity;
    for (const q of members) {
      let sum = 0;
      for (const p of members) sum += s[p * n + q]!;
      if (sum > best) {
        best = sum;
        centres[c] = q;
      }
    }
  }
  cluster = nearestExemplar(s, n, centres);
  const chosen = Array.from(cluster, (c) => centres[c]!);
  const exemplars = Int32Array.from(new Set(chosen)).sort();
  const index = new Map(Array.from(exemplars, (row, c) => [row, c]));
  return { labels: Int32Array.from(chosen, (row) => index.get(row)!), exemplars };
}

/** Index (into `centres`) of the most similar centre of each row (first on ties); a centre is its own. */
function nearestExemplar(s: Float64Array, n: number, centres: number[]): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = -Infinity;
    for (let c = 0; c < centres.length; c++) {
      const v = s[i * n + centres[c]!]!;
      if (v > best) {
        best = v;
        out[i] = c;
      }
    }
  }
  centres.forEach((row, c) => (out[row] = c));
  return out;
}
