import * as arrow from 'apache-arrow';
import { inputError, optionError } from '../errors.js';
import { batchSource, planColumns, type ColumnSelection, type MatrixInput } from '../io/to-matrix.js';
import { Matrix } from '../matrix.js';
import {
  columnMedians,
  GroupStats,
  keyColumn,
  nullableFloat64,
  numericData,
  tableOf,
  type OutputColumn,
} from './aggregate.js';

/**
 * Cluster profiles: per cluster the row count and, for every variable, the mean, the median, the
 * index score (cluster mean ÷ overall mean × 100) and the z-score of the mean (cluster mean −
 * overall mean, ÷ the overall population standard deviation) — the data of a profile table and
 * of the z-scored heatmap of a segmentation.
 *
 * Conventions:
 * - Values are read as float32 (like every clusterkit matrix); sums, means and the standard
 *   deviation are float64. Medians are exact: the middle value, or the mean of the two middle
 *   values for an even count (NumPy's `median`), found by quickselect per cluster and variable.
 * - The index score of a variable is null when its overall mean is not positive, or is zero to
 *   float32 precision (|mean| ≤ 1e-6 · std: centred data such as z-scores). A ratio to a zero
 *   or negative mean says nothing (its sign flips the reading), so index scores are for
 *   non-negative variables (counts, rates, amounts); use the z profile for the others.
 * - The z-score of a variable is null when its overall standard deviation is 0 (a constant).
 * - Each null comes with a line in `notes` naming the variables.
 * - Clusters are the distinct labels, sorted ascending (any int32, negatives too).
 *
 * Memory: every value is kept once more in per-cluster float32 buffers for the medians
 * (4 · rows · variables bytes).
 */

export interface ProfileOptions extends ColumnSelection {}

/** One cluster's profile; the records are keyed by variable name. */
export interface ClusterProfile {
  cluster: number;
  count: number;
  mean: Record<string, number>;
  median: Record<string, number>;
  index: Record<string, number | null>;
  z: Record<string, number | null>;
}

export interface ProfileResult {
  /** Input rows. */
  rows: number;
  variables: string[];
  /** Cluster labels, ascending. */
  clusters: number[];
  counts: number[];
  /** clusters × variables (rows in the order of `clusters`). */
  mean: number[][];
  median: number[][];
  index: (number | null)[][];
  /** The z-scored heatmap. */
  z: (number | null)[][];
  /** Over all rows: mean, median and population standard deviation of each variable. */
  overall: { count: number; mean: number[]; median: number[]; std: number[] };
  profiles: ClusterProfile[];
  /** Why some index or z values are null. */
  notes: string[];
  /**
   * One row per cluster: `cluster` (Int32), `count` (Int32), then `<var>_mean` for every
   * variable, `<var>_median` for every variable, `<var>_index`, `<var>_z` (all Float64; index
   * and z nullable).
   */
  table: arrow.Table;
}

/** |overall mean| at or below this many standard deviations counts as a zero mean. */
export const ZERO_MEAN_STDS = 1e-6;

/**
 * Profiles the clusters given by `labels` (one integer per row, or the name of a column of
 * `x`). `x` is a Matrix, or a table (whole, a file source, or record batches streamed in: read
 * in one pass). From a table, the variables are chosen like the engine's features: `columns`,
 * an `embedding`, or every numeric column but the labels column and `exclude`.
 */
