import { describe, expect, it } from 'vitest';
import { Matrix, MatrixBuilder } from '../src/matrix.js';
import { columnMeans, sumsOfSquares } from '../src/prep/column-sums.js';
import { columnMoments, scaleMatrix } from '../src/prep/matrix-scale.js';
import { Moments } from '../src/prep/stats.js';
import { Rng } from '../src/rng.js';

/** A matrix of `rowsPerChunk` rows per chunk (the last one shorter), values drawn from `seed`. */
function chunkedMatrix(rows: number, cols: number, rowsPerChunk: number, seed: number, names?: string[]): Matrix {
  const rng = new Rng(seed);
  const chunks = [];
  for (let rowStart = 0; rowStart < rows; rowStart += rowsPerChunk) {
    const n = Math.min(rowsPerChunk, rows - rowStart);
    chunks.push({ rowStart, rows: n, data: Float32Array.from({ length: n * cols }, () => 100 + 10 * (rng.nextFloat() - 0.5)) });
  }
  return new Matrix(rows, cols, chunks, names);
}

describe('Matrix.assertFinite', () => {
  // 7 rows × 3 columns in chunks of 3 rows: chunk lengths 9, 9 and 3 values, so positions fall
  // inside the four-value groups of the fast check and in each chunk's tail.
  const rows = 7;
  const cols = 3;
  it.each([NaN, Infinity, -Infinity])('names the row and column of %s at every position', (bad) => {
    for (let at = 0; at < rows * cols; at++) {
      const x = chunkedMatrix(rows, cols, 3, at, ['a', 'b', 'c']);
      const row = Math.floor(at / cols);
      const chunk = x.chunkOf(row);
      chunk.data[(row - chunk.rowStart) * cols + (at % cols)] = bad;
      expect(() => x.assertFinite()).toThrow(`column "${'abc'[at % cols]}", row ${row + 1}: value is ${bad}`);
    }
  });

  it('passes finite data, including the largest float32 values', () => {
    const x = chunkedMatrix(rows, cols, 3, 1);
    x.chunks[2]!.data[2] = 3.4028234663852886e38;
    x.chunks[0]!.data[1] = -3.4028234663852886e38;
    expect(() => x.assertFinite()).not.toThrow();
  });
});

describe('column statistics (four rows per visit)', () => {
  it('match a row-by-row float64 sum for every chunk length', () => {
    // 23 rows of 5 columns in chunks of 1…6 rows: chunks end with 0–3 rows after their last group of four.
    for (let rowsPerChunk = 1; rowsPerChunk <= 6; rowsPerChunk++) {
      const x = chunkedMatrix(23, 5, rowsPerChunk, rowsPerChunk);
      const mean = new Float64Array(5);
      for (let i = 0; i < x.rows; i++) x.row(i).forEach((v, j) => (mean[j]! += v));
      mean.forEach((s, j) => (mean[j] = s / x.rows));
      const squares = new Float64Array(5);
      for (let i = 0; i < x.rows; i++) x.row(i).forEach((v, j) => (squares[j]! += (v - mean[j]!) ** 2));
      const means = columnMeans(x);
      const ours = sumsOfSquares(x, mean);
      for (let j = 0; j < 5; j++) {
        expect(means[j]).toBeCloseTo(mean[j]!, 12);
        expect(ours[j]! / squares[j]!).toBeCloseTo(1, 12);
      }
    }
  });

  it('column moments and the scaled matrix agree with a row-by-row reference for every chunk length', () => {
    for (let rowsPerChunk = 1; rowsPerChunk <= 6; rowsPerChunk++) {
      const x = chunkedMatrix(23, 5, rowsPerChunk, 10 + rowsPerChunk);
      const moments = columnMoments(x);
      for (let j = 0; j < 5; j++) {
        const want = new Moments();
        want.add(Float64Array.from({ length: x.rows }, (_, i) => x.row(i)[j]!));
        expect([moments[j]!.count, moments[j]!.min, moments[j]!.max]).toEqual([want.count, want.min, want.max]);
        expect(moments[j]!.mean).toBeCloseTo(want.mean, 12);
        expect(moments[j]!.m2 / want.m2).toBeCloseTo(1, 12);
      }
      for (const method of ['standard', 'minmax'] as const) {
        const { matrix, center, scale, offset } = scaleMatrix(x, method);
        for (let i = 0; i < x.rows; i++) {
          const want = Array.from(x.row(i), (v, j) => Math.fround((v - center[j]!) * (1 / scale[j]!) + offset[j]!));
          expect(Array.from(matrix.row(i))).toEqual(want);
        }
      }
    }
  });
});

describe('MatrixBuilder', () => {
  it('fills whole chunks after the first, and leaves no spare room in a short last chunk', () => {
    const values = Float32Array.from({ length: 3 * 5000 }, (_, i) => i);
    const builder = new MatrixBuilder(3, undefined, 3 * 2048);
    for (let start = 0; start < 5000; start += 100) builder.appendRows(values.subarray(3 * start, 3 * Math.min(5000, start + 100)));
    const m = builder.build();
    expect(m.chunks.map((c) => c.rows)).toEqual([2000, 2000, 1000]);
    expect(m.toFloat32Array()).toEqual(values);
    // 1000 rows in room for 2048: copied out rather than keeping the chunk-sized array alive.
    expect(m.chunks[2]!.data.buffer.byteLength).toBe(1000 * 3 * 4);
  });
});

describe('Matrix.columnArrays', () => {
  it('gives each column of every chunk, in row order', () => {
    const m = chunkedMatrix(1000, 7, 300, 4);
    const columns = m.columnArrays();
    expect(columns).toHaveLength(7);
    for (let j = 0; j < 7; j++) {
      expect(columns[j]).toEqual(Float32Array.from({ length: 1000 }, (_, i) => m.row(i)[j]!));
    }
  });
});
