import type { Matrix } from '../../matrix.js';
import type {
  AssignOptions,
  AssignResult,
  Backend,
  DeviceMatrix,
  KnnResult,
  Metric,
  SeedingState,
  SimilarityResult,
} from '../backend.js';
import { TopK } from './topk.js';

/**
 * The reference backend: plain TypeScript, float64 arithmetic on float32 data, distances as
 * Σ (x − c)² (no ‖x‖² − 2x·c + ‖c‖² cancellation). Slow and simple on purpose; every other
 * backend is tested against it.
 */
export class JsBackend implements Backend {
  readonly name = 'js' as const;
  readonly description = 'js: plain TypeScript reference (float64 arithmetic, one thread)';

  async upload(matrix: Matrix): Promise<DeviceMatrix> {
    return { rows: matrix.rows, cols: matrix.cols, host: matrix, dispose() {} };
  }

  async assign(x: DeviceMatrix, centroids: Float32Array, k: number, options: AssignOptions): Promise<AssignResult> {
    const d = x.cols;
    const labels = new Int32Array(x.rows);
    const sums = options.accumulate ? new Float64Array(k * d) : undefined;
    const counts = options.accumulate ? new Float64Array(k) : undefined;
    let inertia = 0;
    for (const chunk of x.host.chunks) {
      const data = chunk.data;
      for (let r = 0; r < chunk.rows; r++) {
        const offset = r * d;
        let best = 0;
        let bestDistance = Infinity;
        for (let c = 0; c < k; c++) {
          const distance = squaredDistance(data, offset, centroids, c * d, d);
          if (distance < bestDistance) {
            bestDistance = distance;
            best = c;
          }
        }
        labels[chunk.rowStart + r] = best;
        inertia += bestDistance;
        if (sums && counts) {
          const base = best * d;
          for (let j = 0; j < d; j++) sums[base + j]! += data[offset + j]!;
          counts[best]! += 1;
        }
      }
    }
    return sums && counts ? { labels, inertia, sums, counts } : { labels, inertia };
  }

  async startSeeding(x: DeviceMatrix, firstRow: number): Promise<SeedingState> {
    return new JsSeeding(x.host, firstRow);
  }

  async clusterDistanceSums(x: DeviceMatrix, labels: Int32Array, k: number, start: number, end: number): Promise<Float64Array> {
    const d = x.cols;
    const out = new Float64Array((end - start) * k);
    for (let i = start; i < end; i++) {
      const a = x.host.row(i);
      const base = (i - start) * k;
      for (const chunk of x.host.chunks) {
        for (let r = 0; r < chunk.rows; r++) {
          out[base + labels[chunk.rowStart + r]!]! += Math.sqrt(squaredDistance(chunk.data, r * d, a, 0, d));
        }
      }
    }
    return out;
  }

  async distances(a: DeviceMatrix, b: DeviceMatrix, metric: Metric, start: number, end: number): Promise<Float32Array> {
    const out = new Float32Array((end - start) * b.rows);
    const bNorms = metric === 'cosine' ? rowNorms(b.host) : undefined;
    for (let i = start; i < end; i++) {
      const row = a.host.row(i);
      const rowNorm = metric === 'cosine' ? Math.sqrt(dot(row, 0, row, 0, row.length)) : 0;
      forEachRow(b.host, (data, offset, j) => {
        out[(i - start) * b.rows + j] = metricValue(metric, row, data, offset, rowNorm, bNorms?.[j] ?? 0);
      });
    }
    return out;
  }

  async knn(a: DeviceMatrix, b: DeviceMatrix, k: number, metric: Metric, start: number, end: number): Promise<KnnResult> {
    const indices = new Int32Array((end - start) * k);
    const distances = new Float32Array((end - start) * k);
    const bNorms = metric === 'cosine' ? rowNorms(b.host) : undefined;
    // TopK keeps the smallest keys; the inner product ranks by largest value, so negate it.
    const sign = metric === 'dot' ? -1 : 1;
    const top = new TopK(k);
    for (let i = start; i < end; i++) {
      const row = a.host.row(i);
      const rowNorm = metric === 'cosine' ? Math.sqrt(dot(row, 0, row, 0, row.length)) : 0;
      top.clear();
      forEachRow(b.host, (data, offset, j) => {
        top.push(sign * metricValue(metric, row, data, offset, rowNorm, bNorms?.[j] ?? 0), j);
      });
      top.writeSorted(indices, distances, (i - start) * k, sign);
    }
    return { indices, distances };
  }

