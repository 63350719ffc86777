import { afterAll, describe, expect, it } from 'vitest';
import type { Metric } from '../src/backends/backend.js';
import { Matrix } from '../src/matrix.js';
import { DATASETS, dataset, loadFixture, maxScaledError, relativeError } from './helpers/fixtures.js';
import { describeLanes, openLanes } from './helpers/lanes.js';

interface DistanceFixture {
  na: number;
  nb: number;
  d: number;
  A: number[];
  B: number[];
  k: number;
  metrics: Record<Metric, { matrix: number[]; knn_indices: number[]; knn_values: number[] }>;
  cosine_zero_row: { A: number[]; na: number; matrix: number[] };
}

interface SimilarityFixture {
  n_images: number;
  n_texts: number;
  d: number;
  images: number[];
  texts: number[];
  cases: { logit_scale: number; logits: number[]; probs: number[]; labels: number[] }[];
}

const lanes = await openLanes();
afterAll(() => lanes.forEach((lane) => lane.engine?.dispose()));

const distances = loadFixture<DistanceFixture>('distances');
const a = Matrix.from(Float32Array.from(distances.A), distances.na, distances.d);
const b = Matrix.from(Float32Array.from(distances.B), distances.nb, distances.d);
const clip = loadFixture<SimilarityFixture>('similarity');
const images = Matrix.from(Float32Array.from(clip.images), clip.n_images, clip.d);
const texts = Matrix.from(Float32Array.from(clip.texts), clip.n_texts, clip.d);

describeLanes('silhouette matches scikit-learn', lanes, (engine) => {
  for (const name of DATASETS) {
    it(`${name}: score and per-row values`, async () => {
      const fixture = dataset(name);
      const result = await engine.silhouette(fixture.x, fixture.silhouette.labels);
      expect(relativeError(result.score, fixture.silhouette.score)).toBeLessThan(1e-6);
      expect(maxScaledError(result.samples!, fixture.silhouette.samples)).toBeLessThan(1e-6);
    });
  }

  it('sampled mode scores a seeded subset, close to the exact score', async () => {
    const fixture = dataset('digits');
    const sampled = await engine.silhouette(fixture.x, fixture.silhouette.labels, { sampleSize: 900, seed: 3 });
    const again = await engine.silhouette(fixture.x, fixture.silhouette.labels, { sampleSize: 900, seed: 3 });
    expect(sampled.sampleIndices).toHaveLength(900);
    expect(new Set(sampled.sampleIndices).size).toBe(900);
    expect(again.score).toBe(sampled.score);
    expect(Math.abs(sampled.score - fixture.silhouette.score)).toBeLessThan(0.02);
  });
});

describeLanes('distances and k-NN match scikit-learn', lanes, (engine) => {
  for (const metric of ['sqeuclidean', 'euclidean', 'cosine', 'dot'] as const) {
    describe(metric, () => {
      const expected = distances.metrics[metric];
      it('pairwise matrix', async () => {
        const result = await engine.pairwiseDistances(a, b, { metric });
        expect([result.rows, result.cols]).toEqual([distances.na, distances.nb]);
        expect(maxScaledError(result.toFloat32Array(), expected.matrix)).toBeLessThan(1e-5);
      });
      it(`${distances.k} nearest neighbours`, async () => {
        const result = await engine.knn(a, b, { k: distances.k, metric });
        expect(Array.from(result.indices)).toEqual(expected.knn_indices);
        expect(maxScaledError(result.distances, expected.knn_values)).toBeLessThan(1e-5);
      });
    });
  }

  it('cosine distance of a zero vector is 1', async () => {
    const zero = distances.cosine_zero_row;
    const result = await engine.pairwiseDistances(Matrix.from(Float32Array.from(zero.A), zero.na, distances.d), b, { metric: 'cosine' });
    expect(maxScaledError(result.toFloat32Array(), zero.matrix)).toBeLessThan(1e-5);
  });
});

describeLanes('CLIP similarity matches SciPy softmax', lanes, (engine) => {
  for (const c of clip.cases) {
    it(`logit scale ${c.logit_scale}: probabilities, logits and labels`, async () => {
      const probs = await engine.similarity(images, texts, { logitScale: c.logit_scale, topK: 2 });
      expect(Array.from(probs.labels)).toEqual(c.labels);
      expect(maxScaledError(probs.scores, c.probs)).toBeLessThan(2e-5);
      expect(Array.from(probs.top!.indices.filter((_, i) => i % 2 === 0))).toEqual(c.labels);
      const logits = await engine.similarity(images, texts, { logitScale: c.logit_scale, softmax: false });
      expect(maxScaledError(logits.scores, c.logits)).toBeLessThan(1e-5);
    });
  }
});
