import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distanceMatrix, linkageOfDistances } from '../src/algorithms/agglomerative.js';
import type { Backend, BackendName } from '../src/backends/backend.js';
import { createBackend } from '../src/backends/select.js';
import { ClusterkitError } from '../src/errors.js';
import { Matrix } from '../src/matrix.js';
import { Rng } from '../src/rng.js';
import { type AffinityFixture, firstAppearance, type HierarchyFixture, LINKAGE_METHODS, loadFixture } from './helpers/fixtures.js';
import { describeLanes, openLanes } from './helpers/lanes.js';

const DATASETS = ['iris', 'wine', 'blobs'].map((name) => {
  const fixture = loadFixture<HierarchyFixture>(`hierarchy/${name}`);
  // The fixtures hold the shortest decimals of float32 values: Float32Array.from restores them.
  return { ...fixture, x: Matrix.from(Float32Array.from(fixture.data), fixture.n, fixture.d) };
});
const affinity = loadFixture<AffinityFixture>('hierarchy/affinity');

const lanes = await openLanes();
afterAll(() => lanes.forEach((lane) => lane.engine?.dispose()));

/** Flat partitions (labels by first appearance) after merges 0..i for each i in `cuts`. */
function partitionsAt(linkage: ArrayLike<number>, n: number, cuts: number[]): string[] {
  const parent = Int32Array.from({ length: 2 * n - 1 }, (_, i) => i);
  const find = (a: number): number => {
    while (parent[a] !== a) a = parent[a]!;
    return a;
  };
  const out: string[] = [];
  const wanted = new Set(cuts);
  for (let i = 0; i < n - 1; i++) {
    parent[find(linkage[4 * i]!)] = n + i;
    parent[find(linkage[4 * i + 1]!)] = n + i;
    if (wanted.has(i)) out.push(firstAppearance(Array.from({ length: n }, (_, r) => find(r))).join(','));
  }
  return out;
}

/** Checks SciPy's linkage-matrix invariants: ids, sizes, ascending heights. */
function expectValidLinkage(z: Float64Array, n: number): void {
  expect(z.length).toBe(4 * (n - 1));
  const size = new Float64Array(2 * n - 1).fill(1, 0, n);
  const used = new Uint8Array(2 * n - 1);
  for (let i = 0; i < n - 1; i++) {
    const [a, b, h, s] = [z[4 * i]!, z[4 * i + 1]!, z[4 * i + 2]!, z[4 * i + 3]!];
    expect(Number.isInteger(a) && Number.isInteger(b) && a < b && b < n + i).toBe(true);
    expect(used[a] || used[b]).toBe(0);
    used[a] = used[b] = 1;
    size[n + i] = size[a]! + size[b]!;
    expect(s).toBe(size[n + i]);
    if (i > 0) expect(h).toBeGreaterThanOrEqual(z[4 * (i - 1) + 2]!);
  }
  expect(z[4 * (n - 2) + 3]).toBe(n);
}

