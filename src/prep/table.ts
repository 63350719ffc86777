import * as arrow from 'apache-arrow';
import { describeNonFinite, inputError, optionError } from '../errors.js';
import { makeBatch } from '../io/batch.js';

/**
 * Arrow plumbing for the table-preparation steps: inputs (tables, record batches, files),
 * choosing columns, reading a numeric column as float64 with its missing values, writing
 * float64 columns back, and the base of every fitted step.
 *
 * Missing values: a null, or NaN in a float column, is "missing". Statistics skip missing
 * values (as scikit-learn's scalers and SimpleImputer do); steps other than imputation keep a
 * missing value missing, written as null. ±Infinity is an error naming its column and row.
 */

/** A table that can be read more than once, e.g. a file opened with `openTable`. */
export interface ReadableTable {
  readonly schema: arrow.Schema;
  batches(): AsyncIterable<arrow.RecordBatch>;
}

/** Inputs read synchronously: the fits return their result directly. */
export type SyncTableInput = arrow.Table | Iterable<arrow.RecordBatch>;
/** Inputs read asynchronously: the fits return a promise. */
export type AsyncTableInput = ReadableTable | AsyncIterable<arrow.RecordBatch>;
export type TableInput = SyncTableInput | AsyncTableInput;

export type BatchStream = Iterable<arrow.RecordBatch> | AsyncIterable<arrow.RecordBatch>;

/** Consumes record batches one by one, then gives a result. */
export interface BatchSink<T> {
  /** `firstRow`: 0-based table row of the batch's first row (for messages). */
  add(batch: arrow.RecordBatch, firstRow: number): void;
  finish(): T;
}

function isReadable(input: TableInput): input is ReadableTable {
  return typeof (input as ReadableTable).batches === 'function' && !(input instanceof arrow.Table);
}

function isAsync(input: TableInput): boolean {
  return isReadable(input) || Symbol.asyncIterator in (input as object);
}

/** The batches of a synchronous input. */
export function syncBatches(input: SyncTableInput): Iterable<arrow.RecordBatch> {
  return input instanceof arrow.Table ? input.batches : input;
}

/** Feeds every batch of `input` to the sink: synchronously when the input is synchronous. */
export function drain<T>(input: TableInput, sink: BatchSink<T>): T | Promise<T> {
  checkInput(input);
  if (!isAsync(input)) {
    let row = 0;
    for (const batch of syncBatches(input as SyncTableInput)) {
      sink.add(batch, row);
      row += batch.numRows;
    }
    return sink.finish();
  }
  return (async () => {
    let row = 0;
    const batches = isReadable(input) ? input.batches() : (input as AsyncIterable<arrow.RecordBatch>);
    for await (const batch of batches) {
      sink.add(batch, row);
      row += batch.numRows;
    }
    return sink.finish();
  })();
}

/** All batches of an input in memory (to read them several times). */
export function collect(input: TableInput): arrow.RecordBatch[] | Promise<arrow.RecordBatch[]> {
  const batches: arrow.RecordBatch[] = [];
  return drain(input, {
    add: (batch) => void batches.push(batch),
    finish: () => batches,
  });
}

function checkInput(input: unknown): void {
  const ok =
    input instanceof arrow.Table ||
    (input !== null &&
      typeof input === 'object' &&
      (typeof (input as ReadableTable).batches === 'function' || Symbol.iterator in input || Symbol.asyncIterator in input));
  if (!ok) throw inputError('expected an Arrow Table, record batches, or a table opened with openTable');
}

// ---------------------------------------------------------------------------------------------
// Columns

export function isNumericType(type: arrow.DataType): boolean {
  return arrow.DataType.isFloat(type) || arrow.DataType.isInt(type);
}

export function isTextType(type: arrow.DataType): boolean {
  if (arrow.DataType.isDictionary(type)) return isTextType(type.dictionary);
  return arrow.DataType.isUtf8(type) || arrow.DataType.isLargeUtf8(type);
}

/** Which numeric columns a step works on: the named ones, or every numeric column but the excluded. */
export interface ColumnChoice {
  /** Numeric columns, in this order. */
  readonly columns?: readonly string[];
  /** Columns left out of the default "every numeric column". */
  readonly exclude?: readonly string[];
}

export function fieldIndex(schema: arrow.Schema, name: string): number {
  const index = schema.fields.findIndex((field) => field.name === name);
  if (index < 0) {
    throw inputError(`unknown column "${name}"; the table has: ${schema.fields.map((f) => f.name).join(', ')}`);
  }
  return index;
}

