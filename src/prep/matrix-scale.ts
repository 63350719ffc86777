import { requireChoice } from '../algorithms/validate.js';
import { optionError } from '../errors.js';
import { Matrix, MatrixBuilder } from '../matrix.js';
import {
  checkScaleSettings,
  minmaxScale,
  Moments,
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
    for (let row = 0; row < data.length; row += d) {
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
      column.sort(); // float32 values: quantiles computed from them in float64
      return robustScale(column, settings);
    });
  }
  const moments = columnMoments(x, method === 'minmax');
  return moments.map((m) => (method === 'standard' ? standardScale(m) : minmaxScale(m, settings)));
}

/**
 * Count, mean, M2 and (withRange) min and max of every column of a (finite) matrix, chunk by chunk: two
 * row-major passes per chunk (sums, then squared deviations with the two-pass correction),
 * merged across chunks like Moments.add.
 */
export function columnMoments(x: Matrix, withRange = true): Moments[] {
  const d = x.cols;
  const moments = Array.from({ length: d }, () => new Moments());
  const sum = new Float64Array(d);
  const min = new Float64Array(d);
  const max = new Float64Array(d);
  const m2 = new Float64Array(d);
  const correction = new Float64Array(d);
  for (const chunk of x.chunks) {
    const { data, rows } = chunk;
    sum.fill(0);
    m2.fill(0);
    correction.fill(0);
    min.fill(Infinity);
    max.fill(-Infinity);
    if (withRange) {
      for (let offset = 0; offset < data.length; offset += d) {
        for (let j = 0; j < d; j++) {
          const v = data[offset + j]!;
          sum[j]! += v;
          if (v < min[j]!) min[j] = v;
          if (v > max[j]!) max[j] = v;
        }
      }
    } else {
      for (let offset = 0; offset < data.length; offset += d) {
        for (let j = 0; j < d; j++) sum[j]! += data[offset + j]!;
      }
    }
    for (let j = 0; j < d; j++) sum[j]! /= rows; // now the chunk's means
    for (let offset = 0; offset < data.length; offset += d) {
      for (let j = 0; j < d; j++) {
        const diff = data[offset + j]! - sum[j]!;
        m2[j]! += diff * diff;
        correction[j]! += diff;
      }
    }
    for (let j = 0; j < d; j++) {
      const m = moments[j]!;
      m.merge(rows, sum[j]!, Math.max(0, m2[j]! - (correction[j]! * correction[j]!) / rows));
      m.min = Math.min(m.min, min[j]!);
      m.max = Math.max(m.max, max[j]!);
    }
  }
  return moments;
}
