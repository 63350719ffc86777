import type { Matrix } from '../../matrix.js';
import {
  uploadWhenRead,
  type Backend,
  type DeviceMatrix,
  type KnnResult,
  type LloydOptions,
  type LloydSession,
  type MatrixUpload,
  type Metric,
  type SeedingState,
  type SimilarityResult,
} from '../backend.js';
import { cosineSimilarity, dot, forEachRow, metricValue, rowNorms, squaredDistance } from './kernels.js';
import { JsLloyd } from './lloyd.js';
import { JsSeeding } from './seeding.js';
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

  startUpload(): MatrixUpload {
    return uploadWhenRead(this);
  }

  async startLloyd(x: DeviceMatrix, k: number, options: LloydOptions): Promise<LloydSession> {
    // Bounds cost one distance per row plus bookkeeping; with very few centroids that is most
    // of a full search.
    return new JsLloyd(x.host, k, options.bounds === 'auto' ? k >= 4 : options.bounds);
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

  /** The exact 'dot' products (the reference: well within the bound). */
  innerProducts(a: DeviceMatrix, b: DeviceMatrix, start: number, end: number): Promise<Float32Array> {
    return this.distances(a, b, 'dot', start, end);
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
