import type { Matrix } from '../../matrix.js';
import { checkRows, stepResult, type LloydSession, type RowStepTotals, type StepOptions, type StepResult, type StepTotals } from '../backend.js';
import { squaredDistance } from './kernels.js';

/**
 * A skip must be proven with this relative margin to spare, so that rounding in the bounds can
 * never keep a label that a full search would change.
 */
const BOUND_MARGIN = 1e-9;

/**
 * Assignment steps; with `bounds`, Hamerly's algorithm (Hamerly 2010): per row a lower bound on
 * the distance to the second-closest centroid. A row whose distance to its centroid is below
 * both that bound and half the distance from its centroid to the nearest other centroid cannot
 * change label, so only that one distance is computed instead of k.
 */
export class JsLloyd implements LloydSession {
  /** Each row's label, kept between steps (the bounds keep labels). */
  private readonly assigned: Int32Array;
  private readonly lower: Float64Array | undefined;
  private previous: Float32Array | undefined;
  private steps = 0;

  constructor(
    private readonly x: Matrix,
    private readonly k: number,
    bounds: boolean,
  ) {
    this.assigned = new Int32Array(x.rows);
    this.lower = bounds ? new Float64Array(x.rows) : undefined;
  }

  async step<O extends StepOptions>(centroids: Float32Array, options: O): Promise<StepResult<O>> {
    const { x, k, assigned: labels, lower } = this;
    const d = x.cols;
    const sums = options.accumulate ? new Float64Array(k * d) : undefined;
    const counts = options.accumulate ? new Float64Array(k) : undefined;
    const clusterInertia = options.accumulate ? new Float64Array(k) : undefined;
    const pruning = lower && this.previous ? pruningBounds(this.previous, centroids, k, d) : undefined;
    let inertia = 0;
    let evaluations = 0;
    let changed = 0;
    const found = new Float64Array(2);
    for (const chunk of x.chunks) {
      const data = chunk.data;
      for (let r = 0; r < chunk.rows; r++) {
        const i = chunk.rowStart + r;
        const offset = r * d;
        let nearest = -1; // squared distance to labels[i] when the bounds keep it
        if (pruning && lower) {
          const label = labels[i]!;
          lower[i]! -= label === pruning.fastest ? pruning.secondMove : pruning.firstMove;
          // The inertia needs the exact distance to the current centroid anyway, so Hamerly's
          // upper bound is always tight here.
          const distance = squaredDistance(data, offset, centroids, label * d, d);
          evaluations++;
          const upper = Math.sqrt(distance) * (1 + BOUND_MARGIN);
          if (upper < Math.max(pruning.halfGap[label]!, lower[i]!) * (1 - BOUND_MARGIN)) nearest = distance;
        }
        if (nearest < 0) {
          const best = search(data, offset, centroids, k, d, found);
          evaluations += k;
          if (labels[i] !== best) changed++;
          labels[i] = best;
          nearest = found[0]!;
          if (lower) lower[i] = Math.sqrt(found[1]!) * (1 - BOUND_MARGIN);
        }
        inertia += nearest;
        if (sums && counts && clusterInertia) {
          const base = labels[i]! * d;
          for (let j = 0; j < d; j++) sums[base + j]! += data[offset + j]!;
          counts[labels[i]!]! += 1;
          clusterInertia[labels[i]!]! += nearest;
        }
      }
    }
    if (lower) this.previous = Float32Array.from(centroids);
    // The first step has no labels before it: every row counts as changed.
    const totals: StepTotals = { inertia, changed: this.steps++ === 0 ? x.rows : changed, distanceEvaluations: evaluations };
    if (sums && counts) Object.assign(totals, { sums, counts, clusterInertia });
    return stepResult(options, totals, () => labels.slice());
  }

  async stepRows(centroids: Float32Array, rows: Int32Array): Promise<RowStepTotals> {
    if (this.lower) throw new Error('stepRows: this session keeps bounds; start it with bounds: false');
    const { x, k } = this;
    checkRows(rows, x.rows);
    const d = x.cols;
    const sums = new Float64Array(k * d);
    const counts = new Float64Array(k);
    const clusterInertia = new Float64Array(k);
    const found = new Float64Array(2);
    let inertia = 0;
    for (const i of rows) {
      const chunk = x.chunkOf(i);
      const offset = (i - chunk.rowStart) * d;
      const best = search(chunk.data, offset, centroids, k, d, found);
      inertia += found[0]!;
      for (let j = 0; j < d; j++) sums[best * d + j]! += chunk.data[offset + j]!;
      counts[best]! += 1;
      clusterInertia[best]! += found[0]!;
    }
    return { inertia, sums, counts, clusterInertia, distanceEvaluations: rows.length * k };
  }

  async labels(): Promise<Int32Array> {
    if (this.steps === 0) throw new Error('labels(): no step has run in this session');
    return this.assigned.slice();
  }

  dispose(): void {}
}

/**
 * The nearest of the k centroids to the row at `offset` of `data` (the lowest index wins a
 * tie); `found` receives the squared distances to the nearest and the second nearest.
 */
function search(data: Float32Array, offset: number, centroids: Float32Array, k: number, d: number, found: Float64Array): number {
  let best = 0;
  let first = Infinity;
  let second = Infinity;
  for (let c = 0; c < k; c++) {
    const distance = squaredDistance(data, offset, centroids, c * d, d);
    if (distance < first) {
      second = first;
      first = distance;
      best = c;
    } else if (distance < second) {
      second = distance;
    }
  }
  found[0] = first;
  found[1] = second;
  return best;
}

/**
 * How far each centroid moved (a row's lower bound shrinks by the largest move among the other
 * centroids), and half the distance from each centroid to its nearest other centroid. Float64;
 * shared with the wasm backend so both prune with exactly the same bounds.
 */
export function pruningBounds(previous: Float32Array, centroids: Float32Array, k: number, d: number) {
  let fastest = 0;
  let firstMove = 0;
  let secondMove = 0;
  for (let c = 0; c < k; c++) {
    const move = Math.sqrt(squaredDistance(previous, c * d, centroids, c * d, d)) * (1 + BOUND_MARGIN);
    if (move > firstMove) {
      secondMove = firstMove;
      firstMove = move;
      fastest = c;
    } else if (move > secondMove) {
      secondMove = move;
    }
  }
  const halfGap = new Float64Array(k).fill(Infinity);
  for (let a = 0; a < k; a++) {
    for (let b = a + 1; b < k; b++) {
      const half = Math.sqrt(squaredDistance(centroids, a * d, centroids, b * d, d)) / 2;
      halfGap[a] = Math.min(halfGap[a]!, half);
      halfGap[b] = Math.min(halfGap[b]!, half);
    }
  }
  return { fastest, firstMove, secondMove, halfGap };
}
