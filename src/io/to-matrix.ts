import * as arrow from 'apache-arrow';
import { describeNonFinite, inputError, optionError } from '../errors.js';
import { firstNonFinite, MatrixBuilder, type Matrix, type MatrixChunk } from '../matrix.js';
import type { TableSource } from './read.js';

export type MatrixInput =
  | TableSource
  | arrow.Table
  | AsyncIterable<arrow.RecordBatch>
  | Iterable<arrow.RecordBatch>;

/** Which columns become the matrix; give at most one of the two. */
export interface ColumnSelection {
  /** Numeric columns, in this order. */
  readonly columns?: readonly string[];
  /** One FixedSizeList<Float32 | Float64> column, giving one matrix column per element. */
  readonly embedding?: string;
  /** Columns left out of the default choice of every numeric column (ids, labels). */
  readonly exclude?: readonly string[];
}

/** How readMatrix builds the matrix. */
export interface ReadOptions {
  /** Floats per chunk of the matrix (default DEFAULT_CHUNK_ELEMENTS, 256 MiB). */
  chunkElements?: number;
  /**
   * Sees each chunk of the matrix as soon as it is complete, before the next batch is read:
   * `cols` is the matrix's column count. A backend uploads it meanwhile (Engine.load).
   */
  onChunk?: (chunk: MatrixChunk, cols: number) => void;
}

export interface MatrixRead {
  matrix: Matrix;
  /** The table columns used, in order (a single name for an embedding column). */
  columns: string[];
}

/**
 * Converts a table to a row-major float32 Matrix, batch by batch.
 *
 * Without a selection, every numeric column (floats and integers of any width) but the
 * excluded is used in table order; a table with no numeric column but exactly one float FixedSizeList column uses
 * that one. Matrix columns are named after the table's (`emb[0]`, `emb[1]`, … for an
 * embedding). A null, NaN or infinite value is an error naming its column and row, so the
 * resulting matrix holds only finite numbers. A large batch of a float32 embedding column is
 * used in place (no copy): the matrix then shares that memory with the table.
 */
export async function readMatrix(input: MatrixInput, select: ColumnSelection = {}, { chunkElements, onChunk }: ReadOptions = {}): Promise<MatrixRead> {
  if (select.columns && select.embedding !== undefined) {
    throw optionError('embedding', 'cannot be combined with a list of columns');
  }
  if (select.columns?.length === 0) throw optionError('columns', 'names no column');
  // A file is asked for the selected columns only; its batches may then hold no other, so
  // the same columns are chosen again by name in each batch's schema.
  let selected = select;
  const { where, schema, batches } = batchSource(input, (fileSchema, fileWhere) => {
    const chosen = planColumns(fileSchema, select, fileWhere);
    selected = chosen.selection;
    return chosen.columns;
  });
  let plan = schema && planColumns(schema, selected, where);
  let builder: MatrixBuilder | undefined;
  let rows = 0;
  for await (const batch of batches) {
    plan ??= planColumns(batch.schema, selected, where);
    if (!builder) {
      const cols = plan.names.length;
      builder = new MatrixBuilder(cols, plan.names, chunkElements, onChunk && ((chunk) => onChunk(chunk, cols)));
    }
    appendRows(plan, batch, builder, rows, where);
    rows += batch.numRows;
  }
  if (!plan || !builder || rows === 0) throw inputError(`${where}the table has no rows`);
  return { matrix: builder.build({ finite: true }), columns: plan.columns };
}

/**
 * A table as the readers see it: a prefix for error messages, the schema if every batch has it
 * (undefined: plan on each batch's own), the batches.
 */
export interface BatchSource {
  /** "path: " for a file, "" otherwise. */
  where: string;
  schema?: arrow.Schema;
  batches: AsyncIterable<arrow.RecordBatch> | Iterable<arrow.RecordBatch>;
}

/**
 * The batches of `input`. A file is asked only for the columns `columnsOf` names (Parquet then
 * decodes no other); `columnsOf` sees the file's schema first, so it can reject a bad choice
 * before anything is read. Batches asked for some columns may hold only those: find columns by
 * name in each batch's schema.
 */
export function batchSource(input: MatrixInput, columnsOf?: (schema: arrow.Schema, where: string) => readonly string[]): BatchSource {
  if (input instanceof arrow.Table) return { where: '', schema: input.schema, batches: input.batches };
  if ('batches' in input && typeof input.batches === 'function') {
    const where = `${input.path}: `;
    if (!columnsOf) return { where, schema: input.schema, batches: input.batches() };
    return { where, batches: input.batches(columnsOf(input.schema, where)) };
  }
  return { where: '', batches: input as AsyncIterable<arrow.RecordBatch> | Iterable<arrow.RecordBatch> };
}

