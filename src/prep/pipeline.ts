import type * as arrow from 'apache-arrow';
import { requireChoice } from '../algorithms/validate.js';
import { inputError, optionError } from '../errors.js';
import { fitImputer, IMPUTE_STRATEGIES, type ImputeStrategy } from './impute.js';
import { Log1p } from './log1p.js';
import { fitOneHot, type OneHotNulls, type OneHotUnknown } from './onehot.js';
import { fitScaler } from './scale.js';
import { checkScaleSettings, SCALE_METHODS, type ScaleMethod, type ScaleSettings } from './stats.js';
import {
  checkNames,
  collect,
  numericColumns,
  transformStream,
  transformTable,
  type AsyncTableInput,
  type BatchStream,
  type ColumnChoice,
  type SyncTableInput,
  type TableInput,
  type TableStep,
} from './table.js';
import { checkLimits, fitWinsorizer } from './winsorize.js';

/** The order the steps of a preparation run in, whatever order the options are given in. */
export const PREP_ORDER = ['impute', 'log1p', 'winsorize', 'scale', 'one-hot'] as const;

export interface PrepOptions extends ColumnChoice, ScaleSettings {
  /** Fill missing values of the numeric columns with their median or mean. */
  impute?: ImputeStrategy;
  /** log1p of these numeric columns. */
  log1p?: readonly string[];
  /** Clip the numeric columns at these quantiles, e.g. [0.01, 0.99]. */
  winsorize?: readonly [number, number];
  /** Scale the numeric columns. */
  scale?: ScaleMethod;
  /** One-hot encode these text columns. */
  oneHot?: readonly string[];
  oneHotNulls?: OneHotNulls;
  oneHotUnknown?: OneHotUnknown;
}

/**
 * A fitted preparation: the steps asked for, in the fixed order impute → log1p → winsorize →
 * scale → one-hot, each fitted on the output of the steps before it (as a scikit-learn
 * Pipeline). impute, winsorize and scale apply to the chosen numeric columns (`columns`, or
 * every numeric column but `exclude`); log1p and one-hot to the columns they name. Other
 * columns pass through untouched.
 */
export class Prep implements TableStep {
  constructor(
    /** The fitted steps, in the order they run. */
    readonly steps: readonly TableStep[],
    /** The numeric columns impute / winsorize / scale applied to. */
    readonly columns: readonly string[],
  ) {}

  outputSchema(schema: arrow.Schema): arrow.Schema {
    return this.steps.reduce((s, step) => step.outputSchema(s), schema);
  }

  transformBatch(batch: arrow.RecordBatch, firstRow = 0): arrow.RecordBatch {
    return this.steps.reduce((b, step) => step.transformBatch(b, firstRow), batch);
  }

  transform(table: arrow.Table): arrow.Table {
    return transformTable(this, table);
  }

  transformBatches(batches: BatchStream): AsyncGenerator<arrow.RecordBatch> {
    return transformStream(this, batches);
  }

  toJSON(): Record<string, unknown> {
    return { columns: [...this.columns], steps: this.steps.map((step) => step.toJSON()) };
  }
}

/** Checks the options before any data is read; messages name the option. */
function checkPrepOptions(options: PrepOptions): void {
  if (options === null || typeof options !== 'object') throw optionError('prep', 'options must be an object');
  if (options.impute !== undefined) requireChoice('impute', options.impute, IMPUTE_STRATEGIES);
  if (options.scale !== undefined) requireChoice('scale', options.scale, SCALE_METHODS);
  if (options.winsorize !== undefined) checkLimits(options.winsorize);
  if (options.log1p !== undefined) checkNames('log1p', options.log1p);
  if (options.oneHot !== undefined) checkNames('oneHot', options.oneHot);
  checkScaleSettings(options, optionError);
  const any = options.impute ?? options.scale ?? options.winsorize ?? (options.log1p?.length || undefined) ?? (options.oneHot?.length || undefined);
  if (any === undefined) throw optionError('prep', 'no step asked for; give at least one of impute, log1p, winsorize, scale, oneHot');
}

/**
 * Fits a preparation (see Prep). The table is held in memory while fitting (each step is fitted
 * on the previous steps' output); the fitted Prep then transforms any table or stream.
 */
export function fitPrep(input: SyncTableInput, options: PrepOptions): Prep;
export function fitPrep(input: AsyncTableInput, options: PrepOptions): Promise<Prep>;
export function fitPrep(input: TableInput, options: PrepOptions): Prep | Promise<Prep>;
export function fitPrep(input: TableInput, options: PrepOptions): Prep | Promise<Prep> {
  checkPrepOptions(options);
  const schema = (input as { schema?: arrow.Schema }).schema;
  const batches = collect(input);
  return batches instanceof Promise ? batches.then((b) => fitBatches(b, schema, options)) : fitBatches(batches, schema, options);
}

function fitBatches(batches: arrow.RecordBatch[], knownSchema: arrow.Schema | undefined, options: PrepOptions): Prep {
  const schema = knownSchema ?? batches[0]?.schema;
  if (!schema || batches.every((b) => b.numRows === 0)) throw inputError('the table has no rows');
  const wantsNumeric = options.impute !== undefined || options.winsorize !== undefined || options.scale !== undefined;
  const numeric = wantsNumeric ? numericColumns(schema, options) : [];

  const planned: (() => TableStep)[] = [];
  let current = batches;
  if (options.impute) planned.push(() => fitImputer(current, { strategy: options.impute, columns: numeric }));
  if (options.log1p?.length) planned.push(() => new Log1p(options.log1p!));
  if (options.winsorize) planned.push(() => fitWinsorizer(current, { limits: options.winsorize, columns: numeric }));
  if (options.scale) {
    const { featureRange, quantileRange } = options;
    planned.push(() => fitScaler(current, { method: options.scale, columns: numeric, featureRange, quantileRange }));
  }
  if (options.oneHot?.length) {
    planned.push(() => fitOneHot(current, { columns: options.oneHot!, nulls: options.oneHotNulls, unknown: options.oneHotUnknown }));
  }

  const steps: TableStep[] = [];
  let currentSchema = schema;
  planned.forEach((fit, i) => {
    const step = fit();
    currentSchema = step.outputSchema(currentSchema); // checks the columns' types before transforming
    steps.push(step);
    if (i < planned.length - 1) {
      let row = 0;
      current = current.map((batch) => {
        const out = step.transformBatch(batch, row);
        row += batch.numRows;
        return out;
      });
    }
  });
  return new Prep(steps, numeric);
}
