import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import {
  appendColumns,
  dropColumns,
  openTable,
  schemaWith,
  writeTable,
  type NewColumn,
} from '../../src/io/index.js';
import { asyncOf, batchOf, collect, rowsOf, useTempDir } from './helpers.js';

const file = useTempDir();

const batches = [0, 1, 2].map((b) =>
  batchOf({
    x: arrow.vectorFromArray([b * 2, b * 2 + 1], new arrow.Float64()),
    old: arrow.vectorFromArray(['p', 'q'], new arrow.Utf8()),
  }),
);
const schema = batches[0]!.schema;

/** The batches, then an error, as a failing input stream would. */
async function* failingAfter(count: number): AsyncGenerator<arrow.RecordBatch> {
  yield* batches.slice(0, count);
  throw new Error('input failed midway');
}

describe('writeTable', () => {
  for (const extension of ['csv', 'parquet', 'arrow']) {
    it(`leaves nothing behind when the batches fail midway (.${extension})`, async () => {
      const dir = dirname(file('x'));
      const before = await readdir(dir);
      const fresh = file(`fresh.${extension}`);
      await expect(writeTable(fresh, schema, failingAfter(2))).rejects.toThrow('input failed midway');
      await expect(readFile(fresh)).rejects.toThrow('ENOENT');

      const existing = file(`existing.${extension}`);
      await writeFile(existing, 'previous contents');
      await expect(writeTable(existing, schema, failingAfter(1))).rejects.toThrow('input failed midway');
      expect(await readFile(existing, 'utf8')).toBe('previous contents');
      expect((await readdir(dir)).sort()).toEqual([...before, `existing.${extension}`].sort());
    });

    it(`replaces an existing file once the table is complete (.${extension})`, async () => {
      const path = file(`replaced.${extension}`);
      await writeFile(path, 'previous contents');
      await writeTable(path, schema, asyncOf(batches));
      expect(rowsOf(await collect((await openTable(path)).batches()))).toEqual(rowsOf(batches));
    });
  }

  it('refuses an unknown extension, a missing directory and a batch of another schema', async () => {
    await expect(writeTable(file('out.npy'), schema, asyncOf(batches))).rejects.toThrow(
      `${file('out.npy')}: ".npy" files cannot be written; use one of .csv, .parquet, .arrow, .feather, .ipc`,
    );
    const nowhere = file('missing/out.csv');
    await expect(writeTable(nowhere, schema, asyncOf(batches))).rejects.toThrow(`${nowhere}: its directory does not exist`);
    const other = batchOf({ y: arrow.vectorFromArray([1], new arrow.Int32()) });
    const path = file('mismatch.arrow');
    await expect(writeTable(path, schema, asyncOf([batches[0]!, other]))).rejects.toThrow(
      `${path}: a record batch has columns (y: Int32), the table's schema has (x: Float64, old: Utf8)`,
    );
    await expect(readFile(path)).rejects.toThrow('ENOENT');
  });

  it.skipIf(process.getuid?.() === 0)('reports a directory it may not write to', async () => {
    const locked = file('locked');
    await mkdir(locked);
    await chmod(locked, 0o500);
    await expect(writeTable(`${locked}/out.csv`, schema, asyncOf(batches))).rejects.toThrow(
      `${locked}/out.csv: cannot be written (permission denied)`,
    );
  });
});

describe('changing columns', () => {
  const cluster: NewColumn = { name: 'cluster', values: Int32Array.of(0, 1, 2, 0, 1, 2) };
  const score: NewColumn = { name: 'score', values: Float32Array.of(0.5, 1, 1.5, 2, 2.5, 3) };

  it('appends whole-table columns slice by slice, and drops columns', async () => {
    const changed = await collect(appendColumns(dropColumns(asyncOf(batches), ['old', 'absent']), [cluster, score]));
    const expected = schemaWith(schema, { drop: ['old', 'absent'], append: [cluster, score] });
    expect(expected.fields.map(String)).toEqual(['x: Float64', 'cluster: Int32', 'score: Float32']);
    expect(changed.every((batch) => arrow.util.compareSchemas(batch.schema, expected))).toBe(true);
    expect(rowsOf(changed)).toEqual([0, 1, 2, 3, 4, 5].map((i) => ({ x: i, cluster: i % 3, score: (i + 1) / 2 })));

    const path = file('with-cluster.parquet');
    await writeTable(path, expected, appendColumns(dropColumns(asyncOf(batches), ['old']), [cluster, score]));
    expect(rowsOf(await collect((await openTable(path)).batches()))).toEqual(rowsOf(changed));
  });

  it('refuses columns of the wrong length or with a name already taken', async () => {
    const short: NewColumn = { name: 'short', values: Int32Array.of(1, 2, 3) };
    await expect(collect(appendColumns(asyncOf(batches), [short]))).rejects.toThrow(
      'column "short" has 3 values, the table has more rows',
    );
    const long: NewColumn = { name: 'long', values: new Int32Array(7) };
    await expect(collect(appendColumns(asyncOf(batches), [long]))).rejects.toThrow(
      'column "long" has 7 values, the table has 6 rows',
    );
    expect(() => schemaWith(schema, { append: [{ name: 'x', values: new Int32Array(6) }] })).toThrow(
      'cannot append column "x": the table already has one (drop it first)',
    );
  });
});
