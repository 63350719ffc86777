import { inputError, optionError } from '../errors.js';
import type { Matrix } from '../matrix.js';

/**
 * Internal cluster-validity indices that need only per-cluster means: Calinski–Harabasz and
 * Davies–Bouldin, defined exactly as scikit-learn's `calinski_harabasz_score` and
 * `davies_bouldin_score`. Both are two O(n·d) passes over the host rows (float64 sums), a
 * small cost next to the k-means fit that produced the labels.
 */

export interface ClusterScores {
  /** Calinski–Harabasz (variance ratio): between- over within-cluster dispersion, scaled. Higher is better. */
  calinskiHarabasz: number;
  /** Davies–Bouldin: mean over clusters of the worst (sᵢ + sⱼ) / ‖μᵢ − μⱼ‖. Lower is better. */
  daviesBouldin: number;
  /** Rows per cluster, in the order of `clusterIds`. */
  sizes: Float64Array;
  /** Cluster means, clusters × d, row-major. */
  means: Float64Array;
  /** The label value of each cluster, in the order of `sizes` and `means` (ascending). */
  clusterIds: number[];
}

/**
 * Labels renumbered 0..m−1 in ascending order of their values (scikit-learn's LabelEncoder),
 * checked as scikit-learn's `check_number_of_labels`: between 2 and n − 1 distinct labels.
 */
export function denseLabels(labels: ArrayLike<number>, rows: number): { dense: Int32Array; ids: number[] } {
  if (labels.length !== rows) {
    throw inputError(`labels: ${labels.length} labels for ${rows} rows; one label per row is needed`);
  }
  const seen = new Set<number>();
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (!Number.isInteger(label)) throw inputError(`labels: row ${i + 1} has label ${label}, expected an integer`);
    seen.add(label);
  }
  const ids = [...seen].sort((a, b) => a - b);
  if (ids.length < 2 || ids.length > rows - 1) {
    throw optionError('labels', `the scores need between 2 and n − 1 = ${rows - 1} clusters, got ${ids.length}`);
  }
  const index = new Map(ids.map((id, i) => [id, i]));
  const dense = new Int32Array(rows);
  for (let i = 0; i < rows; i++) dense[i] = index.get(labels[i]!)!;
  return { dense, ids };
}

/** Calinski–Harabasz and Davies–Bouldin of one labelling, with the cluster sizes and means. */
export function clusterScores(x: Matrix, labels: ArrayLike<number>): ClusterScores {
  const { dense, ids } = denseLabels(labels, x.rows);
  const k = ids.length;
  const d = x.cols;
  const n = x.rows;
  const sizes = new Float64Array(k);
  const sums = new Float64Array(k * d);
  const total = new Float64Array(d);
  forEachRow(x, (row, i) => {
    const c = dense[i]!;
    sizes[c]! += 1;
    const base = c * d;
    for (let j = 0; j < d; j++) {
      sums[base + j]! += row[j]!;
      total[j]! += row[j]!;
    }
  });
  const means = new Float64Array(k * d);
  for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) means[c * d + j] = sums[c * d + j]! / sizes[c]!;
  const mean = total.map((s) => s / n);

  // Within-cluster: squared distances (CH) and distances (DB) to the own cluster's mean.
  let intra = 0;
  const spread = new Float64Array(k);
  forEachRow(x, (row, i) => {
    const c = dense[i]!;
    const base = c * d;
    let s = 0;
    for (let j = 0; j < d; j++) s += (row[j]! - means[base + j]!) ** 2;
    intra += s;
    spread[c]! += Math.sqrt(s);
  });
  let extra = 0;
  for (let c = 0; c < k; c++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += (means[c * d + j]! - mean[j]!) ** 2;
    extra += sizes[c]! * s;
  }
  const calinskiHarabasz = intra === 0 ? 1 : (extra * (n - k)) / (intra * (k - 1));

  for (let c = 0; c < k; c++) spread[c]! /= sizes[c]!;
  return { calinskiHarabasz, daviesBouldin: daviesBouldin(spread, means, k, d), sizes, means, clusterIds: ids };
}

/** scikit-learn's `calinski_harabasz_score(X, labels)`. */
export function calinskiHarabaszScore(x: Matrix, labels: ArrayLike<number>): number {
  return clusterScores(x, labels).calinskiHarabasz;
}

/** scikit-learn's `davies_bouldin_score(X, labels)`. */
export function daviesBouldinScore(x: Matrix, labels: ArrayLike<number>): number {
  return clusterScores(x, labels).daviesBouldin;
}

function daviesBouldin(spread: Float64Array, means: Float64Array, k: number, d: number): number {
  const between = new Float64Array(k * k);
  for (let a = 0; a < k; a++) {
    for (let b = a + 1; b < k; b++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (means[a * d + j]! - means[b * d + j]!) ** 2;
      between[a * k + b] = between[b * k + a] = Math.sqrt(s);
    }
  }
  // scikit-learn: 0 when every spread or every centroid distance is ~0 (np.allclose, atol 1e-8).
  if (spread.every((s) => Math.abs(s) <= 1e-8) || between.every((s) => Math.abs(s) <= 1e-8)) return 0;
  let total = 0;
  for (let a = 0; a < k; a++) {
    let worst = 0; // the diagonal term, (sₐ + sₐ) / ∞
    for (let b = 0; b < k; b++) {
      const distance = between[a * k + b]!;
      if (b === a || distance === 0) continue; // coinciding centroids: distance ∞, ratio 0
      worst = Math.max(worst, (spread[a]! + spread[b]!) / distance);
    }
    total += worst;
  }
  return total / k;
}

function forEachRow(x: Matrix, visit: (row: Float32Array, index: number) => void): void {
  const d = x.cols;
  for (const chunk of x.chunks) {
    for (let r = 0; r < chunk.rows; r++) visit(chunk.data.subarray(r * d, (r + 1) * d), chunk.rowStart + r);
  }
}
