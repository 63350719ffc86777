import * as arrow from 'apache-arrow';
import { describeNonFinite, inputError, optionError } from '../errors.js';
import { makeBatch } from '../io/batch.js';
import { batchSource, columnIndex, isNumericType, planColumns, type ColumnPlan, type MatrixInput } from '../io/to-matrix.js';
import { medianInPlace } from './select.js';

/**
 * Group-by aggregation of a table, streamed over its record batches: per group (one value of a
 * key column) the row count, the element-wise mean / median / max of an embedding column or of
 * numeric columns, and the share of the group's rows in each category of a label column. This
 * is the per-area step of the CLIP workflow: images → `similarity` → label column → aggregate by
 * area. Cluster profiles (profile.ts) use the same machinery, grouped by cluster label.
 *
 * Memory: means, maxes, counts and shares are streamed, O(groups · width). Medians need every
 * value of a group: each group keeps its rows in a growing float32 buffer, 4 · rows · width
 * bytes over all groups plus at most 2× slack from growth (a million 512-D rows: 2–4 GiB);
 * leave `median` out of `stats` when that is too much.
 */

/** A table given whole, as a file source, or as a stream of record batches. */

/** A group key or category value: text, or an integer. */
export type GroupKey = string | number;

export type AggregateStat = 'mean' | 'median' | 'max';

/** The statistics in the order their output columns appear. */
export const AGGREGATE_STATS: readonly AggregateStat[] = ['mean', 'median', 'max'];

export interface AggregateOptions {
  /** The key column: text (Utf8, dictionary) or integers (integer types, or floats holding integers). */
  by: string;
  /** A FixedSizeList<Float32 | Float64> column: its stats are FixedSizeList<Float32> columns. */
  embedding?: string;
  /** Numeric columns instead: each stat is one Float64 column per column, `<col>_<stat>`. */
  columns?: readonly string[];
  /**
   * The categories whose shares are wanted: a column name (text or integers, e.g. the `label`
   * from `clusterkit similarity` or `cluster` from k-means), or one value per row.
   */
  category?: string | ArrayLike<GroupKey>;
  /**
   * The categories, in the order of the share columns. Default: the values found, sorted.
   * Listing them gives categories no row has a share column (of zeros); a value not listed is
   * an error. Values match by their text (3 and "3" are the same category).
   */
  categories?: readonly GroupKey[];
  /** Default: mean, median and max (only with `embedding` or `columns`). */
  stats?: readonly AggregateStat[];
}

/** One group as a plain object. Stat arrays are views into the result's flat arrays. */
export interface GroupAggregate {
  key: GroupKey;
  count: number;
  mean?: Float64Array;
  median?: Float64Array;
  max?: Float32Array;
  /** Category (as text) → fraction of the group's rows. */
  shares?: Record<string, number>;
}

export interface AggregateResult {
  by: string;
  /** Input rows. */
  rows: number;
  /** Group keys, sorted (numbers ascending, text by code unit). */
  keys: GroupKey[];
  counts: Int32Array;
  /** Names of the aggregated values (`emb[0]`, … for an embedding; the columns otherwise). */
  variables: string[];
  stats: AggregateStat[];
  /** groups × variables, row-major (present for the requested stats). */
  mean?: Float64Array;
  median?: Float64Array;
  max?: Float32Array;
  categories?: GroupKey[];
  /** groups × categories, row-major: fraction of each group's rows in each category. */
  shares?: Float64Array;
  /** One object per group, in key order. */
  groups: GroupAggregate[];
  /**
   * One row per group: the key column (text as Utf8, integers in the input's integer type, or
   * Float64 when the key came as floats), `count` (Int32), `<emb>_<stat>` FixedSizeList<Float32>
   * columns or `<col>_<stat>` Float64 columns, and `share_<category>` Float64 columns.
   */
  table: arrow.Table;
}

/**
 * Aggregates a table by the values of one key column, in one streamed pass over its batches.
 * Bad data (an unknown column, a missing key or category, a fractional or non-finite value) is
 * a ClusterkitError naming the column and the 1-based row.
 */
