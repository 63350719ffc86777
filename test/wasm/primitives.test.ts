// Every primitive of the wasm backend against the JS reference, on random and fixture data,
// with 1 and 2 worker threads, chunked host matrices, odd widths and row counts. One thread
// keeps the default split (small calls run on the calling thread, larger ones on the worker);
// two threads send every call to the workers.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Metric } from '../../src/backends/backend.js';
import type { WasmBackend } from '../../src/backends/wasm/index.js';
import type { WasmLloyd } from '../../src/backends/wasm/lloyd.js';
import { fitKMeans, kmeansPlusPlus } from '../../src/algorithms/kmeans.js';
import { silhouetteSamples } from '../../src/algorithms/silhouette.js';
import { Matrix } from '../../src/matrix.js';
import { Rng } from '../../src/rng.js';
import { DATASETS, dataset } from '../helpers/fixtures.js';
import { expectChangedLabels, expectRowSteps } from '../helpers/lloyd.js';
import { blobs, both, js, maxRelative, mismatches, nextCentroids, rechunk, rowsOf, wasmBackend } from './helpers.js';

const METRICS: Metric[] = ['sqeuclidean', 'euclidean', 'cosine', 'dot'];

for (const [threads, inlineBelow] of [[1, undefined], [2, 0]] as const) {
  describe(`wasm primitives match the JS reference (${threads} thread${threads > 1 ? 's' : ''}${inlineBelow === 0 ? ', every call on the workers' : ''})`, () => {
    let wasm: WasmBackend;
    beforeAll(async () => {
      wasm = await wasmBackend({ threads, inlineBelow });
    });
    afterAll(() => wasm?.dispose());

    it('reports its threads and SIMD', () => {
      expect(wasm.threads).toBe(threads);
      expect(wasm.description).toMatch(/^wasm: SIMD/);
    });

    it('rejects a bad threads option instead of falling back', async () => {
      await expect(wasmBackend({ threads: 0 })).rejects.toThrow(/option threads/);
    });

    const lloydCases: [string, Matrix, number][] = [
      ['blobs 2000×64, k=16', blobs(2000, 64, 16, 1), 16],
      ['1003×13 far from the origin (offset 1000), k=7', blobs(1003, 13, 7, 2, { offset: 1000 }), 7],
      ['517×1, k=3', blobs(517, 1, 3, 3), 3],
      ['301×3, k=1', blobs(301, 3, 2, 4), 1],
      ['250×5 in chunks of 7 rows, k=9', rechunk(blobs(250, 5, 4, 5), 35), 9],
      ['600×6 values near 1e4, k=4', blobs(600, 6, 4, 6, { offset: 1e4, spread: 3 }), 4],
    ];
    for (const [title, x, k] of lloydCases) {
      for (const bounds of [false, true]) {
        it(`Lloyd steps${bounds ? ' with Hamerly bounds' : ''}: ${title}`, async () => {
          const [xw, xj] = await both(wasm, x);
          const sw = await wasm.startLloyd(xw, k, { bounds });
          const sj = await js.startLloyd(xj, k, { bounds });
          let centroids = rowsOf(x, Array.from({ length: k }, (_, c) => (c * 37 + 11) % x.rows));
          for (let step = 0; step < 6; step++) {
            const accumulate = step < 5;
            const a = await sw.step(centroids, { accumulate });
            const b = await sj.step(centroids, { accumulate });
            expect(mismatches(a.labels, b.labels)).toBe(0);
            expect(maxRelative([a.inertia], [b.inertia], 1e-300)).toBeLessThan(1e-6);
            if (!bounds || step === 0) expect(a.distanceEvaluations).toBe(x.rows * k);
            else expect(a.distanceEvaluations).toBeLessThanOrEqual(x.rows * (k + 1));
            if (accumulate) {
              expect(Array.from(a.counts!)).toEqual(Array.from(b.counts!));
              expect(maxRelative(a.sums!, b.sums!)).toBeLessThan(1e-12);
              expect(maxRelative(a.clusterInertia!, b.clusterInertia!, 1e-9)).toBeLessThan(1e-6);
              expect(maxRelative([b.clusterInertia!.reduce((sum, v) => sum + v, 0)], [b.inertia], 1e-300)).toBeLessThan(1e-12);
              centroids = nextCentroids(b.sums!, b.counts!, centroids, x.cols);
            }
          }
          sw.dispose();
          sj.dispose();
          xw.dispose();
        });
      }
    }

    for (const bounds of [false, true]) {
      it(`steps count the rows whose label changed, and leave the labels on request${bounds ? ' (Hamerly bounds)' : ''}`, async () => {
        const x = blobs(900, 10, 6, 7);
        const [xw, xj] = await both(wasm, x);
        const [sw, sj] = [await wasm.startLloyd(xw, 6, { bounds }), await js.startLloyd(xj, 6, { bounds: false })];
        const changes = await expectChangedLabels(sw, sj, rowsOf(x, [0, 1, 2, 3, 4, 5]), 6);
        expect(changes.slice(1).some((n) => n > 0)).toBe(true);
        sw.dispose();
        sj.dispose();
        xw.dispose();
      });
    }

    it('mini-batch steps over listed rows (stepRows), on the reference and here', async () => {
      const x = rechunk(blobs(1001, 13, 5, 8, { offset: 100 }), 13 * 128);
      const [xw, xj] = await both(wasm, x);
      const centroids = rowsOf(x, [3, 300, 600, 900, 1000]);
      for (const session of [await js.startLloyd(xj, 5, { bounds: false }), await wasm.startLloyd(xw, 5, { bounds: false })]) {
        await expectRowSteps(session, x, centroids, 5);
        session.dispose();
      }
      const bounded = await wasm.startLloyd(xw, 5, { bounds: true });
      await expect(bounded.stepRows(centroids, Int32Array.of(1))).rejects.toThrow(/keeps bounds/);
      xw.dispose();
    });

    it('exact ties go to the lower centroid index, as in the reference', async () => {
      // Integer data and duplicated centroids: many rows are exactly equidistant.
      const rng = new Rng(9);
      const values = Float32Array.from({ length: 400 * 4 }, () => rng.nextInt(5));
      const x = Matrix.from(values, 400, 4);
      const centroids = Float32Array.of(1, 1, 1, 1, 3, 3, 3, 3, 1, 1, 1, 1, 2, 2, 2, 2, 0, 4, 0, 4);
      const [xw, xj] = await both(wasm, x);
      for (const bounds of [false, true]) {
        const session = (await wasm.startLloyd(xw, 5, { bounds })) as WasmLloyd;
        const a = await session.step(centroids, { accumulate: true });
        const b = await (await js.startLloyd(xj, 5, { bounds })).step(centroids, { accumulate: true });
        // Ties cannot be called in float32: those rows were searched again exactly.
        expect(session.lastStats.refined).toBeGreaterThan(0);
        expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
        expect(a.labels.includes(2)).toBe(false); // the duplicate of centroid 0 never wins
        expect(a.inertia).toBe(b.inertia);
      }
      xw.dispose();
    });

    it("'auto' bounds: used while they pay, dropped when every centroid is about as near", async () => {
      for (const [x, k, expectBounded] of [
        [blobs(3000, 8, 6, 15, { spread: 6 }), 6, true],
        [blobs(3000, 8, 2, 15, { spread: 6 }), 2, true], // bisecting k-means' 2-means
        [blobs(1200, 256, 24, 16, { spread: 0.05 }), 24, false],
      ] as const) {
        const [xw, xj] = await both(wasm, x);
        const sw = (await wasm.startLloyd(xw, k, { bounds: 'auto' })) as WasmLloyd;
        const sj = await js.startLloyd(xj, k, { bounds: false });
        let centroids = rowsOf(x, Array.from({ length: k }, (_, c) => (c * 53 + 5) % x.rows));
        const used: boolean[] = [];
        for (let step = 0; step < 8; step++) {
          const a = await sw.step(centroids, { accumulate: true });
          const b = await sj.step(centroids, { accumulate: true });
          used.push(sw.lastStats.bounded);
          expect(mismatches(a.labels, b.labels)).toBe(0);
          centroids = nextCentroids(b.sums!, b.counts!, centroids, x.cols);
        }
        expect(used[0]).toBe(false); // no previous centroids yet
        expect(used.slice(3).some((u) => u)).toBe(true); // tried again every few steps
        expect(used.slice(2).every((u) => u)).toBe(expectBounded);
        sw.dispose();
        xw.dispose();
      }
    });

    it('k-means++ seeding: potentials, samples, trials and commits', async () => {
      const x = blobs(1500, 10, 6, 7);
      const [xw, xj] = await both(wasm, x);
      const sw = await wasm.startSeeding(xw, 17);
      const sj = await js.startSeeding(xj, 17);
      const rng = new Rng(3);
      for (let round = 0; round < 6; round++) {
        expect(maxRelative([sw.potential], [sj.potential])).toBeLessThan(1e-6);
        const targets = Float64Array.from({ length: 9 }, () => rng.nextFloat() * sj.potential);
        targets[0] = 0;
        targets[1] = sj.potential * (1 - 1e-12);
        const [ia, ib] = [await sw.sample(targets), await sj.sample(targets)];
        expect(Array.from(ia)).toEqual(Array.from(ib));
        const candidates = ib.subarray(2, 6);
        const [pa, pb] = [await sw.trial(candidates), await sj.trial(candidates)];
        expect(maxRelative(pa, pb)).toBeLessThan(1e-6);
        const pick = round % candidates.length;
        await sw.commit(pick);
        await sj.commit(pick);
      }
      sw.dispose();
      sj.dispose();
      xw.dispose();
    });

    it('greedy k-means++ picks the same rows as the reference', async () => {
      const x = blobs(3000, 16, 12, 8);
      const [xw, xj] = await both(wasm, x);
      const a = await kmeansPlusPlus(wasm, xw, 12, new Rng(5));
      const b = await kmeansPlusPlus(js, xj, 12, new Rng(5));
      expect(Array.from(a)).toEqual(Array.from(b));
      xw.dispose();
    });

    const a = blobs(203, 21, 5, 10);
    const b = rechunk(blobs(157, 21, 5, 11), 21 * 40);
    for (const metric of METRICS) {
      it(`distances (${metric}), whole and partial row ranges`, async () => {
        const [aw, aj] = await both(wasm, a);
        const [bw, bj] = await both(wasm, b);
        for (const [start, end] of [[0, a.rows], [5, 6], [30, 101]] as const) {
          const x = await wasm.distances(aw, bw, metric, start, end);
          const y = await js.distances(aj, bj, metric, start, end);
          expect(x.length).toBe(y.length);
          expect(maxRelative(x, y)).toBeLessThan(metric === 'sqeuclidean' || metric === 'euclidean' ? 2e-6 : 1e-7);
        }
        aw.dispose();
        bw.dispose();
      });

      it(`k-NN (${metric}): same neighbours in the same order`, async () => {
        const [aw, aj] = await both(wasm, a);
        const [bw, bj] = await both(wasm, b);
        for (const [k, start, end] of [[1, 0, a.rows], [7, 0, 3], [b.rows, 10, 20], [4, 50, 203]] as const) {
          const x = await wasm.knn(aw, bw, k, metric, start, end);
          const y = await js.knn(aj, bj, k, metric, start, end);
          expect(mismatches(x.indices, y.indices)).toBe(0);
          expect(maxRelative(x.distances, y.distances)).toBeLessThan(2e-6);
        }
        aw.dispose();
        bw.dispose();
      });
    }

    it('inner products within their documented bound of the exact ones, every row range', async () => {
      // Long, centred rows (several float32 runs per entry, much cancellation), odd counts.
      const long = blobs(37, 1001, 3, 12, { offset: -2 });
      const other = rechunk(blobs(23, 1001, 3, 13), 1001 * 8);
      const [lw, lj] = await both(wasm, long);
      const [ow, oj] = await both(wasm, other);
      for (const [start, end] of [[0, long.rows], [3, 4], [9, 30]] as const) {
        const got = await wasm.innerProducts(lw, ow, start, end);
        const exact = await js.distances(lj, oj, 'dot', start, end);
        expect(got.length).toBe(exact.length);
        for (let i = 0; i < got.length; i++) {
          const q = long.row(start + Math.floor(i / other.rows));
          const t = other.row(i % other.rows);
          let magnitude = 0;
          for (let j = 0; j < q.length; j++) magnitude += Math.abs(q[j]! * t[j]!);
          expect(Math.abs(got[i]! - exact[i]!), `entry ${i}`).toBeLessThanOrEqual(32 * 2 ** -24 * magnitude + 2 ** -24 * Math.abs(exact[i]!));
        }
      }
      lw.dispose();
      ow.dispose();
    });

    it('cosine against a zero row is 1, as the reference', async () => {
      const zero = Matrix.from(new Float32Array(2 * 21).fill(0, 0, 21).fill(1, 21), 2, 21);
      const [zw, zj] = await both(wasm, zero);
      const [bw, bj] = await both(wasm, b);
      const x = await wasm.distances(zw, bw, 'cosine', 0, 2);
      const y = await js.distances(zj, bj, 'cosine', 0, 2);
      expect(maxRelative(x, y)).toBeLessThan(1e-7);
      expect(x[0]).toBe(1);
      zw.dispose();
      bw.dispose();
    });

    it('cluster distance sums (silhouette), all rows and row blocks', async () => {
      const x = blobs(701, 9, 5, 12);
      const labels = Int32Array.from({ length: x.rows }, (_, i) => (i * 7) % 5);
      const [xw, xj] = await both(wasm, x);
      for (const [start, end] of [[0, x.rows], [0, 3], [100, 457], [690, 701]] as const) {
        const p = await wasm.clusterDistanceSums(xw, labels, 5, start, end);
        const q = await js.clusterDistanceSums(xj, labels, 5, start, end);
        expect(maxRelative(p, q, 1e-9)).toBeLessThan(1e-6);
      }
      xw.dispose();
    });

    it('CLIP similarity: probabilities, logits and labels', async () => {
      const images = blobs(333, 32, 6, 13);
      const texts = blobs(7, 32, 7, 14);
      const [iw, ij] = await both(wasm, images);
      const [tw, tj] = await both(wasm, texts);
      for (const [scale, softmax, start, end] of [[100, true, 0, 333], [1, false, 10, 200], [37.5, true, 330, 333]] as const) {
        const p = await wasm.similarity(iw, tw, scale, softmax, start, end);
        const q = await js.similarity(ij, tj, scale, softmax, start, end);
        expect(Array.from(p.labels)).toEqual(Array.from(q.labels));
        expect(maxRelative(p.scores, q.scores)).toBeLessThan(1e-6);
      }
      iw.dispose();
      tw.dispose();
    });

    for (const name of DATASETS) {
      it(`${name}: k-means (k-means++, 3 inits) and silhouette as the reference`, async () => {
        const fixture = dataset(name);
        const [xw, xj] = await both(wasm, fixture.x);
        const k = fixture.kmeans_default.k;
        for (const algorithm of ['lloyd', 'hamerly'] as const) {
          const p = await fitKMeans(wasm, xw, { k, nInit: 3, seed: 11, algorithm });
          const q = await fitKMeans(js, xj, { k, nInit: 3, seed: 11, algorithm });
          expect(mismatches(p.labels, q.labels)).toBe(0);
          expect(p.iterations).toBe(q.iterations);
          expect(maxRelative([p.inertia], [q.inertia])).toBeLessThan(1e-6);
          expect(maxRelative(p.centroids.toFloat32Array(), q.centroids.toFloat32Array())).toBeLessThan(1e-6);
        }
        const labels = Int32Array.from(fixture.silhouette.labels);
        const clusters = Math.max(...labels) + 1;
        const s = await silhouetteSamples(wasm, xw, labels, clusters);
        const t = await silhouetteSamples(js, xj, labels, clusters);
        expect(maxRelative(s, t)).toBeLessThan(1e-6);
        xw.dispose();
      });
    }
  });
}