  async similarity(
    images: DeviceMatrix,
    texts: DeviceMatrix,
    logitScale: number,
    softmax: boolean,
    start: number,
    end: number,
  ): Promise<SimilarityResult> {
    const t = texts.rows;
    const textNorms = rowNorms(texts.host);
    const scores = new Float32Array((end - start) * t);
    const labels = new Int32Array(end - start);
    const logits = new Float64Array(t);
    for (let i = start; i < end; i++) {
      const row = images.host.row(i);
      const rowNorm = Math.sqrt(dot(row, 0, row, 0, row.length));
      let best = 0;
      forEachRow(texts.host, (data, offset, j) => {
        logits[j] = logitScale * cosineSimilarity(row, data, offset, rowNorm, textNorms[j]!);
        if (logits[j]! > logits[best]!) best = j;
      });
      labels[i - start] = best;
      const out = scores.subarray((i - start) * t, (i - start + 1) * t);
      if (softmax) {
        // Subtracting the largest logit keeps exp() finite at logitScale = 100.
        let total = 0;
        for (let j = 0; j < t; j++) total += Math.exp(logits[j]! - logits[best]!);
        for (let j = 0; j < t; j++) out[j] = Math.exp(logits[j]! - logits[best]!) / total;
      } else {
        out.set(logits);
      }
    }
    return { scores, labels };
  }

  dispose(): void {}
}

class JsSeeding implements SeedingState {
  private readonly x: Matrix;
  private closest: Float64Array;
  private cumulative: Float64Array | undefined;
  private trials: Float64Array[] = [];
  potential: number;

  constructor(x: Matrix, firstRow: number) {
    this.x = x;
    this.closest = new Float64Array(x.rows);
    this.potential = this.distancesTo(firstRow, undefined, this.closest);
  }

  async sample(targets: Float64Array): Promise<Int32Array> {
    if (!this.cumulative) {
      this.cumulative = new Float64Array(this.closest.length);
      let running = 0;
      for (let i = 0; i < this.closest.length; i++) this.cumulative[i] = running += this.closest[i]!;
    }
    const cumulative = this.cumulative;
    return Int32Array.from(targets, (target) => Math.min(lowerBound(cumulative, target), cumulative.length - 1));
  }

  async trial(candidateRows: Int32Array): Promise<Float64Array> {
    this.trials = Array.from(candidateRows, () => new Float64Array(this.x.rows));
    return Float64Array.from(candidateRows, (row, c) => this.distancesTo(row, this.closest, this.trials[c]!));
  }

  async commit(index: number): Promise<void> {
    const chosen = this.trials[index];
    if (!chosen) throw new RangeError(`commit: no trial candidate ${index}`);
    this.closest = chosen;
    this.potential = chosen.reduce((a, b) => a + b, 0);
    this.cumulative = undefined;
    this.trials = [];
  }

  dispose(): void {
    this.trials = [];
  }

  /** out[i] = min(bound[i], ‖x_i − x_row‖²); returns Σ out. */
  private distancesTo(row: number, bound: Float64Array | undefined, out: Float64Array): number {
    const centre = this.x.row(row);
    let total = 0;
    forEachRow(this.x, (data, offset, i) => {
      const distance = squaredDistance(data, offset, centre, 0, centre.length);
      out[i] = bound ? Math.min(bound[i]!, distance) : distance;
      total += out[i]!;
    });
    return total;
  }
}

/** Calls fn(chunkData, offsetOfRow, rowIndex) for every row, walking the chunks. */
function forEachRow(m: Matrix, fn: (data: Float32Array, offset: number, row: number) => void): void {
  for (const chunk of m.chunks) {
    for (let r = 0; r < chunk.rows; r++) fn(chunk.data, r * m.cols, chunk.rowStart + r);
  }
}

function squaredDistance(a: Float32Array, aOffset: number, b: Float32Array, bOffset: number, d: number): number {
  let sum = 0;
  for (let j = 0; j < d; j++) {
    const diff = a[aOffset + j]! - b[bOffset + j]!;
    sum += diff * diff;
  }
  return sum;
}

function dot(a: Float32Array, aOffset: number, b: Float32Array, bOffset: number, d: number): number {
  let sum = 0;
  for (let j = 0; j < d; j++) sum += a[aOffset + j]! * b[bOffset + j]!;
  return sum;
}

function rowNorms(m: Matrix): Float64Array {
  const norms = new Float64Array(m.rows);
  forEachRow(m, (data, offset, i) => {
    norms[i] = Math.sqrt(dot(data, offset, data, offset, m.cols));
  });
  return norms;
}

/** Cosine similarity; a zero vector is similar to nothing (0), as in scikit-learn. */
function cosineSimilarity(row: Float32Array, data: Float32Array, offset: number, rowNorm: number, otherNorm: number): number {
  if (rowNorm === 0 || otherNorm === 0) return 0;
  return dot(row, 0, data, offset, row.length) / (rowNorm * otherNorm);
}

function metricValue(metric: Metric, row: Float32Array, data: Float32Array, offset: number, rowNorm: number, otherNorm: number): number {
  switch (metric) {
    case 'sqeuclidean':
      return squaredDistance(row, 0, data, offset, row.length);
    case 'euclidean':
      return Math.sqrt(squaredDistance(row, 0, data, offset, row.length));
    case 'cosine':
      return Math.min(2, Math.max(0, 1 - cosineSimilarity(row, data, offset, rowNorm, otherNorm)));
    case 'dot':
      return dot(row, 0, data, offset, row.length);
  }
}

/** First index i with sorted[i] >= target (sorted.length when none). */
function lowerBound(sorted: Float64Array, target: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
