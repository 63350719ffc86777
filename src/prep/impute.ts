import type * as arrow from 'apache-arrow';
import { requireChoice } from '../algorithms/validate.js';
import { inputError, optionError } from '../errors.js';
import { ColumnValues, Moments } from './stats.js';
import {
  byColumn,
  ColumnStep,
  drain,
  float64Data,
  float64Field,
  isNumericType,
  NumericSink,
  readNumbers,
  requireValues,
  type AsyncTableInput,
  type ColumnChoice,
  type SyncTableInput,
  type TableInput,
} from './table.js';

export type ImputeStrategy = 'median' | 'mean';

export const IMPUTE_STRATEGIES: readonly ImputeStrategy[] = ['median', 'mean'];

export interface ImputeOptions extends ColumnChoice {
  /** 'mean' (default, as scikit-learn's SimpleImputer) or 'median'. */
  strategy?: ImputeStrategy;
}

/**
 * Fills the missing values (null or NaN) of numeric columns with a statistic of the column's
 * other values, as scikit-learn's SimpleImputer. The output columns are Float64 without nulls.
 */
export class Imputer extends ColumnStep {
  constructor(
    readonly columns: readonly string[],
    readonly strategy: ImputeStrategy,
    /** The fill value of each column (statistics_). */
    readonly statistics: Float64Array,
  ) {
    super();
  }

  protected outputFields(field: arrow.Field): arrow.Field[] {
    if (!isNumericType(field.type)) throw inputError(`column "${field.name}" is not numeric (${field.type}); it cannot be imputed`);
    return [float64Field(field, false)];
  }

  protected transformColumn(column: string, index: number, data: arrow.Data, firstRow: number): arrow.Data[] {
    const values = readNumbers(data, column, firstRow);
    const fill = this.statistics[index]!;
    for (let i = 0; i < values.length; i++) if (values[i] !== values[i]) values[i] = fill;
    return [float64Data(values)];
  }

  toJSON(): Record<string, unknown> {
    return { step: 'impute', strategy: this.strategy, columns: [...this.columns], values: byColumn(this.columns, this.statistics) };
  }
}

/**
 * Fits an Imputer: the mean or the median of each column's non-missing values. Mean imputation
 * streams; the median keeps one float64 array per column. A column with no value at all is an
 * error (scikit-learn would drop it).
 */
export function fitImputer(input: SyncTableInput, options?: ImputeOptions): Imputer;
export function fitImputer(input: AsyncTableInput, options?: ImputeOptions): Promise<Imputer>;
export function fitImputer(input: TableInput, options?: ImputeOptions): Imputer | Promise<Imputer>;
export function fitImputer(input: TableInput, options: ImputeOptions = {}): Imputer | Promise<Imputer> {
  if (options === null || typeof options !== 'object') throw optionError('strategy', 'impute options must be an object');
  const strategy = requireChoice('strategy', options.strategy ?? 'mean', IMPUTE_STRATEGIES);
  const what = 'there is nothing to impute it from';
  if (strategy === 'mean') {
    return drain(
      input,
      new NumericSink(options, () => new MomentsSink(), (columns, states) => {
        requireValues(columns, states.map((s) => s.moments.count), what);
        return new Imputer(columns, strategy, Float64Array.from(states, (s) => s.moments.mean));
      }),
    );
  }
  return drain(
    input,
    new NumericSink(options, () => new ValuesSink(), (columns, states) => {
      requireValues(columns, states.map((s) => s.values.length), what);
      return new Imputer(columns, strategy, Float64Array.from(states, (s) => s.values.ranked().median()));
    }),
  );
}

/** Per-column accumulators for NumericSink. */
export class MomentsSink {
  readonly moments = new Moments();
  add(values: Float64Array): void {
    this.moments.add(values);
  }
}

export class ValuesSink {
  readonly values = new ColumnValues();
  add(values: Float64Array): void {
    this.values.add(values);
  }
}