export async function profileClusters(
  x: Matrix | MatrixInput,
  labels: string | ArrayLike<number>,
  options: ProfileOptions = {},
): Promise<ProfileResult> {
  if (options.columns && options.embedding !== undefined) throw optionError('embedding', 'cannot be combined with a list of columns');
  if (options.columns?.length === 0) throw optionError('columns', 'names no column');
  const labelColumn = typeof labels === 'string' ? labels : undefined;
  const labelArray = typeof labels === 'string' ? undefined : labels;
  if (labelColumn !== undefined && options.columns?.includes(labelColumn)) {
    throw optionError('columns', `the labels column "${labelColumn}" cannot also be a variable`);
  }

  let stats: GroupStats;
  let variables: string[];
  let rows: number;
  if (x instanceof Matrix) {
    if (labelArray === undefined) throw optionError('labels', 'give one label per row when the data is a Matrix');
    x.assertFinite();
    if (labelArray.length !== x.rows) throw inputError(`${labelArray.length} labels for ${x.rows} rows`);
    rows = x.rows;
    variables = x.columnNames ? [...x.columnNames] : Array.from({ length: x.cols }, (_, j) => `x${j}`);
    stats = new GroupStats(x.cols, { sum: true, median: true, max: false });
    for (const chunk of x.chunks) {
      for (let r = 0; r < chunk.rows; r++) {
        const i = chunk.rowStart + r;
        stats.add(stats.group(checkedLabel(labelArray[i]!, () => `labels[${i}]`)), chunk.data, r * x.cols);
      }
    }
  } else {
    let valueColumns: ColumnSelection = {
      ...options,
      exclude: [...(options.exclude ?? []), ...(labelColumn !== undefined && !options.columns ? [labelColumn] : [])],
    };
    const planFor = (schema: arrow.Schema, where: string) => ({
      labels: labelColumn !== undefined ? keyColumn(schema, labelColumn, 'labels', 'label', true, where) : undefined,
      values: planColumns(schema, valueColumns, where, { nameOptions: true }),
    });
    // A file is read for the labels and the values only; each batch finds them by name.
    const source = batchSource(x, (schema, where) => {
      const first = planFor(schema, where);
      valueColumns = first.values.selection;
      return [...(labelColumn !== undefined ? [labelColumn] : []), ...first.values.columns];
    });
    const { where } = source;
    let plan = source.schema && planFor(source.schema, where);
    let groups: GroupStats | undefined;
    rows = 0;
    for await (const batch of source.batches) {
      plan ??= planFor(batch.schema, where);
      const d = plan.values.names.length;
      groups ??= new GroupStats(d, { sum: true, median: true, max: false });
      const n = batch.numRows;
      if (n === 0) continue;
      if (labelArray && labelArray.length < rows + n) throw inputError(`${labelArray.length} labels for a table of more rows`);
      const keys = plan.labels?.read(batch, rows);
      const values = new Float32Array(n * d);
      plan.values.fill(batch, 0, n, values, rows);
      for (let r = 0; r < n; r++) {
        const i = rows + r;
        const label = keys
          ? checkedLabel(keys[r] as number, () => `${where}column "${labelColumn}", row ${i + 1}: label`)
          : checkedLabel(labelArray![i]!, () => `labels[${i}]`);
        groups.add(groups.group(label), values, r * d);
      }
      rows += n;
    }
    if (!plan || !groups || rows === 0) throw inputError(`${where}the table has no rows`);
    if (labelArray && labelArray.length !== rows) throw inputError(`${labelArray.length} labels for ${rows} rows`);
    stats = groups;
    variables = plan.values.names;
  }
  return profileOf(stats, variables, rows);
}

function checkedLabel(value: number, what: () => string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw inputError(`${what()} ${String(value)} is not an integer`);
  if (value < -(2 ** 31) || value >= 2 ** 31) throw inputError(`${what()} ${value} is outside the int32 range of cluster labels`);
  return value;
}