export async function aggregateGroups(input: MatrixInput, options: AggregateOptions): Promise<AggregateResult> {
  const { by } = options;
  if (typeof by !== 'string' || by === '') throw optionError('by', 'needs the name of the key column');
  if (options.embedding !== undefined && options.columns) throw optionError('embedding', 'cannot be combined with a list of columns');
  if (options.columns?.length === 0) throw optionError('columns', 'names no column');
  const hasValues = options.embedding !== undefined || options.columns !== undefined;
  const stats = resolveStats(options.stats, hasValues);
  if (options.categories && options.category === undefined) throw optionError('categories', 'needs a category column');
  const category = options.category;
  const categoryColumn = typeof category === 'string' ? category : undefined;
  const categoryValues = category !== undefined && typeof category !== 'string' ? category : undefined;

  let plan: { key: KeyColumn; values?: ColumnPlan; category?: KeyColumn } | undefined;
  const makePlan = (schema: arrow.Schema, where: string) => {
    const key = keyColumn(schema, by, 'by', 'key', false, where);
    const values = hasValues ? planColumns(schema, { embedding: options.embedding, columns: options.columns }, where, { nameOptions: true }) : undefined;
    const cat = categoryColumn !== undefined ? keyColumn(schema, categoryColumn, 'category', 'category', false, where) : undefined;
    return { key, values, category: cat };
  };
  // A file is read for the key, value and category columns only.
  const source = batchSource(input, (schema, where) => {
    const { values } = makePlan(schema, where);
    return [by, ...(values?.columns ?? []), ...(categoryColumn !== undefined ? [categoryColumn] : [])];
  });
  const { where } = source;
  if (source.schema) plan = makePlan(source.schema, where);

  let groups: GroupStats | undefined;
  const categoryIndex = new CategoryIndex(options.categories);
  let rows = 0;
  const describeRow = (row: number) =>
    categoryColumn !== undefined ? `${where}column "${categoryColumn}", row ${row + 1}` : `option category: the value for row ${row + 1}`;
  for await (const batch of source.batches) {
    plan ??= makePlan(batch.schema, where);
    const width = plan.values?.names.length ?? 0;
    groups ??= new GroupStats(width, { sum: stats.includes('mean'), median: stats.includes('median'), max: stats.includes('max') });
    const n = batch.numRows;
    if (n === 0) continue;
    const keys = plan.key.read(batch, rows);
    let cats: ArrayLike<GroupKey> | undefined;
    if (plan.category) cats = plan.category.read(batch, rows);
    else if (categoryValues) {
      if (categoryValues.length < rows + n) throw categoryCountError(categoryValues.length, 'more');
      cats = sliceOf(categoryValues, rows, rows + n);
    }
    const buffer = width > 0 ? new Float32Array(n * width) : undefined;
    if (buffer) plan.values!.fill(batch, 0, n, buffer, rows);
    for (let r = 0; r < n; r++) {
      const g = groups.group(keys[r]!);
      groups.add(g, buffer, r * width);
      if (cats) groups.addCategory(g, categoryIndex.of(cats[r]!, rows + r, describeRow));
    }
    rows += n;
  }
  if (!plan || !groups || rows === 0) throw inputError(`${where}the table has no rows`);
  if (categoryValues && categoryValues.length !== rows) throw categoryCountError(categoryValues.length, String(rows));

  const order = groups.sortedOrder();
  const keys = order.map((g) => groups!.keys[g]!);
  const counts = Int32Array.from(order, (g) => groups!.counts[g]!);
  const variables = plan.values?.names ?? [];
  const width = variables.length;
  const result: Omit<AggregateResult, 'groups' | 'table'> = { by, rows, keys, counts, variables, stats };
  if (stats.includes('mean')) result.mean = groups.means(order);
  if (stats.includes('median')) result.median = groups.medians(order);
  if (stats.includes('max')) result.max = groups.maxes(order);
  let categoryKeys: string[] = [];
  if (category !== undefined) {
    const cats = categoryIndex.sortedOrder();
    result.categories = cats.map((c) => categoryIndex.values[c]!);
    categoryKeys = result.categories.map(String);
    result.shares = groups.shares(order, cats);
  }

  const objects: GroupAggregate[] = keys.map((key, i) => {
    const object: GroupAggregate = { key, count: counts[i]! };
    if (result.mean) object.mean = result.mean.subarray(i * width, (i + 1) * width);
    if (result.median) object.median = result.median.subarray(i * width, (i + 1) * width);
    if (result.max) object.max = result.max.subarray(i * width, (i + 1) * width);
    if (result.shares) {
      const c = categoryKeys.length;
      object.shares = Object.fromEntries(categoryKeys.map((name, j) => [name, result.shares![i * c + j]!]));
    }
    return object;
  });

  // The output table.
  const columns: OutputColumn[] = [
    { field: new arrow.Field(by, keyOutputType(plan.key.type), false), data: keyData(keys, plan.key.type) },
    { field: new arrow.Field('count', new arrow.Int32(), false), data: numericData(counts) },
  ];
  const statValues = { mean: result.mean, median: result.median, max: result.max };
  for (const stat of stats) {
    const values = statValues[stat]!;
    if (options.embedding !== undefined) {
      columns.push(listColumn(`${options.embedding}_${stat}`, Float32Array.from(values), width));
    } else {
      variables.forEach((name, j) => {
        const column = Float64Array.from({ length: keys.length }, (_, i) => values[i * width + j]!);
        columns.push({ field: new arrow.Field(`${name}_${stat}`, new arrow.Float64(), false), data: numericData(column) });
      });
    }
  }
  if (result.shares) {
    const c = categoryKeys.length;
    categoryKeys.forEach((name, j) => {
      const column = Float64Array.from({ length: keys.length }, (_, i) => result.shares![i * c + j]!);
      columns.push({ field: new arrow.Field(`share_${name}`, new arrow.Float64(), false), data: numericData(column) });
    });
  }
  return { ...result, groups: objects, table: tableOf(columns, keys.length) };
}

