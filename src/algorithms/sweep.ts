import type { Backend, DeviceMatrix } from '../backends/backend.js';
import { ClusterkitError, optionError } from '../errors.js';
import type { Matrix } from '../matrix.js';
import { fitPca } from '../prep/pca.js';
import { Rng } from '../rng.js';
import { fitKMeans, resolveKMeansOptions, type KMeansOptions } from './kmeans.js';
import { clusterScores } from './metrics.js';
import { prepareSilhouette, silhouetteSamples } from './silhouette.js';
import { requireInteger } from './validate.js';

/**
 * Choosing k: one k-means fit per k over a range, each scored by inertia (the elbow),
 * silhouette, Calinski–Harabasz and Davies–Bouldin, with the data for a clustergram (each
 * cluster's mean projected on the data's first principal component, with its size, and how
 * rows move between the clusters of consecutive k).
 *
 * The data is uploaded once for the whole sweep (and a silhouette sample once more): every fit
 * and every silhouette runs on the same resident matrix.
 */

export interface SweepOptions extends Omit<KMeansOptions, 'k' | 'init' | 'onIteration'> {
  /** Smallest k (default 2). */
  kMin?: number;
  /** Largest k (required unless `ks` is given). */
  kMax?: number;
  /** An explicit list of k values instead of kMin..kMax (sorted ascending, duplicates dropped). */
  ks?: readonly number[];
  /**
   * Initial centroids per k: 'k-means++' (default), 'random', or a function giving the k × d
   * matrix for a k (then nInit is 1).
   */
  init?: 'k-means++' | 'random' | ((k: number) => Matrix);
  /** Compute the silhouette (default true; O(n²) unless `sampleSize` is given). */
  silhouette?: boolean;
  /** Silhouette on a random subset of this many rows (scikit-learn's `sample_size`); the same rows for every k. */
  sampleSize?: number;
  /** Compute the first principal component and the clustergram positions (default true). */
  clustergram?: boolean;
  onProgress?: (progress: SweepProgress) => void;
}

export interface SweepProgress {
  k: number;
  /** Index of k in the sweep, and how many k values there are. */
  index: number;
  count: number;
  stage: 'kmeans' | 'silhouette' | 'scores';
  /** Overall fraction done, 0..1. */
  fraction: number;
}

export interface SweepEntry {
  k: number;
  /** Σ of squared distances to the nearest centroid (the elbow curve). */
  inertia: number;
  iterations: number;
  converged: boolean;
  /** Mean silhouette (scikit-learn's `silhouette_score`); null when skipped or undefined for these labels. */
  silhouette: number | null;
  /** scikit-learn's `calinski_harabasz_score` (higher is better); null when undefined for these labels. */
  calinskiHarabasz: number | null;
  /** scikit-learn's `davies_bouldin_score` (lower is better); null when undefined for these labels. */
  daviesBouldin: number | null;
  /** Rows per cluster, indexed by label. */
  sizes: number[];
  /**
   * Clustergram: each cluster's mean projected on the first principal component (its PC score,
   * as scikit-learn's `PCA(1).transform(means)`), indexed by label; null without clustergram
   * or for an empty cluster.
   */
  positions: (number | null)[] | null;
  /** Rows moving from cluster `from` at the previous k to cluster `to` at this k (empty for the first k). */
  flows: { from: number; to: number; count: number }[];
  labels: Int32Array;
  centroids: Matrix;
}

export interface PrincipalComponent {
  /** Column means. */
  mean: Float64Array;
  /** Unit loading vector, signed as scikit-learn's PCA: the row with the largest |score| scores positive. */
  component: Float64Array;
  /** Its eigenvalue of the covariance (n − 1 denominator, scikit-learn's `explained_variance_`). */
  explainedVariance: number;
  explainedVarianceRatio: number;
  /** Rows the covariance was computed from (all of them unless the data is very large). */
  rowsUsed: number;
}

export interface SweepResult {
  n: number;
  d: number;
  entries: SweepEntry[];
  /** The first principal component behind the clustergram positions (null without clustergram). */
  principalComponent: PrincipalComponent | null;
  /** Rows in the silhouette sample, or null for the exact score. */
  silhouetteSample: number | null;
  /** The k each criterion prefers (highest silhouette / CH, lowest DB; the smaller k on ties). */
  best: { silhouette: number | null; calinskiHarabasz: number | null; daviesBouldin: number | null };
}

