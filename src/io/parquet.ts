import { openAsBlob } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as arrow from 'apache-arrow';
import type * as ParquetWasm from 'parquet-wasm';
import { fileError } from '../errors.js';
import { emptyBatch } from './batch.js';
import { ParquetDecoders } from './parquet-decoders.js';
import { BATCH_ROWS, decodeError, writeFully, type OutputFile } from './files.js';
import type { TableSource } from './read.js';

const FORMAT_NAME = 'Parquet';

let parquetWasm: Promise<typeof ParquetWasm> | undefined;

/** parquet-wasm compiles 5 MB of WebAssembly when imported: only done once a Parquet file is used. */
function loadParquetWasm(): Promise<typeof ParquetWasm> {
  parquetWasm ??= import('parquet-wasm');
  return parquetWasm;
}

/**
 * The Parquet writer buffers a whole row group in WebAssembly memory (at most 4 GiB); a bound
 * in rows keeps a group of 512-D float32 embeddings at 128 MiB.
 */
const ROW_GROUP_ROWS = 65_536;

/** Opens `path`; errors name `name` (the target, when checking a temporary file). */
async function openFile(path: string, name = path): Promise<ParquetWasm.ParquetFile> {
  const parquet = await loadParquetWasm();
  try {
    // A file-backed Blob: parquet-wasm reads the footer and then only the byte ranges it needs.
    return await parquet.ParquetFile.fromFile(await openAsBlob(path));
  } catch (err) {
    throw decodeError(name, FORMAT_NAME, err);
  }
}

/** parquet-wasm batches live in WebAssembly memory; IPC is its way of handing them to arrow-js. */
function fromWasm(batch: ParquetWasm.RecordBatch): arrow.RecordBatch[] {
  return arrow.tableFromIPC(batch.intoIPCStream()).batches;
}

function toWasm(parquet: typeof ParquetWasm, batch: arrow.RecordBatch): ParquetWasm.RecordBatch {
  const table = parquet.Table.fromIPCStream(arrow.tableToIPC(new arrow.Table([batch]), 'stream'));
  try {
    return table.recordBatch(0)!;
  } finally {
    table.free();
  }
}

/** Node's ReadableStream is async-iterable; the DOM typings parquet-wasm declares do not say so. */
function iterable<T>(stream: ReadableStream): AsyncIterable<T> {
  return stream as unknown as AsyncIterable<T>;
}

async function* readBatches(path: string, rowGroups: number, columns: string[] | undefined): AsyncGenerator<arrow.RecordBatch> {
  const threads = Math.min(rowGroups, availableParallelism(), MAX_DECODERS);
  if (threads > 1) {
    yield* readInParallel(path, rowGroups, threads, columns);
    return;
  }
  const file = await openFile(path);
  try {
    const stream = iterable<ParquetWasm.RecordBatch>(await file.stream({ batchSize: BATCH_ROWS, columns }));
    for await (const batch of stream) yield* fromWasm(batch);
  } catch (err) {
    throw decodeError(path, FORMAT_NAME, err);
  } finally {
    file.free();
  }
}

/** Decoding threads at most: beyond about this many, the main thread's share (IPC to arrow-js, the caller's work) is the limit. */
const MAX_DECODERS = 8;

/**
 * Row groups decoded by `threads` workers at once (parquet-wasm decodes on the calling thread:
 * a 2 GiB file of embeddings took 12 s that way), yielded in file order. At most two groups per
 * worker are decoded ahead of the one being yielded, which bounds the memory held.
 */
async function* readInParallel(path: string, rowGroups: number, threads: number, columns: string[] | undefined): AsyncGenerator<arrow.RecordBatch> {
  const decoders = new ParquetDecoders(path, threads, columns);
  const ahead: Promise<Uint8Array[]>[] = [];
  let next = 0;
  const requestMore = () => {
    for (; next < rowGroups && ahead.length < 2 * threads; next++) {
      const decoded = decoders.decode(next, BATCH_ROWS);
      decoded.catch(() => {}); // reported when its turn comes
      ahead.push(decoded);
    }
  };
  try {
    requestMore();
    while (ahead.length > 0) {
      let ipc: Uint8Array[];
      try {
        ipc = await ahead.shift()!;
      } catch (err) {
        throw decodeError(path, FORMAT_NAME, err);
      }
      requestMore();
      for (const bytes of ipc) yield* arrow.tableFromIPC(bytes).batches;
    }
  } finally {
    decoders.close();
  }
}

