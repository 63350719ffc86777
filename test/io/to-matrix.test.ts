import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { readMatrix } from '../../src/io/index.js';
import { asyncOf, batchOf, embeddingVector } from './helpers.js';

function table(columns: Record<string, arrow.Vector>): arrow.Table {
  return new arrow.Table(batchOf(columns));
}

const mixed = table({
  name: arrow.vectorFromArray(['a', 'b', 'c'], new arrow.Utf8()),
  f64: arrow.vectorFromArray([0.5, 1.5, 2.5], new arrow.Float64()),
  i8: arrow.vectorFromArray([-1, 2, -3], new arrow.Int8()),
  u16: arrow.vectorFromArray([1, 2, 65_535], new arrow.Uint16()),
  i64: arrow.vectorFromArray([1n, -(2n ** 40n), 3n], new arrow.Int64()),
  u64: arrow.vectorFromArray([7n, 8n, 9n], new arrow.Uint64()),
  f16: arrow.vectorFromArray([0.25, -2, 1024], new arrow.Float16()),
  f32: arrow.vectorFromArray([0.1, 0.2, 0.3], new arrow.Float32()),
});

describe('readMatrix', () => {
  it('uses every numeric column in table order by default', async () => {
    const { matrix, columns } = await readMatrix(mixed);
    expect(columns).toEqual(['f64', 'i8', 'u16', 'i64', 'u64', 'f16', 'f32']);
    expect(matrix.columnNames).toEqual(columns);
    expect([...matrix.row(1)]).toEqual([1.5, 2, 2, -(2 ** 40), 8, -2, Math.fround(0.2)]);
    expect([...matrix.row(2)]).toEqual([2.5, -3, 65_535, 3, 9, 1024, Math.fround(0.3)]);
  });

  it('takes exactly the columns asked for, in that order', async () => {
    const { matrix, columns } = await readMatrix(mixed, { columns: ['i8', 'f64'] });
    expect(columns).toEqual(['i8', 'f64']);
    expect(matrix.toFloat32Array()).toEqual(Float32Array.of(-1, 0.5, 2, 1.5, -3, 2.5));
  });

  it('reads an embedding column from float32 or float64 values', async () => {
    for (const values of [Float32Array.of(1, 2, 3, 4, 5, 6), Float64Array.of(1, 2, 3, 4, 5, 6)]) {
      const input = table({ id: arrow.vectorFromArray(['p', 'q'], new arrow.Utf8()), emb: embeddingVector(values, 3) });
      const { matrix, columns } = await readMatrix(input, { embedding: 'emb' });
      expect(columns).toEqual(['emb']);
      expect(matrix.columnNames).toEqual(['emb[0]', 'emb[1]', 'emb[2]']);
      expect(matrix.toFloat32Array()).toEqual(Float32Array.of(1, 2, 3, 4, 5, 6));
      // With no numeric column, the one embedding column is the default.
      expect((await readMatrix(input)).columns).toEqual(['emb']);
    }
  });

  it('honours the offsets of sliced batches', async () => {
    const rows = 10;
    const source = table({
      x: arrow.vectorFromArray(Array.from({ length: rows }, (_, i) => i), new arrow.Float64()),
      emb: embeddingVector(Float32Array.from({ length: rows * 2 }, (_, i) => i), 2),
    });
    const sliced = source.slice(3, 7);
    expect((await readMatrix(sliced, { columns: ['x'] })).matrix.toFloat32Array()).toEqual(Float32Array.of(3, 4, 5, 6));
    expect((await readMatrix(sliced, { embedding: 'emb' })).matrix.toFloat32Array()).toEqual(
      Float32Array.of(6, 7, 8, 9, 10, 11, 12, 13),
    );
  });

  it('streams sync and async iterables of batches, counting rows across batches', async () => {
    const batches = [0, 1, 2].map((b) =>
      batchOf({ x: arrow.vectorFromArray([b * 2, b * 2 + 1], new arrow.Float32()) }),
    );
    for (const input of [batches, asyncOf(batches)]) {
      const { matrix } = await readMatrix(input);
      expect(matrix.toFloat32Array()).toEqual(Float32Array.of(0, 1, 2, 3, 4, 5));
    }
    const withNaN = [...batches, batchOf({ x: arrow.vectorFromArray([6, NaN], new arrow.Float32()) })];
    await expect(readMatrix(asyncOf(withNaN))).rejects.toThrow('column "x", row 8: value is NaN');
  });

  it('hands each chunk over as soon as it is complete, before the next batch is read', async () => {
    // Batches of 5 rows × 2 values into chunks of at most 3 rows: a chunk is complete when the
    // next span of rows does not fit in it, which happens inside batches.
    const events: string[] = [];
    async function* batches() {
      for (let b = 0; b < 4; b++) {
        events.push(`batch ${b}`);
        const x = Array.from({ length: 5 }, (_, i) => 10 * b + i);
        yield batchOf({ x: arrow.vectorFromArray(x, new arrow.Float32()), y: arrow.vectorFromArray(x.map((v) => -v), new arrow.Float64()) });
      }
    }
    const seen: { rowStart: number; rows: number; cols: number; data: Float32Array }[] = [];
    const { matrix } = await readMatrix(batches(), {}, {
      chunkElements: 6,
      onChunk: (chunk, cols) => {
        events.push(`chunk ${chunk.rowStart}+${chunk.rows}`);
        seen.push({ ...chunk, cols });
      },
    });
    expect(events).toEqual([
      'batch 0', 'chunk 0+3',
      'batch 1', 'chunk 3+2', 'chunk 5+3',
      'batch 2', 'chunk 8+2', 'chunk 10+3',
      'batch 3', 'chunk 13+2', 'chunk 15+3',
      'chunk 18+2', // the last, when the read ends
    ]);
    expect(seen.map((c) => c.cols)).toEqual(new Array(seen.length).fill(2));
    // The very chunks the matrix holds, not copies.
    expect(seen.map((c) => c.data)).toEqual(matrix.chunks.map((c) => c.data));
    seen.forEach((c, i) => expect(c.data).toBe(matrix.chunks[i]!.data));
    expect(Array.from(matrix.row(7))).toEqual([12, -12]);
  });

  it('keeps a large float32 embedding batch as a chunk without copying it, still checking every value', async () => {
    // 4096 rows × 1024 = 2²² floats per batch: large enough to be used in place.
    const rows = 4096;
    const size = 1024;
    const batches = [0, 1].map((b) => batchOf({ emb: embeddingVector(Float32Array.from({ length: rows * size }, (_, i) => b + i / size), size) }));
    const handed: Float32Array[] = [];
    const { matrix } = await readMatrix(batches, {}, { onChunk: (chunk) => handed.push(chunk.data) });
    const values = (b: number) => batches[b]!.data.children[0]!.children[0]!.values as Float32Array;
    expect(matrix.chunks.map((c) => c.rows)).toEqual([rows, rows]);
    matrix.chunks.forEach((chunk, b) => expect(chunk.data.buffer).toBe(values(b).buffer));
    expect(handed).toHaveLength(2);
    handed.forEach((data, b) => expect(data.buffer).toBe(values(b).buffer));
    expect(matrix.row(rows + 7)[3]).toBe(Math.fround(1 + (7 * size + 3) / size));

    values(1)[5 * size + 9] = -Infinity;
    await expect(readMatrix(batches)).rejects.toThrow(`column "emb[9]", row ${rows + 6}: value is -Infinity`);
    // float64 values are converted, so copied.
    const wide = batchOf({ emb: embeddingVector(Float64Array.from({ length: rows * size }, (_, i) => i), size) });
    const converted = (await readMatrix([wide])).matrix;
    expect(converted.chunks[0]!.data.buffer).not.toBe(wide.data.children[0]!.children[0]!.values.buffer);
    expect(converted.row(rows - 1)[size - 1]).toBe(rows * size - 1);
  });

  it('names the column and row of a missing or non-finite value', async () => {
    const values = Array.from({ length: 12 }, (_, i) => i);
    const withNull = table({ ok: arrow.vectorFromArray(values), x: arrow.vectorFromArray(values.map((v) => (v === 11 ? null : v))) });
    await expect(readMatrix(withNull)).rejects.toThrow('column "x", row 12: missing value');
    const withNaN = table({ x: arrow.vectorFromArray(values.map((v) => (v === 11 ? NaN : v)), new arrow.Float64()) });
    await expect(readMatrix(withNaN)).rejects.toThrow('column "x", row 12: value is NaN');
    const withInf = table({ x: arrow.vectorFromArray(values.map((v) => (v === 4 ? -Infinity : v)), new arrow.Float64()) });
    await expect(readMatrix(withInf)).rejects.toThrow('column "x", row 5: value is -Infinity');
    // float64 values beyond the float32 range become infinite in the matrix: also refused.
    const huge = table({ x: arrow.vectorFromArray([1, 1e300], new arrow.Float64()) });
    await expect(readMatrix(huge)).rejects.toThrow('column "x", row 2: value is Infinity');
    const embedding = embeddingVector(Float32Array.of(1, 2, 3, NaN), 2);
    await expect(readMatrix(table({ emb: embedding }))).rejects.toThrow('column "emb[1]", row 2: value is NaN');
  });

  it('produces a matrix whose own finiteness check passes', async () => {
    const { matrix } = await readMatrix(mixed);
    expect(() => matrix.assertFinite()).not.toThrow();
  });

  it('explains a bad selection', async () => {
    await expect(readMatrix(mixed, { columns: ['f64', 'foo'] })).rejects.toThrow(
      'unknown column "foo"; the table has: name, f64, i8, u16, i64, u64, f16, f32',
    );
    await expect(readMatrix(mixed, { columns: ['name'] })).rejects.toThrow('column "name" is not numeric (Utf8)');
    await expect(readMatrix(mixed, { columns: ['f64', 'f64'] })).rejects.toThrow('column "f64" is selected twice');
    await expect(readMatrix(mixed, { embedding: 'f64' })).rejects.toThrow('column "f64" is not an embedding (Float64)');
    await expect(readMatrix(mixed, { columns: ['f64'], embedding: 'f64' })).rejects.toThrow(
      'option embedding: cannot be combined with a list of columns',
    );
    const text = table({ a: arrow.vectorFromArray(['x'], new arrow.Utf8()) });
    await expect(readMatrix(text)).rejects.toThrow('the table has no numeric or embedding column; its columns: a (Utf8)');
    const twoEmbeddings = table({ e1: embeddingVector(Float32Array.of(1, 2), 2), e2: embeddingVector(Float32Array.of(1, 2), 2) });
    await expect(readMatrix(twoEmbeddings)).rejects.toThrow(
      'the table has several embedding columns (e1, e2); choose one with the embedding option',
    );
    await expect(readMatrix(twoEmbeddings, { columns: ['e1'] })).rejects.toThrow(
      'column "e1" is not numeric (FixedSizeList[2]<Float32>); select an embedding column with the embedding option',
    );
    await expect(readMatrix([])).rejects.toThrow('the table has no rows');
  });
});
