import type { Backend, DeviceMatrix, Metric } from '../backends/backend.js';
import { inputError, optionError } from '../errors.js';
import { Matrix, type MatrixChunk } from '../matrix.js';
import { rowBlocks } from './blocks.js';
import { requireChoice, requireInteger } from './validate.js';

export const METRICS: readonly Metric[] = ['sqeuclidean', 'euclidean', 'cosine', 'dot'];

export interface DistanceOptions {
  /** Default 'euclidean'. 'dot' is the inner product (a similarity, larger is nearer). */
  metric?: Metric;
}

export interface KnnOptions extends DistanceOptions {
  k: number;
}

export interface KnnResult {
  /** rows(A) × k indices into B, nearest first. */
  indices: Int32Array;
  /** rows(A) × k metric values, in the same order. */
  distances: Float32Array;
  k: number;
}

function checkSameWidth(a: DeviceMatrix, b: DeviceMatrix): void {
  if (a.cols !== b.cols) throw inputError(`A has ${a.cols} columns and B has ${b.cols}; they must match`);
}

/** The rows(A) × rows(B) matrix of `metric` values, built block by block. */
export async function pairwiseDistances(backend: Backend, a: DeviceMatrix, b: DeviceMatrix, options: DistanceOptions = {}): Promise<Matrix> {
  const metric = requireChoice('metric', options.metric ?? 'euclidean', METRICS);
  checkSameWidth(a, b);
  const chunks: MatrixChunk[] = [];
  for (const [start, end] of rowBlocks(a.rows, b.rows)) {
    chunks.push({ rowStart: start, rows: end - start, data: await backend.distances(a, b, metric, start, end) });
  }
  return new Matrix(a.rows, b.rows, chunks);
}

/** The k nearest rows of B for every row of A. */
export async function knn(backend: Backend, a: DeviceMatrix, b: DeviceMatrix, options: KnnOptions): Promise<KnnResult> {
  if (options === null || typeof options !== 'object') throw optionError('k', 'knn needs options with at least { k }');
  const metric = requireChoice('metric', options.metric ?? 'euclidean', METRICS);
  const k = requireInteger('k', options.k, 1);
  if (k > b.rows) throw optionError('k', `k = ${k} is more than the ${b.rows} rows to search`);
  checkSameWidth(a, b);
  const indices = new Int32Array(a.rows * k);
  const distances = new Float32Array(a.rows * k);
  for (const [start, end] of rowBlocks(a.rows, Math.max(k, b.rows))) {
    const part = await backend.knn(a, b, k, metric, start, end);
    indices.set(part.indices, start * k);
    distances.set(part.distances, start * k);
  }
  return { indices, distances, k };
}
