import type { Backend, DeviceMatrix } from '../backends/backend.js';
import { inputError, optionError } from '../errors.js';
import { Matrix } from '../matrix.js';
import { columnMeans } from '../prep/column-sums.js';
import { Rng } from '../rng.js';
import { fitKMeans, kmeansPlusPlus, lloyd, resolveKMeansOptions, type KMeansOptions } from './kmeans.js';
import { bestK, sweep, type SweepEntry } from './sweep.js';
import { requireChoice, requireInteger, requireNumber } from './validate.js';

// =============================================================================================
// Two-level (top-down) clustering
// =============================================================================================

export type TopDownCriterion = 'silhouette' | 'calinski_harabasz' | 'davies_bouldin';

export interface TopDownOptions extends Omit<KMeansOptions, 'k' | 'init' | 'onIteration'> {
  /** Clusters of the top split. */
  k: number;
  /** Smallest k tried in each group (default 2). */
  subKMin?: number;
  /** Largest k tried in each group (default 6; capped at the group's rows − 1). */
  subKMax?: number;
  /** How each group's k is chosen (default 'silhouette', the highest; the smaller k on ties). */
  criterion?: TopDownCriterion;
  /** Silhouette on a random subset of each group of this many rows (default: exact). */
  sampleSize?: number;
  init?: 'k-means++' | 'random';
  onProgress?: (progress: TopDownProgress) => void;
}

export interface TopDownProgress {
  stage: 'top' | 'group';
  /** The group being sub-clustered (stage 'group'). */
  group: number;
  groups: number;
  fraction: number;
}

export interface TopDownGroup {
  parent: number;
  size: number;
  /** Sub-clusters chosen (1: the group was too small to split). */
  k: number;
  /** The scores of every k tried, by which `k` was chosen. */
  scores: { k: number; inertia: number; silhouette: number | null; calinskiHarabasz: number | null; daviesBouldin: number | null }[];
}

export interface TopDownResult {
  /** Flat cluster of each row: sub-clusters numbered in order of (parent, child). */
  labels: Int32Array;
  /** Top-level cluster of each row. */
  parent: Int32Array;
  /** Sub-cluster of each row within its parent. */
  child: Int32Array;
  /** Id of each flat cluster, "parent.child" (e.g. "2.3"). */
  ids: string[];
  /** Flat-cluster centroids (a group that was not split keeps its mean). */
  centroids: Matrix;
  /** Σ of squared distances from each row to its flat cluster's centroid. */
  inertia: number;
  top: { inertia: number; centroids: Matrix; sizes: number[] };
  groups: TopDownGroup[];
}

/**
 * The two-level scheme of segmentation studies: k-means with `k` clusters, then each of those
 * groups sub-clustered by k-means with its own k, chosen by `criterion` over
 * subKMin..subKMax. The top split runs on the resident `x`; each group is uploaded once for
 * its own sweep.
 */
