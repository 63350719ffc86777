import { afterAll, expect, it, vi } from 'vitest';
import { kmeansPlusPlus } from '../../src/algorithms/kmeans.js';
import { JsBackend } from '../../src/backends/js/index.js';
import type { WebGpuBackend } from '../../src/backends/webgpu/index.js';
import type { Matrix } from '../../src/matrix.js';
import { Rng } from '../../src/rng.js';
import { expectChangedLabels, expectRowSteps } from '../helpers/lloyd.js';
import { blobs, describeGpu, maxAbsolute, maxRelative, openGpu, randomMatrix } from './gpu.js';

// Tiny shapes: SwiftShader runs these kernels on the CPU, about 1000× slower than a GPU.
// SwiftShader compiles each kernel variant in seconds and runs it on the CPU: give these room
// when the machine is busy (other test files run beside them).
vi.setConfig({ testTimeout: 600_000, hookTimeout: 600_000 });

const opened = await openGpu();
const chunkedOpened = await openGpu({ maxBindingBytes: 8192, subgroups: false });
// SwiftShader normally reads rows directly; this lane runs the hardware path (slab.wgsl).
const stagedOpened = await openGpu({ stagedRows: true });
const js = new JsBackend();
afterAll(() => {
  opened.gpu?.dispose();
  chunkedOpened.gpu?.dispose();
  stagedOpened.gpu?.dispose();
});

/** Centroids: k rows of x, spread out. */
function initialCentroids(x: Matrix, k: number): Float32Array {
  const out = new Float32Array(k * x.cols);
  for (let c = 0; c < k; c++) out.set(x.row(Math.floor((c * x.rows) / k)), c * x.cols);
  return out;
}

/** One step on both backends; labels, counts identical, sums and inertia as float64. */
async function compareStep(gpu: WebGpuBackend, x: Matrix, k: number, centroids: Float32Array, accumulate: boolean, tile?: string) {
  const gx = await gpu.upload(x);
  const jx = await js.upload(x);
  const session = await gpu.startLloyd(gx, k, { bounds: false }, tile ? { tile } : undefined);
  const reference = await (await js.startLloyd(jx, k, { bounds: false })).step(centroids, { accumulate });
  const got = await session.step(centroids, { accumulate });
  session.dispose();
  gx.dispose();
  expect(Array.from(got.labels)).toEqual(Array.from(reference.labels));
  expect(got.distanceEvaluations).toBe(reference.distanceEvaluations);
  expect(Math.abs(got.inertia - reference.inertia)).toBeLessThanOrEqual(1e-7 * reference.inertia);
  if (accumulate) {
    expect(Array.from(got.counts!)).toEqual(Array.from(reference.counts!));
    // df32 sums: far closer than float32 could get on data offset by 1000.
    expect(maxAbsolute(got.sums!, reference.sums!)).toBeLessThan(1e-6 * x.rows);
    expect(maxAbsolute(got.clusterInertia!, reference.clusterInertia!)).toBeLessThanOrEqual(1e-7 * reference.inertia);
  } else {
    expect(got.sums).toBeUndefined();
    expect(got.clusterInertia).toBeUndefined();
  }
}

/** expectRowSteps on a session with k = 5 over x resident on the GPU. */
async function rowSteps(gpu: WebGpuBackend, x: Matrix): Promise<void> {
  const gx = await gpu.upload(x);
  const session = await gpu.startLloyd(gx, 5, { bounds: false });
  try {
    await expectRowSteps(session, x, initialCentroids(x, 5), 5);
  } finally {
    session.dispose();
    gx.dispose();
  }
}