/**
 * The index of column `name`; unknown is an input error listing the table's columns and, when
 * given, naming the option that asked for it.
 */
export function columnIndex(schema: arrow.Schema, name: string, where: string, option?: string): number {
  const index = schema.fields.findIndex((field) => field.name === name);
  if (index < 0) {
    const names = schema.fields.map((field) => field.name).join(', ');
    throw inputError(`${where}unknown column "${name}"${option ? ` (option ${option})` : ''}; the table has: ${names}`);
  }
  return index;
}

export function isNumericType(type: arrow.DataType): boolean {
  return arrow.DataType.isFloat(type) || arrow.DataType.isInt(type);
}

// ---------------------------------------------------------------------------------------------
// Choosing the columns

/** The value columns of a table and how to read them as rows of float32 values. */
export interface ColumnPlan {
  /** Table columns used. */
  readonly columns: string[];
  /** One name per value: the columns, or `emb[0]`, `emb[1]`, … */
  readonly names: string[];
  /** The same columns chosen by name, for a table holding only them (see batchSource). */
  readonly selection: ColumnSelection;
  /**
   * Writes rows [start, start + count) of `batch` into `span` (count × names.length, row-major);
   * `firstRow` is the 0-based table row of the batch's first row. A null, NaN or infinite value
   * is an error naming its column and row.
   */
  fill(batch: arrow.RecordBatch, start: number, count: number, span: Float32Array, firstRow: number): void;
  /**
   * All rows of `batch` as one row-major float32 array that can be used as it is, when the batch
   * holds them that way (a float32 embedding column without nulls); not checked for finiteness.
   */
  rows?(batch: arrow.RecordBatch): Float32Array | undefined;
}

function isEmbedding(type: arrow.DataType): type is arrow.FixedSizeList {
  if (!arrow.DataType.isFixedSizeList(type) || type.listSize === 0) return false;
  const element = type.children[0]!.type;
  return arrow.DataType.isFloat(element) && element.precision !== arrow.Precision.HALF;
}

/**
 * Chooses the value columns: `embedding` (a FixedSizeList of floats), `columns` (numeric), or
 * with neither every numeric column but `exclude` (and, when there is none, the only embedding
 * column not excluded). `nameOptions` adds the option to unknown-column errors, for callers
 * with several column options.
 */
export function planColumns(schema: arrow.Schema, select: ColumnSelection, where: string, { nameOptions = false } = {}): ColumnPlan {
  const fields = schema.fields;
  const indexOf = (name: string, option: string) => columnIndex(schema, name, where, nameOptions ? option : undefined);

  if (select.embedding !== undefined) {
    const index = indexOf(select.embedding, 'embedding');
    const { type } = fields[index]!;
    if (!isEmbedding(type)) {
      throw inputError(
        `${where}column "${select.embedding}" is not an embedding (${type}); an embedding is a FixedSizeList of Float32 or Float64`,
      );
    }
    return embeddingPlan(select.embedding, index, type.listSize, where);
  }

  if (select.columns) {
    const indices = select.columns.map((name, i) => {
      if (select.columns!.indexOf(name) !== i) throw inputError(`${where}column "${name}" is selected twice`);
      const index = indexOf(name, 'columns');
      const { type } = fields[index]!;
      if (!isNumericType(type)) {
        const hint = isEmbedding(type) ? '; select an embedding column with the embedding option' : '';
        throw inputError(`${where}column "${name}" is not numeric (${type})${hint}`);
      }
      return index;
    });
    return scalarPlan(schema, indices, where);
  }

  const excluded = new Set((select.exclude ?? []).map((name) => indexOf(name, 'exclude')));
  const numeric = fields.flatMap((field, i) => (isNumericType(field.type) && !excluded.has(i) ? [i] : []));
  if (numeric.length > 0) return scalarPlan(schema, numeric, where);
  const embeddings = fields.filter((field, i) => isEmbedding(field.type) && !excluded.has(i));
  if (embeddings.length === 1) {
    const [field] = embeddings as [arrow.Field<arrow.FixedSizeList>];
    return embeddingPlan(field.name, fields.indexOf(field), field.type.listSize, where);
  }
  if (embeddings.length > 1) {
    const names = embeddings.map((field) => field.name).join(', ');
    throw inputError(`${where}the table has several embedding columns (${names}); choose one with the embedding option`);
  }
  const columns = fields.map((field) => `${field.name} (${field.type})`).join(', ');
  throw inputError(`${where}the table has no numeric or embedding column; its columns: ${columns || 'none'}`);
}

// ---------------------------------------------------------------------------------------------
// Converting batches
//
// Rows go into the builder in spans of about 1 MiB of floats: each span is filled column by
// column straight from the arrow buffers, then scanned for non-finite values while it is still
// in cache.