describe('small calls run on the calling thread, with the workers\' results bit for bit', () => {
  let here: WasmBackend;
  let workers: WasmBackend;
  beforeAll(async () => {
    [here, workers] = [await wasmBackend({ threads: 2, inlineBelow: Infinity }), await wasmBackend({ threads: 2, inlineBelow: 0 })];
  });
  afterAll(() => {
    here?.dispose();
    workers?.dispose();
  });

  /** Every primitive on one backend, its results as plain arrays, and how many tasks went to its workers. */
  async function everything(wasm: WasmBackend): Promise<{ results: unknown[]; tasks: number }> {
    const pool = (wasm as unknown as { context: { pool: { run(...args: unknown[]): unknown } } }).context.pool;
    const run = vi.spyOn(pool, 'run');
    const x = blobs(203, 11, 4, 40, { offset: 20 });
    const texts = blobs(5, 11, 5, 41);
    const [xw, tw] = [await wasm.upload(x), await wasm.upload(texts)];
    const centroids = rowsOf(x, [0, 50, 100, 150]);
    const results: unknown[] = [];
    const session = await wasm.startLloyd(xw, 4, { bounds: false });
    const step = await session.step(centroids, { accumulate: true });
    results.push(step.labels, step.sums, step.counts, step.inertia, await session.stepRows(centroids, Int32Array.of(5, 5, 202, 17)));
    session.dispose();
    const seeding = await wasm.startSeeding(xw, 3);
    results.push(seeding.potential, await seeding.trial(Int32Array.of(7, 90, 202)));
    seeding.dispose();
    for (const metric of METRICS) results.push(await wasm.distances(xw, xw, metric, 10, 60), await wasm.knn(xw, xw, 3, metric, 0, 203));
    results.push(await wasm.innerProducts(xw, xw, 0, 203), await wasm.clusterDistanceSums(xw, step.labels, 4, 0, 203));
    results.push(await wasm.similarity(xw, tw, 50, true, 0, 203));
    xw.dispose();
    tw.dispose();
    const tasks = run.mock.calls.length;
    run.mockRestore();
    return { results: JSON.parse(JSON.stringify(results, (_, v) => (ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v))), tasks };
  }

  it('every primitive', async () => {
    const [a, b] = [await everything(here), await everything(workers)];
    expect(a.tasks).toBe(0);
    expect(b.tasks).toBeGreaterThan(10); // at least one task per primitive
    expect(a.results).toEqual(b.results);
  });
});