describeLanes('agglomerative clustering matches SciPy linkage and scikit-learn labels', lanes, (engine) => {
  for (const data of DATASETS) {
    for (const method of LINKAGE_METHODS) {
      const expected = data.methods[method];
      describe(`${data.name} (${data.n} × ${data.d}), ${method} linkage`, () => {
        it(`same merges as SciPy up to ties, heights within 1e-6${expected.robust ? ', identical linkage ids' : ''}`, async () => {
          const fit = await engine.agglomerative(data.x, { linkage: method, nClusters: expected.n_clusters });
          const n = data.n;
          expectValidLinkage(fit.linkage, n);
          // Single and complete linkage only compare the backend's float32 distances.
          expect(fit.precision).toBe(method === 'single' || method === 'complete' ? 'float32' : 'float64');
          for (let i = 0; i < n - 1; i++) {
            const h = expected.linkage[4 * i + 2]!;
            expect(Math.abs(fit.linkage[4 * i + 2]! - h)).toBeLessThanOrEqual(1e-6 * h);
            expect(fit.heights[i]).toBe(fit.linkage[4 * i + 2]);
          }
          // Merges of (nearly) equal height may come in another order or pair up differently;
          // after every clear gap in SciPy's heights the clusters must be the same.
          const cuts: number[] = [];
          for (let i = 0; i < n - 2; i++) if (expected.linkage[4 * (i + 1) + 2]! > expected.linkage[4 * i + 2]! * (1 + 1e-5)) cuts.push(i);
          cuts.push(n - 2);
          expect(cuts.length).toBeGreaterThan(n / 5);
          expect(partitionsAt(fit.linkage, n, cuts)).toEqual(partitionsAt(expected.linkage, n, cuts));
          if (expected.robust) {
            for (let i = 0; i < n - 1; i++) {
              expect([fit.linkage[4 * i], fit.linkage[4 * i + 1], fit.linkage[4 * i + 3]]).toEqual([
                expected.linkage[4 * i],
                expected.linkage[4 * i + 1],
                expected.linkage[4 * i + 3],
              ]);
            }
          }
        });

        it(`nClusters = ${expected.n_clusters}: scikit-learn's labels up to renumbering`, async () => {
          const fit = await engine.agglomerative(data.x, { linkage: method, nClusters: expected.n_clusters });
          expect(fit.nClusters).toBe(expected.n_clusters);
          expect(Array.from(fit.labels)).toEqual(firstAppearance(expected.labels));
        });

        it(`distanceThreshold = ${expected.distance_threshold}: scikit-learn's ${expected.threshold_n_clusters} clusters`, async () => {
          const fit = await engine.agglomerative(data.x, { linkage: method, distanceThreshold: expected.distance_threshold });
          expect(fit.nClusters).toBe(expected.threshold_n_clusters);
          expect(Array.from(fit.labels)).toEqual(firstAppearance(expected.threshold_labels));
        });
      });
    }
  }

  it('float32 storage: the same linkage ids, heights within 1e-6', async () => {
    for (const data of DATASETS.filter((d) => d.name !== 'iris')) {
      for (const method of LINKAGE_METHODS) {
        const expected = data.methods[method];
        const fit = await engine.agglomerative(data.x, { linkage: method, precision: 'float32', nClusters: 2 });
        expect(fit.precision).toBe('float32');
        for (let i = 0; i < data.n - 1; i++) {
          expect(fit.linkage[4 * i]).toBe(expected.linkage[4 * i]);
          expect(fit.linkage[4 * i + 1]).toBe(expected.linkage[4 * i + 1]);
          const h = expected.linkage[4 * i + 2]!;
          expect(Math.abs(fit.linkage[4 * i + 2]! - h)).toBeLessThanOrEqual(1e-6 * h);
        }
      }
    }
  });

  it('cuts: one cluster per row at nClusters = n, one cluster at threshold above the root, ties at the threshold stay apart', async () => {
    const blobs = DATASETS[2]!;
    const all = await engine.agglomerative(blobs.x, { linkage: 'average', nClusters: blobs.n });
    expect(Array.from(all.labels)).toEqual(Array.from({ length: blobs.n }, (_, i) => i));
    const top = blobs.methods.average.linkage[4 * (blobs.n - 2) + 2]!;
    const one = await engine.agglomerative(blobs.x, { linkage: 'average', distanceThreshold: top * 1.01 });
    expect(one.nClusters).toBe(1);
    expect(new Set(one.labels)).toEqual(new Set([0]));
    // scikit-learn cuts merges at or above the threshold: a threshold equal to the root's
    // height leaves two clusters.
    const fit = await engine.agglomerative(blobs.x, { linkage: 'average', nClusters: 2 });
    const atRoot = await engine.agglomerative(blobs.x, { linkage: 'average', distanceThreshold: fit.heights[blobs.n - 2]! });
    expect(atRoot.nClusters).toBe(2);
    expect(Array.from(atRoot.labels)).toEqual(Array.from(fit.labels));
  });

  it('duplicate rows merge at height 0 and two rows make one merge', async () => {
    const x = Matrix.from([0, 0, 1, 1, 0, 0, 3, 4, 1, 1], 5, 2);
    const fit = await engine.agglomerative(x, { linkage: 'complete', nClusters: 3 });
    expect(Array.from(fit.linkage.slice(0, 8))).toEqual([0, 2, 0, 2, 1, 4, 0, 2]);
    expect(Array.from(fit.labels)).toEqual([0, 1, 0, 2, 1]);
    const pair = await engine.agglomerative(Matrix.from([0, 0, 3, 4], 2, 2), { linkage: 'ward', nClusters: 1 });
    expect(Array.from(pair.linkage)).toEqual([0, 1, 5, 2]);
  });

  it('reports progress through both stages', async () => {
    const seen = new Set<string>();
    let last = { done: 0, total: 0 };
    await engine.agglomerative(DATASETS[1]!.x, {
      linkage: 'ward',
      onProgress: (p) => {
        seen.add(p.stage);
        if (p.stage === 'merging') last = p;
      },
    });
    expect([...seen]).toEqual(['distances', 'merging']);
    expect(last).toEqual({ stage: 'merging', done: DATASETS[1]!.n - 1, total: DATASETS[1]!.n - 1 });
  });

  it('rejects bad options, naming them', async () => {
    const x = DATASETS[1]!.x;
    const fails = async (options: object, pattern: RegExp) => {
      const error = await engine.agglomerative(x, options).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(ClusterkitError);
      expect((error as Error).message).toMatch(pattern);
    };
    await fails({ nClusters: 2, distanceThreshold: 1 }, /option distanceThreshold: give either nClusters or distanceThreshold, not both/);
    await fails({ linkage: 'median', nClusters: 2 }, /option linkage: expected one of ward, complete, average, single, got "median"/);
    await fails({ nClusters: 61 }, /option nClusters: nClusters = 61 is more than the 60 rows/);
    await fails({ nClusters: 0 }, /option nClusters: must be at least 1/);
    await fails({ distanceThreshold: -1 }, /option distanceThreshold: must be at least 0/);
    await fails({ precision: 'float16' }, /option precision: expected one of auto, float64, float32/);
    const one = await engine.agglomerative(Matrix.from([1, 2], 1, 2), { nClusters: 1 }).then(() => undefined, (e: unknown) => e);
    expect((one as Error).message).toMatch(/needs at least 2 rows, got 1/);
  });
});