function resolveStats(stats: readonly AggregateStat[] | undefined, hasValues: boolean): AggregateStat[] {
  if (stats === undefined) return hasValues ? [...AGGREGATE_STATS] : [];
  if (!hasValues) throw optionError('stats', 'needs an embedding or columns to aggregate');
  if (stats.length === 0) throw optionError('stats', 'names no statistic');
  for (const stat of stats) {
    if (!AGGREGATE_STATS.includes(stat)) throw optionError('stats', `expected some of ${AGGREGATE_STATS.join(', ')}, got "${stat}"`);
  }
  return AGGREGATE_STATS.filter((stat) => stats.includes(stat));
}

function categoryCountError(given: number, rows: string): Error {
  return optionError('category', `${given} values given for a table of ${rows} rows (one per row expected)`);
}

function sliceOf<T>(values: ArrayLike<T>, start: number, end: number): ArrayLike<T> {
  if (ArrayBuffer.isView(values)) return (values as unknown as Int32Array).subarray(start, end) as unknown as ArrayLike<T>;
  return Array.prototype.slice.call(values, start, end) as T[];
}

// ---------------------------------------------------------------------------------------------
// Accumulating per group

/**
 * Per-group counts, float64 sums, float32 maxes, category counts and (for medians) the group's
 * rows, for rows of `width` float32 values. Groups are numbered in order of first appearance.
 */
export class GroupStats {
  readonly width: number;
  readonly keys: GroupKey[] = [];
  readonly counts: number[] = [];
  private readonly index = new Map<GroupKey, number>();
  private sums: Float64Array | undefined;
  private maxValues: Float32Array | undefined;
  private readonly buffers: Float32Array[] | undefined;
  private readonly categoryCounts: number[][] = [];

  constructor(width: number, keep: { sum: boolean; median: boolean; max: boolean }) {
    this.width = width;
    if (width > 0) {
      if (keep.sum) this.sums = new Float64Array(16 * width);
      if (keep.max) this.maxValues = new Float32Array(16 * width).fill(-Infinity);
      if (keep.median) this.buffers = [];
    }
  }

  get size(): number {
    return this.keys.length;
  }

  /** The group of `key`, created on first sight. */
  group(key: GroupKey): number {
    let g = this.index.get(key);
    if (g === undefined) {
      g = this.keys.length;
      this.index.set(key, g);
      this.keys.push(key);
      this.counts.push(0);
      this.categoryCounts.push([]);
      const need = (g + 1) * this.width;
      if (this.sums && need > this.sums.length) this.sums = grown(this.sums, need, 0);
      if (this.maxValues && need > this.maxValues.length) this.maxValues = grown(this.maxValues, need, -Infinity);
      this.buffers?.push(new Float32Array(4 * this.width));
    }
    return g;
  }

  /** Adds one row to group `g`: `width` values of `values` from `offset`. */
  add(g: number, values: Float32Array | undefined, offset: number): void {
    const count = this.counts[g]!;
    this.counts[g] = count + 1;
    if (!values) return;
    const d = this.width;
    const base = g * d;
    const { sums, maxValues } = this;
    if (sums) for (let j = 0; j < d; j++) sums[base + j]! += values[offset + j]!;
    if (maxValues) {
      for (let j = 0; j < d; j++) {
        const v = values[offset + j]!;
        if (v > maxValues[base + j]!) maxValues[base + j] = v;
      }
    }
    if (this.buffers) {
      let buffer = this.buffers[g]!;
      if ((count + 1) * d > buffer.length) {
        buffer = grown(buffer, (count + 1) * d, 0);
        this.buffers[g] = buffer;
      }
      if (d >= 32) buffer.set(values.subarray(offset, offset + d), count * d);
      else for (let j = 0; j < d; j++) buffer[count * d + j] = values[offset + j]!;
    }
  }

