import type * as arrow from 'apache-arrow';
import { requireChoice } from '../algorithms/validate.js';
import { inputError, optionError } from '../errors.js';
import { MomentsSink, ValuesSink } from './impute.js';
import {
  checkScaleSettings,
  minmaxScale,
  robustScale,
  SCALE_METHODS,
  standardScale,
  type ColumnScale,
  type ScaleMethod,
  type ScaleSettings,
} from './stats.js';
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

export interface ScaleOptions extends ColumnChoice, ScaleSettings {
  /**
   * 'standard' (StandardScaler: mean 0, population standard deviation 1), 'minmax'
   * (MinMaxScaler: to featureRange, default [0, 1]) or 'robust' (RobustScaler: median 0,
   * interquartile range 1). Default 'standard'.
   */
  method?: ScaleMethod;
}

/**
 * Scales numeric columns: x′ = (x − center) / scale + offset per column (see ColumnScale).
 * Statistics skip missing values and missing values stay missing, as in scikit-learn's
 * scalers; a constant column gets scale 1.
 */
export class Scaler extends ColumnStep {
  readonly center: Float64Array;
  readonly scale: Float64Array;
  readonly offset: Float64Array;

  constructor(
    readonly columns: readonly string[],
    readonly method: ScaleMethod,
    scales: readonly ColumnScale[],
  ) {
    super();
    this.center = Float64Array.from(scales, (s) => s.center);
    this.scale = Float64Array.from(scales, (s) => s.scale);
    this.offset = Float64Array.from(scales, (s) => s.offset);
  }

  protected outputFields(field: arrow.Field): arrow.Field[] {
    if (!isNumericType(field.type)) throw inputError(`column "${field.name}" is not numeric (${field.type}); it cannot be scaled`);
    return [float64Field(field)];
  }

  protected transformColumn(column: string, index: number, data: arrow.Data, firstRow: number): arrow.Data[] {
    const values = readNumbers(data, column, firstRow);
    const center = this.center[index]!;
    const scale = this.scale[index]!;
    const offset = this.offset[index]!;
    if (offset === 0) {
      for (let i = 0; i < values.length; i++) values[i] = (values[i]! - center) / scale;
    } else {
      for (let i = 0; i < values.length; i++) values[i] = (values[i]! - center) / scale + offset;
    }
    return [float64Data(values)];
  }

  toJSON(): Record<string, unknown> {
    return {
      step: 'scale',
      method: this.method,
      columns: [...this.columns],
      center: byColumn(this.columns, this.center),
      scale: byColumn(this.columns, this.scale),
      ...(this.method === 'minmax' ? { offset: byColumn(this.columns, this.offset) } : {}),
    };
  }
}

/**
 * Fits a Scaler. 'standard' and 'minmax' stream (running mean / variance / min / max);
 * 'robust' keeps one float64 array per column for its quantiles.
 */
export function fitScaler(input: SyncTableInput, options?: ScaleOptions): Scaler;
export function fitScaler(input: AsyncTableInput, options?: ScaleOptions): Promise<Scaler>;
export function fitScaler(input: TableInput, options?: ScaleOptions): Scaler | Promise<Scaler>;
export function fitScaler(input: TableInput, options: ScaleOptions = {}): Scaler | Promise<Scaler> {
  if (options === null || typeof options !== 'object') throw optionError('method', 'scale options must be an object');
  const method = requireChoice('method', options.method ?? 'standard', SCALE_METHODS);
  checkScaleSettings(options, optionError);
  const what = 'there is nothing to scale it by';
  if (method === 'robust') {
    return drain(
      input,
      new NumericSink(options, () => new ValuesSink(), (columns, states) => {
        requireValues(columns, states.map((s) => s.values.length), what);
        return new Scaler(columns, method, states.map((s) => robustScale(s.values.ranked(), options)));
      }),
    );
  }
  return drain(
    input,
    new NumericSink(options, () => new MomentsSink(), (columns, states) => {
      requireValues(columns, states.map((s) => s.moments.count), what);
      return new Scaler(columns, method, states.map((s) => (method === 'standard' ? standardScale(s.moments) : minmaxScale(s.moments, options))));
    }),
  );
}