describe('linkage of a precomputed distance matrix', () => {
  it('a chain that cycles on asymmetric distances is caught: the upper triangle is used', async () => {
    // Row views that disagree make the chain 0 → 1 → 2 → 0 → …; with the upper triangle
    // (d01 = 1, d02 = 2, d12 = 2) complete linkage merges 0 and 1 at 1, then 2 at 2.
    const d = Float64Array.from([0, 1, 2, 3, 0, 2, 1.5, 3, 0]);
    expect(Array.from(await linkageOfDistances(d, 3, 'complete'))).toEqual([0, 1, 1, 2, 2, 3, 2, 3]);
  });
});

describeLanes('the distance matrix from row blocks of the distances primitive', lanes, (engine, backend: BackendName) => {
  let impl: Backend;
  beforeAll(async () => {
    impl = await createBackend(backend);
  });
  afterAll(() => impl?.dispose());

  const rows = backend === 'webgpu' ? 150 : 2100; // several row blocks per segment off SwiftShader
  it(`${rows} rows in 7 segments: both triangles equal the pairwise distances`, async () => {
    const rng = new Rng(5);
    const x = Matrix.from(Float64Array.from({ length: rows * 6 }, () => rng.nextFloat() * 10), rows, 6);
    const resident = await impl.upload(x);
    try {
      const square = await distanceMatrix(impl, resident, 'float64', undefined, 7);
      const reference = (await engine.pairwiseDistances(x, x, { metric: 'euclidean' })).toFloat32Array();
      let worst = 0;
      let asymmetric = 0;
      let diagonal = 0;
      for (let i = 0; i < rows; i++) {
        if (square[i * rows + i] !== 0) diagonal++;
        for (let j = 0; j < rows; j++) {
          if (i === j) continue;
          if (square[i * rows + j] !== square[j * rows + i]) asymmetric++;
          worst = Math.max(worst, Math.abs(square[i * rows + j]! - reference[i * rows + j]!) / reference[i * rows + j]!);
        }
      }
      expect({ diagonal, asymmetric }).toEqual({ diagonal: 0, asymmetric: 0 });
      expect(worst).toBeLessThan(1e-6);
    } finally {
      resident.dispose();
    }
  });
});