/** The sorted k values a sweep covers; each between 2 and rows − 1 (the scores need it). */
export function resolveSweepKs(options: Pick<SweepOptions, 'kMin' | 'kMax' | 'ks'>, rows: number): number[] {
  let ks: number[];
  if (options.ks !== undefined) {
    if (options.kMin !== undefined || options.kMax !== undefined) throw optionError('ks', 'give either ks or kMin/kMax, not both');
    if (!Array.isArray(options.ks) || options.ks.length === 0) throw optionError('ks', 'needs at least one k');
    ks = [...new Set(options.ks.map((k) => requireInteger('ks', k, 2)))].sort((a, b) => a - b);
  } else {
    if (options.kMax === undefined) throw optionError('kMax', 'is required (the largest k of the sweep)');
    const kMin = requireInteger('kMin', options.kMin ?? 2, 2);
    const kMax = requireInteger('kMax', options.kMax, 2);
    if (kMin > kMax) throw optionError('kMax', `the range ${kMin}..${kMax} is empty (kMin > kMax)`);
    ks = Array.from({ length: kMax - kMin + 1 }, (_, i) => kMin + i);
  }
  const largest = ks[ks.length - 1]!;
  if (largest > rows - 1) {
    throw optionError(options.ks !== undefined ? 'ks' : 'kMax', `k = ${largest} needs more than ${rows} rows (at most k = n − 1 = ${rows - 1} for the scores)`);
  }
  return ks;
}

export async function sweep(backend: Backend, x: DeviceMatrix, options: SweepOptions): Promise<SweepResult> {
  if (options === null || typeof options !== 'object') throw optionError('kMax', 'a sweep needs options with at least { kMax }');
  const ks = resolveSweepKs(options, x.rows);
  const { init, silhouette: withSilhouette = true, sampleSize, clustergram = true, onProgress, kMin: _kMin, kMax: _kMax, ks: _ks, ...kmeansOptions } = options;
  // Bad k-means options fail before any work (an init function is checked per k by fitKMeans).
  resolveKMeansOptions({ ...kmeansOptions, k: ks[0]!, init: typeof init === 'function' ? undefined : init }, x.rows, x.cols);
  if (sampleSize !== undefined) requireInteger('sampleSize', sampleSize, 2);

  const pc = clustergram ? await firstPrincipalComponent(backend, x.host) : null;
  const entries: SweepEntry[] = [];
  let sampleResident: DeviceMatrix | undefined;
  let sampleRows: number | null = null;
  const report = (index: number, stage: SweepProgress['stage'], within: number) =>
    onProgress?.({ k: ks[index]!, index, count: ks.length, stage, fraction: (index + within) / ks.length });
  try {
    for (let index = 0; index < ks.length; index++) {
      const k = ks[index]!;
      report(index, 'kmeans', 0);
      const fit = await fitKMeans(backend, x, {
        ...kmeansOptions,
        k,
        init: typeof init === 'function' ? init(k) : init,
        onIteration: (p) => report(index, 'kmeans', (0.8 * (p.run + p.iteration / p.maxIter)) / p.runs),
      });

      let silhouette: number | null = null;
      if (withSilhouette) {
        report(index, 'silhouette', 0.8);
        const prepared = tryScore(() => prepareSilhouette(x.host, fit.labels, { sampleSize, seed: kmeansOptions.seed }));
        if (prepared) {
          let resident = x;
          if (prepared.rows) {
            // The same seed draws the same rows for every k: upload the sample once.
            sampleResident ??= await backend.upload(x.host.selectRows(prepared.rows));
            sampleRows = prepared.rows.length;
            resident = sampleResident;
          }
          const samples = await silhouetteSamples(backend, resident, prepared.labels, prepared.clusters);
          silhouette = samples.reduce((a, b) => a + b, 0) / samples.length;
        }
      }

      report(index, 'scores', 0.95);
      const scores = tryScore(() => clusterScores(x.host, fit.labels));
      const sizes = new Array<number>(k).fill(0);
      for (const label of fit.labels) sizes[label]! += 1;
      let positions: (number | null)[] | null = null;
      if (pc) {
        positions = new Array<number | null>(k).fill(null);
        const means = scores?.means ?? clusterMeans(x.host, fit.labels, k).means;
        const ids = scores?.clusterIds ?? Array.from({ length: k }, (_, c) => c);
        ids.forEach((label, c) => {
          if (sizes[label]! > 0) positions![label] = projectMean(means, c, pc);
        });
      }
      const previous = entries[entries.length - 1];
      entries.push({
        k,
        inertia: fit.inertia,
        iterations: fit.iterations,
        converged: fit.converged,
        silhouette,
        calinskiHarabasz: scores?.calinskiHarabasz ?? null,
        daviesBouldin: scores?.daviesBouldin ?? null,
        sizes,
        positions,
        flows: previous ? flows(previous.labels, previous.k, fit.labels, k) : [],
        labels: fit.labels,
        centroids: fit.centroids,
      });
    }
  } finally {
    sampleResident?.dispose();
  }
  onProgress?.({ k: ks[ks.length - 1]!, index: ks.length - 1, count: ks.length, stage: 'scores', fraction: 1 });
  return {
    n: x.rows,
    d: x.cols,
    entries,
    principalComponent: pc,
    silhouetteSample: withSilhouette ? sampleRows : null,
    best: {
      silhouette: bestK(entries, (e) => e.silhouette, 1),
      calinskiHarabasz: bestK(entries, (e) => e.calinskiHarabasz, 1),
      daviesBouldin: bestK(entries, (e) => e.daviesBouldin, -1),
    },
  };
}

