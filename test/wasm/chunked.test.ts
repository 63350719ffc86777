// Data larger than one WebAssembly memory is split across several memories (shards), each with
// its own kernel instances in every worker. Here the per-memory limit is made artificially
// small (256 KiB) so that small data takes the chunked path.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Metric } from '../../src/backends/backend.js';
import type { WasmBackend } from '../../src/backends/wasm/index.js';
import { fitKMeans } from '../../src/algorithms/kmeans.js';
import { knn, pairwiseDistances } from '../../src/algorithms/neighbors.js';
import { silhouetteSamples } from '../../src/algorithms/silhouette.js';
import { similarity } from '../../src/algorithms/similarity.js';
import { expectRowSteps } from '../helpers/lloyd.js';
import { blobs, both, js, maxRelative, mismatches, rechunk, rowsOf, wasmBackend } from './helpers.js';

const SHARD = 256 * 1024;

describe('wasm backend over several memories (256 KiB each)', () => {
  let wasm: WasmBackend;
  beforeAll(async () => {
    wasm = await wasmBackend({ threads: 2, maxShardBytes: SHARD });
  });
  afterAll(() => wasm?.dispose());

  // 6000 × 19 floats (padded to 20) = 480 KB of rows: more than one shard holds.
  const x = rechunk(blobs(6000, 19, 8, 21), 19 * 1000);

  it('splits the data into pieces across shards', async () => {
    const resident = await wasm.upload(x);
    expect(wasm.shardCount).toBeGreaterThan(2);
    resident.dispose();
  });

  it('k-means (k-means++ and Lloyd, with and without bounds) matches the reference', async () => {
    const [xw, xj] = await both(wasm, x);
    for (const algorithm of ['lloyd', 'hamerly'] as const) {
      const p = await fitKMeans(wasm, xw, { k: 8, nInit: 2, seed: 4, algorithm });
      const q = await fitKMeans(js, xj, { k: 8, nInit: 2, seed: 4, algorithm });
      expect(mismatches(p.labels, q.labels)).toBe(0);
      expect(p.iterations).toBe(q.iterations);
      expect(maxRelative([p.inertia], [q.inertia])).toBeLessThan(1e-6);
    }
    xw.dispose();
  });

  it('mini-batch steps over rows in several shards', async () => {
    const xw = await wasm.upload(x);
    const session = await wasm.startLloyd(xw, 8, { bounds: false });
    await expectRowSteps(session, x, rowsOf(x, [0, 700, 1400, 2100, 2800, 3500, 4200, 5999]), 8);
    session.dispose();
    xw.dispose();
  });

  it('silhouette sums across pieces', async () => {
    const small = blobs(1500, 19, 4, 22);
    const labels = Int32Array.from({ length: small.rows }, (_, i) => i % 4);
    const [xw, xj] = await both(wasm, small);
    expect((xw as unknown as { pieces: unknown[] }).pieces.length).toBeGreaterThan(1);
    const s = await silhouetteSamples(wasm, xw, labels, 4);
    const t = await silhouetteSamples(js, xj, labels, 4);
    expect(maxRelative(s, t)).toBeLessThan(1e-6);
    const p = await wasm.clusterDistanceSums(xw, labels, 4, 700, 1500);
    const q = await js.clusterDistanceSums(xj, labels, 4, 700, 1500);
    expect(maxRelative(p, q, 1e-9)).toBeLessThan(1e-6);
    xw.dispose();
  });

  for (const metric of ['sqeuclidean', 'euclidean', 'cosine', 'dot'] as Metric[]) {
    it(`pairwise distances and k-NN (${metric}) against a matrix in several shards`, async () => {
      const a = blobs(300, 19, 4, 23);
      const b = blobs(5000, 19, 4, 24);
      const [aw, aj] = await both(wasm, a);
      const [bw, bj] = await both(wasm, b);
      const d1 = await pairwiseDistances(wasm, aw, bw, { metric });
      const d2 = await pairwiseDistances(js, aj, bj, { metric });
      expect(maxRelative(d1.toFloat32Array(), d2.toFloat32Array())).toBeLessThan(2e-6);
      const n1 = await knn(wasm, aw, bw, { k: 5, metric });
      const n2 = await knn(js, aj, bj, { k: 5, metric });
      expect(mismatches(n1.indices, n2.indices)).toBe(0);
      expect(maxRelative(n1.distances, n2.distances)).toBeLessThan(2e-6);
      aw.dispose();
      bw.dispose();
    });
  }

  it('similarity over images in several shards', async () => {
    const images = blobs(5000, 19, 4, 25);
    const texts = blobs(5, 19, 5, 26);
    const [iw, ij] = await both(wasm, images);
    const [tw, tj] = await both(wasm, texts);
    const p = await similarity(wasm, iw, tw, { logitScale: 50 });
    const q = await similarity(js, ij, tj, { logitScale: 50 });
    expect(mismatches(p.labels, q.labels)).toBe(0);
    expect(maxRelative(p.scores, q.scores)).toBeLessThan(1e-6);
    iw.dispose();
    tw.dispose();
  });

  it('frees shard memory on dispose', async () => {
    const used = () => (wasm as unknown as { context: { shards: { used: number }[] } }).context.shards.reduce((sum, shard) => sum + shard.used, 0);
    const before = used();
    const resident = await wasm.upload(x);
    expect(used()).toBeGreaterThan(before);
    resident.dispose();
    expect(used()).toBe(before);
  });
});
