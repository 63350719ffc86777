/**
 * clusterkit: the engine (see core.ts) plus the Arrow table layer — file I/O, table
 * preparation, cluster profiles and per-group aggregation.
 */
export * from './core.js';
export { openTable, readMatrix, writeTable, appendColumns, dropColumns, schemaWith } from './io/index.js';
export type { TableFormat, TableSource, MatrixInput, MatrixRead, ReadOptions, NewColumn } from './io/index.js';
export {
  fitImputer,
  fitWinsorizer,
  fitScaler,
  fitOneHot,
  fitPrep,
  log1pColumns,
  columnVariance,
  columnCorrelation,
  Imputer,
  Winsorizer,
  Scaler,
  Log1p,
  OneHotEncoder,
  Prep,
  PREP_ORDER,
} from './prep/index.js';
export type {
  TableInput,
  SyncTableInput,
  AsyncTableInput,
  TableStep,
  ReadableTable,
  ColumnChoice,
  ImputeOptions,
  ImputeStrategy,
  WinsorizeOptions,
  ScaleOptions,
  OneHotOptions,
  OneHotNulls,
  OneHotUnknown,
  PrepOptions,
  ColumnVariance,
  Correlation,
  CorrelationTableOptions,
  VarianceOptions,
} from './prep/index.js';
export { profileClusters, type ProfileOptions, type ProfileResult, type ClusterProfile } from './algorithms/profile.js';
export { aggregateGroups, type AggregateOptions, type AggregateResult, type AggregateStat, type GroupAggregate, type GroupKey } from './algorithms/aggregate.js';