export async function topDown(backend: Backend, x: DeviceMatrix, options: TopDownOptions): Promise<TopDownResult> {
  if (options === null || typeof options !== 'object') throw optionError('k', 'top-down clustering needs options with at least { k }');
  const { k: topK, subKMin: rawMin, subKMax: rawMax, criterion: rawCriterion, sampleSize, onProgress, init, ...kmeansOptions } = options;
  const k = requireInteger('k', topK, 1);
  resolveKMeansOptions({ ...kmeansOptions, init, k }, x.rows, x.cols);
  const subKMin = requireInteger('subKMin', rawMin ?? 2, 2);
  const subKMax = requireInteger('subKMax', rawMax ?? Math.max(6, subKMin), 2);
  if (subKMin > subKMax) throw optionError('subKMax', `the range ${subKMin}..${subKMax} is empty (subKMin > subKMax)`);
  const criterion = requireChoice('criterion', rawCriterion ?? 'silhouette', ['silhouette', 'calinski_harabasz', 'davies_bouldin'] as const);
  if (sampleSize !== undefined) requireInteger('sampleSize', sampleSize, 2);

  onProgress?.({ stage: 'top', group: -1, groups: k, fraction: 0 });
  const top = await fitKMeans(backend, x, {
    ...kmeansOptions,
    init,
    k,
    onIteration: (p) => onProgress?.({ stage: 'top', group: -1, groups: k, fraction: (0.2 * (p.run + p.iteration / p.maxIter)) / p.runs }),
  });
  const n = x.rows;
  const d = x.cols;
  const members = rowsByLabel(top.labels, k);

  const parent = Int32Array.from(top.labels);
  const child = new Int32Array(n);
  const labels = new Int32Array(n);
  const ids: string[] = [];
  const centroidRows: Float64Array[] = [];
  const groups: TopDownGroup[] = [];
  for (let g = 0; g < k; g++) {
    const rows = members[g]!;
    const hi = Math.min(subKMax, rows.length - 1);
    const report = (within: number) => onProgress?.({ stage: 'group', group: g, groups: k, fraction: 0.2 + (0.8 * (g + within)) / k });
    report(0);
    const firstFlat = ids.length;
    if (hi < subKMin) {
      // Too few rows to compare subKMin or more sub-clusters: the group stays whole.
      groups.push({ parent: g, size: rows.length, k: 1, scores: [] });
      ids.push(`${g}.0`);
      centroidRows.push(meanOf(x.host, rows));
      for (const r of rows) labels[r] = firstFlat;
      continue;
    }
    const groupMatrix = x.host.selectRows(rows);
    const resident = await backend.upload(groupMatrix);
    let entries: SweepEntry[];
    try {
      const swept = await sweep(backend, resident, {
        ...kmeansOptions,
        init,
        kMin: subKMin,
        kMax: hi,
        silhouette: criterion === 'silhouette',
        sampleSize,
        clustergram: false,
        onProgress: (p) => report(p.fraction),
      });
      entries = swept.entries;
    } finally {
      resident.dispose();
    }
    const score = {
      silhouette: (e: SweepEntry) => e.silhouette,
      calinski_harabasz: (e: SweepEntry) => e.calinskiHarabasz,
      davies_bouldin: (e: SweepEntry) => e.daviesBouldin,
    }[criterion];
    const chosenK = bestK(entries, score, criterion === 'davies_bouldin' ? -1 : 1) ?? entries[0]!.k;
    const chosen = entries.find((e) => e.k === chosenK)!;
    groups.push({
      parent: g,
      size: rows.length,
      k: chosenK,
      scores: entries.map((e) => ({ k: e.k, inertia: e.inertia, silhouette: e.silhouette, calinskiHarabasz: e.calinskiHarabasz, daviesBouldin: e.daviesBouldin })),
    });
    const centroids = chosen.centroids.toFloat32Array();
    for (let c = 0; c < chosenK; c++) {
      ids.push(`${g}.${c}`);
      centroidRows.push(Float64Array.from(centroids.subarray(c * d, (c + 1) * d)));
    }
    rows.forEach((r, i) => {
      child[r] = chosen.labels[i]!;
      labels[r] = firstFlat + chosen.labels[i]!;
    });
  }
  onProgress?.({ stage: 'group', group: k - 1, groups: k, fraction: 1 });

  const flat = new Float64Array(ids.length * d);
  centroidRows.forEach((row, c) => flat.set(row, c * d));
  const sizes = new Array<number>(k).fill(0);
  for (const p of parent) sizes[p]! += 1;
  return {
    labels,
    parent,
    child,
    ids,
    centroids: Matrix.from(flat, ids.length, d),
    inertia: inertiaOf(x.host, labels, flat),
    top: { inertia: top.inertia, centroids: top.centroids, sizes },
    groups,
  };
}

// =============================================================================================
// Bisecting k-means (scikit-learn's BisectingKMeans)
// =============================================================================================

export type BisectingStrategy = 'biggest_inertia' | 'largest_cluster';

/** Initial pair of centres for one bisection: gets the rows of the cluster being split (in row order). */
export type BisectingInit = (rows: Matrix, k: 2, rng: Rng) => Matrix;

export interface BisectingKMeansOptions {
  /** Number of clusters (leaves). */
  k: number;
  /**
   * Which leaf is split next: 'biggest_inertia' (default), the largest Σ of squared distances to
   * its centre, or 'largest_cluster', the most rows. The first leaf (depth-first) wins ties.
   */
  strategy?: BisectingStrategy;
  /** Inner k-means init: 'random' (default, as scikit-learn), 'k-means++', or a function. */
  init?: 'random' | 'k-means++' | BisectingInit;
  /** Inner k-means runs per bisection, the lowest inertia kept (default 1, as scikit-learn). */
  nInit?: number;
  /** Lloyd iterations per inner run (default 300). */
  maxIter?: number;
  /**
   * Inner convergence tolerance (default 1e-4). As in scikit-learn's BisectingKMeans it bounds
   * the summed squared centre shift directly (it is not scaled by the data's variance as in
   * KMeans).
   */
  tol?: number;
  seed?: number;
  algorithm?: 'auto' | 'lloyd' | 'hamerly';
  onProgress?: (progress: { split: number; splits: number; fraction: number }) => void;
}

