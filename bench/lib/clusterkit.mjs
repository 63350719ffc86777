/**
 * clusterkit side of the benchmark: one engine per backend, the same figures scikit-learn gets.
 */
import { Engine, Matrix, Rng, probeBackends } from '../../dist/index.js';
// Internal modules, on purpose: the public API has no "k-means++ only" call, and the explicit
// initial centroids every side starts from must be the ones clusterkit's own k-means++ draws.
import { kmeansPlusPlus } from '../../dist/algorithms/kmeans.js';
import { createBackend } from '../../dist/backends/select.js';
import { timePerIteration, timeRepeated } from './timing.mjs';

/** Backend options: the thread count only when one was asked for (each backend has its default). */
export const withThreads = (threads) => (threads === undefined ? {} : { threads });

/** Backends this build can run here, with the reason for each one that cannot. */
export async function probe(threads) {
  return probeBackends(withThreads(threads));
}

/**
 * The backends to measure: the `--backends` list (those not available here are logged and
 * left out), or by default every available one but webgpu (the GPU has its own benchmark).
 */
export async function backendsToRun(list, log) {
  const available = (await probe()).filter((b) => b.available).map((b) => b.name);
  if (!list) return available.filter((b) => b !== 'webgpu');
  const names = list.split(',');
  for (const name of names) if (!available.includes(name)) log(`${name}: not available here, skipped`);
  return names.filter((name) => available.includes(name));
}

/** Threads a backend computes with, read from its description ("… 2 threads"); js has one. */
export function threadsOf(engine) {
  if (engine.backend === 'js') return 1;
  const match = /(\d+)\s*threads?/i.exec(engine.description);
  return match ? Number(match[1]) : null;
}

/** The backend `backend: 'auto'` picks here (a hardware GPU, else wasm, else js). */
export async function autoBackendName(threads) {
  const engine = await openEngine('auto', threads);
  engine.dispose();
  return engine.backend;
}

export async function openEngine(name, threads) {
  return Engine.create({ backend: name, ...withThreads(threads) });
}

/**
 * The k × d centroids clusterkit's greedy k-means++ picks for `seed` on backend `name` — the
 * very ones `kmeans({ init: 'k-means++', nInit: 1, seed })` starts from.
 */
export async function seedCentroids(name, x, k, seed, threads) {
  const backend = await createBackend(name, withThreads(threads));
  const resident = await backend.upload(x);
  try {
    const rows = await kmeansPlusPlus(backend, resident, k, new Rng(seed));
    return Matrix.fromRows(Array.from(rows, (row) => x.row(row)));
  } finally {
    resident.dispose();
    backend.dispose();
  }
}

/** A fit of at most `maxIter` iterations from the given centroids; tol 0, so only stable labels stop it early. */
function fixedIterations(engine, x, init, algorithm) {
  return (maxIter) => engine.kmeans(x, { k: init.rows, init, nInit: 1, maxIter, tol: 0, algorithm });
}

/** ms per iteration for one algorithm, with the distance evaluations its last fit made. */
async function perIteration(engine, x, init, algorithm, plan) {
  const { result, ...timing } = await timePerIteration(fixedIterations(engine, x, init, algorithm), plan);
  return { ...timing, fit: result };
}

/**
 * Greedy k-means++ alone, on a resident copy uploaded outside the timing (as the Python side
 * times kmeans_plusplus on arrays already in memory), and k-means++ plus one Lloyd iteration
 * through the public API.
 */
async function initTime(engine, x, k, seed, plan, threads) {
  const backend = await createBackend(engine.backend, withThreads(threads));
  const resident = await backend.upload(x);
  try {
    const seeding = () => kmeansPlusPlus(backend, resident, k, new Rng(seed));
    if (plan.warmup) await seeding();
    const alone = await timeRepeated(seeding, plan);
    const plusOne = await timeRepeated(() => engine.kmeans(x, { k, init: 'k-means++', nInit: 1, seed, maxIter: 1, tol: 0 }), plan);
    return { ms: alone.ms, samples: alone.samples, initPlusOneMs: plusOne.ms };
  } finally {
    resident.dispose();
    backend.dispose();
  }
}

/** A whole fit with one k-means++ init, tol 1e-4, the default algorithm ('auto'). */
async function endToEnd(engine, x, k, seed, plan) {
  const timing = await timeRepeated(() => engine.kmeans(x, { k, nInit: 1, seed, tol: 1e-4, maxIter: plan.fitMaxIter }), plan);
  return { ms: timing.ms, samples: timing.samples, fit: timing.result };
}

/** Every k-means figure for one backend and shape. Fits (labels, inertia) are kept for comparisons. */
export async function measureKMeans(engine, shape, x, init, plan, { threads, log }) {
  log(`${engine.backend} ${shape.name}: Lloyd per iteration`);
  const lloyd = await perIteration(engine, x, init, 'lloyd', plan);
  log(`${engine.backend} ${shape.name}: Hamerly per iteration`);
  const hamerly = await perIteration(engine, x, init, 'hamerly', plan);
  // Lloyd makes n·k distance evaluations per assignment; what Hamerly saved over the same iterations:
  hamerly.distanceFraction = hamerly.fit.distanceEvaluations / lloyd.fit.distanceEvaluations;
  log(`${engine.backend} ${shape.name}: k-means++ init`);
  const seeding = await initTime(engine, x, shape.k, shape.seed, plan, threads);
  log(`${engine.backend} ${shape.name}: end-to-end fit`);
  const fitOneInit = await endToEnd(engine, x, shape.k, shape.seed, plan);
  return { lloyd, hamerly, init: seeding, fitOneInit };
}

/** engine.silhouette over the whole matrix (exact score), after a small warm-up. */
export async function measureSilhouette(engine, x, labels, plan) {
  const warmRows = Math.min(x.rows, 1000);
  const head = Matrix.from(x.toFloat32Array().subarray(0, warmRows * x.cols), warmRows, x.cols);
  if (plan.warmup) await engine.silhouette(head, labels.subarray(0, warmRows));
  const timing = await timeRepeated(() => engine.silhouette(x, labels), plan);
  return { ms: timing.ms, samples: timing.samples, score: timing.result.score };
}
