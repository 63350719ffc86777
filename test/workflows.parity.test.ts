import * as arrow from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { calinskiHarabaszScore, daviesBouldinScore } from '../src/algorithms/metrics.js';
import { Matrix } from '../src/matrix.js';
import { loadFixture, maxScaledError, relativeError } from './helpers/fixtures.js';
import { describeLanes, openLanes } from './helpers/lanes.js';

// Fixtures: scripts/make_fixtures_workflows.py (scikit-learn 1.2.1), see its docstring.

interface Data {
  name: string;
  n: number;
  d: number;
  data: number[];
}

interface MetricsCase {
  k: number;
  seed: number;
  robust: boolean;
  init: number[];
  labels: number[];
  inertia: number;
  n_iter: number;
  silhouette: number;
  calinski_harabasz: number;
  davies_bouldin: number;
  sizes: number[];
  positions: number[];
}

interface MetricsFixture {
  datasets: (Data & {
    pca: { mean: number[]; component: number[]; explained_variance: number; explained_variance_ratio: number };
    cases: MetricsCase[];
  })[];
  edge: (Data & { labels: number[]; calinski_harabasz: number; davies_bouldin: number })[];
}

interface BisectFixture {
  datasets: (Data & {
    cases: { k: number; strategy: 'biggest_inertia' | 'largest_cluster'; labels: number[]; centers: number[]; inertia: number; sizes: number[] }[];
    defaults: { k: number; strategy: 'biggest_inertia' | 'largest_cluster'; seed: number; labels: number[]; inertia: number }[];
  })[];
}

interface TopDownFixture extends Data {
  k: number;
  sub_k: [number, number];
  top_labels: number[];
  groups: { parent: number; size: number; silhouettes: Record<string, number>; k: number; labels: number[] }[];
  labels: number[];
}

interface MiniBatchFixture extends Data {
  k: number;
  kmeans_inertia: number;
  runs: { batch_size: number; seed: number; inertia: number; n_steps: number; n_iter: number }[];
  median_inertia: Record<string, number>;
}

const metrics = loadFixture<MetricsFixture>('workflows/metrics');
const bisect = loadFixture<BisectFixture>('workflows/bisect');
const topdown = loadFixture<TopDownFixture>('workflows/topdown');
const minibatch = loadFixture<MiniBatchFixture>('workflows/minibatch');

const matrixOf = (f: Data) => Matrix.from(Float32Array.from(f.data), f.n, f.d);

/** The two labelings are the same partition (equal up to renaming the clusters). */
function samePartition(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  const ab = new Map<number, number>();
  const ba = new Map<number, number>();
  for (let i = 0; i < a.length; i++) {
    if ((ab.get(a[i]!) ?? b[i]) !== b[i] || (ba.get(b[i]!) ?? a[i]) !== a[i]) return false;
    ab.set(a[i]!, b[i]!);
    ba.set(b[i]!, a[i]!);
  }
  return true;
}

/** scikit-learn's `first_last` bisection init: the first and the last row of the cluster split. */
const firstLast = (rows: Matrix) => Matrix.fromRows([rows.row(0), rows.row(rows.rows - 1)]);

describe('Calinski–Harabasz and Davies–Bouldin match scikit-learn on given labels', () => {
  for (const set of metrics.datasets) {
    const x = matrixOf(set);
    it(`${set.name}, k = ${set.cases.map((c) => c.k).join(', ')}`, () => {
      for (const c of set.cases) {
        expect(relativeError(calinskiHarabaszScore(x, c.labels), c.calinski_harabasz)).toBeLessThan(1e-9);
        expect(relativeError(daviesBouldinScore(x, c.labels), c.davies_bouldin)).toBeLessThan(1e-7);
      }
    });
  }
  for (const edge of metrics.edge) {
    it(edge.name, () => {
      const x = matrixOf(edge);
      expect(calinskiHarabaszScore(x, edge.labels)).toBeCloseTo(edge.calinski_harabasz, 9);
      expect(daviesBouldinScore(x, edge.labels)).toBeCloseTo(edge.davies_bouldin, 9);
    });
  }
  it('refuse one cluster, n clusters and a label per row mismatch', () => {
    const x = matrixOf(metrics.datasets[0]!);
    expect(() => calinskiHarabaszScore(x, new Array(x.rows).fill(3))).toThrow(/between 2 and n − 1 = 149 clusters, got 1/);
    expect(() => daviesBouldinScore(x, Array.from({ length: x.rows }, (_, i) => i))).toThrow(/got 150/);
    expect(() => daviesBouldinScore(x, [0, 1])).toThrow(/2 labels for 150 rows/);
  });
});

