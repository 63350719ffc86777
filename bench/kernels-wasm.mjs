#!/usr/bin/env node
/**
 * Micro-benchmark of the wasm backend's kernels (run `npm run build` first):
 *
 *   node bench/kernels-wasm.mjs [--threads N] [--quick] [--json]
 *
 * Times, on the built backend (dist/), with tinybench:
 *  - one Lloyd step (fused assignment + float64 sums) without bounds, and with Hamerly bounds
 *    at a mid-run state, at N=100k, D=64, K=16 and N=100k, D=512, K=64 (the shapes of the
 *    scikit-learn anchors: 8.7 ms and 81.6 ms per iteration on this 2-core machine);
 *  - one full k-means fit (greedy k-means++ then Lloyd/Hamerly to convergence, one init);
 *  - silhouette (all cluster distance sums) at 10k × 64 (scikit-learn: 1.1 s);
 *  - pairwise distances (a 40 × 100k block, as the algorithms ask) and k-NN (1000 × 100k), D=64;
 * and prints GFLOP/s (2·N·K·D per assignment, 3·N²·D for silhouette's N² distances) and the
 * threads used. The machine may be shared: besides wall time, the CPU time of the process per
 * operation is printed, and the load average at the start.
 */
import { loadavg } from 'node:os';
import { Bench } from 'tinybench';
import { createWasmBackend } from '../dist/backends/wasm/index.js';
import { fitKMeans } from '../dist/algorithms/kmeans.js';
import { silhouetteSamples } from '../dist/algorithms/silhouette.js';
import { Matrix } from '../dist/matrix.js';
import { gaussianBlobs } from './lib/data.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : fallback;
};
const quick = args.includes('--quick');
const json = args.includes('--json');
const threads = option('--threads') === undefined ? undefined : Number(option('--threads'));
const time = quick ? 300 : 1500;

const log = (...parts) => (json ? process.stderr : process.stdout).write(parts.join(' ') + '\n');

