import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import * as arrow from 'apache-arrow';
import { writeArrow } from './arrow-ipc.js';
import { makeBatch } from './batch.js';
import { writeCsv } from './csv.js';
import { formatOf, fsError, type OutputFile } from './files.js';
import { writeParquet } from './parquet.js';

type Writer = (out: OutputFile, schema: arrow.Schema, batches: AsyncIterable<arrow.RecordBatch>) => Promise<void>;

const WRITERS = { csv: writeCsv, parquet: writeParquet, arrow: writeArrow } satisfies Record<string, Writer>;

/**
 * Writes record batches to `path`, in the format its extension names: `.csv`, `.parquet`, or
 * `.arrow` / `.feather` / `.ipc` (Arrow IPC file format). Batches are written as they arrive.
 * Every batch must have `schema`.
 *
 * The write is atomic: the table goes to a temporary file beside `path`, which replaces `path`
 * only once complete. On any failure, the batches' own errors included, the temporary file is
 * removed and the error rethrown, so no partial output is left and an existing `path` is
 * untouched.
 */
export async function writeTable(
  path: string,
  schema: arrow.Schema,
  batches: AsyncIterable<arrow.RecordBatch>,
): Promise<void> {
  const write: Writer = WRITERS[formatOf(path, ['csv', 'parquet', 'arrow'], 'written')];
  await writeAtomically(path, (out) => write(out, schema, checkSchemas(path, schema, batches)));
}

/** Writes `text` to `path`, atomically as writeTable does (the sweep's JSON report). */
export async function writeTextFile(path: string, text: string): Promise<void> {
  await writeAtomically(path, (out) =>
    out.handle.writeFile(text).catch((err: unknown) => {
      throw fsError(path, err, 'written');
    }),
  );
}

async function writeAtomically(path: string, write: (out: OutputFile) => Promise<void>): Promise<void> {
  // Hidden, unique, and in the target's directory so that the final rename stays on one file system.
  const tempPath = join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(tempPath, 'wx').catch((err: unknown) => {
    throw fsError(path, err, 'written');
  });
  try {
    await write({ handle, tempPath, path });
    try {
      await handle.sync(); // on disk before the rename makes it the target
      await handle.close();
      await rename(tempPath, path);
    } catch (err) {
      throw fsError(path, err, 'written');
    }
  } catch (err) {
    await handle.close().catch(() => undefined);
    await rm(tempPath, { force: true });
    throw err;
  }
}

/** Passes the batches through, refusing one whose schema differs (a bug in the caller). */
async function* checkSchemas(
  path: string,
  schema: arrow.Schema,
  batches: AsyncIterable<arrow.RecordBatch>,
): AsyncGenerator<arrow.RecordBatch> {
  for await (const batch of batches) {
    if (!arrow.util.compareSchemas(batch.schema, schema)) {
      throw new Error(`${path}: a record batch has columns ${describe(batch.schema)}, the table's schema has ${describe(schema)}`);
    }
    yield batch;
  }
}

function describe(schema: arrow.Schema): string {
  return `(${schema.fields.map(String).join(', ')})`;
}

// ---------------------------------------------------------------------------------------------
// Changing the columns of a stream of batches on its way to a writer

/** A column to append, one value per row of the whole table. */
export interface NewColumn {
  readonly name: string;
  /** Int32Array becomes an Int32 column, Float32Array a Float32 column. */
  readonly values: Int32Array | Float32Array;
}

/**
 * The schema of a table after `dropColumns(…, drop)` and then `appendColumns(…, append)`: what
 * to give `writeTable` for batches changed that way.
 */
export function schemaWith(
  schema: arrow.Schema,
  changes: { readonly drop?: readonly string[]; readonly append?: readonly NewColumn[] },
): arrow.Schema {
  return appendedSchema(droppedSchema(schema, changes.drop ?? []), changes.append ?? []);
}

function droppedSchema(schema: arrow.Schema, names: readonly string[]): arrow.Schema {
  return new arrow.Schema(
    schema.fields.filter((field) => !names.includes(field.name)),
    schema.metadata,
  );
}

function appendedSchema(schema: arrow.Schema, columns: readonly NewColumn[]): arrow.Schema {
  const fields = [...schema.fields];
  for (const { name, values } of columns) {
    if (fields.some((field) => field.name === name)) {
      throw new Error(`cannot append column "${name}": the table already has one (drop it first)`);
    }
    fields.push(new arrow.Field(name, values instanceof Int32Array ? new arrow.Int32() : new arrow.Float32(), false));
  }
  return new arrow.Schema(fields, schema.metadata);
}

/** Removes the named columns from every batch; names the table does not have are ignored. */
export async function* dropColumns(
  batches: AsyncIterable<arrow.RecordBatch>,
  names: readonly string[],
): AsyncGenerator<arrow.RecordBatch> {
  let schema: arrow.Schema | undefined;
  let keep: number[] = [];
  for await (const batch of batches) {
    if (!schema) {
      schema = droppedSchema(batch.schema, names);
      keep = batch.schema.fields.flatMap((field, i) => (names.includes(field.name) ? [] : [i]));
    }
    yield makeBatch(schema, batch.numRows, keep.map((i) => batch.data.children[i]!));
  }
}

/**
 * Appends whole-table columns to a stream of batches, each batch getting the slice of values
 * for its rows. Each column must hold exactly one value per row of the table.
 */
export async function* appendColumns(
  batches: AsyncIterable<arrow.RecordBatch>,
  columns: readonly NewColumn[],
): AsyncGenerator<arrow.RecordBatch> {
  let schema: arrow.Schema | undefined;
  let start = 0;
  for await (const batch of batches) {
    schema ??= appendedSchema(batch.schema, columns);
    const end = start + batch.numRows;
    const appended = columns.map(({ name, values }) => {
      if (values.length < end) throw new RangeError(`column "${name}" has ${values.length} values, the table has more rows`);
      const slice = { length: end - start, nullCount: 0 };
      return values instanceof Int32Array
        ? arrow.makeData({ type: new arrow.Int32(), ...slice, data: values.subarray(start, end) })
        : arrow.makeData({ type: new arrow.Float32(), ...slice, data: values.subarray(start, end) });
    });
    yield makeBatch(schema, batch.numRows, [...batch.data.children, ...appended]);
    start = end;
  }
  for (const { name, values } of columns) {
    if (values.length !== start) throw new RangeError(`column "${name}" has ${values.length} values, the table has ${start} rows`);
  }
}
