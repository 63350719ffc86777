import { readFile, writeFile } from 'node:fs/promises';
import * as arrow from 'apache-arrow';
import * as parquet from 'parquet-wasm';
import { describe, expect, it } from 'vitest';
import { openTable, readMatrix, writeTable } from '../../src/io/index.js';
import { asyncOf, batchOf, collect, columnValues, embeddingVector, rowsOf, useTempDir } from './helpers.js';

const file = useTempDir();

/** A table of `rows` rows in batches of `batchRows`: a float, an int, text and an embedding. */
function sampleTable(rows: number, batchRows: number): arrow.Table {
  const batches: arrow.RecordBatch[] = [];
  for (let start = 0; start < rows; start += batchRows) {
    const n = Math.min(batchRows, rows - start);
    const ids = Array.from({ length: n }, (_, i) => start + i);
    batches.push(
      batchOf({
        x: arrow.vectorFromArray(ids.map((i) => i / 4), new arrow.Float64()),
        n: arrow.vectorFromArray(ids, new arrow.Int32()),
        label: arrow.vectorFromArray(ids.map((i) => (i % 5 === 0 ? null : `row ${i}`)), new arrow.Utf8()),
        emb: embeddingVector(Float32Array.from(ids.flatMap((i) => [i, -i])), 2),
      }),
    );
  }
  return new arrow.Table(batches);
}

async function expectSameRows(path: string, table: arrow.Table): Promise<void> {
  const source = await openTable(path);
  expect(source.schema.fields.map(String)).toEqual(table.schema.fields.map(String));
  const batches = await collect(source.batches());
  expect(batches.every((batch) => arrow.util.compareSchemas(batch.schema, source.schema))).toBe(true);
  expect(columnValues(batches)).toEqual(columnValues(table.batches));
}

describe('Arrow IPC', () => {
  it('reads the file and the stream format, batch by batch', async () => {
    const table = sampleTable(1000, 300);
    for (const format of ['file', 'stream'] as const) {
      const path = file(`in-${format}.arrow`);
      await writeFile(path, arrow.tableToIPC(table, format));
      const source = await openTable(path);
      expect(source.format).toBe('arrow');
      expect((await collect(source.batches())).map((batch) => batch.numRows)).toEqual([300, 300, 300, 100]);
      await expectSameRows(path, table);
    }
  });

  it('round-trips through writeTable for .arrow, .feather and .ipc', async () => {
    const table = sampleTable(50, 20);
    for (const extension of ['arrow', 'feather', 'ipc']) {
      const path = file(`out.${extension}`);
      await writeTable(path, table.schema, asyncOf(table.batches));
      // The IPC file format, readable by apache-arrow on its own.
      expect(arrow.tableFromIPC(await readFile(path)).numRows).toBe(50);
      await expectSameRows(path, table);
    }
  });

  it('writes dictionary columns whose dictionary changes between batches as plain values', async () => {
    const batches = [['a', 'b'], ['c', null]].map((values) =>
      batchOf({ s: arrow.vectorFromArray(values, new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32(), 7)) }),
    );
    const path = file('dictionary.arrow');
    await writeTable(path, batches[0]!.schema, asyncOf(batches));
    const source = await openTable(path);
    expect(source.schema.fields.map(String)).toEqual(['s: Utf8']);
    expect(rowsOf(await collect(source.batches()))).toEqual([{ s: 'a' }, { s: 'b' }, { s: 'c' }, { s: null }]);
  });

  it('writes a valid file for a table without batches', async () => {
    const { schema } = sampleTable(1, 1);
    const path = file('empty.arrow');
    await writeTable(path, schema, asyncOf([]));
    expect(arrow.tableFromIPC(await readFile(path)).schema.fields.map(String)).toEqual(schema.fields.map(String));
    await expect(openTable(path)).rejects.toThrow(`${path}: has no data rows`);
  });

  it('rejects a file that is not Arrow IPC, and one without rows', async () => {
    const text = file('text.arrow');
    await writeFile(text, 'this is not an arrow file at all');
    await expect(openTable(text)).rejects.toThrow(`${text}: is not a valid Arrow IPC file (`);
    const noRows = file('no-rows.arrow');
    await writeFile(noRows, arrow.tableToIPC(new arrow.Table(sampleTable(1, 1).schema), 'stream'));
    await expect(openTable(noRows)).rejects.toThrow(`${noRows}: has no data rows`);
  });
});