/** The k of the entry with the best score (sign 1: highest, −1: lowest); the first on ties. */
export function bestK(entries: readonly SweepEntry[], score: (e: SweepEntry) => number | null, sign: 1 | -1): number | null {
  let best: SweepEntry | undefined;
  for (const entry of entries) {
    const value = score(entry);
    if (value === null || Number.isNaN(value)) continue;
    if (!best || sign * value > sign * score(best)!) best = entry;
  }
  return best?.k ?? null;
}

/** Scores that are undefined for a labelling (too few clusters in a sample, say) become null. */
function tryScore<T>(compute: () => T): T | null {
  try {
    return compute();
  } catch (error) {
    if (error instanceof ClusterkitError) return null;
    throw error;
  }
}

function clusterMeans(x: Matrix, labels: Int32Array, k: number): { means: Float64Array } {
  const d = x.cols;
  const means = new Float64Array(k * d);
  const counts = new Float64Array(k);
  for (let i = 0; i < x.rows; i++) {
    const row = x.row(i);
    const c = labels[i]!;
    counts[c]! += 1;
    for (let j = 0; j < d; j++) means[c * d + j]! += row[j]!;
  }
  for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) means[c * d + j]! /= counts[c]! || 1;
  return { means };
}

function projectMean(means: Float64Array, c: number, pc: PrincipalComponent): number {
  const d = pc.mean.length;
  let s = 0;
  for (let j = 0; j < d; j++) s += (means[c * d + j]! - pc.mean[j]!) * pc.component[j]!;
  return s;
}

function flows(from: Int32Array, kFrom: number, to: Int32Array, kTo: number): { from: number; to: number; count: number }[] {
  const counts = new Float64Array(kFrom * kTo);
  for (let i = 0; i < from.length; i++) counts[from[i]! * kTo + to[i]!]! += 1;
  const out: { from: number; to: number; count: number }[] = [];
  for (let a = 0; a < kFrom; a++) for (let b = 0; b < kTo; b++) if (counts[a * kTo + b]! > 0) out.push({ from: a, to: b, count: counts[a * kTo + b]! });
  return out;
}

// ---------------------------------------------------------------------------------------------
// First principal component (src/prep's PCA: the scatter matrix on the backend, the
// eigen-decomposition on the host). Above PCA_BUDGET multiply-adds (n·d²) a seeded row sample
// keeps it bounded: the clustergram is a picture, and a component from 10⁵–10⁶ rows draws the
// same picture.

const PCA_BUDGET = 2e10;

export async function firstPrincipalComponent(backend: Backend, x: Matrix): Promise<PrincipalComponent> {
  const d = x.cols;
  const budgetRows = Math.max(d + 1, Math.floor(PCA_BUDGET / (d * d)));
  const sample = x.rows > budgetRows ? x.selectRows(Array.from(new Rng(0).sampleWithoutReplacement(x.rows, budgetRows)).sort((a, b) => a - b)) : x;
  // 'scores': scikit-learn 1.2's sign rule (the largest |score| is positive), as the fixtures.
  const model = await fitPca(backend, sample, { components: 1, signFlip: 'scores' });
  return {
    mean: model.mean,
    component: Float64Array.from(model.components.toFloat32Array()),
    explainedVariance: model.explainedVariance[0]!,
    explainedVarianceRatio: model.explainedVarianceRatio[0]!,
    rowsUsed: sample.rows,
  };
}
