#!/usr/bin/env node
/**
 * tinybench micro-benchmarks of the engine's primitive kernels, per backend: one fused Lloyd
 * assignment step (labels + sums + inertia) and one block of silhouette partial sums.
 *
 *   node bench/kernels.mjs [--quick] [--backends js,wasm] [--threads N]
 *
 * Also run by bench/sklearn.mjs, whose JSON and table include these figures.
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { Bench } from 'tinybench';
import { Matrix } from '../dist/index.js';
// The kernels sit below the public API: a backend's primitives are reached through its factory.
import { createBackend } from '../dist/backends/select.js';
import { probe, withThreads } from './lib/clusterkit.mjs';
import { gaussianBlobs } from './lib/data.mjs';
import { FULL_SHAPES, QUICK_SHAPES, parseShapes, positiveInteger } from './lib/shapes.mjs';

/** Rows per silhouette block: one backend call, as silhouetteSamples issues them. */
const SILHOUETTE_BLOCK_ROWS = 256;

function blobsMatrix(shape) {
  return Matrix.from(gaussianBlobs({ n: shape.n, d: shape.d, blobs: shape.k, seed: shape.seed }), shape.n, shape.d);
}

/** Lloyd step of `shape` (centroids: the first k rows; the kernel's cost does not depend on them). */
async function addLloydStep(bench, backend, shape, x, resources) {
  const resident = await backend.upload(x);
  const session = await backend.startLloyd(resident, shape.k, { bounds: false });
  resources.push(session, resident);
  const centroids = x.toFloat32Array().slice(0, shape.k * shape.d);
  const name = `${backend.name} lloyd step ${shape.name}`;
  bench.add(name, () => session.step(centroids, { accumulate: true }));
  return { name, flops: 2 * shape.n * shape.k * shape.d };
}

/** Silhouette sums for a block of rows against all n rows (N×N never stored). */
async function addSilhouetteBlock(bench, backend, shape, x, resources) {
  const resident = await backend.upload(x);
  resources.push(resident);
  const labels = Int32Array.from({ length: shape.n }, (_, i) => i % shape.k);
  const rows = Math.min(SILHOUETTE_BLOCK_ROWS, shape.n);
  const name = `${backend.name} silhouette block ${rows}×${shape.n}×${shape.d}`;
  bench.add(name, () => backend.clusterDistanceSums(resident, labels, shape.k, 0, rows));
  // ‖a − b‖ over d features: d subtractions, d multiplies, d adds per pair.
  return { name, flops: 3 * rows * shape.n * shape.d };
}

/**
 * Runs the micro-benchmarks; returns one record per kernel and backend. `shapes` are parsed
 * shapes: the first k-means shape and the first silhouette shape are used.
 */
export async function runKernelBenchmarks({ backends, shapes, threads, quick = false, log = () => {} }) {
  const lloydShape = shapes.find((s) => s.kind === 'kmeans');
  const silhouetteShape = shapes.find((s) => s.kind === 'silhouette');
  const data = new Map([lloydShape, silhouetteShape].filter(Boolean).map((s) => [s.id, blobsMatrix(s)]));
  const records = [];
  for (const name of backends) {
    const backend = await createBackend(name, withThreads(threads));
    const resources = [];
    try {
      // Few iterations suffice: these kernels take milliseconds to a second each.
      const bench = new Bench({ time: quick ? 200 : 1_000, iterations: 3, warmupIterations: 1, warmupTime: 0 });
      const tasks = [];
      if (lloydShape) tasks.push(await addLloydStep(bench, backend, lloydShape, data.get(lloydShape.id), resources));
      if (silhouetteShape) tasks.push(await addSilhouetteBlock(bench, backend, silhouetteShape, data.get(silhouetteShape.id), resources));
      log(`tinybench: ${name} kernels`);
      await bench.run();
      for (const { name: task, flops } of tasks) records.push(kernelRecord(name, bench.getTask(task), flops));
    } finally {
      for (const resource of resources) resource.dispose();
      backend.dispose();
    }
  }
  return records;
}

function kernelRecord(backend, task, flops) {
  const result = task.result;
  if (result.state !== 'completed') return { backend, kernel: task.name, error: String(result.error ?? result.state) };
  const { latency } = result;
  return {
    backend,
    kernel: task.name,
    medianMs: latency.p50,
    meanMs: latency.mean,
    rme: latency.rme,
    runs: task.runs,
    gflops: flops / (latency.p50 * 1e6),
  };
}

async function main() {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean', default: false }, backends: { type: 'string' }, threads: { type: 'string' } },
  });
  const threads = values.threads === undefined ? undefined : positiveInteger('--threads', values.threads);
  const shapes = parseShapes(values.quick ? QUICK_SHAPES : FULL_SHAPES, 0);
  const available = (await probe(threads)).filter((p) => p.available).map((p) => p.name);
  const backends = values.backends ? values.backends.split(',') : available;
  const records = await runKernelBenchmarks({ backends, shapes, threads, quick: values.quick, log: (m) => console.error(m) });
  console.table(
    records.map(({ backend, kernel, medianMs, gflops, error }) =>
      error ? { backend, kernel, error } : { backend, kernel, 'median ms': medianMs.toFixed(2), 'GFLOP/s': gflops.toFixed(2) },
    ),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await main();