export interface BisectingNode {
  id: number;
  /** −1 for the root. */
  parent: number;
  /** Child ids, or −1 for a leaf. */
  left: number;
  right: number;
  size: number;
  /** The score the split choice compared: inertia or size (0 for the root). */
  score: number;
  /** Final cluster label of a leaf, −1 for an inner node. */
  label: number;
  center: Float64Array;
}

export interface BisectingKMeansResult {
  labels: Int32Array;
  /** Leaf centres (k × d), in label order. */
  centroids: Matrix;
  /** Σ of squared distances from each row to its leaf's centre. */
  inertia: number;
  sizes: number[];
  /** The tree of splits, nodes in creation order (root first). */
  tree: BisectingNode[];
}

/**
 * Bisecting k-means with scikit-learn 1.2's `BisectingKMeans` rules: starting from one cluster,
 * k − 1 times the leaf with the highest score (inertia or size, the first leaf depth-first on
 * ties) is split by 2-means (nInit runs, a later run kept only if its inertia is lower by more
 * than a 1e-6 fraction); inner label 0 becomes the left child. Final labels number the leaves
 * depth-first, left before right; centres are the inner k-means centres.
 */
export async function bisectingKMeans(backend: Backend, x: DeviceMatrix, options: BisectingKMeansOptions): Promise<BisectingKMeansResult> {
  if (options === null || typeof options !== 'object') throw optionError('k', 'bisecting k-means needs options with at least { k }');
  const n = x.rows;
  const d = x.cols;
  const k = requireInteger('k', options.k, 1);
  if (k > n) throw optionError('k', `k = ${k} is more than the ${n} rows of the data`);
  const strategy = requireChoice('strategy', options.strategy ?? 'biggest_inertia', ['biggest_inertia', 'largest_cluster'] as const);
  const init = options.init ?? 'random';
  if (typeof init !== 'function') requireChoice('init', init, ['random', 'k-means++'] as const);
  const nInit = requireInteger('nInit', options.nInit ?? 1, 1);
  const maxIter = requireInteger('maxIter', options.maxIter ?? 300, 1);
  const tol = requireNumber('tol', options.tol ?? 1e-4, 0);
  const rng = new Rng(requireInteger('seed', options.seed ?? 0, 0, 0xffffffff));
  const algorithm = requireChoice('algorithm', options.algorithm ?? 'auto', ['auto', 'lloyd', 'hamerly'] as const);
  const bounds = algorithm === 'auto' ? ('auto' as const) : algorithm === 'hamerly';

  const all = Int32Array.from({ length: n }, (_, i) => i);
  const tree: BisectingNode[] = [{ id: 0, parent: -1, left: -1, right: -1, size: n, score: 0, label: -1, center: columnMeans(x.host) }];
  const rowsOf = new Map<number, Int32Array>([[0, all]]);

  for (let split = 0; split < k - 1; split++) {
    options.onProgress?.({ split, splits: k - 1, fraction: split / Math.max(1, k - 1) });
    let target: BisectingNode | undefined;
    for (const leaf of leaves(tree)) if (!target || leaf.score > target.score) target = leaf;
    const rows = rowsOf.get(target!.id)!;
    if (rows.length < 2) throw inputError(`bisecting k-means: the cluster to split next has ${rows.length} row; the data has fewer than k = ${k} distinct points`);

    const subset = rows.length === n ? x.host : x.host.selectRows(rows);
    const resident = rows.length === n ? x : await backend.upload(subset);
    let best: { labels: Int32Array; centers: Float32Array; inertia: number } | undefined;
    let halves: Int32Array[];
    let scores: number[];
    try {
      for (let run = 0; run < nInit; run++) {
        let initial: Float32Array;
        if (typeof init === 'function') {
          const centres = init(subset, 2, rng);
          if (centres.rows !== 2 || centres.cols !== d) throw optionError('init', `the init function returned ${centres.rows} × ${centres.cols} centres, expected 2 × ${d}`);
          centres.assertFinite();
          initial = Float32Array.from(centres.toFloat32Array());
        } else {
          const picked = init === 'random' ? rng.sampleWithoutReplacement(rows.length, 2) : await kmeansPlusPlus(backend, resident, 2, rng);
          initial = new Float32Array(2 * d);
          picked.forEach((r, c) => initial.set(subset.row(r), c * d));
        }
        const fit = await lloyd(backend, resident, initial, { k: 2, maxIter, bounds }, tol, () => {});
        if (!best || fit.inertia < best.inertia * (1 - 1e-6)) {
          best = { labels: fit.labels, centers: Float32Array.from(fit.centroids.toFloat32Array()), inertia: fit.inertia };
        }
      }
      // Positions (in the split cluster) of each half's rows.
      halves = rowsByLabel(best!.labels, 2);
      scores = strategy === 'biggest_inertia' ? await halfInertias(backend, resident, best!.centers) : halves.map((h) => h.length);
    } finally {
      if (resident !== x) resident.dispose();
    }

    const childRows = halves.map((positions) => positions.map((i) => rows[i]!));
    const parentNode = target!;
    for (let c = 0; c < 2; c++) {
      const id = tree.length;
      tree.push({
        id,
        parent: parentNode.id,
        left: -1,
        right: -1,
        size: childRows[c]!.length,
        score: scores[c]!,
        label: -1,
        center: Float64Array.from(best!.centers.subarray(c * d, (c + 1) * d)),
      });
      rowsOf.set(id, childRows[c]!);
      if (c === 0) parentNode.left = id;
      else parentNode.right = id;
    }
    rowsOf.delete(parentNode.id);
  }
  options.onProgress?.({ split: k - 1, splits: k - 1, fraction: 1 });

  const labels = new Int32Array(n);
  const centres = new Float64Array(k * d);
  const sizes: number[] = [];
  leaves(tree).forEach((leaf, label) => {
    leaf.label = label;
    for (const r of rowsOf.get(leaf.id)!) labels[r] = label;
    centres.set(leaf.center, label * d);
    sizes.push(leaf.size);
  });
  return { labels, centroids: Matrix.from(centres, k, d), inertia: inertiaOf(x.host, labels, centres), sizes, tree };
}

