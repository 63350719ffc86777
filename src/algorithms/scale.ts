import { Matrix, MatrixBuilder } from '../matrix.js';

/**
 * Z-scores every column (population standard deviation, as scikit-learn's StandardScaler);
 * a constant column is centred and left unscaled.
 */
export function standardize(x: Matrix): Matrix {
  const d = x.cols;
  const mean = new Float64Array(d);
  const squares = new Float64Array(d);
  for (const chunk of x.chunks) {
    for (let i = 0; i < chunk.data.length; i++) mean[i % d]! += chunk.data[i]!;
  }
  for (let j = 0; j < d; j++) mean[j]! /= x.rows;
  for (const chunk of x.chunks) {
    for (let i = 0; i < chunk.data.length; i++) squares[i % d]! += (chunk.data[i]! - mean[i % d]!) ** 2;
  }
  const scale = Float64Array.from(squares, (s) => {
    const std = Math.sqrt(s / x.rows);
    return std > 0 ? 1 / std : 1;
  });
  const builder = new MatrixBuilder(d, x.columnNames);
  for (const chunk of x.chunks) {
    const out = builder.reserveRows(chunk.rows);
    for (let i = 0; i < chunk.data.length; i++) out[i] = (chunk.data[i]! - mean[i % d]!) * scale[i % d]!;
  }
  return builder.build();
}
