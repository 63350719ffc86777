import * as arrow from 'apache-arrow';
import { requireChoice } from '../algorithms/validate.js';
import { inputError, optionError } from '../errors.js';
import {
  checkNames,
  ColumnStep,
  drain,
  fieldIndex,
  isTextType,
  requireText,
  type AsyncTableInput,
  type BatchSink,
  type SyncTableInput,
  type TableInput,
} from './table.js';

/**
 * What a null does:
 * - 'category' (default): nulls are a category of their own, placed after the sorted values
 *   (as scikit-learn's OneHotEncoder treats None / NaN), with the column `<col>=null`. It
 *   exists only when the fitted data had nulls.
 * - 'zeros': a null row gets 0 in every column of its variable (pandas' get_dummies).
 * - 'error': a null is an error naming its column and row.
 */
export type OneHotNulls = 'category' | 'zeros' | 'error';
/** A value not seen in the fit: 'error' (default, as scikit-learn) or 'ignore' (all zeros). */
export type OneHotUnknown = 'error' | 'ignore';

export interface OneHotOptions {
  /** The text columns (Utf8, LargeUtf8, or dictionary-encoded text) to encode. */
  columns: readonly string[];
  nulls?: OneHotNulls;
  unknown?: OneHotUnknown;
}

/** The name of a null category's column: `<col>=null`. */
export const NULL_CATEGORY = 'null';

/**
 * Compares strings by Unicode code point, as Python (and so NumPy's unique and scikit-learn's
 * categories_) sorts them; JavaScript's default order compares UTF-16 code units, which
 * differs for characters beyond U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs === ys) return x - y; // both surrogates (same order as code points) or both plain
    return xs ? 1 : -1; // a surrogate starts a code point above U+FFFF, beyond every plain unit
  }
  return a.length - b.length;
}

/**
 * One-hot encodes text columns: each is replaced, in place, by one Float64 0/1 column per
 * category, named `<col>=<value>`, categories in code-point order (scikit-learn's
 * OneHotEncoder categories_, dtype float64).
 */
export class OneHotEncoder extends ColumnStep {
  readonly columns: readonly string[];
  private readonly lookup: Map<string, number>[];

  constructor(
    columns: readonly string[],
    /** Per column, its categories in output order; null is the null category. */
    readonly categories: readonly (readonly (string | null)[])[],
    readonly nulls: OneHotNulls = 'category',
    readonly unknown: OneHotUnknown = 'error',
  ) {
    super();
    this.columns = [...columns];
    this.lookup = categories.map((values) => new Map(values.flatMap((v, i) => (v === null ? [] : [[v, i] as [string, number]]))));
  }

  /** The output column names of each encoded column. */
  outputNames(column: string): string[] {
    const index = this.columns.indexOf(column);
    if (index < 0) throw inputError(`column "${column}" is not one-hot encoded`);
    return this.categories[index]!.map((value) => `${column}=${value === null ? NULL_CATEGORY : value}`);
  }

  protected outputFields(field: arrow.Field): arrow.Field[] {
    if (!isTextType(field.type)) throw inputError(`column "${field.name}" is not text (${field.type}); one-hot encoding takes text columns`);
    return this.outputNames(field.name).map((name) => new arrow.Field(name, new arrow.Float64(), false));
  }