/** Leaves depth-first, left before right (scikit-learn's `iter_leaves`). */
function leaves(tree: readonly BisectingNode[]): BisectingNode[] {
  const out: BisectingNode[] = [];
  const stack = [0];
  while (stack.length > 0) {
    const node = tree[stack.pop()!]!;
    if (node.left < 0) out.push(node);
    else stack.push(node.right, node.left);
  }
  return out;
}

// The host passes below read the matrix chunks directly: a row view per row (an allocation)
// cost more than the arithmetic on it.

function meanOf(x: Matrix, rows: ArrayLike<number>): Float64Array {
  const d = x.cols;
  const mean = new Float64Array(d);
  for (let i = 0; i < rows.length; i++) {
    const chunk = x.chunkOf(rows[i]!);
    const offset = (rows[i]! - chunk.rowStart) * d;
    for (let j = 0; j < d; j++) mean[j]! += chunk.data[offset + j]!;
  }
  for (let j = 0; j < d; j++) mean[j]! /= Math.max(1, rows.length);
  return mean;
}

/** Σ over every row and column of (x − its cluster's centre)², added up value by value. */
function inertiaOf(x: Matrix, labels: Int32Array, centres: Float64Array): number {
  const d = x.cols;
  let total = 0;
  for (const { data, rowStart, rows } of x.chunks) {
    for (let r = 0; r < rows; r++) {
      const base = labels[rowStart + r]! * d;
      for (let j = 0, o = r * d; j < d; j++) total += (data[o + j]! - centres[base + j]!) ** 2;
    }
  }
  return total;
}

/** For each label 0 … k − 1, the indices i with labels[i] equal to it, ascending. */
function rowsByLabel(labels: Int32Array, k: number): Int32Array[] {
  const counts = new Int32Array(k);
  for (const label of labels) counts[label]!++;
  const out = Array.from(counts, (count) => new Int32Array(count));
  const filled = new Int32Array(k);
  labels.forEach((label, i) => (out[label]![filled[label]!++] = i));
  return out;
}

/**
 * Σ of the squared distances from each half's rows to its centre, from one step on the
 * backend: the halves are the labels of the final centres (lloyd ends with them), so the step
 * puts every row in its own half.
 */
async function halfInertias(backend: Backend, x: DeviceMatrix, centers: Float32Array): Promise<number[]> {
  const session = await backend.startLloyd(x, 2, { bounds: false });
  try {
    return Array.from((await session.step(centers, { accumulate: true, labels: false })).clusterInertia!);
  } finally {
    session.dispose();
  }
}
