/**
 * A worker thread decoding row groups of one Parquet file (see ParquetDecoders): parquet-wasm
 * decodes on the thread that calls it, so a large file is read by several of these at once.
 * Each message names a row group; the reply holds its batches as Arrow IPC streams, whose
 * buffers are transferred, not copied. A file that cannot be decoded ends the worker with that
 * error (a parquet-wasm panic ends it that way in any case), and so fails the read.
 */
import { openAsBlob } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type * as ParquetWasm from 'parquet-wasm';

export interface DecodeRequest {
  group: number;
  batchSize: number;
  /** Only these columns (all when undefined). */
  columns: string[] | undefined;
}

export interface DecodeReply {
  group: number;
  ipc: Uint8Array[];
}

const port = parentPort!;
const parquet: typeof ParquetWasm = await import('parquet-wasm');
const file = await parquet.ParquetFile.fromFile(await openAsBlob(workerData.path as string));

port.on('message', async ({ group, batchSize, columns }: DecodeRequest) => {
  const ipc: Uint8Array[] = [];
  const stream = (await file.stream({ rowGroups: [group], batchSize, columns })) as unknown as AsyncIterable<ParquetWasm.RecordBatch>;
  for await (const batch of stream) ipc.push(batch.intoIPCStream());
  port.postMessage({ group, ipc } satisfies DecodeReply, ipc.map((bytes) => bytes.buffer as ArrayBuffer));
});
