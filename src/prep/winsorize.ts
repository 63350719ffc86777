import type * as arrow from 'apache-arrow';
import { inputError, optionError } from '../errors.js';
import { ValuesSink } from './impute.js';
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

export interface WinsorizeOptions extends ColumnChoice {
  /** The lower and upper quantiles to clip at, 0 ≤ lower ≤ upper ≤ 1; default [0.01, 0.99]. */
  limits?: readonly [number, number];
}

/**
 * Clips each numeric column to [lower, upper] bounds fitted as quantiles of its values
 * (NumPy's `np.quantile`, linear interpolation, on the non-missing values), i.e.
 * `np.clip(x, np.nanquantile(x, lo), np.nanquantile(x, hi))`. Missing values stay missing.
 * (SciPy's `mstats.winsorize` differs: it replaces a count of extreme values by their
 * neighbours, without interpolation.)
 */
export class Winsorizer extends ColumnStep {
  constructor(
    readonly columns: readonly string[],
    readonly limits: readonly [number, number],
    readonly lower: Float64Array,
    readonly upper: Float64Array,
  ) {
    super();
  }

  protected outputFields(field: arrow.Field): arrow.Field[] {
    if (!isNumericType(field.type)) throw inputError(`column "${field.name}" is not numeric (${field.type}); it cannot be winsorized`);
    return [float64Field(field)];
  }

  protected transformColumn(column: string, index: number, data: arrow.Data, firstRow: number): arrow.Data[] {
    const values = readNumbers(data, column, firstRow);
    const lo = this.lower[index]!;
    const hi = this.upper[index]!;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v < lo) values[i] = lo;
      else if (v > hi) values[i] = hi;
    }
    return [float64Data(values)];
  }

  toJSON(): Record<string, unknown> {
    return {
      step: 'winsorize',
      limits: [...this.limits],
      columns: [...this.columns],
      lower: byColumn(this.columns, this.lower),
      upper: byColumn(this.columns, this.upper),
    };
  }
}

export function checkLimits(limits: unknown): readonly [number, number] {
  const ok =
    Array.isArray(limits) &&
    limits.length === 2 &&
    limits.every((q) => typeof q === 'number' && Number.isFinite(q)) &&
    limits[0] >= 0 &&
    limits[0] <= limits[1] &&
    limits[1] <= 1;
  if (!ok) throw optionError('limits', `expected [lower, upper] quantiles with 0 ≤ lower ≤ upper ≤ 1, got ${JSON.stringify(limits)}`);
  return [limits[0], limits[1]] as const;
}

/** Fits a Winsorizer (keeps one float64 array per column: quantiles need every value). */
export function fitWinsorizer(input: SyncTableInput, options?: WinsorizeOptions): Winsorizer;
export function fitWinsorizer(input: AsyncTableInput, options?: WinsorizeOptions): Promise<Winsorizer>;
export function fitWinsorizer(input: TableInput, options?: WinsorizeOptions): Winsorizer | Promise<Winsorizer>;
export function fitWinsorizer(input: TableInput, options: WinsorizeOptions = {}): Winsorizer | Promise<Winsorizer> {
  if (options === null || typeof options !== 'object') throw optionError('limits', 'winsorize options must be an object');
  const limits = checkLimits(options.limits ?? [0.01, 0.99]);
  return drain(
    input,
    new NumericSink(options, () => new ValuesSink(), (columns, states) => {
      requireValues(columns, states.map((s) => s.values.length), 'there is nothing to fit quantiles on');
      const ranked = states.map((s) => s.values.ranked());
      return new Winsorizer(
        columns,
        limits,
        Float64Array.from(ranked, (v) => v.quantile(limits[0])),
        Float64Array.from(ranked, (v) => v.quantile(limits[1])),
      );
    }),
  );
}