describeLanes('affinity propagation matches scikit-learn', lanes, (engine) => {
  for (const c of affinity.cases) {
    it(`${c.name} (${c.n} × ${c.d}, damping ${c.damping}${c.preference === null ? '' : `, preference ${c.preference}`}): labels, exemplars, iterations`, async () => {
      const x = Matrix.from(Float32Array.from(c.data), c.n, c.d);
      const options = { damping: c.damping, preference: c.preference ?? undefined, convergenceIter: c.convergence_iter, maxIter: c.max_iter };
      let reported = 0;
      const fit = await engine.affinityPropagation(x, { ...options, onIteration: () => reported++ });
      expect(Array.from(fit.exemplars)).toEqual(c.exemplars);
      expect(Array.from(fit.labels)).toEqual(c.labels);
      expect(fit.iterations).toBe(c.n_iter);
      expect(reported).toBe(c.n_iter);
      expect(fit.converged).toBe(c.converged);
      const preference = c.preference ?? c.median_similarity;
      expect(Math.abs((fit.preference as number) - preference)).toBeLessThan(1e-6 * Math.abs(preference));
      // The tie-breaking noise is far below float32 resolution: another seed, the same result.
      const reseeded = await engine.affinityPropagation(x, { ...options, seed: 99 });
      expect(Array.from(reseeded.labels)).toEqual(c.labels);
    });
  }

  it("default preference: NumPy's median of all n² similarities, the zero diagonal included", async () => {
    const rng = new Rng(3);
    for (const n of [2, 3, 4, 5, 7, 10, 31]) {
      const data = Float32Array.from({ length: n * 2 }, () => Math.round(rng.nextFloat() * 4)); // many ties
      const fit = await engine.affinityPropagation(Matrix.from(data, n, 2), { maxIter: 1 });
      const all: number[] = [];
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) all.push(-((data[2 * i]! - data[2 * j]!) ** 2 + (data[2 * i + 1]! - data[2 * j + 1]!) ** 2));
      all.sort((a, b) => a - b);
      const m = all.length;
      expect(fit.preference).toBe(m % 2 ? all[(m - 1) / 2]! : (all[m / 2 - 1]! + all[m / 2]!) / 2 || 0);
    }
  });

  it('per-row preferences: one row preferred far above the rest becomes an exemplar', async () => {
    const c = affinity.cases[0]!;
    const x = Matrix.from(Float32Array.from(c.data), c.n, c.d);
    const base = await engine.affinityPropagation(x, { preference: new Float64Array(c.n).fill(c.median_similarity) });
    expect(Array.from(base.exemplars)).toEqual(c.exemplars);
    const preference = new Float64Array(c.n).fill(-1e6);
    preference[7] = 0;
    const single = await engine.affinityPropagation(x, { preference });
    expect(Array.from(single.exemplars)).toEqual([7]);
    expect(new Set(single.labels)).toEqual(new Set([0]));
  });

  for (const [i, c] of affinity.degenerate.entries()) {
    it(`all similarities equal (case ${i + 1}): scikit-learn's shortcut`, async () => {
      const fit = await engine.affinityPropagation(Matrix.from(Float32Array.from(c.data), c.n, c.d), { preference: c.preference ?? undefined });
      expect(Array.from(fit.labels)).toEqual(c.labels);
      expect(Array.from(fit.exemplars)).toEqual(c.exemplars);
      expect(fit.iterations).toBe(0);
    });
  }

  it('rejects bad options, naming them', async () => {
    const x = Matrix.from(Float32Array.from(affinity.cases[0]!.data), affinity.cases[0]!.n, 2);
    const fails = async (options: object, pattern: RegExp) => {
      const error = await engine.affinityPropagation(x, options).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(ClusterkitError);
      expect((error as Error).message).toMatch(pattern);
    };
    await fails({ damping: 1 }, /option damping: must be at least 0.5 and less than 1, got 1/);
    await fails({ damping: 0.4 }, /option damping: must be at least 0.5, got 0.4/);
    await fails({ convergenceIter: 0 }, /option convergenceIter: must be at least 1/);
    await fails({ maxIter: 2.5 }, /option maxIter: expected an integer/);
    await fails({ preference: Number.NaN }, /option preference: expected a finite number/);
    await fails({ preference: [1, 2] }, /option preference: 2 preferences for 60 rows/);
  });
});
