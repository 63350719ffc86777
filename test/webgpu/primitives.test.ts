import { afterAll, expect, it, vi } from 'vitest';
import { JsBackend } from '../../src/backends/js/index.js';
import type { Metric } from '../../src/backends/backend.js';
import { Engine } from '../../src/engine.js';
import { Matrix } from '../../src/matrix.js';
import { dataset, loadFixture } from '../helpers/fixtures.js';
import { blobs, describeGpu, maxAbsolute, maxRelative, openGpu, randomMatrix } from './gpu.js';

// SwiftShader compiles each kernel variant in seconds and runs it on the CPU: give these room
// when the machine is busy (other test files run beside them).
vi.setConfig({ testTimeout: 600_000, hookTimeout: 600_000 });

const opened = await openGpu();
const chunkedOpened = await openGpu({ maxBindingBytes: 4096, subgroups: false, silhouettePrecision: 'fast' });
const js = new JsBackend();
afterAll(() => {
  opened.gpu?.dispose();
  chunkedOpened.gpu?.dispose();
});

const METRICS: Metric[] = ['sqeuclidean', 'euclidean', 'cosine', 'dot'];

function labelsOf(n: number, k: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => (i * 7 + (i >> 3)) % k);
}

for (const [title, setup] of [
  ['webgpu primitives match the JS reference', opened],
  ['webgpu primitives on chunked matrices (4 KiB bindings, no subgroups, fp32 silhouette)', chunkedOpened],
] as const) {
  const chunked = setup === chunkedOpened;
  describeGpu(title, setup, (gpu) => {
    // Host chunks of 40 rows; with 4 KiB bindings the device chunks hold 32 rows of 5 (→ 8) columns.
    const a = randomMatrix(21, 90, 5, { scale: 2, chunkRows: chunked ? 40 : undefined });
    const b = randomMatrix(22, 70, 5, { scale: 2, chunkRows: chunked ? 40 : undefined });

    for (const metric of METRICS) {
      it(`distances (${metric}), rows 3..80`, async () => {
        const [ga, gb, ja, jb] = [await gpu.upload(a), await gpu.upload(b), await js.upload(a), await js.upload(b)];
        const got = await gpu.distances(ga, gb, metric, 3, 80);
        const want = await js.distances(ja, jb, metric, 3, 80);
        expect(maxAbsolute(got, want)).toBeLessThan(2e-6 * (metric === 'cosine' ? 1 : 10));
        // Cosine distance is 1 − cos in float32: absolute accuracy ~1e-7, not relative near 0.
        if (metric !== 'cosine') expect(maxRelative(got, want, 1e-3)).toBeLessThan(2e-6);
        ga.dispose();
        gb.dispose();
      });
    }

    for (const k of [1, 4, 40]) {
      for (const metric of ['euclidean', 'dot', 'cosine'] as Metric[]) {
        it(`knn k = ${k} (${metric})`, async () => {
          const [ga, gb, ja, jb] = [await gpu.upload(a), await gpu.upload(b), await js.upload(a), await js.upload(b)];
          const got = await gpu.knn(ga, gb, k, metric, 0, a.rows);
          const want = await js.knn(ja, jb, k, metric, 0, a.rows);
          expect(Array.from(got.indices)).toEqual(Array.from(want.indices));
          expect(maxAbsolute(got.distances, want.distances)).toBeLessThan(2e-5);
          ga.dispose();
          gb.dispose();
        });
      }
    }

    it('knn ties go to the lower index', async () => {
      const rows = Array.from({ length: 12 }, (_, i) => [i % 3, 1]); // each row three times
      const bm = Matrix.fromRows(rows);
      const am = Matrix.fromRows([[0.9, 1], [2, 1]]);
      const [ga, gb, ja, jb] = [await gpu.upload(am), await gpu.upload(bm), await js.upload(am), await js.upload(bm)];
      for (const k of [5, 12]) {
        const got = await gpu.knn(ga, gb, k, 'sqeuclidean', 0, 2);
        const want = await js.knn(ja, jb, k, 'sqeuclidean', 0, 2);
        expect(Array.from(got.indices)).toEqual(Array.from(want.indices));
      }
      ga.dispose();
      gb.dispose();
    });

    for (const [scale, softmax] of [[100, true], [10, true], [100, false]] as const) {
      it(`similarity (logit scale ${scale}, softmax ${softmax})`, async () => {
        const images = randomMatrix(23, 300, 5, { offset: -0.5, chunkRows: chunked ? 40 : undefined });
        const texts = randomMatrix(24, 6, 5, { offset: -0.5 });
        const [gi, gt, ji, jt] = [await gpu.upload(images), await gpu.upload(texts), await js.upload(images), await js.upload(texts)];
        const got = await gpu.similarity(gi, gt, scale, softmax, 10, 290);
        const want = await js.similarity(ji, jt, scale, softmax, 10, 290);
        expect(Array.from(got.labels)).toEqual(Array.from(want.labels));
        expect(maxAbsolute(got.scores, want.scores)).toBeLessThan(softmax ? 2e-5 : 2e-4);
        gi.dispose();
        gt.dispose();
      });
    }

    for (const precision of chunked ? ['fast'] : ['precise', 'fast']) {
      it(`silhouette distance sums (${precision}), rows 5..85 of 90, 4 clusters`, async () => {
        const x = blobs(25, 90, 6, 4, chunked ? 40 : undefined);
        const labels = labelsOf(90, 4);
        const gx = await gpu.upload(x);
        const backend = precision === 'fast' && !chunked ? ((await openGpu({ silhouettePrecision: 'fast' })).gpu ?? gpu) : gpu;
        const gxx = backend === gpu ? gx : await backend.upload(x);
        const got = await backend.clusterDistanceSums(gxx, labels, 4, 5, 85);
        const want = await js.clusterDistanceSums(await js.upload(x), labels, 4, 5, 85);
        expect(maxRelative(got, want)).toBeLessThan(precision === 'precise' ? 1e-10 : 2e-5);
        if (backend !== gpu) backend.dispose();
        gx.dispose();
      });
    }
  });
}