describe('Parquet', () => {
  it('reads a file written elsewhere in batches of 65,536 rows', async () => {
    const table = sampleTable(70_000, 70_000);
    const path = file('in.parquet');
    await writeFile(path, parquet.writeParquet(parquet.Table.fromIPCStream(arrow.tableToIPC(table, 'stream'))));
    const source = await openTable(path);
    expect(source.format).toBe('parquet');
    expect((await collect(source.batches())).map((batch) => batch.numRows)).toEqual([65_536, 70_000 - 65_536]);
    await expectSameRows(path, table);
    const { matrix, columns } = await readMatrix(source);
    expect(columns).toEqual(['x', 'n']);
    expect(matrix.row(69_999)).toEqual(Float32Array.of(69_999 / 4, 69_999));
  });

  it('round-trips through writeTable, several batches and row groups', async () => {
    const table = sampleTable(150_000, 40_000);
    const path = file('out.parquet');
    await writeTable(path, table.schema, asyncOf(table.batches));
    const file_ = await parquet.ParquetFile.fromFile(new Blob([await readFile(path)]));
    expect(file_.metadata().numRowGroups()).toBe(3); // 65,536 rows per group
    await expectSameRows(path, table);
  });

  it('decodes row groups on several threads and yields them in file order; a reader may stop early', async () => {
    const table = sampleTable(150_000, 50_000);
    const path = file('groups.parquet');
    await writeTable(path, table.schema, asyncOf(table.batches));
    const source = await openTable(path);
    const batches = await collect(source.batches());
    expect(batches.map((batch) => batch.numRows)).toEqual([65_536, 65_536, 150_000 - 2 * 65_536]);
    expect(columnValues(batches)).toEqual(columnValues(table.batches));
    for await (const first of source.batches()) {
      expect(first.numRows).toBe(65_536);
      break; // the decoding threads are stopped
    }
    const { matrix } = await readMatrix(source, { embedding: 'emb' });
    expect(Array.from(matrix.row(149_999))).toEqual([149_999, -149_999]);
  });

  it('names the file when a row group cannot be decoded', async () => {
    const table = sampleTable(150_000, 50_000);
    const path = file('damaged.parquet');
    await writeTable(path, table.schema, asyncOf(table.batches));
    const bytes = await readFile(path);
    bytes.fill(0xff, bytes.length >> 1, (bytes.length >> 1) + 4096); // inside the second row group's pages
    await writeFile(path, bytes);
    const source = await openTable(path);
    await expect(collect(source.batches())).rejects.toThrow(`${path}: is not a valid Parquet file (`);
  });

  it('keeps dictionary columns, and writes a table without batches', async () => {
    const batch = batchOf({ s: arrow.vectorFromArray(['x', 'y', 'x'], new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32())) });
    const path = file('dictionary.parquet');
    await writeTable(path, batch.schema, asyncOf([batch, batch]));
    expect(rowsOf(await collect((await openTable(path)).batches()))).toEqual([...rowsOf([batch]), ...rowsOf([batch])]);
    const empty = file('empty.parquet');
    await writeTable(empty, batch.schema, asyncOf([]));
    await expect(openTable(empty)).rejects.toThrow(`${empty}: has no data rows`);
  });

  it('rejects a file that is not Parquet', async () => {
    const path = file('text.parquet');
    await writeFile(path, 'this is not a parquet file, just text');
    await expect(openTable(path)).rejects.toThrow(`${path}: is not a valid Parquet file (`);
  });
});
