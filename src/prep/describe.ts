import { requireChoice, requireInteger } from '../algorithms/validate.js';
import { inputError, optionError } from '../errors.js';
import { CORRELATION_METHODS, type CorrelationMethod } from './correlate.js';
import { MomentsSink } from './impute.js';
import { averageRanks, isConstantFeature } from './stats.js';
import { drain, NumericSink, type AsyncTableInput, type ColumnChoice, type SyncTableInput, type TableInput } from './table.js';

export interface VarianceOptions extends ColumnChoice {
  /** Delta degrees of freedom: 0 (default, np.var) or 1 (sample variance, pandas' var). */
  ddof?: number;
}

export interface ColumnVariance {
  columns: string[];
  /** Variance of each column's non-missing values (np.nanvar); NaN when count ≤ ddof. */
  variance: Float64Array;
  mean: Float64Array;
  /** Non-missing values per column. */
  count: Float64Array;
}

/** Per-column variance of numeric columns, ignoring missing values (streams). */
export function columnVariance(input: SyncTableInput, options?: VarianceOptions): ColumnVariance;
export function columnVariance(input: AsyncTableInput, options?: VarianceOptions): Promise<ColumnVariance>;
export function columnVariance(input: TableInput, options?: VarianceOptions): ColumnVariance | Promise<ColumnVariance>;
export function columnVariance(input: TableInput, options: VarianceOptions = {}): ColumnVariance | Promise<ColumnVariance> {
  if (options === null || typeof options !== 'object') throw optionError('ddof', 'variance options must be an object');
  const ddof = requireInteger('ddof', options.ddof ?? 0, 0);
  return drain(
    input,
    new NumericSink(options, () => new MomentsSink(), (columns, states) => ({
      columns,
      variance: Float64Array.from(states, (s) => s.moments.variance(ddof)),
      mean: Float64Array.from(states, (s) => s.moments.mean),
      count: Float64Array.from(states, (s) => s.moments.count),
    })),
  );
}

export interface CorrelationTableOptions extends ColumnChoice {
  method?: CorrelationMethod;
}

export interface Correlation {
  columns: string[];
  /** d × d row-major, float64. */
  matrix: Float64Array;
}

/**
 * The correlation matrix of numeric columns, on the host in float64: Pearson (np.corrcoef) or
 * Spearman (scipy.stats.spearmanr: Pearson of average ranks). Needs every value: a missing
 * value is an error naming its column and row (impute first). A constant column's row and
 * column are NaN. For large matrices use `engine.correlation`, which runs on the backend.
 */
export function columnCorrelation(input: SyncTableInput, options?: CorrelationTableOptions): Correlation;
export function columnCorrelation(input: AsyncTableInput, options?: CorrelationTableOptions): Promise<Correlation>;
export function columnCorrelation(input: TableInput, options?: CorrelationTableOptions): Correlation | Promise<Correlation>;
export function columnCorrelation(input: TableInput, options: CorrelationTableOptions = {}): Correlation | Promise<Correlation> {
  if (options === null || typeof options !== 'object') throw optionError('method', 'correlation options must be an object');
  const method = requireChoice('method', options.method ?? 'pearson', CORRELATION_METHODS);
  return drain(
    input,
    new NumericSink(options, () => new CompleteColumn(), (columns, states) => {
      states.forEach((state, j) => {
        if (state.missingAt >= 0) {
          throw inputError(`column "${columns[j]}", row ${state.missingAt + 1}: missing value; correlation needs complete columns (impute first)`);
        }
      });
      const data = states.map((state) => state.values());
      return { columns, matrix: correlate(method === 'spearman' ? data.map(averageRanks) : data) };
    }),
  );
}

/** A column's values in full, and where its first missing value is. */
class CompleteColumn {
  private parts: Float64Array[] = [];
  /** 0-based row of the first missing value, −1 when none. */
  missingAt = -1;
  private seen = 0;

  add(values: Float64Array): void {
    if (this.missingAt < 0) {
      const i = values.findIndex((v) => v !== v);
      if (i >= 0) this.missingAt = this.seen + i;
    }
    this.seen += values.length;
    this.parts.push(values);
  }

  values(): Float64Array {
    const out = new Float64Array(this.seen);
    let at = 0;
    for (const part of this.parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }
}

/** Pearson correlation of float64 columns: z-scores, then dot products / n. */
function correlate(columns: Float64Array[]): Float64Array {
  const d = columns.length;
  const n = columns[0]?.length ?? 0;
  const z: (Float64Array | undefined)[] = columns.map((values) => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += values[i]!;
    const mean = sum / n;
    let squares = 0;
    for (let i = 0; i < n; i++) squares += (values[i]! - mean) ** 2;
    if (isConstantFeature(squares / n, mean, n)) return undefined;
    const factor = 1 / Math.sqrt(squares);
    return Float64Array.from(values, (v) => (v - mean) * factor);
  });
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    const zi = z[i];
    for (let j = 0; j <= i; j++) {
      const zj = z[j];
      let r = NaN;
      if (zi && zj) {
        if (i === j) r = 1;
        else {
          let sum = 0;
          for (let t = 0; t < n; t++) sum += zi[t]! * zj[t]!;
          r = Math.min(1, Math.max(-1, sum));
        }
      }
      out[i * d + j] = r;
      out[j * d + i] = r;
    }
  }
  return out;
}