describeGpu('webgpu through the engine, against the scikit-learn fixtures', opened, () => {
  it('silhouette (iris, wine), distances, k-NN and CLIP similarity', async () => {
    const engine = await Engine.create({ backend: 'webgpu' });
    expect(engine.backend).toBe('webgpu');
    try {
      for (const name of ['iris', 'wine'] as const) {
        const f = dataset(name);
        const result = await engine.silhouette(f.x, f.silhouette.labels);
        expect(Math.abs(result.score - f.silhouette.score)).toBeLessThan(1e-9);
        expect(maxAbsolute(result.samples!, f.silhouette.samples)).toBeLessThan(1e-8);
      }
      const d = loadFixture<{
        na: number; nb: number; d: number; A: number[]; B: number[]; k: number;
        metrics: Record<Metric, { matrix: number[]; knn_indices: number[]; knn_values: number[] }>;
      }>('distances');
      const A = Matrix.from(Float32Array.from(d.A), d.na, d.d);
      const B = Matrix.from(Float32Array.from(d.B), d.nb, d.d);
      for (const metric of METRICS) {
        const m = await engine.pairwiseDistances(A, B, { metric });
        if (metric === 'cosine') expect(maxAbsolute(m.toFloat32Array(), d.metrics[metric].matrix)).toBeLessThan(1e-6);
        else expect(maxRelative(m.toFloat32Array(), d.metrics[metric].matrix, 1e-2)).toBeLessThan(2e-6);
        const nn = await engine.knn(A, B, { k: d.k, metric });
        expect(Array.from(nn.indices)).toEqual(d.metrics[metric].knn_indices);
      }
      const s = loadFixture<{ n_images: number; n_texts: number; d: number; images: number[]; texts: number[]; cases: { logit_scale: number; probs: number[]; labels: number[] }[] }>('similarity');
      const images = Matrix.from(Float32Array.from(s.images), s.n_images, s.d);
      const texts = Matrix.from(Float32Array.from(s.texts), s.n_texts, s.d);
      for (const c of s.cases) {
        const r = await engine.similarity(images, texts, { logitScale: c.logit_scale });
        expect(Array.from(r.labels)).toEqual(c.labels);
        expect(maxAbsolute(r.scores, c.probs)).toBeLessThan(1e-5);
      }
    } finally {
      engine.dispose();
    }
  });
});