  addCategory(g: number, c: number): void {
    const counts = this.categoryCounts[g]!;
    counts[c] = (counts[c] ?? 0) + 1;
  }

  /** The rows of group `g`, row-major (only when medians are kept). */
  rowsOf(g: number): Float32Array {
    if (!this.buffers) throw new Error('GroupStats: rows were not kept');
    return this.buffers[g]!.subarray(0, this.counts[g]! * this.width);
  }

  /** Group numbers sorted by key: numbers ascending, text by code unit. */
  sortedOrder(): number[] {
    return sortedIndices(this.keys);
  }

  /** The sums of group `g` (float64, `width` values). */
  sumsOf(g: number): Float64Array {
    if (!this.sums) throw new Error('GroupStats: sums were not kept');
    return this.sums.subarray(g * this.width, (g + 1) * this.width);
  }

  means(order: readonly number[]): Float64Array {
    const d = this.width;
    const out = new Float64Array(order.length * d);
    order.forEach((g, i) => {
      const sums = this.sumsOf(g);
      const n = this.counts[g]!;
      for (let j = 0; j < d; j++) out[i * d + j] = sums[j]! / n;
    });
    return out;
  }

  maxes(order: readonly number[]): Float32Array {
    const d = this.width;
    const out = new Float32Array(order.length * d);
    order.forEach((g, i) => out.set(this.maxValues!.subarray(g * d, (g + 1) * d), i * d));
    return out;
  }

  medians(order: readonly number[]): Float64Array {
    const d = this.width;
    const out = new Float64Array(order.length * d);
    order.forEach((g, i) => out.set(columnMedians([this.rowsOf(g)], d), i * d));
    return out;
  }

  /** groups × categories fractions, in the given orders. */
  shares(order: readonly number[], categories: readonly number[]): Float64Array {
    const c = categories.length;
    const out = new Float64Array(order.length * c);
    order.forEach((g, i) => {
      const counts = this.categoryCounts[g]!;
      const n = this.counts[g]!;
      categories.forEach((category, j) => {
        out[i * c + j] = (counts[category] ?? 0) / n;
      });
    });
    return out;
  }
}

function grown<T extends Float32Array | Float64Array>(array: T, need: number, fill: number): T {
  const bigger = new (array.constructor as new (length: number) => T)(Math.max(need, 2 * array.length));
  bigger.set(array);
  if (fill !== 0) bigger.fill(fill, array.length);
  return bigger;
}

function compareKeys(a: GroupKey, b: GroupKey): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function sortedIndices(keys: readonly GroupKey[]): number[] {
  return keys.map((_, i) => i).sort((i, j) => compareKeys(keys[i]!, keys[j]!));
}

/** Category values → indices; with a fixed list, values outside it are errors. */
class CategoryIndex {
  readonly values: GroupKey[] = [];
  private readonly index = new Map<string, number>();
  private readonly fixed: boolean;

  constructor(categories: readonly GroupKey[] | undefined) {
    this.fixed = categories !== undefined;
    if (categories) {
      if (categories.length === 0) throw optionError('categories', 'names no category');
      for (const value of categories) {
        const text = String(value);
        if (this.index.has(text)) throw optionError('categories', `"${text}" is listed twice`);
        this.index.set(text, this.values.length);
        this.values.push(value);
      }
    }
  }

  /** The index of `value`, the category of table row `row` (0-based; `where` describes it for errors). */
  of(value: GroupKey, row: number, where: (row: number) => string): number {
    const text = String(value);
    let c = this.index.get(text);
    if (c === undefined) {
      if (value === null || value === undefined) throw inputError(`${where(row)}: missing category`);
      if (typeof value === 'number' && !Number.isInteger(value)) {
        throw inputError(`${where(row)}: category ${value} is not an integer`);
      }
      if (this.fixed) {
        throw inputError(`${where(row)}: category "${text}" is not one of the categories listed (${this.values.map(String).join(', ')})`);
      }
      c = this.values.length;
      this.index.set(text, c);
      this.values.push(value);
    }
    return c;
  }