describeGpu('webgpu Lloyd step matches the JS reference', opened, (gpu) => {
  // d = 7 pads to 8 columns; values offset by 1000 exercise centring and the df32 sums.
  const x = randomMatrix(1, 300, 7, { offset: 1000, scale: 10 });
  for (const tile of ['rows', 'k16', 'k32', 't64', 't128']) {
    for (const k of [5, 37]) {
      it(`${tile} tile, k = ${k}: labels, inertia, sums, counts`, async () => {
        const centroids = initialCentroids(x, k);
        await compareStep(gpu, x, k, centroids, true, tile);
        await compareStep(gpu, x, k, centroids, false, tile);
      });
    }
  }

  it('k = 1 and k = rows', async () => {
    const small = randomMatrix(2, 40, 3);
    await compareStep(gpu, small, 1, initialCentroids(small, 1), true);
    await compareStep(gpu, small, 40, small.toFloat32Array(), true, 't64');
  });

  it('more clusters than the per-workgroup histogram holds (global atomics path)', async () => {
    const wide = randomMatrix(3, 1100, 2);
    await compareStep(gpu, wide, 1030, initialCentroids(wide, 1030), true, 'rows');
  });

  it('mini-batch steps over listed rows (stepRows)', () => rowSteps(gpu, x));

  it('data stays resident across steps: only centroids in, results out', async () => {
    const data = blobs(4, 500, 6, 4);
    const gx = await gpu.upload(data);
    const jx = await js.upload(data);
    const session = await gpu.startLloyd(gx, 4, { bounds: false });
    const reference = await js.startLloyd(jx, 4, { bounds: false });
    let centroids = initialCentroids(data, 4);
    for (let step = 0; step < 5; step++) {
      const [a, b] = [await session.step(centroids, { accumulate: true }), await reference.step(centroids, { accumulate: true })];
      expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
      centroids = Float32Array.from(b.sums!, (s, i) => s / Math.max(1, b.counts![Math.floor(i / data.cols)]!));
    }
    session.dispose();
    gx.dispose();
  });
});

describeGpu('webgpu Hamerly bounds', opened, (gpu) => {
  for (const tile of ['rows', 't64']) {
    it(`${tile}: same labels as a full search, fewer distance evaluations`, async () => {
      const data = blobs(5, 600, 5, 6);
      const k = 6;
      const gx = await gpu.upload(data);
      const jx = await js.upload(data);
      const bounded = await gpu.startLloyd(gx, k, { bounds: true }, { tile });
      const full = await js.startLloyd(jx, k, { bounds: false });
      let centroids = initialCentroids(data, k);
      const evaluations: number[] = [];
      for (let step = 0; step < 6; step++) {
        const [a, b] = [await bounded.step(centroids, { accumulate: true }), await full.step(centroids, { accumulate: true })];
        expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
        expect(Math.abs(a.inertia - b.inertia) / b.inertia).toBeLessThan(1e-7);
        evaluations.push(a.distanceEvaluations);
        centroids = Float32Array.from(b.sums!, (s, i) => s / Math.max(1, b.counts![Math.floor(i / data.cols)]!));
      }
      expect(evaluations[0]).toBe(data.rows * k);
      expect(evaluations[5]!).toBeLessThan(data.rows * k);
      expect(evaluations[5]!).toBeGreaterThanOrEqual(data.rows);
      bounded.dispose();
      gx.dispose();
    });
  }
});

describeGpu('webgpu k-means++ seeding', opened, (gpu) => {
  it('potential, sampling, trials and commit match the JS reference', async () => {
    const data = randomMatrix(6, 700, 9, { scale: 3 });
    const gx = await gpu.upload(data);
    const jx = await js.upload(data);
    const a = await gpu.startSeeding(gx, 17);
    const b = await js.startSeeding(jx, 17);
    const rng = new Rng(9);
    for (let round = 0; round < 4; round++) {
      expect(Math.abs(a.potential - b.potential) / b.potential).toBeLessThan(1e-6);
      const targets = Float64Array.from({ length: 5 }, () => rng.nextFloat() * b.potential);
      const [ca, cb] = [await a.sample(targets), await b.sample(targets)];
      expect(Array.from(ca)).toEqual(Array.from(cb));
      const [pa, pb] = [await a.trial(cb), await b.trial(cb)];
      expect(maxRelative(pa, pb)).toBeLessThan(1e-6);
      await a.commit(round % cb.length);
      await b.commit(round % cb.length);
    }
    // A target past the end clips to the last row, as NumPy's searchsorted does.
    expect(Array.from(await a.sample(Float64Array.of(a.potential * 2)))).toEqual([data.rows - 1]);
    a.dispose();
    gx.dispose();
  });

  it('greedy k-means++ picks the same rows as on the JS backend', async () => {
    const data = blobs(7, 400, 4, 8);
    const gx = await gpu.upload(data);
    const jx = await js.upload(data);
    const [a, b] = [await kmeansPlusPlus(gpu, gx, 8, new Rng(3)), await kmeansPlusPlus(js, jx, 8, new Rng(3))];
    expect(Array.from(a)).toEqual(Array.from(b));
    gx.dispose();
  });
});