/** Resolves a ColumnChoice against a schema; errors name the column. */
export function numericColumns(schema: arrow.Schema, choice: ColumnChoice = {}): string[] {
  if (choice.columns && choice.exclude && choice.exclude.length > 0) {
    throw optionError('exclude', 'cannot be combined with a list of columns');
  }
  if (choice.columns) {
    if (choice.columns.length === 0) throw optionError('columns', 'names no column');
    choice.columns.forEach((name, i) => {
      if (choice.columns!.indexOf(name) !== i) throw inputError(`column "${name}" is selected twice`);
      requireNumeric(schema, name);
    });
    return [...choice.columns];
  }
  const excluded = new Set(choice.exclude ?? []);
  for (const name of excluded) fieldIndex(schema, name);
  const names = schema.fields.filter((f) => isNumericType(f.type) && !excluded.has(f.name)).map((f) => f.name);
  if (names.length === 0) {
    const columns = schema.fields.map((f) => `${f.name} (${f.type})`).join(', ');
    throw inputError(`the table has no numeric column to prepare; its columns: ${columns || 'none'}`);
  }
  return names;
}

export function requireNumeric(schema: arrow.Schema, name: string): void {
  const { type } = schema.fields[fieldIndex(schema, name)]!;
  if (!isNumericType(type)) throw inputError(`column "${name}" is not numeric (${type})`);
}

export function requireText(schema: arrow.Schema, name: string, what: string): void {
  const { type } = schema.fields[fieldIndex(schema, name)]!;
  if (!isTextType(type)) throw inputError(`column "${name}" is not text (${type}); ${what}`);
}

/** Names listed twice are an error naming the option. */
export function checkNames(option: string, names: readonly string[]): void {
  if (!Array.isArray(names) || names.some((name) => typeof name !== 'string' || name === '')) {
    throw optionError(option, 'expected a list of column names');
  }
  names.forEach((name, i) => {
    if (names.indexOf(name) !== i) throw optionError(option, `column "${name}" is named twice`);
  });
}

// ---------------------------------------------------------------------------------------------
// Reading and writing numbers

/**
 * A numeric column's values as float64, missing (null) as NaN. ±Infinity is an error naming
 * the column and the 1-based table row.
 */
export function readNumbers(data: arrow.Data, column: string, firstRow: number): Float64Array {
  const { type, length } = data;
  const out = new Float64Array(length);
  const values = data.values as ArrayLike<number | bigint>;
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
    for (let i = 0; i < length; i++) out[i] = Number(values[i]!);
  } else if (arrow.DataType.isFloat(type) && type.precision === arrow.Precision.HALF) {
    for (let i = 0; i < length; i++) out[i] = arrow.util.uint16ToFloat64(values[i] as number);
  } else {
    out.set((values as Float64Array).subarray(0, length)); // IPC buffers may be padded past `length`
  }
  if (data.nullCount > 0) {
    const { nullBitmap, offset } = data;
    for (let i = 0; i < length; i++) {
      const at = offset + i;
      if (!nullBitmap || ((nullBitmap[at >> 3]! >> (at & 7)) & 1) === 0) out[i] = NaN;
    }
  }
  for (let i = 0; i < length; i++) {
    const v = out[i]!;
    if (v === Infinity || v === -Infinity) {
      throw inputError(`column "${column}", row ${firstRow + i + 1}: value is ${describeNonFinite(v)}; table preparation needs finite numbers (missing values are allowed)`);
    }
  }
  return out;
}

/** A Float64 column from values; NaN becomes null. */
export function float64Data(values: Float64Array): arrow.Data<arrow.Float64> {
  const length = values.length;
  let nulls = 0;
  for (let i = 0; i < length; i++) if (values[i] !== values[i]) nulls++;
  let nullBitmap: Uint8Array | undefined;
  if (nulls > 0) {
    nullBitmap = new Uint8Array((length + 7) >> 3);
    for (let i = 0; i < length; i++) if (values[i] === values[i]) nullBitmap[i >> 3]! |= 1 << (i & 7);
  }
  return arrow.makeData({ type: new arrow.Float64(), length, nullCount: nulls, nullBitmap, data: values });
}