const lanes = await openLanes();
afterAll(() => lanes.forEach((lane) => lane.engine?.dispose()));

describeLanes('workflows match scikit-learn', lanes, (engine) => {
  describe('sweep', () => {
    for (const set of metrics.datasets) {
      const cases = set.cases;
      it(`${set.name}: scikit-learn's init per k gives its labels, inertia, silhouette, CH, DB and clustergram`, async () => {
        const x = matrixOf(set);
        const inits = new Map(cases.map((c) => [c.k, Matrix.from(Float32Array.from(c.init), c.k, set.d)]));
        const swept = await engine.sweep(x, { ks: cases.map((c) => c.k), init: (k) => inits.get(k)!, nInit: 1 });
        expect(swept.entries.map((e) => e.k)).toEqual(cases.map((c) => c.k));
        const pc = swept.principalComponent!;
        expect(maxScaledError(pc.component, set.pca.component)).toBeLessThan(1e-5);
        expect(maxScaledError(pc.mean, set.pca.mean)).toBeLessThan(1e-9);
        expect(relativeError(pc.explainedVarianceRatio, set.pca.explained_variance_ratio)).toBeLessThan(1e-5);
        cases.forEach((c, i) => {
          const entry = swept.entries[i]!;
          if (c.robust) expect(Array.from(entry.labels)).toEqual(c.labels);
          expect(entry.sizes).toEqual(c.sizes);
          expect(relativeError(entry.inertia, c.inertia)).toBeLessThan(1e-6);
          expect(Math.abs(entry.silhouette! - c.silhouette)).toBeLessThan(1e-5);
          expect(relativeError(entry.calinskiHarabasz!, c.calinski_harabasz)).toBeLessThan(1e-9);
          expect(relativeError(entry.daviesBouldin!, c.davies_bouldin)).toBeLessThan(1e-7);
          expect(maxScaledError(entry.positions as number[], c.positions)).toBeLessThan(1e-5);
          if (i > 0) expect(entry.flows.reduce((s, f) => s + f.count, 0)).toBe(set.n);
        });
      });
    }

    // On SwiftShader every new width compiles its shaders again (tens of seconds): iris only there.
    it('defaults: the best k of each criterion, a silhouette sample shared by every k', async () => {
      const set = metrics.datasets[1]!; // standardized wine: 3 cultivars
      const x = matrixOf(set);
      const swept = await engine.sweep(x, { kMin: 2, kMax: 5, nInit: 3, seed: 1 });
      expect(swept.best.silhouette).toBe(3);
      expect(swept.best.calinskiHarabasz).toBe(3);
      expect(swept.best.daviesBouldin).toBe(3);
      expect(swept.entries[1]!.inertia).toBeLessThan(1277.93 * 1.01);
      const sampled = await engine.sweep(x, { ks: [3], nInit: 1, seed: 1, sampleSize: 60, clustergram: false });
      expect(sampled.silhouetteSample).toBe(60);
      expect(sampled.principalComponent).toBeNull();
      const direct = await engine.silhouette(x, sampled.entries[0]!.labels, { sampleSize: 60, seed: 1 });
      expect(sampled.entries[0]!.silhouette).toBeCloseTo(direct.score, 12);
    });

    it('bad ranges name the option', async () => {
      const x = matrixOf(metrics.datasets[0]!);
      await expect(engine.sweep(x, { kMin: 5, kMax: 3 })).rejects.toThrow(/option kMax: the range 5\.\.3 is empty/);
      await expect(engine.sweep(x, { kMin: 1, kMax: 3 })).rejects.toThrow(/option kMin: must be at least 2/);
      await expect(engine.sweep(x, { kMax: 150 })).rejects.toThrow(/option kMax: k = 150 needs more than 150 rows/);
      await expect(engine.sweep(x, {} as never)).rejects.toThrow(/option kMax: is required/);
    });
  });

  describe('bisecting k-means', () => {
    for (const set of bisect.datasets) {
      const x = matrixOf(set);
      for (const c of set.cases) {
        it(`${set.name}, ${c.strategy}, k = ${c.k}, first/last init: scikit-learn's labels, centres and inertia`, async () => {
          const fit = await engine.bisectingKMeans(x, { k: c.k, strategy: c.strategy, init: firstLast });
          expect(Array.from(fit.labels)).toEqual(c.labels);
          expect(fit.sizes).toEqual(c.sizes);
          expect(maxScaledError(fit.centroids.toFloat32Array(), c.centers)).toBeLessThan(1e-5);
          expect(relativeError(fit.inertia, c.inertia)).toBeLessThan(1e-6);
          expect(fit.tree).toHaveLength(2 * c.k - 1);
        });
      }
      for (const c of set.defaults) {
        it(`${set.name}, ${c.strategy}, k = ${c.k}, default options: scikit-learn's partition, inertia within 1%`, async () => {
          const fit = await engine.bisectingKMeans(x, { k: c.k, strategy: c.strategy });
          expect(samePartition(fit.labels, c.labels)).toBe(true);
          expect(Math.abs(fit.inertia / c.inertia - 1)).toBeLessThan(0.01);
          const plusPlus = await engine.bisectingKMeans(x, { k: c.k, strategy: c.strategy, init: 'k-means++', nInit: 3, seed: 4 });
          expect(samePartition(plusPlus.labels, c.labels)).toBe(true);
        });
      }
    }

    it('bad options name the option', async () => {
      const x = matrixOf(bisect.datasets[0]!);
      await expect(engine.bisectingKMeans(x, { k: 151 })).rejects.toThrow(/option k: k = 151 is more than the 150 rows/);
      await expect(engine.bisectingKMeans(x, { k: 3, strategy: 'biggest' as never })).rejects.toThrow(/option strategy: expected one of biggest_inertia, largest_cluster/);
      await expect(engine.bisectingKMeans(x, { k: 3, init: (rows) => rows.selectRows([0]) })).rejects.toThrow(/option init: the init function returned 1 × 4 centres, expected 2 × 4/);
    });
  });

  describe('top-down', () => {
    it("hierarchical blobs: scikit-learn's top split, sub-k by silhouette and final partition", async () => {
      const x = matrixOf(topdown);
      const fit = await engine.topDown(x, { k: topdown.k, subKMin: topdown.sub_k[0], subKMax: topdown.sub_k[1] });
      expect(samePartition(fit.parent, topdown.top_labels)).toBe(true);
      expect(samePartition(fit.labels, topdown.labels)).toBe(true);
      for (const group of topdown.groups) {
        // Our group holding the rows of scikit-learn's group `parent`.
        const row = topdown.top_labels.indexOf(group.parent);
        const ours = fit.groups[fit.parent[row]!]!;
        expect(ours.size).toBe(group.size);
        expect(ours.k).toBe(group.k);
        const chosen = ours.scores.find((s) => s.k === group.k)!;
        expect(Math.abs(chosen.silhouette! - group.silhouettes[String(group.k)]!)).toBeLessThan(1e-5);
      }
      const ids = new Set(fit.ids);
      expect(ids.size).toBe(fit.ids.length);
      for (let i = 0; i < x.rows; i++) expect(fit.ids[fit.labels[i]!]).toBe(`${fit.parent[i]}.${fit.child[i]}`);
      expect(fit.centroids.rows).toBe(fit.ids.length);
    });

    it('another criterion, and groups too small to split', async () => {
      const x = matrixOf(topdown);
      const byCh = await engine.topDown(x, { k: 3, subKMax: 6, criterion: 'calinski_harabasz', nInit: 3 });
      expect(byCh.groups.map((g) => g.k).sort()).toEqual([2, 3, 4]);
      const small = await engine.topDown(x.selectRows([0, 1, 2, 3, 4, 5, 6, 7]), { k: 4, subKMin: 2, subKMax: 3, nInit: 2 });
      expect(small.groups.some((g) => g.k === 1 && g.scores.length === 0)).toBe(true);
      await expect(engine.topDown(x, { k: 3, subKMin: 4, subKMax: 3 })).rejects.toThrow(/option subKMax: the range 4\.\.3 is empty/);
    });
  });

  describe('mini-batch k-means', () => {
    const x = matrixOf(minibatch);
    const median = (b: number) => minibatch.median_inertia[String(b)]!;
    for (const batchSize of [256, 1024]) {
      it(`in memory, batch ${batchSize}: inertia within 2% of scikit-learn's MiniBatchKMeans`, async () => {
        const fit = await engine.miniBatchKMeans(x, { k: minibatch.k, batchSize });
        expect(Math.abs(fit.inertia / median(batchSize) - 1)).toBeLessThan(0.02);
        expect(fit.streamed).toBe(false);
        expect(fit.labels).toHaveLength(minibatch.n);
        expect(fit.counts.reduce((a, b) => a + b)).toBeGreaterThan(0);
        expect(fit.epochs).toBe(Math.ceil((fit.steps * batchSize) / minibatch.n));
        const predicted = await fit.predict(x);
        expect(Array.from(predicted)).toEqual(Array.from(fit.labels!));
      });
    }

    it('streamed matrices (passes through a shuffle buffer): inertia within 2%', async () => {
      const parts = [0, 700, 1900, 3100, 4999, 5000].slice(0, -1).map((start, i, all) => x.selectRows(Array.from({ length: (all[i + 1] ?? 5000) - start }, (_, r) => start + r)));
      let passes = 0;
      const fit = await engine.miniBatchKMeans(
        () => {
          passes += 1;
          return parts;
        },
        { k: minibatch.k, batchSize: 256, shuffleBuffer: 1024 },
      );
      expect(fit.streamed).toBe(true);
      expect(Math.abs(fit.inertia / median(256) - 1)).toBeLessThan(0.02);
      expect(passes).toBe(fit.epochs + 2); // the scan, the training passes, the labelling pass
      expect(fit.labels).toHaveLength(minibatch.n);
    });

    it('streamed record batches with a column selection, and a one-shot stream refused', async () => {
      const columns = Object.fromEntries(
        Array.from({ length: minibatch.d }, (_, j) => [`f${j}`, Float32Array.from({ length: minibatch.n }, (_, i) => minibatch.data[i * minibatch.d + j]!)]),
      );
      const table = arrow.tableFromArrays({ id: Int32Array.from({ length: minibatch.n }, (_, i) => i), ...columns });
      const batches = Array.from({ length: 10 }, (_, b) => table.slice(b * 500, (b + 1) * 500).batches).flat();
      const fit = await engine.miniBatchKMeans({ batches: () => batches }, { k: minibatch.k, exclude: ['id'], batchSize: 1024 });
      expect(fit.d).toBe(minibatch.d);
      expect(Math.abs(fit.inertia / median(1024) - 1)).toBeLessThan(0.02);
      const again = await engine.miniBatchKMeans(batches, { k: minibatch.k, exclude: ['id'], batchSize: 1024, computeLabels: false });
      expect(again.labels).toBeUndefined();
      async function* once() {
        yield* batches;
      }
      await expect(engine.miniBatchKMeans(once(), { k: 3 })).rejects.toThrow(/option source: a one-shot stream/);
    });

    it('a NaN deep in a stream names its row in the whole table; bad options name the option', async () => {
      const values = Float32Array.from(x.toFloat32Array());
      values[4321 * minibatch.d + 2] = Number.NaN;
      const table = arrow.tableFromArrays(Object.fromEntries(Array.from({ length: minibatch.d }, (_, j) => [`f${j}`, Float32Array.from({ length: minibatch.n }, (_, i) => values[i * minibatch.d + j]!)])));
      const batches = Array.from({ length: 10 }, (_, b) => table.slice(b * 500, (b + 1) * 500).batches).flat();
      await expect(engine.miniBatchKMeans(batches, { k: 3 })).rejects.toThrow(/column "f2", row 4322: value is NaN/);
      await expect(engine.miniBatchKMeans(x, { k: 3, batchSize: 0 })).rejects.toThrow(/option batchSize: must be at least 1, got 0/);
      await expect(engine.miniBatchKMeans(x, { k: 5001 })).rejects.toThrow(/option k: k = 5001 is more than the 5000 rows/);
      await expect(engine.miniBatchKMeans(x, { k: 3, shuffleBuffer: 10 })).rejects.toThrow(/option shuffleBuffer: must hold at least one batch/);
    });
  });
});