for (const [title, setup, x] of [
  ['webgpu chunked matrices (8 KiB bindings, host chunks of 50 rows, no subgroups)', chunkedOpened, blobs(8, 300, 7, 5, 50)],
  // 13 vec4 columns: full and partial slabs; 700 rows: a partial last workgroup.
  ['webgpu rows staged through workgroup memory (the hardware path, forced)', stagedOpened, blobs(8, 700, 50, 5)],
] as const) {
  describeGpu(title, setup, (gpu) => {
    if (setup === chunkedOpened) {
      it('the matrix is split into several device chunks', async () => {
        const gx = (await gpu.upload(x)) as unknown as { chunks: unknown[]; dispose(): void };
        expect(gx.chunks.length).toBeGreaterThan(3);
        gx.dispose();
      });
    }

    // The staged lane changes the row kernels, not the assignment tiles: one tile is enough there.
    for (const tile of setup === chunkedOpened ? ['rows', 'k16'] : ['rows']) {
      it(`Lloyd steps (${tile})`, async () => {
        await compareStep(gpu, x, 5, initialCentroids(x, 5), true, tile);
        await compareStep(gpu, x, 5, initialCentroids(x, 5), false, tile);
      });
    }

    if (setup === chunkedOpened) {
      // 64-row chunks: the longest list gathers from every source chunk into ten batch chunks.
      it('mini-batch steps gather rows across chunks (stepRows)', () => rowSteps(gpu, x));
    }

    it('Hamerly steps', async () => {
      const gx = await gpu.upload(x);
      const jx = await js.upload(x);
      const bounded = await gpu.startLloyd(gx, 5, { bounds: true });
      const full = await js.startLloyd(jx, 5, { bounds: false });
      let centroids = initialCentroids(x, 5);
      for (let step = 0; step < 4; step++) {
        const [a, b] = [await bounded.step(centroids, { accumulate: true }), await full.step(centroids, { accumulate: true })];
        expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
        centroids = Float32Array.from(b.sums!, (s, i) => s / Math.max(1, b.counts![Math.floor(i / x.cols)]!));
      }
      bounded.dispose();
      gx.dispose();
    });

    it('seeding', async () => {
      const gx = await gpu.upload(x);
      const jx = await js.upload(x);
      const [a, b] = [await kmeansPlusPlus(gpu, gx, 5, new Rng(11)), await kmeansPlusPlus(js, jx, 5, new Rng(11))];
      expect(Array.from(a)).toEqual(Array.from(b));
      const [sa, sb] = [await gpu.startSeeding(gx, 3), await js.startSeeding(jx, 3)];
      expect(Math.abs(sa.potential - sb.potential) / sb.potential).toBeLessThan(1e-6);
      const candidates = Int32Array.of(0, 17, x.rows - 1);
      expect(maxRelative(await sa.trial(candidates), await sb.trial(candidates))).toBeLessThan(1e-6);
      sa.dispose();
      sb.dispose();
      gx.dispose();
    });

    for (const bounds of [false, true]) {
      it(`steps count the rows whose label changed, and leave the labels on request${bounds ? ' (Hamerly bounds)' : ''}`, async () => {
        // Uniform data: labels keep moving for several steps (the blobs settle at once).
        const data = randomMatrix(12, x.rows, x.cols);
        const [gx, jx] = [await gpu.upload(data), await js.upload(data)];
        const [sg, sj] = [await gpu.startLloyd(gx, 5, { bounds }), await js.startLloyd(jx, 5, { bounds: false })];
        const changes = await expectChangedLabels(sg, sj, initialCentroids(data, 5), 5);
        expect(changes.slice(1).some((n) => n > 0)).toBe(true);
        sg.dispose();
        sj.dispose();
        gx.dispose();
      });
    }

    it('distances through the row norms', async () => {
      const [gx, jx] = [await gpu.upload(x), await js.upload(x)];
      for (const metric of ['sqeuclidean', 'euclidean', 'cosine'] as const) {
        const got = await gpu.distances(gx, gx, metric, 0, 40);
        const want = await js.distances(jx, jx, metric, 0, 40);
        if (metric === 'cosine') expect(maxAbsolute(got, want)).toBeLessThan(2e-6);
        else expect(maxRelative(got, want, 1e-3)).toBeLessThan(2e-6);
      }
      gx.dispose();
    });
  });
}
