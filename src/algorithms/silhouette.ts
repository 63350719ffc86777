import type { Backend, DeviceMatrix } from '../backends/backend.js';
import { inputError, optionError } from '../errors.js';
import type { Matrix } from '../matrix.js';
import { Rng } from '../rng.js';
import { requireInteger } from './validate.js';

export interface SilhouetteOptions {
  /**
   * Score a random subset of this many rows (distances only among them, as scikit-learn's
   * `sample_size`), for data too large for the exact O(N²) score.
   */
  sampleSize?: number;
  /** Seed of the subset (default 0). */
  seed?: number;
}

export interface SilhouetteResult {
  /** Mean silhouette coefficient. */
  score: number;
  /** Per-row coefficients (exact mode only). */
  samples?: Float64Array;
  /** The rows scored, in sampled mode. */
  sampleIndices?: Int32Array;
}

/**
 * Output values per backend call: bounds the (rows × clusters) float64 partial-sum block at
 * 128 MiB. Large enough that most problems go in one call, which lets a backend compute each
 * pair of rows once for both of them.
 */
const SUMS_PER_CALL = 1 << 24;

/**
 * Which rows to score and their labels renumbered 0..clusters−1. Validates the labels the way
 * scikit-learn does: one per row, integers, between 2 and n − 1 distinct clusters.
 */
export function prepareSilhouette(
  x: Matrix,
  labels: ArrayLike<number>,
  options: SilhouetteOptions = {},
): { rows: Int32Array | undefined; labels: Int32Array; clusters: number } {
  if (labels.length !== x.rows) {
    throw inputError(`labels: ${labels.length} labels for ${x.rows} rows; one label per row is needed`);
  }
  let rows: Int32Array | undefined;
  if (options.sampleSize !== undefined) {
    const size = requireInteger('sampleSize', options.sampleSize, 2);
    if (size < x.rows) rows = new Rng(requireInteger('seed', options.seed ?? 0, 0, 0xffffffff)).sampleWithoutReplacement(x.rows, size);
  }
  const picked = rows ? Array.from(rows, (r) => labels[r]!) : Array.from(labels);
  const dense = new Int32Array(picked.length);
  const ids = new Map<number, number>();
  picked.forEach((label, i) => {
    if (!Number.isInteger(label)) throw inputError(`labels: row ${(rows ? rows[i]! : i) + 1} has label ${label}, expected an integer`);
    let id = ids.get(label);
    if (id === undefined) ids.set(label, (id = ids.size));
    dense[i] = id;
  });
  if (ids.size < 2 || ids.size > picked.length - 1) {
    const where = rows ? ` in the sample of ${picked.length} rows` : '';
    throw optionError('labels', `silhouette needs between 2 and n − 1 = ${picked.length - 1} clusters, got ${ids.size}${where}`);
  }
  return { rows, labels: dense, clusters: ids.size };
}

/**
 * Mean silhouette coefficient (Rousseeuw 1987) with Euclidean distances, as scikit-learn's
 * `silhouette_samples`: a = mean distance to the own cluster's other rows, b = lowest mean
 * distance to another cluster, s = (b − a) / max(a, b), and s = 0 for a row alone in its cluster.
 * `x` must already hold only the rows scored (see `prepareSilhouette`).
 */
export async function silhouetteSamples(backend: Backend, x: DeviceMatrix, labels: Int32Array, clusters: number): Promise<Float64Array> {
  const sizes = new Float64Array(clusters);
  for (const label of labels) sizes[label]! += 1;
  const samples = new Float64Array(x.rows);
  const block = Math.max(1, Math.floor(SUMS_PER_CALL / clusters));
  for (let start = 0; start < x.rows; start += block) {
    const end = Math.min(x.rows, start + block);
    const sums = await backend.clusterDistanceSums(x, labels, clusters, start, end);
    for (let i = start; i < end; i++) {
      const own = labels[i]!;
      if (sizes[own] === 1) continue; // s = 0
      const base = (i - start) * clusters;
      const a = sums[base + own]! / (sizes[own]! - 1);
      let b = Infinity;
      for (let c = 0; c < clusters; c++) if (c !== own) b = Math.min(b, sums[base + c]! / sizes[c]!);
      const s = (b - a) / Math.max(a, b);
      samples[i] = Number.isNaN(s) ? 0 : s; // a = b = 0 (duplicate rows): scikit-learn's nan_to_num
    }
  }
  return samples;
}