function profileOf(stats: GroupStats, variables: string[], rows: number): ProfileResult {
  const d = variables.length;
  const order = stats.sortedOrder();
  const k = order.length;
  const clusters = order.map((g) => stats.keys[g] as number);
  const counts = order.map((g) => stats.counts[g]!);

  // Overall mean from the group sums, then the population std in a second pass over the rows.
  const overallMean = new Float64Array(d);
  for (let g = 0; g < k; g++) {
    const sums = stats.sumsOf(g);
    for (let j = 0; j < d; j++) overallMean[j]! += sums[j]!;
  }
  for (let j = 0; j < d; j++) overallMean[j]! /= rows;
  const squares = new Float64Array(d);
  for (let g = 0; g < k; g++) {
    const values = stats.rowsOf(g);
    for (let offset = 0; offset < values.length; offset += d) {
      for (let j = 0; j < d; j++) {
        const diff = values[offset + j]! - overallMean[j]!;
        squares[j]! += diff * diff;
      }
    }
  }
  const std = Array.from(squares, (s) => Math.sqrt(s / rows));
  const overallMedian = overallMedians(stats, d);

  const indexDefined = Array.from(overallMean, (m, j) => m > 0 && m > ZERO_MEAN_STDS * std[j]!);
  const zDefined = std.map((s) => s > 0);
  const notes: string[] = [];
  const undefinedIndex = variables.filter((_, j) => !indexDefined[j]);
  if (undefinedIndex.length > 0) {
    notes.push(`index scores are null for ${quoteList(undefinedIndex)}: the overall mean is zero or negative (index scores need a positive mean; see the z profile)`);
  }
  const constant = variables.filter((_, j) => !zDefined[j]);
  if (constant.length > 0) notes.push(`z-scores are null for ${quoteList(constant)}: the variable is constant (standard deviation 0)`);

  const means = stats.means(order);
  const medians = stats.medians(order);
  const mean: number[][] = [];
  const median: number[][] = [];
  const index: (number | null)[][] = [];
  const z: (number | null)[][] = [];
  for (let c = 0; c < k; c++) {
    const m = Array.from(means.subarray(c * d, (c + 1) * d));
    mean.push(m);
    median.push(Array.from(medians.subarray(c * d, (c + 1) * d)));
    index.push(m.map((v, j) => (indexDefined[j] ? (v / overallMean[j]!) * 100 : null)));
    z.push(m.map((v, j) => (zDefined[j] ? (v - overallMean[j]!) / std[j]! : null)));
  }
  const record = <T>(values: readonly T[]): Record<string, T> => Object.fromEntries(variables.map((name, j) => [name, values[j]!]));
  const profiles: ClusterProfile[] = clusters.map((cluster, c) => ({
    cluster,
    count: counts[c]!,
    mean: record(mean[c]!),
    median: record(median[c]!),
    index: record(index[c]!),
    z: record(z[c]!),
  }));

  const columns: OutputColumn[] = [
    { field: new arrow.Field('cluster', new arrow.Int32(), false), data: numericData(Int32Array.from(clusters)) },
    { field: new arrow.Field('count', new arrow.Int32(), false), data: numericData(Int32Array.from(counts)) },
  ];
  const blocks: [string, (number | null)[][], boolean][] = [
    ['mean', mean, false],
    ['median', median, false],
    ['index', index, true],
    ['z', z, true],
  ];
  for (const [stat, matrix, nullable] of blocks) {
    variables.forEach((name, j) => {
      const column = Float64Array.from(matrix, (row) => row[j] ?? NaN);
      columns.push({
        field: new arrow.Field(`${name}_${stat}`, new arrow.Float64(), nullable),
        data: nullable ? nullableFloat64(column) : numericData(column),
      });
    });
  }

  return {
    rows,
    variables,
    clusters,
    counts,
    mean,
    median,
    index,
    z,
    overall: { count: rows, mean: Array.from(overallMean), median: overallMedian, std },
    profiles,
    notes,
    table: tableOf(columns, k),
  };
}

function overallMedians(stats: GroupStats, d: number): number[] {
  return Array.from(columnMedians(Array.from({ length: stats.size }, (_, g) => stats.rowsOf(g)), d));
}

function quoteList(names: readonly string[]): string {
  const shown = names.slice(0, 8).map((name) => `"${name}"`).join(', ');
  return names.length > 8 ? `${shown} and ${names.length - 8} more` : shown;
}