describe('the plain-SIMD build (no relaxed SIMD) matches the reference too', () => {
  let wasm: WasmBackend;
  beforeAll(async () => {
    wasm = await wasmBackend({ threads: 2, simd: 'simd' });
  });
  afterAll(() => wasm?.dispose());

  it('says which build it runs', () => {
    expect(wasm.relaxedSimd).toBe(false);
    expect(wasm.description).toMatch(/no relaxed SIMD/);
  });

  it('k-means, silhouette sums and distances', async () => {
    const x = blobs(1200, 23, 6, 31, { offset: 50 });
    const [xw, xj] = await both(wasm, x);
    for (const algorithm of ['lloyd', 'hamerly'] as const) {
      const p = await fitKMeans(wasm, xw, { k: 6, nInit: 2, seed: 1, algorithm });
      const q = await fitKMeans(js, xj, { k: 6, nInit: 2, seed: 1, algorithm });
      expect(mismatches(p.labels, q.labels)).toBe(0);
      expect(maxRelative([p.inertia], [q.inertia])).toBeLessThan(1e-6);
    }
    const labels = Int32Array.from({ length: x.rows }, (_, i) => i % 6);
    expect(maxRelative(await wasm.clusterDistanceSums(xw, labels, 6, 0, x.rows), await js.clusterDistanceSums(xj, labels, 6, 0, x.rows), 1e-9)).toBeLessThan(1e-6);
    for (const metric of METRICS) {
      expect(maxRelative(await wasm.distances(xw, xw, metric, 0, 50), await js.distances(xj, xj, metric, 0, 50))).toBeLessThan(2e-6);
    }
    xw.dispose();
  });
});
