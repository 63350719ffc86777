import { requireChoice } from '../algorithms/validate.js';
import type { Backend } from '../backends/backend.js';
import { optionError } from '../errors.js';
import { Matrix, MatrixBuilder } from '../matrix.js';
import { columnMeans, sumsOfSquares } from './column-sums.js';
import { gram } from './gram.js';
import { Float32Ranker, isConstantFeature } from './stats.js';

export type CorrelationMethod = 'pearson' | 'spearman';

export const CORRELATION_METHODS: readonly CorrelationMethod[] = ['pearson', 'spearman'];

export interface CorrelationOptions {
  /** 'pearson' (default, NumPy's corrcoef) or 'spearman' (SciPy's spearmanr: Pearson of average ranks). */
  method?: CorrelationMethod;
}

/**
 * The d × d correlation matrix of the columns of `x`. The columns are z-scored on the host
 * (float64) and their Gram matrix computed on the backend (see `gram`), so every entry is an
 * average of products of unit-scale values. A constant column's row and column are NaN (as
 * NumPy's corrcoef gives for it); other diagonal entries are exactly 1 and every entry is
 * clipped to [−1, 1].
 */
export async function correlationMatrix(backend: Backend, x: Matrix, options: CorrelationOptions = {}): Promise<Matrix> {
  if (options === null || typeof options !== 'object') throw optionError('method', 'correlation options must be an object');
  const method = requireChoice('method', options.method ?? 'pearson', CORRELATION_METHODS);
  x.assertFinite();
  const data = method === 'spearman' ? rankColumns(x) : x;
  const d = data.cols;
  const n = data.rows;
  const mean = columnMeans(data);
  const squares = sumsOfSquares(data, mean);
  const constant = new Uint8Array(d);
  const factor = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    constant[j] = isConstantFeature(squares[j]! / n, mean[j]!, n) ? 1 : 0;
    factor[j] = constant[j] ? 0 : 1 / Math.sqrt(squares[j]!);
  }
  const g = await gram(backend, data, mean, factor);
  const out = new Float32Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      out[i * d + j] = constant[i] || constant[j] ? NaN : i === j ? 1 : Math.min(1, Math.max(-1, g[i * d + j]!));
    }
  }
  return new Matrix(d, d, [{ rowStart: 0, rows: d, data: out }], x.columnNames);
}

/** Each column replaced by its average ranks (exact in float32 up to 2²³ rows). */
function rankColumns(x: Matrix): Matrix {
  const d = x.cols;
  const n = x.rows;
  // Column-major first: reading a column out of row-major data touches every cache line.
  const columns = new Float32Array(n * d);
  for (const chunk of x.chunks) {
    const { data, rowStart } = chunk;
    for (let r = 0; r < chunk.rows; r++) {
      for (let j = 0; j < d; j++) columns[j * n + rowStart + r] = data[r * d + j]!;
    }
  }
  const ranks = new Float32Array(n * d);
  const column = new Float64Array(n);
  const ranker = new Float32Ranker(n);
  for (let j = 0; j < d; j++) {
    ranker.rank(columns, j * n, 1, column);
    for (let i = 0; i < n; i++) ranks[i * d + j] = column[i]!;
  }
  const builder = new MatrixBuilder(d, x.columnNames);
  builder.appendRows(ranks);
  return builder.build({ finite: true });
}