/** Record-style parameters: column name → number (NaN and ±Infinity as null in JSON). */
export function byColumn(columns: readonly string[], values: ArrayLike<number>): Record<string, number> {
  const out: Record<string, number> = {};
  columns.forEach((name, j) => {
    out[name] = values[j]!;
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Fitted steps

/** What every fitted step (and a whole preparation) offers. */
export interface TableStep {
  /** The schema of the output for an input of `schema`. */
  outputSchema(schema: arrow.Schema): arrow.Schema;
  /** One batch transformed; `firstRow` (0-based) numbers rows in error messages. */
  transformBatch(batch: arrow.RecordBatch, firstRow?: number): arrow.RecordBatch;
  /** A whole table transformed. */
  transform(table: arrow.Table): arrow.Table;
  /** A stream of batches transformed, batch by batch (for `writeTable`). */
  transformBatches(batches: BatchStream): AsyncGenerator<arrow.RecordBatch>;
  /** The fitted parameters, as plain JSON. */
  toJSON(): Record<string, unknown>;
}

/**
 * A step that replaces some columns, each by one or more new columns in its place; the other
 * columns pass through untouched.
 */
export abstract class ColumnStep implements TableStep {
  /** The columns this step reads and replaces. */
  abstract readonly columns: readonly string[];
  /** Checks an input field (its type) and gives the fields that replace it. */
  protected abstract outputFields(field: arrow.Field): arrow.Field[];
  /** The replacement columns for one batch's data of `column`. */
  protected abstract transformColumn(column: string, index: number, data: arrow.Data, firstRow: number): arrow.Data[];
  abstract toJSON(): Record<string, unknown>;

  private cache: { input: arrow.Schema; output: arrow.Schema } | undefined;

  outputSchema(schema: arrow.Schema): arrow.Schema {
    if (this.cache && (this.cache.input === schema || arrow.util.compareSchemas(this.cache.input, schema))) return this.cache.output;
    for (const name of this.columns) fieldIndex(schema, name);
    const fields = schema.fields.flatMap((field) => {
      const index = this.columns.indexOf(field.name);
      return index < 0 ? [field] : this.outputFields(field);
    });
    const seen = new Set<string>();
    for (const field of fields) {
      if (seen.has(field.name)) throw inputError(`the output would have two columns named "${field.name}"`);
      seen.add(field.name);
    }
    const output = new arrow.Schema(fields, schema.metadata);
    this.cache = { input: schema, output };
    return output;
  }

  transformBatch(batch: arrow.RecordBatch, firstRow = 0): arrow.RecordBatch {
    const schema = this.outputSchema(batch.schema);
    const children = batch.schema.fields.flatMap((field, i) => {
      const data = batch.data.children[i]!;
      const index = this.columns.indexOf(field.name);
      return index < 0 ? [data] : this.transformColumn(field.name, index, data, firstRow);
    });
    return makeBatch(schema, batch.numRows, children);
  }

  transform(table: arrow.Table): arrow.Table {
    return transformTable(this, table);
  }

  transformBatches(batches: BatchStream): AsyncGenerator<arrow.RecordBatch> {
    return transformStream(this, batches);
  }
}

export function transformTable(step: TableStep, table: arrow.Table): arrow.Table {
  if (!(table instanceof arrow.Table)) throw inputError('transform expects an Arrow Table (use transformBatches for a stream)');
  const schema = step.outputSchema(table.schema);
  let row = 0;
  const batches = table.batches.map((batch) => {
    const out = step.transformBatch(batch, row);
    row += batch.numRows;
    return out;
  });
  return new arrow.Table(schema, batches);
}

export async function* transformStream(step: TableStep, batches: BatchStream): AsyncGenerator<arrow.RecordBatch> {
  let row = 0;
  for await (const batch of batches) {
    const out = step.transformBatch(batch, row);
    row += batch.numRows;
    yield out;
  }
}

/** A Float64 field replacing `field`; nullable unless the step fills every missing value. */
export function float64Field(field: arrow.Field, nullable = true): arrow.Field {
  return new arrow.Field(field.name, new arrow.Float64(), nullable, field.metadata);
}

/**
 * A sink collecting per-column statistics of the chosen numeric columns: the choice is resolved
 * on the first batch's schema, and `make` creates the accumulator for each column.
 */
export class NumericSink<S extends { add(values: Float64Array): void }, T> implements BatchSink<T> {
  private columns: string[] | undefined;
  private indices: number[] = [];
  private states: S[] = [];
  private rows = 0;

  constructor(
    private readonly choice: ColumnChoice,
    private readonly make: () => S,
    private readonly done: (columns: string[], states: S[], rows: number) => T,
  ) {}

  add(batch: arrow.RecordBatch, firstRow: number): void {
    if (!this.columns) {
      this.columns = numericColumns(batch.schema, this.choice);
      this.indices = this.columns.map((name) => fieldIndex(batch.schema, name));
      this.states = this.columns.map(() => this.make());
    }
    this.indices.forEach((index, j) => {
      const name = this.columns![j]!;
      const field = batch.schema.fields[index];
      if (field?.name !== name) throw inputError(`a record batch lacks column "${name}" at position ${index + 1}`);
      this.states[j]!.add(readNumbers(batch.data.children[index]!, name, firstRow));
    });
    this.rows += batch.numRows;
  }

  finish(): T {
    if (!this.columns || this.rows === 0) throw inputError('the table has no rows');
    return this.done(this.columns, this.states, this.rows);
  }
}

/** Fails naming the first column that has no value at all. */
export function requireValues(columns: readonly string[], counts: ArrayLike<number>, what: string): void {
  columns.forEach((name, j) => {
    if (counts[j] === 0) throw inputError(`column "${name}" has no values (every row is missing); ${what}`);
  });
}
