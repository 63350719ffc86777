import type { FileHandle } from 'node:fs/promises';
import * as arrow from 'apache-arrow';
import { fileError } from '../errors.js';
import { makeBatch } from './batch.js';
import { BATCH_ROWS, fsError, openForReading } from './files.js';
import type { TableSource } from './read.js';

/** The column a .npy array is exposed as. */
export const NPY_COLUMN = 'embedding';

/** Upper bound on the bytes read per batch, so wide rows make batches of fewer rows. */
const BATCH_BYTES = 64 << 20;

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

interface NpyLayout {
  rows: number;
  cols: number;
  itemSize: 4 | 8;
  /** Byte offset of the first value. */
  dataOffset: number;
}

/** Fills `buffer` from `position`; a file that ends first is truncated. */
async function readFully(path: string, handle: FileHandle, buffer: Uint8Array, position: number): Promise<void> {
  for (let filled = 0; filled < buffer.byteLength; ) {
    const { bytesRead } = await handle
      .read(buffer, filled, buffer.byteLength - filled, position + filled)
      .catch((err: unknown) => {
        throw fsError(path, err, 'read');
      });
    if (bytesRead === 0) throw fileError(path, 'is truncated');
    filled += bytesRead;
  }
}

function parseHeader(path: string, header: string): Omit<NpyLayout, 'dataOffset'> {
  const descr = /'descr'\s*:\s*('[^']*'|\[[^\]]*\])/.exec(header)?.[1];
  const fortranOrder = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortranOrder === undefined || shape === undefined) {
    throw fileError(path, 'has a malformed .npy header');
  }
  const itemSize = descr === "'<f4'" ? 4 : descr === "'<f8'" ? 8 : undefined;
  if (itemSize === undefined) {
    throw fileError(path, `has dtype ${descr}, which is not supported; save it as float32 ('<f4') or float64 ('<f8')`);
  }
  if (fortranOrder === 'True') {
    throw fileError(path, 'is in Fortran order; save a C-ordered array (numpy.ascontiguousarray)');
  }
  const dims = shape
    .split(',')
    .map((dim) => dim.trim())
    .filter((dim) => dim !== '');
  if (dims.some((dim) => !/^\d+$/.test(dim))) throw fileError(path, 'has a malformed .npy header');
  if (dims.length < 1 || dims.length > 2) {
    throw fileError(path, `has shape (${dims.join(', ')}); only 1-D and 2-D arrays can be read`);
  }
  const [rows, cols = 1] = dims.map(Number) as [number, number?];
  if (rows === 0) throw fileError(path, 'has no data rows');
  if (cols === 0) throw fileError(path, 'has no columns (its shape is (n, 0))');
  return { rows, cols, itemSize };
}

async function readLayout(path: string, handle: FileHandle): Promise<NpyLayout> {
  const { size } = await handle.stat();
  // Magic (6 bytes), version (2), header length (2 bytes in version 1, 4 in versions 2 and 3).
  const prefix = new Uint8Array(12);
  if (size < prefix.length) throw fileError(path, 'is not a .npy file');
  await readFully(path, handle, prefix, 0);
  if (MAGIC.some((byte, i) => prefix[i] !== byte)) throw fileError(path, 'is not a .npy file');
  const version = prefix[6]!;
  const view = new DataView(prefix.buffer);
  let headerStart: number;
  let headerLength: number;
  if (version === 1) {
    headerStart = 10;
    headerLength = view.getUint16(8, true);
  } else if (version === 2 || version === 3) {
    headerStart = 12;
    headerLength = view.getUint32(8, true);
  } else {
    throw fileError(path, `is .npy format version ${version}; versions 1 to 3 are supported`);
  }
  const dataOffset = headerStart + headerLength;
  if (dataOffset > size) throw fileError(path, 'is truncated');
  const headerBytes = new Uint8Array(headerLength);
  await readFully(path, handle, headerBytes, headerStart);
  const header = new TextDecoder(version === 3 ? 'utf-8' : 'latin1').decode(headerBytes);
  const layout = { ...parseHeader(path, header), dataOffset };
  const expected = layout.rows * layout.cols * layout.itemSize;
  if (size - dataOffset < expected) {
    throw fileError(path, `is truncated: its header describes ${expected} bytes of data, it holds ${size - dataOffset}`);
  }
  return layout;
}

async function* readBatches(path: string, layout: NpyLayout, schema: arrow.Schema): AsyncGenerator<arrow.RecordBatch> {
  const { rows, cols, itemSize, dataOffset } = layout;
  const type = schema.fields[0]!.type as arrow.FixedSizeList<arrow.Float32>;
  const rowBytes = cols * itemSize;
  const batchRows = Math.max(1, Math.min(BATCH_ROWS, Math.floor(BATCH_BYTES / rowBytes)));
  const handle = await openForReading(path);
  const read = async (start: number): Promise<arrow.RecordBatch> => {
    const count = Math.min(batchRows, rows - start);
    // A fresh buffer per batch: it is aligned for the typed-array view and owned by the batch.
    const bytes = new Uint8Array(count * rowBytes);
    await readFully(path, handle, bytes, dataOffset + start * rowBytes);
    const values = itemSize === 4 ? new Float32Array(bytes.buffer) : new Float32Array(new Float64Array(bytes.buffer));
    const child = arrow.makeData({ type: type.children[0]!.type, length: values.length, nullCount: 0, data: values });
    return makeBatch(schema, count, [arrow.makeData({ type, length: count, nullCount: 0, child })]);
  };
  // The next batch is read (on libuv's threads) while the caller works on this one.
  let next: Promise<arrow.RecordBatch> | undefined = read(0);
  try {
    for (let start = 0; start < rows; start += batchRows) {
      const batch = await next!;
      next = start + batchRows < rows ? read(start + batchRows) : undefined;
      next?.catch(() => {}); // reported when awaited; not at all if the caller stops first
      yield batch;
    }
  } finally {
    await next?.catch(() => {}); // the handle stays open until no read is left on it
    await handle.close();
  }
}

/**
 * A NumPy .npy file (format versions 1 to 3) holding a C-ordered float32 or float64 array of
 * shape (n,) or (n, d), as one column `embedding` of FixedSizeList<Float32>[d] (float64 is
 * converted to float32). Rows are read in blocks with positioned reads.
 */
export async function openNpy(path: string): Promise<TableSource> {
  const handle = await openForReading(path);
  let layout: NpyLayout;
  try {
    layout = await readLayout(path, handle);
  } finally {
    await handle.close();
  }
  const item = new arrow.Field('item', new arrow.Float32(), false);
  const schema = new arrow.Schema([new arrow.Field(NPY_COLUMN, new arrow.FixedSizeList(layout.cols, item), false)]);
  return { path, format: 'npy', schema, batches: () => readBatches(path, layout, schema) };
}
