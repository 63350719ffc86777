/**
 * The engine without the Arrow table layer: what a web page needs to cluster matrices
 * (`import { Engine, Matrix } from 'clusterkit/core'`). Arrow inputs still work: the conversion
 * loads apache-arrow on first use.
 */
export { Engine, type EngineOptions, type KMeansResult, type MiniBatchKMeansModel, type PcaResult } from './engine.js';
export { Matrix, MatrixBuilder, type MatrixChunk } from './matrix.js';
export { ClusterkitError, DeviceLostError, type ErrorKind } from './errors.js';
export { Rng } from './rng.js';
export { Dataset, type DataInput, type LoadInput, type ColumnSelection } from './input.js';
export type { BackendName, Metric } from './backends/backend.js';
export { probeBackends, type BackendChoice, type BackendProbe } from './backends/select.js';
export type { KMeansOptions, KMeansInit, KMeansProgress } from './algorithms/kmeans.js';
export type { SilhouetteOptions, SilhouetteResult } from './algorithms/silhouette.js';
export type { DistanceOptions, KnnOptions, KnnResult } from './algorithms/neighbors.js';
export type { SimilarityOptions, SimilarityResult } from './algorithms/similarity.js';
export { standardize } from './algorithms/scale.js';
export type { SweepOptions, SweepResult, SweepEntry, SweepProgress, PrincipalComponent } from './algorithms/sweep.js';
export type {
  TopDownOptions,
  TopDownResult,
  TopDownGroup,
  TopDownProgress,
  TopDownCriterion,
  BisectingKMeansOptions,
  BisectingKMeansResult,
  BisectingNode,
  BisectingStrategy,
  BisectingInit,
} from './algorithms/topdown.js';
export type { MiniBatchKMeansOptions, MiniBatchKMeansResult, MiniBatchProgress, MiniBatchSource, MiniBatchInput, PassStream } from './algorithms/minibatch.js';
export { calinskiHarabaszScore, daviesBouldinScore } from './algorithms/metrics.js';
export type { AgglomerativeOptions, AgglomerativeFit, AgglomerativeProgress, Linkage, DistancePrecision } from './algorithms/agglomerative.js';
export type { AffinityOptions, AffinityFit, AffinityProgress } from './algorithms/affinity.js';
export { scaleMatrix, type MatrixScaling } from './prep/matrix-scale.js';
export { symmetricEigen, type SymmetricEigen } from './prep/eigen.js';
export { averageRanks, medianSorted, quantileSorted, type ColumnScale, type ScaleMethod, type ScaleSettings } from './prep/stats.js';
export type { CorrelationMethod, CorrelationOptions } from './prep/correlate.js';
export type { PcaModel, PcaOptions, PcaSignFlip } from './prep/pca.js';
