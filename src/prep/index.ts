/**
 * Table preparation: Arrow tables (or record batches, or files) in, Arrow out. Each step is
 * fitted once and keeps its parameters, so the same transform applies to new data:
 *
 *   const scaler = fitScaler(table, { method: 'robust' });
 *   const scaled = scaler.transform(otherTable);
 *
 * Fits take an Arrow Table or an iterable of record batches (and return the fitted step), or
 * an async iterable / a table opened with openTable (and return a promise).
 */
export {
  type AsyncTableInput,
  type BatchStream,
  type ColumnChoice,
  type ReadableTable,
  type SyncTableInput,
  type TableInput,
  type TableStep,
} from './table.js';
export { fitImputer, Imputer, IMPUTE_STRATEGIES, type ImputeOptions, type ImputeStrategy } from './impute.js';
export { fitWinsorizer, Winsorizer, type WinsorizeOptions } from './winsorize.js';
export { fitScaler, Scaler, type ScaleOptions } from './scale.js';
export { Log1p, log1pColumns } from './log1p.js';
export { compareCodePoints, fitOneHot, OneHotEncoder, type OneHotNulls, type OneHotOptions, type OneHotUnknown } from './onehot.js';
export { columnCorrelation, columnVariance, type ColumnVariance, type Correlation, type CorrelationTableOptions, type VarianceOptions } from './describe.js';
export { fitPrep, Prep, PREP_ORDER, type PrepOptions } from './pipeline.js';
export { averageRanks, medianSorted, quantileSorted, SCALE_METHODS, type ColumnScale, type ScaleMethod, type ScaleSettings } from './stats.js';
export { scaleMatrix, type MatrixScaling } from './matrix-scale.js';
export { symmetricEigen, type SymmetricEigen } from './eigen.js';
export { CORRELATION_METHODS, type CorrelationMethod, type CorrelationOptions } from './correlate.js';
export { PCA_SIGN_FLIPS, type PcaModel, type PcaOptions, type PcaSignFlip } from './pca.js';