  protected transformColumn(column: string, index: number, data: arrow.Data, firstRow: number): arrow.Data[] {
    const categories = this.categories[index]!;
    const lookup = this.lookup[index]!;
    const nullIndex = categories.indexOf(null);
    const n = data.length;
    const outputs = categories.map(() => new Float64Array(n));
    const vector = arrow.makeVector(data) as arrow.Vector<arrow.Utf8>;
    for (let i = 0; i < n; i++) {
      const value = vector.get(i);
      let c: number | undefined;
      if (value === null) {
        if (nullIndex >= 0) c = nullIndex;
        else if (this.nulls === 'error') throw inputError(`column "${column}", row ${firstRow + i + 1}: missing value (one-hot encoding was told to refuse nulls)`);
        else if (this.nulls === 'category' && this.unknown === 'error') {
          throw inputError(`column "${column}", row ${firstRow + i + 1}: missing value, and the fitted data had none (no "${column}=${NULL_CATEGORY}" column)`);
        }
      } else {
        c = lookup.get(value);
        if (c === undefined && this.unknown === 'error') {
          throw inputError(`column "${column}", row ${firstRow + i + 1}: category ${JSON.stringify(value)} was not seen when fitting; its categories: ${categories.filter((v) => v !== null).join(', ')}`);
        }
      }
      if (c !== undefined) outputs[c]![i] = 1;
    }
    return outputs.map((values) => arrow.makeData({ type: new arrow.Float64(), length: n, nullCount: 0, data: values }));
  }

  toJSON(): Record<string, unknown> {
    const categories: Record<string, (string | null)[]> = {};
    this.columns.forEach((name, j) => {
      categories[name] = [...this.categories[j]!];
    });
    return { step: 'one-hot', columns: [...this.columns], nulls: this.nulls, unknown: this.unknown, categories };
  }
}

/** Fits a OneHotEncoder: the distinct values of each text column (streams). */
export function fitOneHot(input: SyncTableInput, options: OneHotOptions): OneHotEncoder;
export function fitOneHot(input: AsyncTableInput, options: OneHotOptions): Promise<OneHotEncoder>;
export function fitOneHot(input: TableInput, options: OneHotOptions): OneHotEncoder | Promise<OneHotEncoder>;
export function fitOneHot(input: TableInput, options: OneHotOptions): OneHotEncoder | Promise<OneHotEncoder> {
  if (options === null || typeof options !== 'object' || options.columns === undefined) {
    throw optionError('columns', 'one-hot encoding needs the text columns to encode');
  }
  const columns = [...options.columns];
  checkNames('columns', columns);
  if (columns.length === 0) throw optionError('columns', 'names no column');
  const nulls = requireChoice('nulls', options.nulls ?? 'category', ['category', 'zeros', 'error'] as const);
  const unknown = requireChoice('unknown', options.unknown ?? 'error', ['error', 'ignore'] as const);

  const seen = columns.map(() => new Set<string>());
  const hadNull = columns.map(() => false);
  let indices: number[] | undefined;
  let rows = 0;
  const sink: BatchSink<OneHotEncoder> = {
    add(batch, firstRow) {
      if (!indices) {
        indices = columns.map((name) => {
          requireText(batch.schema, name, 'one-hot encoding takes text columns');
          return fieldIndex(batch.schema, name);
        });
      }
      indices.forEach((index, j) => {
        const vector = arrow.makeVector(batch.data.children[index]!) as arrow.Vector<arrow.Utf8>;
        const values = seen[j]!;
        for (let i = 0; i < vector.length; i++) {
          const value = vector.get(i);
          if (value !== null) {
            values.add(value);
          } else if (nulls === 'error') {
            throw inputError(`column "${columns[j]}", row ${firstRow + i + 1}: missing value (one-hot encoding was told to refuse nulls)`);
          } else {
            hadNull[j] = true;
          }
        }
      });
      rows += batch.numRows;
    },
    finish() {
      if (rows === 0) throw inputError('the table has no rows');
      const categories = columns.map((name, j) => {
        const values: (string | null)[] = [...seen[j]!].sort(compareCodePoints);
        if (nulls === 'category' && hadNull[j]) {
          if (seen[j]!.has(NULL_CATEGORY)) {
            throw inputError(`column "${name}" has both nulls and the text "${NULL_CATEGORY}", which would share the column "${name}=${NULL_CATEGORY}"; choose nulls 'zeros' or 'error'`);
          }
          values.push(null);
        }
        if (values.length === 0) throw inputError(`column "${name}" has no values (every row is missing); there is nothing to encode`);
        return values;
      });
      return new OneHotEncoder(columns, categories, nulls, unknown);
    },
  };
  return drain(input, sink);
}
