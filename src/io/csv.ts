import { createReadStream } from 'node:fs';
import * as arrow from 'apache-arrow';
import Papa from 'papaparse';
import { fileError, inputError } from '../errors.js';
import { makeBatch } from './batch.js';
import { BATCH_ROWS, decodeError, writeFully, type OutputFile } from './files.js';
import type { TableSource } from './read.js';

// ---------------------------------------------------------------------------------------------
// Reading

/**
 * The words NumPy, pandas and R write for non-finite values. They count as numbers so that a
 * NaN in a numeric column is reported as "value is NaN", not as text.
 */
const NON_FINITE = /^([+-]?)(nan|inf|infinity)$/i;

/**
 * The number a (trimmed, non-empty) cell holds, or undefined when it is not a number. Decimals
 * only: hex, binary and octal literals, which Number() also reads, are text in a data file.
 */
function parseNumber(cell: string): number | undefined {
  const simple = simpleDecimal(cell);
  if (simple !== undefined) return simple;
  if (cell !== '' && decimalCharacters(cell)) {
    // Of the strings made of these characters, Number() reads exactly the decimal numbers.
    const value = Number(cell);
    return value === value ? value : undefined;
  }
  const word = NON_FINITE.exec(cell);
  if (!word) return undefined;
  if (word[2]!.toLowerCase() === 'nan') return NaN;
  return word[1] === '-' ? -Infinity : Infinity;
}

/** 10⁰ … 10²², every one exact in float64. */
const POWERS_OF_TEN = Float64Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * The value of a cell like "-12.375": an optional sign, at most 15 digits, an optional decimal
 * point; undefined for anything else. Digits as an integer m < 10¹⁵ < 2⁵³ and m / 10ᵏ for k
 * digits after the point are both exact before the one division, which rounds correctly: the
 * same float64 as Number(cell), without its general conversion (a CSV's cells are mostly these).
 */
function simpleDecimal(cell: string): number | undefined {
  const n = cell.length;
  let i = 0;
  let c = cell.charCodeAt(0);
  const negative = c === 45; // -
  if (negative || c === 43) i = 1; // +
  let mantissa = 0;
  let digits = 0;
  let fraction = -1; // digits after the point, −1 before one
  for (; i < n; i++) {
    c = cell.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      digits++;
      if (fraction >= 0) fraction++;
    } else if (c === 46 && fraction < 0) {
      fraction = 0;
    } else {
      return undefined;
    }
  }
  if (digits === 0 || digits > 15) return undefined;
  const value = fraction > 0 ? mantissa / POWERS_OF_TEN[fraction]! : mantissa;
  return negative ? -value : value;
}

