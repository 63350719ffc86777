import type { Metric } from '../backend.js';
import type { Matrix } from '../../matrix.js';

/** Calls fn(chunkData, offsetOfRow, rowIndex) for every row, walking the chunks. */
export function forEachRow(m: Matrix, fn: (data: Float32Array, offset: number, row: number) => void): void {
  for (const chunk of m.chunks) {
    for (let r = 0; r < chunk.rows; r++) fn(chunk.data, r * m.cols, chunk.rowStart + r);
  }
}

export function squaredDistance(a: Float32Array, aOffset: number, b: Float32Array, bOffset: number, d: number): number {
  let sum = 0;
  for (let j = 0; j < d; j++) {
    const diff = a[aOffset + j]! - b[bOffset + j]!;
    sum += diff * diff;
  }
  return sum;
}

export function dot(a: Float32Array, aOffset: number, b: Float32Array, bOffset: number, d: number): number {
  let sum = 0;
  for (let j = 0; j < d; j++) sum += a[aOffset + j]! * b[bOffset + j]!;
  return sum;
}

export function rowNorms(m: Matrix): Float64Array {
  const norms = new Float64Array(m.rows);
  forEachRow(m, (data, offset, i) => {
    norms[i] = Math.sqrt(dot(data, offset, data, offset, m.cols));
  });
  return norms;
}

/** Cosine similarity; a zero vector is similar to nothing (0), as in scikit-learn. */
export function cosineSimilarity(row: Float32Array, data: Float32Array, offset: number, rowNorm: number, otherNorm: number): number {
  if (rowNorm === 0 || otherNorm === 0) return 0;
  return dot(row, 0, data, offset, row.length) / (rowNorm * otherNorm);
}

export function metricValue(metric: Metric, row: Float32Array, data: Float32Array, offset: number, rowNorm: number, otherNorm: number): number {
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
export function lowerBound(sorted: Float64Array, target: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