/** A Parquet file, read through parquet-wasm in batches of up to 65,536 rows (row groups in parallel). */
export async function openParquet(path: string): Promise<TableSource> {
  const file = await openFile(path);
  let rows: number;
  let rowGroups: number;
  let schema: arrow.Schema;
  try {
    rows = file.metadata().fileMetadata().numRows();
    rowGroups = file.metadata().numRowGroups();
    schema = arrow.tableFromIPC(file.schema().intoIPCStream()).schema;
  } catch (err) {
    throw decodeError(path, FORMAT_NAME, err);
  } finally {
    file.free();
  }
  if (rows === 0) throw fileError(path, 'has no data rows');
  return { path, format: 'parquet', schema, batches: (columns) => readBatches(path, rowGroups, projection(schema, columns)) };
}

/**
 * The columns to ask parquet-wasm for, or undefined for all. It matches a name against the
 * dot-separated path of each leaf, so a name holding a dot would find no column: then all
 * columns are decoded.
 */
function projection(schema: arrow.Schema, columns: readonly string[] | undefined): string[] | undefined {
  if (!columns || columns.some((name) => name.includes('.'))) return undefined;
  return schema.fields.map((field) => field.name).filter((name) => columns.includes(name));
}

function writerProperties(parquet: typeof ParquetWasm, schema: arrow.Schema): ParquetWasm.WriterProperties {
  let builder = new parquet.WriterPropertiesBuilder()
    .setCompression(parquet.Compression.SNAPPY)
    .setMaxRowGroupSize(ROW_GROUP_ROWS)
    .setDictionaryEnabled(false);
  // Dictionary encoding pays off for labels and text. On continuous floats it only costs: here
  // it made writing ten times slower and the file larger.
  for (const { name, type } of schema.fields) {
    const labelsOrText =
      arrow.DataType.isInt(type) ||
      arrow.DataType.isUtf8(type) ||
      arrow.DataType.isLargeUtf8(type) ||
      arrow.DataType.isDictionary(type);
    if (labelsOrText) builder = builder.setColumnDictionaryEnabled(name, true);
  }
  return builder.build();
}

/**
 * Writes Parquet (Snappy-compressed) through parquet-wasm's transformParquetStream, batch by
 * batch. That function drops any batch it fails to write, and ends the file cleanly when its
 * input stream fails, without reporting either; so the input's error is kept here, and the row
 * count in the written footer is checked against the rows sent.
 */
export async function writeParquet(
  out: OutputFile,
  schema: arrow.Schema,
  batches: AsyncIterable<arrow.RecordBatch>,
): Promise<void> {
  const parquet = await loadParquetWasm();
  const iterator = batches[Symbol.asyncIterator]();
  let rows = 0;
  let failure: { error: unknown } | undefined;
  const input = new ReadableStream<ParquetWasm.RecordBatch>({
    start(controller) {
      // The writer takes its schema from the first batch: an empty batch of `schema` makes that
      // the declared schema, and lets a table without rows be written at all.
      controller.enqueue(toWasm(parquet, emptyBatch(schema)));
    },
    async pull(controller) {
      try {
        const next = await iterator.next();
        if (next.done) {
          controller.close();
        } else {
          rows += next.value.numRows;
          controller.enqueue(toWasm(parquet, next.value));
        }
      } catch (error) {
        failure = { error };
        controller.error(error);
      }
    },
  });
  try {
    const output = await parquet.transformParquetStream(input, writerProperties(parquet, schema));
    for await (const chunk of iterable<Uint8Array>(output)) await writeFully(out, chunk);
  } finally {
    await iterator.return?.();
  }
  if (failure) throw failure.error;
  const file = await openFile(out.tempPath, out.path);
  try {
    const written = file.metadata().fileMetadata().numRows();
    if (written !== rows) throw fileError(out.path, `could not be written: parquet-wasm wrote ${written} of ${rows} rows`);
  } finally {
    file.free();
  }
}
