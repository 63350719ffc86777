import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { Matrix } from '../../src/matrix.js';

const DIR = new URL('../fixtures/', import.meta.url);

export interface KMeansCase {
  k: number;
  init: number[];
  seed: number;
  tol: number;
  max_iter: number;
  labels: number[];
  centroids: number[];
  inertia: number;
  n_iter: number;
}

export interface DatasetFixture {
  name: string;
  n: number;
  d: number;
  data: number[];
  kmeans: KMeansCase[];
  kmeans_empty: KMeansCase & { empty_cluster: number; relocated_point: number };
  kmeans_maxiter: KMeansCase;
  kmeans_default: { k: number; inertia: number };
  silhouette: { labels: number[]; score: number; samples: number[] };
}

/** A fixture number: null where NumPy gave NaN (JSON has no NaN). */
export type Cell = number | null;

export type LinkageMethod = 'ward' | 'complete' | 'average' | 'single';
export const LINKAGE_METHODS: readonly LinkageMethod[] = ['ward', 'complete', 'average', 'single'];

interface LinkageCase {
  linkage: number[];
  robust: boolean;
  n_clusters: number;
  labels: number[];
  distance_threshold: number;
  threshold_n_clusters: number;
  threshold_labels: number[];
}

/** test/fixtures/hierarchy/{iris,wine,blobs}.json */
export interface HierarchyFixture {
  name: string;
  n: number;
  d: number;
  data: number[];
  methods: Record<LinkageMethod, LinkageCase>;
}

export interface AffinityCase {
  name: string;
  n: number;
  d: number;
  data: number[];
  damping: number;
  preference: number | null;
  convergence_iter: number;
  max_iter: number;
  median_similarity: number;
  labels: number[];
  exemplars: number[];
  n_iter: number;
  converged: boolean;
}

/** test/fixtures/hierarchy/affinity.json */
export interface AffinityFixture {
  cases: AffinityCase[];
  degenerate: { n: number; d: number; data: number[]; preference: number | null; labels: number[]; exemplars: number[] }[];
}

/** test/fixtures/prep/census.json */
export interface CensusFixture {
  n: number;
  numeric: string[];
  text: string[];
  order: string[];
  columns: Record<string, (Cell | string)[]>;
  impute: Record<'median' | 'mean', { statistics: number[]; output: Cell[] }>;
  winsorize: { limits: [number, number]; lower: number[]; upper: number[]; output: Cell[] }[];
  scale: {
    standard: { center: number[]; scale: number[]; output: Cell[] };
    minmax: { min: number[]; max: number[]; output: Cell[] };
    robust: { center: number[]; scale: number[]; output: Cell[] };
  };
  log1p: { columns: string[]; output: Cell[] };
  one_hot: { column: string; categories: (string | null)[]; output: number[] };
  pipeline: { options: Record<string, unknown>; columns: string[]; output: Record<string, (Cell | string)[]> };
  variance: { ddof0: number[]; ddof1: number[]; count: number[] };
  correlation: {
    columns: string[];
    pearson: Cell[];
    spearman: Cell[];
    with_constant: { columns: string[]; pearson: Cell[]; spearman: Cell[] };
  };
  quantiles: { values: number[]; q: number[]; expected: number[] }[];
}

export interface PcaCase {
  name: string;
  data: 'wine' | 'digits' | number[];
  n: number;
  d: number;
  n_components: number | null;
  whiten: boolean;
  components: number[];
  explained_variance: number[];
  explained_variance_ratio: number[];
  singular_values: number[];
  mean: number[];
  noise_variance: number;
  transform_rows: number;
  transform: number[];
  signs_components: number[];
  relative_gaps: number[];
}

/** test/fixtures/prep/pca.json */
export interface PcaFixture {
  cases: PcaCase[];
  correlation: Record<'wine' | 'digits', Record<'pearson' | 'spearman', Cell[]>>;
}

/** test/fixtures/profile/wine.json */
export interface ProfileFixture {
  variables: string[];
  k: number;
  clusters: number[];
  counts: number[];
  mean: number[];
  median: number[];
  index: Cell[];
  z: Cell[];
  overall: { mean: number[]; median: number[]; std: number[] };
}

/** test/fixtures/profile/areas.json */
export interface AreasFixture {
  n: number;
  dim: number;
  area: string[];
  area_id: number[];
  embedding: number[];
  label: number[];
  kind: string[];
  groups: { keys: string[]; ids: number[]; counts: number[]; mean: number[]; median: number[]; max: number[] };
  label_categories: number[];
  label_shares: number[];
  all_label_categories: number[];
  all_label_shares: number[];
  kind_categories: string[];
  kind_shares: number[];
}

export const DATASETS = ['iris', 'wine', 'digits', 'blobs'] as const;

export function loadFixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`${name}.json`, DIR), 'utf8')) as T;
}

export function dataset(name: (typeof DATASETS)[number]): DatasetFixture & { x: Matrix } {
  const fixture = loadFixture<DatasetFixture>(name);
  return { ...fixture, x: Matrix.from(Float32Array.from(fixture.data), fixture.n, fixture.d) };
}

export function relativeError(actual: number, expected: number): number {
  return Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-300);
}

/** Largest |a − b| / max(1, |b|) over two arrays of equal length. */
export function maxScaledError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} ≠ ${expected.length}`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!)));
  }
  return worst;
}

/** Compares nullable arrays: the same nulls, the numbers within `tolerance` (scaled error). */
export function expectNullableClose(actual: Cell[], expected: Cell[], tolerance = 1e-10): void {
  expect(actual.map((v) => v === null)).toEqual(expected.map((v) => v === null));
  const a = actual.filter((v): v is number => v !== null);
  const e = expected.filter((v): v is number => v !== null);
  expect(maxScaledError(a, e)).toBeLessThan(tolerance);
}

/** Labels renumbered 0, 1, … in order of first appearance: partitions compare equal whatever their label names. */
export function firstAppearance(labels: ArrayLike<number>): number[] {
  const ids = new Map<number, number>();
  return Array.from(labels, (label) => {
    if (!ids.has(label)) ids.set(label, ids.size);
    return ids.get(label)!;
  });
}