const backend = await createWasmBackend({ threads });
if ('unavailable' in backend) {
  console.error(`wasm backend unavailable: ${backend.unavailable}`);
  process.exit(1);
}
log(`# ${backend.description}; load average at start ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);

const rows = [];

/** Runs tinybench on `fn` and records wall-clock latency, CPU time and GFLOP/s. */
async function measure(name, fn, flops, extra = {}, { slow = false } = {}) {
  // Whole fits take seconds: a couple of samples, no warm-up beyond the first call.
  const bench = slow
    ? new Bench({ time: 0, warmup: false, iterations: quick ? 1 : 3 })
    : new Bench({ time, warmupTime: quick ? 100 : 300, iterations: quick ? 3 : 8 });
  let cpu = 0;
  let calls = 0;
  bench.add(name, async () => {
    const before = process.cpuUsage();
    await fn();
    const used = process.cpuUsage(before);
    cpu += (used.user + used.system) / 1000;
    calls++;
  });
  await bench.run();
  const task = bench.tasks[0];
  const latency = task.result.latency;
  const row = {
    name,
    threads: backend.threads,
    ms: latency.p50,
    msMin: latency.min,
    cpuMsPerOp: cpu / calls,
    gflops: flops ? flops / latency.p50 / 1e6 : undefined,
    samples: latency.samples?.length ?? task.result.totalTime / latency.mean,
    ...extra,
  };
  rows.push(row);
  log(
    `${name.padEnd(44)} ${row.ms.toFixed(2).padStart(9)} ms (min ${row.msMin.toFixed(2)})  cpu ${row.cpuMsPerOp.toFixed(2).padStart(8)} ms/op` +
      (row.gflops ? `  ${row.gflops.toFixed(1).padStart(6)} GFLOP/s` : '') +
      Object.entries(extra)
        .map(([key, value]) => `  ${key}=${value}`)
        .join(''),
  );
  return row;
}

async function lloydShape(n, d, k) {
  const x = Matrix.from(gaussianBlobs({ n, d, blobs: k, seed: 1 }), n, d);
  const resident = await backend.upload(x);
  const flops = 2 * n * d * k;
  // Centroids a few iterations into a run from k spread rows, so the bounds have work to skip.
  const start = new Float32Array(k * d);
  for (let c = 0; c < k; c++) start.set(x.row(Math.floor((c * n) / k)), c * d);
  const warm = await backend.startLloyd(resident, k, { bounds: false });
  let centroids = start;
  const states = [];
  for (let i = 0; i < 6; i++) {
    const step = await warm.step(centroids, { accumulate: true });
    const next = new Float32Array(k * d);
    for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) next[c * d + j] = step.counts[c] ? step.sums[c * d + j] / step.counts[c] : centroids[c * d + j];
    states.push(next);
    centroids = next;
  }
  warm.dispose();

  const plain = await backend.startLloyd(resident, k, { bounds: false });
  await measure(`Lloyd step ${n / 1000}k×${d} K=${k}`, () => plain.step(centroids, { accumulate: true }), flops);
  plain.dispose();

  // Hamerly: alternate two successive centroid sets, so every step moves the centroids by one
  // iteration's worth, as mid-run.
  const bounded = await backend.startLloyd(resident, k, { bounds: true });
  await bounded.step(states[4], { accumulate: true });
  let flip = 0;
  let evaluations = 0;
  let steps = 0;
  await measure(
    `Lloyd step ${n / 1000}k×${d} K=${k}, Hamerly bounds`,
    async () => {
      const result = await bounded.step(flip++ % 2 ? states[4] : states[5], { accumulate: true });
      evaluations += result.distanceEvaluations;
      steps++;
    },
    flops,
  );
  rows.at(-1).distanceEvaluationsPerStep = Math.round(evaluations / steps);
  log(`${''.padEnd(44)} (distance evaluations per bounded step: ${Math.round(evaluations / steps)} of ${n * k})`);
  bounded.dispose();

  if (!quick) {
    for (const algorithm of ['lloyd', 'auto']) {
      let last;
      await measure(
        `fit ${n / 1000}k×${d} K=${k} (k-means++, ${algorithm})`,
        async () => {
          last = await fitKMeans(backend, resident, { k, nInit: 1, seed: 3, algorithm });
        },
        undefined,
        {},
        { slow: true },
      );
      rows.at(-1).iterations = last.iterations;
      rows.at(-1).inertia = last.inertia;
      log(`${''.padEnd(44)} (${last.iterations} iterations, inertia ${last.inertia.toPrecision(8)})`);
    }
  }
  resident.dispose();
}

await lloydShape(100_000, 64, 16);
await lloydShape(100_000, 512, 64);

{
  const n = 10_000;
  const d = 64;
  const k = 10;
  const x = Matrix.from(gaussianBlobs({ n, d, blobs: k, seed: 2 }), n, d);
  const labels = Int32Array.from({ length: n }, (_, i) => i % k);
  const resident = await backend.upload(x);
  await measure(`silhouette ${n / 1000}k×${d} (all distance sums)`, () => silhouetteSamples(backend, resident, labels, k), 3 * n * n * d);
  resident.dispose();
}

{
  // One call as the algorithms make it: a row block of A whose output is 4M values (40 rows
  // against 100k), and k-NN for 1000 queries.
  const d = 64;
  const a = Matrix.from(gaussianBlobs({ n: 1000, d, blobs: 8, seed: 4 }), 1000, d);
  const b = Matrix.from(gaussianBlobs({ n: 100_000, d, blobs: 8, seed: 5 }), 100_000, d);
  const [ra, rb] = [await backend.upload(a), await backend.upload(b)];
  for (const metric of ['sqeuclidean', 'cosine']) {
    await measure(`distances 40×100k×${d} (${metric})`, () => backend.distances(ra, rb, metric, 0, 40), (metric === 'cosine' ? 2 : 3) * 40 * 100_000 * d);
  }
  await measure(`k-NN k=10, 1k×100k×${d} (euclidean)`, () => backend.knn(ra, rb, 10, 'euclidean', 0, 1000), 3 * 1000 * 100_000 * d);
  ra.dispose();
  rb.dispose();
}

backend.dispose();
if (json) process.stdout.write(JSON.stringify({ description: backend.description, threads: backend.threads, loadavg: loadavg(), rows }) + '\n');
