// Reading only the columns a computation uses: a Parquet file decodes no other column, and every
// reader of files (readMatrix, aggregation, profiles, mini-batch passes) asks for just its own.
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { aggregateGroups, readKeys } from '../../src/algorithms/aggregate.js';
import { matrixPasses } from '../../src/algorithms/minibatch.js';
import { profileClusters } from '../../src/algorithms/profile.js';
import { openTable, readMatrix, writeTable, type TableSource } from '../../src/io/index.js';
import { asyncOf, batchOf, collect, columnValues, embeddingVector, useTempDir } from './helpers.js';

const file = useTempDir();

/** Rows with a label, two numbers, text, an embedding and a column whose name holds a dot. */
function table(rows: number, batchRows: number): arrow.Table {
  const batches: arrow.RecordBatch[] = [];
  for (let start = 0; start < rows; start += batchRows) {
    const ids = Array.from({ length: Math.min(batchRows, rows - start) }, (_, i) => start + i);
    batches.push(
      batchOf({
        cluster: arrow.vectorFromArray(ids.map((i) => i % 3), new arrow.Int32()),
        x: arrow.vectorFromArray(ids.map((i) => (i % 7) / 4), new arrow.Float64()),
        y: arrow.vectorFromArray(ids.map((i) => i % 11), new arrow.Float32()),
        area: arrow.vectorFromArray(ids.map((i) => `area ${i % 4}`), new arrow.Utf8()),
        emb: embeddingVector(Float32Array.from(ids.flatMap((i) => [i % 5, -(i % 13)])), 2),
        'a.b': arrow.vectorFromArray(ids.map((i) => i), new arrow.Int32()),
      }),
    );
  }
  return new arrow.Table(batches);
}

/** `source`, recording the columns each call of `batches` asks for. */
function recording(source: TableSource): { source: TableSource; asked: (readonly string[] | undefined)[] } {
  const asked: (readonly string[] | undefined)[] = [];
  return {
    asked,
    source: { ...source, batches: (columns?: readonly string[]) => (asked.push(columns), source.batches(columns)) },
  };
}

async function parquetOf(t: arrow.Table, name: string): Promise<TableSource> {
  const path = file(name);
  await writeTable(path, t.schema, asyncOf(t.batches));
  return openTable(path);
}

describe('reading only the columns used', () => {
  it('Parquet decodes only the columns asked for, on one thread and on several', async () => {
    for (const [rows, name] of [
      [1000, 'one-group.parquet'],
      [150_000, 'groups.parquet'], // three row groups, decoded in parallel
    ] as const) {
      const t = table(rows, 50_000);
      const source = await parquetOf(t, name);
      const batches = await collect(source.batches(['emb', 'x']));
      // In the file's order, whatever the order asked.
      expect(batches.every((b) => b.schema.fields.map((f) => f.name).join() === 'x,emb')).toBe(true);
      const values = columnValues(batches);
      const all = columnValues(t.batches);
      expect(values.x).toEqual(all.x);
      expect(values.emb).toEqual(all.emb);
    }
  });

  it('Parquet decodes every column when a name asked for holds a dot', async () => {
    const source = await parquetOf(table(100, 100), 'dotted.parquet');
    const [batch] = await collect(source.batches(['a.b']));
    expect(batch!.schema.fields.map((f) => f.name)).toEqual(['cluster', 'x', 'y', 'area', 'emb', 'a.b']);
  });

  it('readMatrix asks for the selected columns and reads the same matrix as from the whole table', async () => {
    const t = table(2000, 700);
    const parquet = await parquetOf(t, 'matrix.parquet');
    for (const [select, columns] of [
      [{ exclude: ['cluster', 'a.b'] }, ['x', 'y']],
      [{ columns: ['y', 'x'] }, ['y', 'x']],
      [{ embedding: 'emb' }, ['emb']],
    ] as const) {
      const { source, asked } = recording(parquet);
      const read = await readMatrix(source, select);
      expect(asked).toEqual([columns]);
      const whole = await readMatrix(t, select);
      expect(read.columns).toEqual(whole.columns);
      expect(read.matrix.toFloat32Array()).toEqual(whole.matrix.toFloat32Array());
    }
    // A bad choice fails before the file is read.
    const { source, asked } = recording(parquet);
    await expect(readMatrix(source, { columns: ['area'] })).rejects.toThrow('column "area" is not numeric');
    expect(asked).toEqual([]);
  });

  it('aggregation, group keys, profiles and mini-batch passes ask for their columns only', async () => {
    const t = table(3000, 1000);
    const parquet = await parquetOf(t, 'workflows.parquet');

    let { source, asked } = recording(parquet);
    const options = { by: 'area', embedding: 'emb', category: 'cluster', stats: ['mean', 'max'] as ('mean' | 'max')[] };
    const grouped = await aggregateGroups(source, options);
    expect(asked).toEqual([['area', 'emb', 'cluster']]);
    const { table: groupTable, ...summary } = grouped;
    const { table: wholeTable, ...wholeSummary } = await aggregateGroups(t, options);
    expect(summary).toEqual(wholeSummary);
    expect(columnValues(groupTable.batches)).toEqual(columnValues(wholeTable.batches));

    ({ source, asked } = recording(parquet));
    expect(await readKeys(source, 'area', 'by', 'key')).toEqual(await readKeys(t, 'area', 'by', 'key'));
    expect(asked).toEqual([['area']]);

    ({ source, asked } = recording(parquet));
    const profiled = await profileClusters(source, 'cluster', { exclude: ['a.b'] });
    expect(asked).toEqual([['cluster', 'x', 'y']]);
    expect(profiled).toEqual(await profileClusters(t, 'cluster', { exclude: ['a.b'] }));

    ({ source, asked } = recording(parquet));
    const passes = matrixPasses(source, { columns: ['y'] });
    for (let pass = 0; pass < 2; pass++) {
      const values: number[] = [];
      for await (const m of passes()) values.push(...m.toFloat32Array());
      expect(values).toEqual(columnValues(t.batches).y);
    }
    expect(asked).toEqual([['y'], ['y']]);
  });
});