/** Whether every character is a digit, a sign, a decimal point or an exponent mark. */
function decimalCharacters(cell: string): boolean {
  for (let i = 0; i < cell.length; i++) {
    const c = cell.charCodeAt(i);
    // 0-9 + - . e E
    if (!((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46 || c === 101 || c === 69)) return false;
  }
  return true;
}

/**
 * The records of a CSV file as arrays of trimmed cells, the header first; blank lines are
 * skipped. Parsed by Papa Parse (RFC 4180: a quoted field starts right after the delimiter), a
 * stream chunk at a time, the file paused while the caller works through a chunk's records.
 */
async function* records(path: string): AsyncGenerator<string[]> {
  const input = createReadStream(path, { encoding: 'utf8' }); // decodes characters split between chunks
  const chunks: string[][][] = [];
  let parser: Papa.Parser | undefined;
  let finished = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const signal = () => {
    wake?.();
    wake = undefined;
  };
  let recordsBefore = 0; // records of the chunks already handed over (lines of spaces included)
  Papa.parse<string[]>(input, {
    delimiter: ',',
    skipEmptyLines: true,
    chunk(results, handle) {
      parser = handle;
      const error = results.errors[0];
      if (error) {
        failure ??= inputError(`${path}: invalid CSV (${error.message} in row ${recordsBefore + (error.row ?? 0)})`);
        handle.abort();
      } else {
        chunks.push(results.data);
        handle.pause();
      }
      signal();
    },
    complete() {
      finished = true;
      signal();
    },
    error(err) {
      failure ??= decodeError(path, 'CSV', err);
      signal();
    },
  });
  try {
    for (;;) {
      const chunk = chunks.shift();
      if (chunk) {
        recordsBefore += chunk.length;
        for (const record of chunk) {
          for (let j = 0; j < record.length; j++) record[j] = record[j]!.trim();
          if (record.length > 1 || record[0] !== '') yield record; // a line of spaces is blank too
        }
        parser!.resume();
        continue;
      }
      if (failure) throw failure;
      if (finished) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    if (!finished) parser?.abort();
    input.destroy();
  }
}

function checkHeader(path: string, header: readonly string[]): void {
  const seen = new Set<string>();
  for (const name of header) {
    if (seen.has(name)) throw inputError(`${path}: column "${name}" appears twice in the header`);
    seen.add(name);
  }
}

function checkWidth(path: string, record: readonly string[], width: number, row: number): void {
  if (record.length !== width) {
    throw inputError(`${path}: row ${row} has ${record.length} fields, the header has ${width}`);
  }
}

/**
 * Column types, each decided by the column's first non-empty cell: numeric → Float64, else Utf8.
 * Reads only until every column has a non-empty cell, which is usually the first data row.
 */
async function inferSchema(path: string): Promise<arrow.Schema> {
  let header: string[] | undefined;
  let numeric: (boolean | undefined)[] = [];
  let undecided = 0;
  let row = 0;
  for await (const record of records(path)) {
    if (!header) {
      checkHeader(path, record);
      header = record;
      numeric = new Array<boolean | undefined>(header.length);
      undecided = header.length;
      continue;
    }
    checkWidth(path, record, header.length, ++row);
    for (let j = 0; j < header.length; j++) {
      if (numeric[j] === undefined && record[j] !== '') {
        numeric[j] = parseNumber(record[j]!) !== undefined;
        undecided--;
      }
    }
    if (undecided === 0) break;
  }
  if (!header) throw fileError(path, 'is empty');
  if (row === 0) throw fileError(path, 'has no data rows');
  // A column with no value at all is text: nothing says it is numeric, and as text it stays out
  // of the default "every numeric column" selection instead of failing it with missing values.
  return new arrow.Schema(
    header.map((name, j) => new arrow.Field(name, numeric[j] ? new arrow.Float64() : new arrow.Utf8(), true)),
  );
}

interface ColumnBuilder {
  /** Appends a cell; false when the cell does not fit the column's type. */
  push(cell: string): boolean;
  /** The column so far as arrow data; the builder starts empty again. */
  finish(): arrow.Data;
}

class NumberColumn implements ColumnBuilder {
  private values = new Float64Array(BATCH_ROWS);
  private validity = new Uint8Array(BATCH_ROWS >> 3);
  private length = 0;
  private nulls = 0;

  push(cell: string): boolean {
    const i = this.length;
    if (cell === '') {
      this.nulls++;
    } else {
      const value = parseNumber(cell);
      if (value === undefined) return false;
      this.values[i] = value;
      this.validity[i >> 3]! |= 1 << (i & 7);
    }
    this.length = i + 1;
    return true;
  }

  finish(): arrow.Data {
    const { length, nulls } = this;
    const data = arrow.makeData({
      type: new arrow.Float64(),
      length,
      nullCount: nulls,
      nullBitmap: nulls > 0 ? this.validity.subarray(0, (length + 7) >> 3) : null,
      data: this.values.subarray(0, length),
    });
    // The arrays now belong to the batch.
    this.values = new Float64Array(BATCH_ROWS);
    this.validity = new Uint8Array(BATCH_ROWS >> 3);
    this.length = 0;
    this.nulls = 0;
    return data;
  }
}

class TextColumn implements ColumnBuilder {
  private values: (string | null)[] = [];

  push(cell: string): boolean {
    this.values.push(cell === '' ? null : cell);
    return true;
  }

  finish(): arrow.Data {
    const data = arrow.vectorFromArray(this.values, new arrow.Utf8()).data[0]!;
    this.values = [];
    return data;
  }
}

async function* readBatches(path: string, schema: arrow.Schema): AsyncGenerator<arrow.RecordBatch> {
  const { fields } = schema;
  const columns: ColumnBuilder[] = fields.map((field) =>
    arrow.DataType.isFloat(field.type) ? new NumberColumn() : new TextColumn(),
  );
  let row = -1; // the header is row 0
  let filled = 0;
  for await (const record of records(path)) {
    if (++row === 0) continue;
    checkWidth(path, record, fields.length, row);
    for (let j = 0; j < columns.length; j++) {
      if (!columns[j]!.push(record[j]!)) {
        throw inputError(`${path}: column "${fields[j]!.name}", row ${row}: "${record[j]}" is not a number`);
      }
    }
    if (++filled === BATCH_ROWS) {
      yield makeBatch(schema, filled, columns.map((column) => column.finish()));
      filled = 0;
    }
  }
  if (filled > 0) yield makeBatch(schema, filled, columns.map((column) => column.finish()));
}

/**
 * A CSV file with a header row. Numeric columns become Float64, the others Utf8; empty cells
 * are null, cells are trimmed and blank lines skipped.
 */
export async function openCsv(path: string): Promise<TableSource> {
  const schema = await inferSchema(path);
  return { path, format: 'csv', schema, batches: () => readBatches(path, schema) };
}

// ---------------------------------------------------------------------------------------------
// Writing

const MIN_NORMAL_FLOAT32 = 2 ** -126;

/**
 * The shortest decimal that reads back as the same float32 (0.1f prints as "0.1", not as the
 * float64 expansion 0.10000000149011612).
 */
export function formatFloat32(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  // For a normal float32, when some decimal of at most 6 significant digits reads back as
  // `value`, it is the nearest 6-digit decimal (the float's rounding interval is narrower than
  // the spacing of 6-digit decimals), so toPrecision(6) finds it and String() drops the padding
  // zeros. Subnormals (and zero) are less precise and search from 1 digit. 9 always suffice.
  for (let digits = Math.abs(value) < MIN_NORMAL_FLOAT32 ? 1 : 6; digits < 9; digits++) {
    const decimal = Number(value.toPrecision(digits));
    if (Math.fround(decimal) === value) return String(decimal);
  }
  return String(Number(value.toPrecision(9)));
}

const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;

function quote(text: string): string {
  return `"${text.replaceAll('"', '""')}"`;
}

/** RFC 4180 quoting, plus quotes around leading or trailing blanks so that they survive trimming. */
function csvField(text: string): string {
  return NEEDS_QUOTES.test(text) ? quote(text) : text;
}

/**
 * Formats the value at an index of `data` (valid values only). Numbers print bare; lists print
 * as a JSON-style array; inside a list, text is JSON-quoted.
 */
function valueFormatter(data: arrow.Data, nested: boolean): (index: number) => string {
  const { type } = data;
  if (arrow.DataType.isFloat(type) && type.precision === arrow.Precision.SINGLE) {
    const values = data.values as Float32Array;
    return (i) => formatFloat32(values[i]!);
  }
  if ((arrow.DataType.isFloat(type) && type.precision === arrow.Precision.DOUBLE) || arrow.DataType.isInt(type)) {
    const values = data.values as ArrayLike<number | bigint>;
    return (i) => String(values[i]);
  }
  if (arrow.DataType.isFixedSizeList(type)) {
    const size = type.listSize;
    const child = data.children[0]!;
    const element = valueFormatter(child, true);
    const hasNulls = child.nullCount > 0;
    const list = (i: number): string => {
      let text = '[';
      for (let k = i * size; k < (i + 1) * size; k++) {
        if (k > i * size) text += ',';
        text += hasNulls && !child.getValid(k) ? 'null' : element(k);
      }
      return `${text}]`;
    };
    return nested ? list : (i) => quote(list(i));
  }
  const vector = arrow.makeVector(data);
  return nested ? (i) => JSON.stringify(vector.get(i)) : (i) => csvField(String(vector.get(i)));
}

/** Formats one column's CSV cells; a null is an empty cell. */
function cellFormatter(data: arrow.Data): (row: number) => string {
  const format = valueFormatter(data, false);
  return data.nullCount > 0 ? (row) => (data.getValid(row) ? format(row) : '') : format;
}

/** Characters of text gathered before each write to the file. */
const WRITE_CHUNK = 1 << 20;

/** Writes CSV: a header row, then one line per row. */
export async function writeCsv(
  out: OutputFile,
  schema: arrow.Schema,
  batches: AsyncIterable<arrow.RecordBatch>,
): Promise<void> {
  let text = `${schema.fields.map((field) => csvField(field.name)).join(',')}\n`;
  for await (const batch of batches) {
    const cells = batch.data.children.map(cellFormatter);
    for (let row = 0; row < batch.numRows; row++) {
      for (let j = 0; j < cells.length; j++) text += (j > 0 ? ',' : '') + cells[j]!(row);
      text += '\n';
      if (text.length >= WRITE_CHUNK) {
        await writeFully(out, text);
        text = '';
      }
    }
  }
  await writeFully(out, text);
}
