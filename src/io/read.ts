import { access, constants, stat } from 'node:fs/promises';
import type * as arrow from 'apache-arrow';
import { fileError } from '../errors.js';
import { openArrow } from './arrow-ipc.js';
import { openCsv } from './csv.js';
import { formatOf, fsError, type TableFormat } from './files.js';
import { openNpy } from './npy.js';
import { openParquet } from './parquet.js';

/**
 * A table in a file, read as a stream of record batches. `batches()` may be called any number
 * of times and reads the file again each time, so a caller can compute from one pass and then
 * copy the input through to an output in another without holding the table in memory.
 */
export interface TableSource {
  readonly path: string;
  readonly format: TableFormat;
  /** The schema of every batch from `batches()` (equal field for field, not the same object). */
  readonly schema: arrow.Schema;
  /**
   * The table's batches. Given `columns` (names in the schema), a format that stores columns
   * apart (Parquet) decodes only those, and its batches hold only them; other formats may still
   * give every column, so find columns by name.
   */
  batches(columns?: readonly string[]): AsyncIterable<arrow.RecordBatch>;
}

const OPENERS: Readonly<Record<TableFormat, (path: string) => Promise<TableSource>>> = {
  csv: openCsv,
  parquet: openParquet,
  arrow: openArrow,
  npy: openNpy,
};

/**
 * Opens a table file by its extension: `.csv`, `.parquet`, `.arrow` / `.feather` / `.ipc`
 * (Arrow IPC, file or stream format) or `.npy` (float32 / float64, 1-D or 2-D; one
 * `embedding` column). Reads only the schema and enough rows to know the file holds data;
 * a missing, unreadable, empty or malformed file is a ClusterkitError naming it.
 */
export async function openTable(path: string): Promise<TableSource> {
  const format = formatOf(path, ['csv', 'parquet', 'arrow', 'npy'], 'read');
  const failed = (err: unknown) => {
    throw fsError(path, err, 'read');
  };
  const stats = await stat(path).catch(failed);
  if (!stats.isFile()) throw fileError(path, 'is not a file');
  await access(path, constants.R_OK).catch(failed);
  if (stats.size === 0) throw fileError(path, 'is empty');
  return OPENERS[format](path);
}
