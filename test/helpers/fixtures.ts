import { readFileSync } from 'node:fs';
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
