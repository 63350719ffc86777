import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { afterAll, beforeAll } from 'vitest';

/** A fresh temporary directory for the calling test file, removed after its tests. */
export function useTempDir(): (name: string) => string {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clusterkit-io-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return (name) => join(dir, name);
}

/** Writes a .npy file the way NumPy does (header padded to a multiple of 64 bytes). */
export async function writeNpy(
  path: string,
  values: Float32Array | Float64Array,
  shape: readonly number[],
  options: { version?: 1 | 2 | 3; descr?: string; fortranOrder?: boolean } = {},
): Promise<void> {
  const { version = 1, fortranOrder = false } = options;
  const descr = options.descr ?? (values instanceof Float32Array ? '<f4' : '<f8');
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': ${fortranOrder ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  const prefixLength = version === 1 ? 10 : 12;
  const padded = dict.padEnd(Math.ceil((prefixLength + dict.length + 1) / 64) * 64 - prefixLength - 1, ' ') + '\n';
  const prefix = new Uint8Array(prefixLength);
  prefix.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(prefix.buffer);
  if (version === 1) view.setUint16(8, padded.length, true);
  else view.setUint32(8, padded.length, true);
  const header = new TextEncoder().encode(padded);
  await writeFile(path, Buffer.concat([prefix, header, new Uint8Array(values.buffer, values.byteOffset, values.byteLength)]));
}

/** Every batch of a source or iterable, collected into one table. */
export async function collect(batches: AsyncIterable<arrow.RecordBatch>): Promise<arrow.RecordBatch[]> {
  const all: arrow.RecordBatch[] = [];
  for await (const batch of batches) all.push(batch);
  return all;
}

/** Rows of a set of batches as plain objects (lists as arrays). */
export function rowsOf(batches: readonly arrow.RecordBatch[]): Record<string, unknown>[] {
  return batches.flatMap((batch) =>
    batch.toArray().map((row) =>
      Object.fromEntries(
        Object.entries(row.toJSON() as Record<string, unknown>).map(([key, value]) => [
          key,
          value instanceof arrow.Vector ? [...value] : value,
        ]),
      ),
    ),
  );
}

/**
 * Each column's values over a set of batches (an embedding column as its flat element values):
 * a quicker comparison than row objects for large tables.
 */
export function columnValues(batches: readonly arrow.RecordBatch[]): Record<string, unknown[]> {
  const table = new arrow.Table(batches);
  return Object.fromEntries(
    table.schema.fields.map((field) => {
      const vector = table.getChild(field.name)!;
      const values = arrow.DataType.isFixedSizeList(field.type)
        ? vector.data.flatMap((data) => [...(data.children[0]!.values as Float32Array)])
        : [...vector];
      return [field.name, values];
    }),
  );
}

/** A batch from single-chunk column vectors. */
export function batchOf(columns: Record<string, arrow.Vector>): arrow.RecordBatch {
  // Not `new RecordBatch(columns)`: that keeps the Vectors themselves as the struct's children.
  return new arrow.Table(columns).batches[0]!;
}

export async function* asyncOf<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items;
}

/** A FixedSizeList<Float32 | Float64>[size] vector of row-major values. */
export function embeddingVector(values: Float32Array | Float64Array, size: number): arrow.Vector<arrow.FixedSizeList> {
  const elementType = values instanceof Float32Array ? new arrow.Float32() : new arrow.Float64();
  const type = new arrow.FixedSizeList(size, new arrow.Field('item', elementType, false));
  const child = arrow.makeData({ type: elementType, length: values.length, nullCount: 0, data: values });
  return arrow.makeVector(arrow.makeData({ type, length: values.length / size, nullCount: 0, child }));
}