  /** Category numbers in output order: as listed, or sorted when found in the data. */
  sortedOrder(): number[] {
    return this.fixed ? this.values.map((_, i) => i) : sortedIndices(this.values);
  }
}

// ---------------------------------------------------------------------------------------------
// Exact medians by selection

/** Columns gathered per pass over the rows: whole cache lines of row-major float32 data. */
const MEDIAN_BLOCK = 16;

/**
 * The median of each of the `d` columns of some row-major float32 row sets taken together.
 * Columns are gathered a block at a time (one pass over the rows per block, so every cache line
 * read is used), then each is reduced by `medianInPlace`.
 */
export function columnMedians(parts: readonly Float32Array[], d: number): Float64Array {
  const rows = parts.reduce((total, part) => total + part.length / d, 0);
  const out = new Float64Array(d);
  const block = Math.min(MEDIAN_BLOCK, d);
  const scratch = new Float32Array(block * rows);
  for (let j0 = 0; j0 < d; j0 += block) {
    const b = Math.min(block, d - j0);
    let r = 0;
    for (const part of parts) {
      for (let offset = j0; offset < part.length; offset += d, r++) {
        for (let c = 0; c < b; c++) scratch[c * rows + r] = part[offset + c]!;
      }
    }
    for (let c = 0; c < b; c++) out[j0 + c] = medianInPlace(scratch, rows, c * rows);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reading columns from record batches

function isText(type: arrow.DataType): boolean {
  return arrow.DataType.isUtf8(type) || arrow.DataType.isLargeUtf8(type);
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A text or integer column read as one key per row. */
export interface KeyColumn {
  readonly name: string;
  /** The column's type (a dictionary's value type). */
  readonly type: arrow.DataType;
  /** The batch's keys; `firstRow` is the 0-based table row of its first row (for messages). */
  read(batch: arrow.RecordBatch, firstRow: number): ArrayLike<GroupKey>;
}

/**
 * A reader of keys (`role`: "key", "label", "category") from column `name`. Text (Utf8,
 * LargeUtf8, dictionary of text) gives strings unless `integersOnly`; integer columns and float
 * columns holding integers give numbers. A null, a fraction, a non-finite or an unsafe integer is
 * an error naming the column and row.
 */
export function keyColumn(
  schema: arrow.Schema,
  name: string,
  option: string,
  role: string,
  integersOnly: boolean,
  where: string,
): KeyColumn {
  const index = columnIndex(schema, name, where, option);
  const fieldType = schema.fields[index]!.type;
  const type = arrow.DataType.isDictionary(fieldType) ? fieldType.dictionary : fieldType;
  const wanted = integersOnly ? 'integers' : 'text or integers';
  if (!(isNumericType(type) || (!integersOnly && isText(type)))) {
    throw inputError(`${where}column "${name}" (${fieldType}) cannot be the ${role} column: it must hold ${wanted}`);
  }
  const at = (row: number) => `${where}column "${name}", row ${row + 1}`;
  const single = arrow.DataType.isFloat(type) && type.precision !== arrow.Precision.DOUBLE;
  const checkNumber = (value: number, row: number): number => {
    if (!Number.isFinite(value)) throw inputError(`${at(row)}: ${role} is ${describeNonFinite(value)}`);
    if (!Number.isInteger(value)) throw inputError(`${at(row)}: ${role} ${single ? shortestFloat32(value) : value} is not an integer`);
    if (!Number.isSafeInteger(value)) throw inputError(`${at(row)}: ${role} ${value} is too large to be exact`);
    return value;
  };
  const valueReader = (data: arrow.Data): ((i: number) => GroupKey | bigint | null) => {
    if (arrow.DataType.isDictionary(data.type)) {
      const dictionary = data.dictionary!;
      const indices = data.values as ArrayLike<number | bigint>;
      return (i) => dictionary.get(Number(indices[i]!)) as GroupKey | bigint | null;
    }
    if (isText(data.type)) {
      const vector = arrow.makeVector(data);
      return (i) => vector.get(i) as string | null;
    }
    const { values } = data;
    if (arrow.DataType.isFloat(data.type) && data.type.precision === arrow.Precision.HALF) {
      return (i) => arrow.util.uint16ToFloat64((values as Uint16Array)[i]!);
    }
    const numbers = values as ArrayLike<number | bigint>;
    return (i) => numbers[i]!;
  };
  return {
    name,
    type,
    read(batch, firstRow) {
      const data = batch.data.children[index]!;
      const n = batch.numRows;
      const get = valueReader(data);
      const out: GroupKey[] = new Array<GroupKey>(n);
      const hasNulls = data.nullCount > 0;
      for (let i = 0; i < n; i++) {
        const value = hasNulls && !data.getValid(i) ? null : get(i);
        if (value === null || value === undefined) throw inputError(`${at(firstRow + i)}: missing ${role}`);
        if (typeof value === 'bigint') {
          if (value > MAX_SAFE || value < -MAX_SAFE) throw inputError(`${at(firstRow + i)}: ${role} ${value} is too large to be exact`);
          out[i] = Number(value);
        } else {
          out[i] = typeof value === 'number' ? checkNumber(value, firstRow + i) : value;
        }
      }
      return out;
    },
  };
}

/** The shortest decimal that reads back as the float32 `value` (0.1f as "0.1"). */
function shortestFloat32(value: number): string {
  for (let digits = 1; digits < 9; digits++) {
    const decimal = Number(value.toPrecision(digits));
    if (Math.fround(decimal) === value) return String(decimal);
  }
  return String(value);
}

/** Reads one key column of a whole table into an array (e.g. labels from another file). */
export async function readKeys(input: MatrixInput, name: string, option: string, role: string): Promise<GroupKey[]> {
  const source = batchSource(input, (schema, where) => {
    keyColumn(schema, name, option, role, false, where); // an unknown or unusable column fails before the read
    return [name];
  });
  let reader = source.schema ? keyColumn(source.schema, name, option, role, false, source.where) : undefined;
  const out: GroupKey[] = [];
  for await (const batch of source.batches) {
    reader ??= keyColumn(batch.schema, name, option, role, false, source.where);
    const keys = reader.read(batch, out.length);
    for (let i = 0; i < keys.length; i++) out.push(keys[i]!);
  }
  if (out.length === 0) throw inputError(`${source.where}the table has no rows`);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Building the output table

export interface OutputColumn {
  field: arrow.Field;
  data: arrow.Data;
}

/** One table of `length` rows; duplicate column names are an input error naming them. */
export function tableOf(columns: readonly OutputColumn[], length: number): arrow.Table {
  const seen = new Set<string>();
  for (const { field } of columns) {
    if (seen.has(field.name)) throw inputError(`the output would have two columns named "${field.name}"; rename the input column`);
    seen.add(field.name);
  }
  const schema = new arrow.Schema(columns.map((c) => c.field));
  return new arrow.Table([makeBatch(schema, length, columns.map((c) => c.data))]);
}

/** A non-null numeric column from a typed array. */
export function numericData(values: Float64Array | Int32Array | Float32Array): arrow.Data {
  const type = values instanceof Int32Array ? new arrow.Int32() : values instanceof Float32Array ? new arrow.Float32() : new arrow.Float64();
  return arrow.makeData({ type, length: values.length, nullCount: 0, data: values } as never);
}

/** A nullable Float64 column (null where `values` is NaN). */
export function nullableFloat64(values: Float64Array): arrow.Data {
  return arrow.vectorFromArray(Array.from(values, (v) => (Number.isNaN(v) ? null : v)), new arrow.Float64()).data[0]!;
}

function listColumn(name: string, values: Float32Array, size: number): OutputColumn {
  const item = new arrow.Field('item', new arrow.Float32(), false);
  const type = new arrow.FixedSizeList(size, item);
  const child = arrow.makeData({ type: new arrow.Float32(), length: values.length, nullCount: 0, data: values });
  return { field: new arrow.Field(name, type, false), data: arrow.makeData({ type, length: values.length / size, nullCount: 0, child }) };
}

function keyOutputType(type: arrow.DataType): arrow.DataType {
  if (isText(type)) return new arrow.Utf8();
  if (arrow.DataType.isInt(type)) return type.bitWidth === 64 ? new arrow.Int64() : new arrow.Int(type.isSigned, type.bitWidth);
  return new arrow.Float64();
}

function keyData(keys: readonly GroupKey[], inputType: arrow.DataType): arrow.Data {
  const type = keyOutputType(inputType);
  if (arrow.DataType.isInt(type) && type.bitWidth === 64) {
    return arrow.makeData({ type: new arrow.Int64(), length: keys.length, nullCount: 0, data: BigInt64Array.from(keys, (k) => BigInt(k)) });
  }
  return arrow.vectorFromArray(keys as never[], type).data[0]!;
}
