import { requireChoice } from '../algorithms/validate.js';
import { optionError } from '../errors.js';
import { Matrix, MatrixBuilder } from '../matrix.js';
import { addColumnSums, addDeviations } from './column-sums.js';
import {
  checkScaleSettings,
  minmaxScale,
  Moments,
  RankedValues,
  robustScale,
  SCALE_METHODS,
  standardScale,
  type ColumnScale,
  type ScaleMethod,
  type ScaleSettings,
} from './stats.js';

export interface MatrixScaling {
  matrix: Matrix;
  /** Per column: x′ = (x − center) / scale + offset. */
  center: Float64Array;
  scale: Float64Array;
  offset: Float64Array;
}

/**
 * Scales every column of a matrix as scikit-learn's StandardScaler ('standard'), MinMaxScaler
 * ('minmax') or RobustScaler ('robust') would (see ColumnScale for the formulas); statistics in
 * float64, the result float32.
 */
export function scaleMatrix(x: Matrix, method: ScaleMethod, settings: ScaleSettings = {}): MatrixScaling {
  requireChoice('scale', method, SCALE_METHODS);
  checkScaleSettings(settings, optionError);
  const scales = matrixScales(x, method, settings);
  const d = x.cols;
  const center = Float64Array.from(scales, (s) => s.center);
  const scale = Float64Array.from(scales, (s) => s.scale);
  const offset = Float64Array.from(scales, (s) => s.offset);
  // The result is float32: multiplying by 1 / scale instead of dividing changes nothing there.
  const inverse = Float64Array.from(scale, (v) => 1 / v);
  const builder = new MatrixBuilder(d, x.columnNames);
  for (const chunk of x.chunks) {
    const out = builder.reserveRows(chunk.rows);
    const { data } = chunk;
    // Four rows per visit of a column's three constants (written out: not a tuning knob).
    let row = 0;
    for (const end = data.length - 4 * d; row <= end; row += 4 * d) {
      for (let j = 0, at = row; j < d; j++, at++) {
        const c = center[j]!;
        const f = inverse[j]!;
        const o = offset[j]!;
        out[at] = (data[at]! - c) * f + o;
        out[at + d] = (data[at + d]! - c) * f + o;
        out[at + 2 * d] = (data[at + 2 * d]! - c) * f + o;
        out[at + 3 * d] = (data[at + 3 * d]! - c) * f + o;
      }
    }
    for (; row < data.length; row += d) {
      for (let j = 0; j < d; j++) out[row + j] = (data[row + j]! - center[j]!) * inverse[j]! + offset[j]!;
    }
  }
  return { matrix: builder.build(), center, scale, offset };
}

function matrixScales(x: Matrix, method: ScaleMethod, settings: ScaleSettings): ColumnScale[] {
  const d = x.cols;
  if (method === 'robust') {
    const column = new Float32Array(x.rows);
    return Array.from({ length: d }, (_, j) => {
      for (const chunk of x.chunks) {
        const { data, rowStart } = chunk;
        for (let r = 0; r < chunk.rows; r++) column[rowStart + r] = data[r * d + j]!;
      }
      return robustScale(new RankedValues(column), settings); // float32 values: quantiles in float64
    });
  }
  const moments = columnMoments(x, method === 'minmax');
  return moments.map((m) => (method === 'standard' ? standardScale(m) : minmaxScale(m, settings)));
}

/**
 * Count, mean, M2 and (withRange) min and max of every column of a (finite) matrix, chunk by
 * chunk: the chunk's means, then its squared deviations with the two-pass correction (see
 * column-sums.ts), merged across chunks like Moments.add.
 */
export function columnMoments(x: Matrix, withRange = true): Moments[] {
  const d = x.cols;
  const moments = Array.from({ length: d }, () => new Moments());
  const mean = new Float64Array(d);
  const m2 = new Float64Array(d);
  const correction = new Float64Array(d);
  const min = new Float64Array(d);
  const max = new Float64Array(d);
  for (const chunk of x.chunks) {
    const { data, rows } = chunk;
    mean.fill(0);
    m2.fill(0);
    correction.fill(0);
    addColumnSums(data, d, mean);
    for (let j = 0; j < d; j++) mean[j]! /= rows;
    addDeviations(data, d, mean, m2, correction);
    if (withRange) columnRange(data, d, min, max);
    for (let j = 0; j < d; j++) {
      const m = moments[j]!;
      m.merge(rows, mean[j]!, Math.max(0, m2[j]! - (correction[j]! * correction[j]!) / rows));
      if (withRange) {
        m.min = Math.min(m.min, min[j]!);
        m.max = Math.max(m.max, max[j]!);
      }
    }
  }
  return moments;
}

/** Each column's smallest and largest value over the rows of `data` (d values per row). */
function columnRange(data: Float32Array, d: number, min: Float64Array, max: Float64Array): void {
  min.fill(Infinity);
  max.fill(-Infinity);
  for (let offset = 0; offset < data.length; offset += d) {
    for (let j = 0; j < d; j++) {
      const v = data[offset + j]!;
      if (v < min[j]!) min[j] = v;
      if (v > max[j]!) max[j] = v;
    }
  }
}