const SPAN_FLOATS = 1 << 18;

/**
 * Batches of at least this many floats already in matrix layout become chunks of the matrix
 * without a copy (smaller ones are copied, so that a file of small batches does not become a
 * matrix of thousands of chunks).
 */
const ADOPT_FLOATS = 1 << 22;

function appendRows(plan: ColumnPlan, batch: arrow.RecordBatch, builder: MatrixBuilder, firstRow: number, where: string): void {
  const rows = batch.numRows * plan.names.length >= ADOPT_FLOATS ? plan.rows?.(batch) : undefined;
  if (rows) {
    checkFinite(rows, plan.names, firstRow, where);
    builder.adoptRows(rows);
    return;
  }
  const spanRows = Math.min(builder.chunkRows, Math.max(1, Math.floor(SPAN_FLOATS / plan.names.length)));
  for (let start = 0; start < batch.numRows; start += spanRows) {
    const count = Math.min(spanRows, batch.numRows - start);
    plan.fill(batch, start, count, builder.reserveRows(count), firstRow);
  }
}

function missingValue(where: string, column: string, row: number): Error {
  return inputError(`${where}column "${column}", row ${row + 1}: missing value`);
}

/** Throws for the first null among `count` values of `data` from `start`. */
function checkNoNulls(data: arrow.Data, start: number, count: number, onNull: (index: number) => Error): void {
  if (data.nullCount === 0) return;
  for (let i = start; i < start + count; i++) if (!data.getValid(i)) throw onNull(i);
}

/** Throws for the first NaN or infinity in a filled span (row-major, `names.length` columns). */
function checkFinite(span: Float32Array, names: readonly string[], firstRow: number, where: string): void {
  const i = firstNonFinite(span);
  if (i < 0) return;
  const v = span[i]!;
  const row = firstRow + Math.floor(i / names.length) + 1;
  const column = names[i % names.length];
  throw inputError(`${where}column "${column}", row ${row}: value is ${describeNonFinite(v)}; only finite numbers can be used`);
}

/** Copies `count` values of a numeric column from `start` into column `col` of a span. */
function fillColumn(data: arrow.Data, start: number, count: number, span: Float32Array, cols: number, col: number): void {
  const { type, values } = data;
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
    for (let r = 0; r < count; r++) span[r * cols + col] = Number(values[start + r]!);
  } else if (arrow.DataType.isFloat(type) && type.precision === arrow.Precision.HALF) {
    const toNumber = arrow.util.uint16ToFloat64;
    for (let r = 0; r < count; r++) span[r * cols + col] = toNumber(values[start + r]);
  } else {
    const numbers = values as ArrayLike<number>;
    for (let r = 0; r < count; r++) span[r * cols + col] = numbers[start + r]!;
  }
}

function scalarPlan(schema: arrow.Schema, indices: number[], where: string): ColumnPlan {
  const names = indices.map((i) => schema.fields[i]!.name);
  return {
    columns: names,
    names,
    selection: { columns: names },
    fill(batch, start, count, span, firstRow) {
      indices.forEach((index, col) => {
        const data = batch.data.children[index]!;
        checkNoNulls(data, start, count, (i) => missingValue(where, names[col]!, firstRow + i));
        fillColumn(data, start, count, span, names.length, col);
      });
      checkFinite(span.subarray(0, count * names.length), names, firstRow + start, where);
    },
  };
}

function embeddingPlan(name: string, index: number, size: number, where: string): ColumnPlan {
  const names = Array.from({ length: size }, (_, k) => `${name}[${k}]`);
  return {
    columns: [name],
    names,
    selection: { embedding: name },
    fill(batch, start, count, span, firstRow) {
      const list = batch.data.children[index]!;
      // arrow-js keeps a sliced list's child sliced to match, so element k of row r is child
      // value r * size + k; `offset` only shifts positions in the validity bitmaps.
      const child = list.children[0]!;
      checkNoNulls(list, start, count, (i) => missingValue(where, name, firstRow + i));
      checkNoNulls(child, start * size, count * size, (i) => missingValue(where, names[i % size]!, firstRow + Math.floor(i / size)));
      const values = child.values as Float32Array | Float64Array;
      span.set(values.subarray(start * size, (start + count) * size)); // converts float64 too
      checkFinite(span.subarray(0, count * size), names, firstRow + start, where);
    },
    rows(batch) {
      const list = batch.data.children[index]!;
      const child = list.children[0]!;
      if (list.nullCount > 0 || child.nullCount > 0 || !(child.values instanceof Float32Array)) return undefined;
      return child.values.subarray(0, batch.numRows * size);
    },
  };
}
