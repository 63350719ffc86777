import type { FileHandle } from 'node:fs/promises';
import * as arrow from 'apache-arrow';
import { fileError } from '../errors.js';
import { makeBatch } from './batch.js';
import { decodeError, openForReading, writeFully, type OutputFile } from './files.js';
import type { TableSource } from './read.js';

const FORMAT_NAME = 'Arrow IPC';

/**
 * A reader over an open file. apache-arrow checks the magic bytes itself: "ARROW1" at the start
 * gives the random-access file reader, anything else the sequential stream reader.
 */
async function openReader(path: string, handle: FileHandle) {
  const reader = await arrow.RecordBatchReader.from(handle);
  await reader.open();
  if (!reader.schema) throw fileError(path, `is not a valid ${FORMAT_NAME} file (it has no schema)`);
  return reader;
}

async function* readBatches(path: string): AsyncGenerator<arrow.RecordBatch> {
  const handle = await openForReading(path);
  try {
    for await (const batch of await openReader(path, handle)) yield batch;
  } catch (err) {
    throw decodeError(path, FORMAT_NAME, err);
  } finally {
    await handle.close();
  }
}

/** An Arrow IPC file (Feather v2) or stream. */
export async function openArrow(path: string): Promise<TableSource> {
  const handle = await openForReading(path);
  let schema: arrow.Schema;
  let hasRows = false;
  try {
    const reader = await openReader(path, handle);
    schema = reader.schema;
    // Usually the first batch answers this; empty batches before data are legal.
    for await (const batch of reader) {
      if (batch.numRows > 0) {
        hasRows = true;
        break;
      }
    }
  } catch (err) {
    throw decodeError(path, FORMAT_NAME, err);
  } finally {
    await handle.close();
  }
  if (!hasRows) throw fileError(path, 'has no data rows');
  return { path, format: 'arrow', schema, batches: () => readBatches(path) };
}

/** The schema with each dictionary-encoded field replaced by its value type. */
function withoutDictionaries(schema: arrow.Schema): arrow.Schema {
  return new arrow.Schema(
    schema.fields.map((field) =>
      arrow.DataType.isDictionary(field.type)
        ? new arrow.Field(field.name, field.type.dictionary, field.nullable, field.metadata)
        : field,
    ),
    schema.metadata,
  );
}

function decodeDictionaries(batch: arrow.RecordBatch, schema: arrow.Schema): arrow.RecordBatch {
  const columns = batch.data.children.map((data) =>
    arrow.DataType.isDictionary(data.type)
      ? arrow.vectorFromArray(arrow.makeVector(data).toArray(), data.type.dictionary).data[0]!
      : data,
  );
  return makeBatch(schema, batch.numRows, columns);
}

/** Writes the Arrow IPC file format. */
export async function writeArrow(
  out: OutputFile,
  schema: arrow.Schema,
  batches: AsyncIterable<arrow.RecordBatch>,
): Promise<void> {
  // The file format cannot replace a dictionary between batches, and batches read from Parquet
  // (or an IPC stream) each carry their own; such columns are written as plain values.
  const hasDictionaries = schema.fields.some((field) => arrow.DataType.isDictionary(field.type));
  const fileSchema = hasDictionaries ? withoutDictionaries(schema) : schema;
  const writer = new arrow.RecordBatchFileWriter();
  writer.reset(undefined, fileSchema); // writes the header now, so a table without batches is still a valid file
  // apache-arrow's writer queues bytes as batches are written; this drains the queue to the file.
  const drained = (async () => {
    for await (const chunk of writer) await writeFully(out, chunk);
  })();
  drained.catch(() => undefined); // awaited below; a failed write must not count as unhandled meanwhile
  try {
    for await (const batch of batches) writer.write(hasDictionaries ? decodeDictionaries(batch, fileSchema) : batch);
  } catch (err) {
    writer.abort(err);
    await drained.catch(() => undefined);
    throw err;
  }
  writer.close();
  await drained;
}
