#!/usr/bin/env node
// GPU benchmark for the webgpu backend (issue 4), with PyTorch (fp32, TF32 off) and
// scikit-learn run on the same data in the same run (bench/gpu_peers.py).
//
//   npm run build && node bench/gpu.mjs            the issue's shapes (needs a real GPU)
//   node bench/gpu.mjs --tiny                      small shapes; runs on SwiftShader too
//   options: --only a,b   --no-peers   --peers torch,sklearn   --python PATH   --out FILE   --allow-software
//
// On the H100 machine (see ../shared/device/README.md):
//   npm run build && bash ../shared/device/pack.sh dist bench && bash .device/enter.sh node bench/gpu.mjs
//
// Writes bench/results/<device>.json and prints a table last. Timings settle only after about
// a second of GPU work, so the run warms up first. Nothing here is an estimate: every figure
// in the table is measured in this run, or marked as not run.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeEmbeddings } from './lib/embeddings-file.mjs';
import { median } from './lib/timing.mjs';

const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const tiny = flag('tiny');
const only = option('only', '')
  .split(',')
  .filter(Boolean);
const wanted = (name) => only.length === 0 || only.includes(name);

const dist = new URL('../dist/', import.meta.url);
let lib;
try {
  const [webgpu, matrix, kmeans, silhouette, neighbors, similarity, rng, input, io] = await Promise.all(
    [
      'backends/webgpu/index.js',
      'matrix.js',
      'algorithms/kmeans.js',
      'algorithms/silhouette.js',
      'algorithms/neighbors.js',
      'algorithms/similarity.js',
      'rng.js',
      'input.js',
      'io/index.js',
    ].map((p) => import(new URL(p, dist).href)),
  );
  lib = { ...webgpu, ...matrix, ...kmeans, ...silhouette, ...neighbors, ...similarity, ...rng, ...input, ...io };
} catch (error) {
  console.error(`bench/gpu.mjs: cannot load the compiled library from dist/ (${error.message}); run "npm run build" first`);
  process.exit(2);
}

const log = (...a) => console.error(...a);
const { UPDATE_PASSES } = lib;
/** The passes of a fit's Lloyd iteration (after the first, which has no labels to compare). */
const ITERATION = ['assign', 'changed', ...UPDATE_PASSES];

// ---------------------------------------------------------------------------------------------
// The shared data generator (keep in step with bench/gpu_peers.py): murmur3's finalizer on
// uint32, float64 arithmetic exact until the final rounding to float32.
// ---------------------------------------------------------------------------------------------
function fmix(x) {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

function makeData(n, d, clusters, seed) {
  const centres = new Float64Array(clusters * d);
  for (let c = 0; c < clusters; c++) {
    for (let j = 0; j < d; j++) {
      const h = fmix((Math.imul(c, 0x27d4eb2f) + Math.imul(j, 0x165667b1) + seed) >>> 0);
      centres[c * d + j] = 8 * ((h >>> 8) / 2 ** 24) - 4;
    }
  }
  const labels = new Int32Array(n);
  const builder = new lib.MatrixBuilder(d);
  const block = Math.max(1, Math.floor((1 << 22) / d));
  let checksum = 0;
  for (let start = 0; start < n; start += block) {
    const rows = Math.min(block, n - start);
    const out = builder.reserveRows(rows);
    for (let r = 0; r < rows; r++) {
      const i = start + r;
      const key = fmix((Math.imul(i, 0x9e3779b9) + seed) >>> 0);
      const label = fmix((key ^ 0x68bc21eb) >>> 0) % clusters;
      labels[i] = label;
      const base = label * d;
      for (let j = 0; j < d; j++) {
        const h = fmix((key + Math.imul(j, 0x9e3779b9)) >>> 0);
        out[r * d + j] = centres[base + j] + ((h >>> 8) / 2 ** 24 - 0.5);
      }
      if (i % 1009 === 0) for (let j = 0; j < d; j++) checksum += out[r * d + j];
    }
  }
  return { x: builder.build(), labels, checksum };
}

function initRows(n, k) {
  return Int32Array.from({ length: k }, (_, c) => Math.floor((c * n) / k));
}

function rowsOf(x, rows) {
  const out = new Float32Array(rows.length * x.cols);
  rows.forEach((r, i) => out.set(x.row(r), i * x.cols));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Shapes: the issue's, or tiny ones that run on SwiftShader in a few minutes.
// ---------------------------------------------------------------------------------------------
const S = tiny
  ? {
      big: { n: 4096, d: 64, k: 32 },
      small: { n: 8192, d: 16, k: 4 },
      faiss: { n: 8192, d: 32, k: 64, iters: 3, clusters: 1 },
      silhouette: { n: 1500, d: 32, clusters: 6, sklearnRows: 1500 },
      huge: { n: 20000, d: 32, k: 16, iters: 3 },
      pairs: { a: 256, b: 1024, d: 32, texts: 16 },
      miniBatch: { n: 4096, d: 32, k: 8, rows: 256 },
      load: { n: 100_000, d: 64 },
      warmupMs: 200,
      reps: 3,
    }
  : {
      big: { n: 524288, d: 512, k: 256 },
      small: { n: 524288, d: 64, k: 16 },
      // Uniform data, as FAISS's benchmark: no structure for the fit to settle on early, so all
      // 25 iterations run on every side.
      faiss: { n: 1_000_000, d: 256, k: 20000, iters: 25, clusters: 1 },
      silhouette: { n: 100_000, d: 512, clusters: 64, sklearnRows: 20000 },
      huge: { n: 10_000_000, d: 512, k: 1024, iters: 20 },
      pairs: { a: 4096, b: 65536, d: 512, texts: 1000 },
      miniBatch: { n: 262_144, d: 512, k: 256, rows: 1024 },
      // 3 GiB of CLIP-sized embeddings in an Arrow IPC file: on an H100 (2 GiB bindings) the first
      // device chunk is written while the last third is read, the rest after the read.
      load: { n: 1_572_864, d: 512 },
      warmupMs: 1500,
      reps: 20,
    };

const made = await lib.createWebGpuBackend({ allowSoftware: true }, 'forced');
if ('unavailable' in made) {
  console.error(`bench/gpu.mjs: no WebGPU device: ${made.unavailable}`);
  process.exit(2);
}
const gpu = made;
if (gpu.adapter.software && !tiny && !flag('allow-software')) {
  console.error(`bench/gpu.mjs: only a software adapter here (${gpu.description}); use --tiny (or --allow-software)`);
  gpu.dispose();
  process.exit(2);
}
log(gpu.description);
const slug = `${[gpu.adapter.vendor, gpu.adapter.architecture, gpu.adapter.device || gpu.adapter.description]
  .filter(Boolean)
  .join('-')
  .toLowerCase()
  .replace(/[^a-z0-9]+/g, '-')
  .replace(/^-|-$/g, '')}${tiny ? '-tiny' : ''}`;

const results = [];
const peerTasks = [];

async function wall(fn, reps = 3) {
  await fn(); // warm: pipelines, buffers
  const times = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

function tilesFor(k, d) {
  const list = d <= 128 ? ['rows', 'k16', 'k32', 't64'] : ['t64', 't128'];
  if (k > 32) return list.filter((t) => t !== 'k16' && t !== 'k32');
  return list;
}

/** Assignment kernel per tile, update kernels, whole steps — on one resident dataset. */
async function lloydShape(name, { n, d, k }, seed) {
  log(`\n${name}: N=${n} D=${d} K=${k}: generating`);
  const { x, checksum } = makeData(n, d, k, seed);
  const t0 = performance.now();
  const gx = await gpu.upload(x);
  const uploadMs = performance.now() - t0;
  const centroids = rowsOf(x, initRows(n, k));
  const flops = 2 * n * k * d;
  const tiles = {};
  let best;
  for (const tile of tilesFor(k, d)) {
    let session;
    try {
      session = await gpu.startLloyd(gx, k, { bounds: false }, { tile });
      await session.step(centroids, { accumulate: false });
      const ms = median([await session.profile(['assign'], S.reps), await session.profile(['assign'], S.reps), await session.profile(['assign'], S.reps)]);
      tiles[tile] = { ms, tflops: flops / ms / 1e9 };
      log(`  assign ${tile}: ${ms.toFixed(3)} ms, ${(flops / ms / 1e9).toFixed(2)} TFLOP/s`);
      if (!best || ms < tiles[best].ms) best = tile;
    } catch (error) {
      tiles[tile] = { error: error.message };
      log(`  assign ${tile}: ${error.message}`);
    } finally {
      session?.dispose();
    }
  }
  const session = await gpu.startLloyd(gx, k, { bounds: false }, { tile: best });
  const chosen = await gpu.startLloyd(gx, k, { bounds: false });
  const auto = chosen.tile.name;
  chosen.dispose();
  await session.step(centroids, { accumulate: true });
  const updateMs = median([await session.profile(UPDATE_PASSES, S.reps), await session.profile(UPDATE_PASSES, S.reps)]);
  const iterationKernelsMs = median([await session.profile(ITERATION, S.reps), await session.profile(ITERATION, S.reps)]);
  const passMs = await passBreakdown(session);
  log(`  passes: ${Object.entries(passMs).map(([pass, ms]) => `${pass} ${ms.toFixed(3)}`).join(', ')} ms`);
  // A fit's iteration leaves the labels on the device; the step that reads them back is kept
  // beside it to show what that readback costs.
  const stepMs = await wall(() => session.step(centroids, { accumulate: true, labels: false }), Math.max(3, S.reps / 2));
  const stepWithLabelsMs = await wall(() => session.step(centroids, { accumulate: true }), Math.max(3, S.reps / 2));
  const predictMs = await wall(() => session.step(centroids, { accumulate: false }), Math.max(3, S.reps / 2));
  const roundTrip = await roundTrips(session, gx);
  log(`  round trips: ${Object.entries(roundTrip).map(([key, v]) => `${key} ${v.toFixed(3)}`).join(', ')}`);
  session.dispose();
  gx.dispose();
  const result = {
    name,
    shape: { n, d, k },
    checksum,
    webgpu: {
      uploadMs,
      assign: tiles,
      bestTile: best,
      autoTile: auto,
      assignMs: tiles[best].ms,
      assignTflops: tiles[best].tflops,
      autoAssignMs: tiles[auto]?.ms,
      updateKernelsMs: updateMs,
      iterationKernelsMs,
      passMs,
      iterationMs: stepMs,
      iterationWithLabelsMs: stepWithLabelsMs,
      assignStepMs: predictMs,
      roundTrip,
    },
  };
  results.push(result);
  log(`  update ${updateMs.toFixed(3)} ms; iteration kernels ${iterationKernelsMs.toFixed(3)} ms; whole step ${stepMs.toFixed(3)} ms (${stepWithLabelsMs.toFixed(3)} ms reading the labels back)`);
  peerTasks.push({ name: `${name}:assign`, op: 'assign', n, d, k, seed, clusters: k });
  peerTasks.push({ name: `${name}:iteration`, op: 'iteration', n, d, k, seed, clusters: k });
  return result;
}

/**
 * Milliseconds of each pass of a fit's iteration: every prefix of the pass list is timed as a
 * whole (each pass needs the ones before it), and a pass gets the difference from the previous
 * prefix. Differences of medians can come out slightly negative for a pass near zero.
 */
async function passBreakdown(session) {
  const out = {};
  let before = 0;
  for (let i = 1; i <= ITERATION.length; i++) {
    const prefix = ITERATION.slice(0, i);
    const ms = median([await session.profile(prefix, S.reps), await session.profile(prefix, S.reps)]);
    out[ITERATION[i - 1]] = ms - before;
    before = ms;
  }
  return out;
}

/**
 * What a step pays besides its kernels: an empty submission's round trip, reading back a
 * labels-sized range, and the iteration's kernels submitted once rather than `S.reps` times.
 */
async function roundTrips(session, gx) {
  const { ctx } = gpu;
  const submit = (encode) =>
    ctx.guard('round trip', () => {
      const encoder = ctx.device.createCommandEncoder();
      encode(encoder);
      ctx.device.queue.submit([encoder.finish()]);
    });
  const emptyMs = await wall(async () => {
    await submit(() => {});
    await ctx.device.queue.onSubmittedWorkDone();
  }, 10);
  const readbackBytes = gx.chunks[0].rows * 4;
  const readbackMs = await wall(async () => {
    const rb = ctx.readback();
    rb.addLarge(gx.chunks[0].buffer, 0, readbackBytes);
    await submit((encoder) => rb.encode(encoder));
    await rb.map('round trip');
  }, 10);
  const kernelsOnceMs = await wall(() => session.profile(ITERATION, 1), 10);
  return { emptyMs, readbackMs, readbackBytes, kernelsOnceMs };
}

async function warmUp() {
  const { n, d, k } = S.big;
  const { x } = makeData(Math.min(n, 65536), d, k, 1);
  const gx = await gpu.upload(x);
  const session = await gpu.startLloyd(gx, k, { bounds: false });
  await session.step(rowsOf(x, initRows(x.rows, k)), { accumulate: true });
  const t0 = performance.now();
  while (performance.now() - t0 < S.warmupMs) await session.profile(ITERATION, 4);
  session.dispose();
  gx.dispose();
  log(`warmed up for ${(performance.now() - t0).toFixed(0)} ms`);
}

async function fitShape(name, { n, d, k, iters, clusters = k }, seed, { seeding = false } = {}) {
  log(`\n${name}: N=${n} D=${d} K=${k}, ${iters} iterations: generating`);
  let t0 = performance.now();
  const { x, checksum } = makeData(n, d, clusters, seed);
  const generateMs = performance.now() - t0;
  t0 = performance.now();
  const gx = await gpu.upload(x);
  const uploadMs = performance.now() - t0;
  let seedingMs;
  let initial;
  if (seeding) {
    t0 = performance.now();
    const rows = await lib.kmeansPlusPlus(gpu, gx, k, new lib.Rng(0));
    seedingMs = performance.now() - t0;
    initial = rowsOf(x, rows);
    log(`  k-means++: ${(seedingMs / 1000).toFixed(2)} s`);
  } else {
    initial = rowsOf(x, initRows(n, k));
  }
  t0 = performance.now();
  const fit = await lib.fitKMeans(gpu, gx, { k, init: lib.Matrix.from(initial, k, d), maxIter: iters, tol: 0, algorithm: 'lloyd' });
  const fitMs = performance.now() - t0;
  gx.dispose();
  log(`  ${fit.iterations} iterations in ${(fitMs / 1000).toFixed(2)} s (inertia ${fit.inertia.toExponential(6)})`);
  const result = {
    name,
    shape: { n, d, k, iterations: iters },
    checksum,
    webgpu: { generateMs, uploadMs, seedingMs, fitMs, iterations: fit.iterations, msPerIteration: fitMs / fit.iterations, inertia: fit.inertia },
  };
  results.push(result);
  peerTasks.push({ name, op: 'fit', n, d, k, seed, clusters, iters, peers: n * d > 1e9 ? ['torch'] : ['torch', 'sklearn'] });
  return result;
}

async function silhouetteShape(name, { n, d, clusters, sklearnRows }, seed) {
  log(`\n${name}: N=${n} D=${d}, ${clusters} clusters`);
  const { x, labels, checksum } = makeData(n, d, clusters, seed);
  const gx = await gpu.upload(x);
  let score;
  const ms = await wall(async () => {
    const samples = await lib.silhouetteSamples(gpu, gx, labels, clusters);
    score = samples.reduce((a, b) => a + b, 0) / samples.length;
  }, tiny ? 2 : 3);
  gx.dispose();
  log(`  ${ms.toFixed(1)} ms, score ${score}`);
  results.push({ name, shape: { n, d, clusters }, checksum, webgpu: { ms, score } });
  peerTasks.push({ name, op: 'silhouette', n, d, k: clusters, seed, clusters, sklearn_rows: sklearnRows });
}

/** The other primitives at one moderate shape each: distance tiles, k-NN, similarity, k-means++. */
async function primitives(seed) {
  const { a, b, d, texts } = S.pairs;
  log(`\nprimitives: A=${a} B=${b} D=${d}`);
  const A = makeData(a, d, 16, seed).x;
  const B = makeData(b, d, 16, seed + 1).x;
  const T = makeData(texts, d, 16, seed + 2).x;
  const [ga, gb, gt] = [await gpu.upload(A), await gpu.upload(B), await gpu.upload(T)];
  const out = {};
  out.distancesMs = await wall(() => lib.pairwiseDistances(gpu, ga, gb, { metric: 'sqeuclidean' }), 2);
  out.knnMs = await wall(() => lib.knn(gpu, ga, gb, { k: 10, metric: 'euclidean' }), 2);
  out.similarityMs = await wall(() => lib.similarity(gpu, gb, gt, { logitScale: 100 }), 2);
  const seeding = await gpu.startSeeding(gb, 0);
  const rng = new lib.Rng(1);
  out.seedingRoundMs = await wall(async () => {
    const candidates = await seeding.sample(Float64Array.from({ length: 8 }, () => rng.nextFloat() * seeding.potential));
    await seeding.trial(candidates);
    await seeding.commit(0);
  }, 3);
  seeding.dispose();
  [ga, gb, gt].forEach((m) => m.dispose());
  for (const [k, v] of Object.entries(out)) log(`  ${k}: ${v.toFixed(2)} ms`);
  results.push({ name: 'primitives', shape: { a, b, d, texts, knn: 10, seedingCandidates: 8 }, webgpu: out });
}

/** Mini-batch k-means' step: listed rows gathered on the device, assigned, summed, read back. */
async function miniBatchStep(seed) {
  const { n, d, k, rows } = S.miniBatch;
  log(`\nminibatch: N=${n} D=${d} K=${k}, ${rows} listed rows per step`);
  const x = makeData(n, d, 16, seed).x;
  const gx = await gpu.upload(x);
  const session = await gpu.startLloyd(gx, k, { bounds: false });
  const centroids = rowsOf(x, initRows(n, k));
  let draw = 0;
  const stepMs = await wall(() => session.stepRows(centroids, Int32Array.from({ length: rows }, () => (draw = (draw + 104729) % n))), tiny ? 3 : 20);
  session.dispose();
  gx.dispose();
  log(`  ${stepMs.toFixed(2)} ms per step`);
  results.push({ name: 'minibatch', shape: { n, d, k, rows }, webgpu: { stepMs } });
}

/**
 * Loading an Arrow IPC file of embeddings onto the GPU: the read alone, the read followed by the
 * upload (the way before record batches were streamed), and the streamed load (Dataset: each
 * chunk written to the GPU while the next is read). Streaming pays when its time comes close to
 * the read alone. Each is timed until the device has finished the transfer.
 */
async function streamedLoad(seed) {
  const { n, d } = S.load;
  log(`\nload: ${n}×${d} float32 embeddings from an Arrow IPC file`);
  const dir = mkdtempSync(join(tmpdir(), 'clusterkit-bench-'));
  try {
    const path = join(dir, 'embeddings.arrow');
    const { x } = makeData(n, d, 16, seed);
    await writeEmbeddings(path, x.chunks.map((chunk) => chunk.data), d);
    const selection = { embedding: 'clip' };
    const settled = () => gpu.ctx.device.queue.onSubmittedWorkDone();
    const ways = {
      readMs: async () => void (await lib.readMatrix(await lib.openTable(path), selection)),
      readThenUploadMs: async () => {
        const { matrix } = await lib.readMatrix(await lib.openTable(path), selection);
        (await gpu.upload(matrix)).dispose();
        await settled();
      },
      streamedMs: async () => {
        const data = new lib.Dataset(await lib.openTable(path), selection);
        await data.residentOn(gpu);
        await settled();
        data.dispose();
      },
    };
    // Same rows either way: one assignment step over each upload gives the same inertia.
    const { matrix } = await lib.readMatrix(await lib.openTable(path), selection);
    const streamed = new lib.Dataset(await lib.openTable(path), selection);
    const centroids = rowsOf(matrix, initRows(n, 16));
    const inertia = async (m) => {
      const session = await gpu.startLloyd(m, 16, { bounds: false });
      const { inertia } = await session.step(centroids, { accumulate: false, labels: false });
      session.dispose();
      return inertia;
    };
    const whole = await gpu.upload(matrix);
    const same = (await inertia(whole)) === (await inertia(await streamed.residentOn(gpu)));
    whole.dispose();
    streamed.dispose();
    // Alternate the three, so that page cache and clocks treat them alike.
    const times = Object.fromEntries(Object.keys(ways).map((k) => [k, []]));
    for (let rep = 0; rep < 3; rep++) {
      for (const [k, run] of Object.entries(ways)) {
        const t0 = performance.now();
        await run();
        times[k].push(performance.now() - t0);
      }
    }
    const out = Object.fromEntries(Object.entries(times).map(([k, t]) => [k, median(t)]));
    for (const [k, v] of Object.entries(out)) log(`  ${k}: ${v.toFixed(1)} ms`);
    log(`  the streamed rows give the same inertia as the whole upload: ${same}`);
    results.push({ name: 'load', shape: { n, d, bytes: n * d * 4 }, webgpu: { ...out, sameInertia: same } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------
/** Writes everything measured so far (GPU cases, peer results, the table) to the report file. */
function writeReport() {
  const byName = Object.fromEntries(results.map((r) => [r.name, r]));
  const peer = (task, who) => peers[task]?.[who];
  const checks = [];
  for (const r of results) {
    for (const [task, byPeer] of Object.entries(peers)) {
      if (!task.startsWith(r.name)) continue;
      for (const p of Object.values(byPeer)) {
        if (p.ok && p.checksum !== undefined && r.checksum !== undefined) {
          checks.push({ task, peer: p.peer, same: Math.abs(p.checksum - r.checksum) <= 1e-9 * Math.max(1, Math.abs(r.checksum)) });
        }
      }
    }
  }

  const fmtMs = (ms) => (ms === undefined || ms === null || Number.isNaN(ms) ? '—' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 1 ? 3 : 1)} ms`);
  const peerMs = (task, who, field = 'ms') => {
    const p = peer(task, who);
    if (!p) return 'not run';
    if (!p.ok) return /No module named|not available/.test(p.error) ? `n/a (${p.error.replace(/^.*?: /, '').slice(0, 32)})` : `failed: ${p.error.slice(0, 60)}`;
    return fmtMs(p[field]);
  };
  const rows = [];
  const tf = (x) => (x === undefined ? '' : ` (${x.toFixed(1)} TFLOP/s)`);
  if (byName['assign-large']) {
    const r = byName['assign-large'];
    const s = r.shape;
    rows.push([`assign N=${s.n} D=${s.d} K=${s.k}`, fmtMs(r.webgpu.assignMs) + tf(r.webgpu.assignTflops) + ` [${r.webgpu.bestTile}]`, peerMs('assign-large:assign', 'torch'), peerMs('assign-large:assign', 'sklearn'), '≥ 35 TFLOP/s']);
    rows.push([`Lloyd iteration, same shape`, fmtMs(r.webgpu.iterationMs), peerMs('assign-large:iteration', 'torch'), peerMs('assign-large:iteration', 'sklearn', 'ms_per_iteration'), '≤ 0.8× torch (≤ 4.8 ms), ≥ 50× sklearn']);
  }
  if (byName['assign-small']) {
    const r = byName['assign-small'];
    const s = r.shape;
    rows.push([`assign N=${s.n} D=${s.d} K=${s.k}`, fmtMs(r.webgpu.assignMs) + ` [${r.webgpu.bestTile}]`, peerMs('assign-small:assign', 'torch'), peerMs('assign-small:assign', 'sklearn'), '≤ 0.09 ms']);
    rows.push([`Lloyd iteration, same shape`, fmtMs(r.webgpu.iterationMs), peerMs('assign-small:iteration', 'torch'), peerMs('assign-small:iteration', 'sklearn', 'ms_per_iteration'), '']);
  }
  if (byName.faiss) {
    const r = byName.faiss;
    const s = r.shape;
    rows.push([`fit ${s.n}×${s.d} K=${s.k}, ${s.iterations} it`, fmtMs(r.webgpu.fitMs), peerMs('faiss', 'torch'), `${peerMs('faiss', 'sklearn', 'ms_per_iteration')}/it`, '≤ 8 s (FAISS P100: 55 s)']);
  }
  if (byName.silhouette) {
    const r = byName.silhouette;
    const p = peer('silhouette', 'sklearn');
    rows.push([`silhouette N=${r.shape.n} D=${r.shape.d}`, fmtMs(r.webgpu.ms), peerMs('silhouette', 'torch'), `${peerMs('silhouette', 'sklearn')}${p?.ok ? ` (N=${p.rows})` : ''}`, '≤ torch (aim 0.8×)']);
  }
  if (byName['fit-10m']) {
    const r = byName['fit-10m'];
    const s = r.shape;
    rows.push([`fit ${s.n}×${s.d} K=${s.k}: ++ / ${r.webgpu.iterations} it`, `${fmtMs(r.webgpu.seedingMs)} / ${fmtMs(r.webgpu.fitMs)}`, `— / ${peerMs('fit-10m', 'torch')}`, 'not run', 'completes']);
  }
  if (byName.primitives) {
    const w = byName.primitives.webgpu;
    const s = byName.primitives.shape;
    rows.push([`distances ${s.a}×${s.b} D=${s.d} / knn k=10`, `${fmtMs(w.distancesMs)} / ${fmtMs(w.knnMs)}`, '', '', '']);
    rows.push([`similarity ${s.b}×${s.texts} / ++ round`, `${fmtMs(w.similarityMs)} / ${fmtMs(w.seedingRoundMs)}`, '', '', '']);
  }

  if (byName.minibatch?.webgpu) {
    const s = byName.minibatch.shape;
    rows.push([`mini-batch step, ${s.rows} of ${s.n}×${s.d} rows, K=${s.k}`, fmtMs(byName.minibatch.webgpu.stepMs), '', '', '']);
  }

  if (byName.load?.webgpu) {
    const w = byName.load.webgpu;
    const s = byName.load.shape;
    rows.push([`load ${s.n}×${s.d} .arrow: read / +upload / streamed`, `${fmtMs(w.readMs)} / ${fmtMs(w.readThenUploadMs)} / ${fmtMs(w.streamedMs)}`, '', '', 'streamed ≈ read alone']);
  }

  const report = {
    device: slug,
    description: gpu.description,
    adapter: gpu.adapter,
    date: new Date().toISOString(),
    node: process.version,
    tiny,
    command: `node bench/gpu.mjs ${args.join(' ')}`.trim(),
    results,
    peers,
    sameData: checks,
    table: rows,
  };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return { rows, checks };
}

// The report is rewritten after every case and every peer result, so a run cut short by the
// device's time limit still leaves everything measured so far in the file.
const peers = {};
const file = option('out', fileURLToPath(new URL(`results/${slug}.json`, import.meta.url)));
await warmUp();
const cases = [
  ['assign-large', () => lloydShape('assign-large', S.big, 11)],
  ['assign-small', () => lloydShape('assign-small', S.small, 12)],
  ['faiss', () => fitShape('faiss', S.faiss, 13)],
  ['silhouette', () => silhouetteShape('silhouette', S.silhouette, 14)],
  ['primitives', () => primitives(15)],
  ['minibatch', () => miniBatchStep(17)],
  ['load', () => streamedLoad(18)],
  ['fit-10m', () => fitShape('fit-10m', S.huge, 16, { seeding: true })],
];
for (const [name, run] of cases) {
  if (!wanted(name)) continue;
  try {
    await run();
  } catch (error) {
    // One case failing (out of memory at 10M rows, say) is a result; the others still run.
    log(`${name}: failed: ${error.message}`);
    results.push({ name, error: error.message });
  }
  writeReport();
}
const description = gpu.description;
gpu.dispose();

// Peers after the GPU work, so they do not share the GPU with it.
if (!flag('no-peers') && peerTasks.length) {
  const python = option('python', 'python3');
  log(`\npeers: ${python} bench/gpu_peers.py (${peerTasks.length} tasks)`);
  const script = fileURLToPath(new URL('gpu_peers.py', import.meta.url));
  await new Promise((resolve) => {
    const child = spawn(python, [script], { stdio: ['pipe', 'pipe', 'inherit'] });
    let buffer = '';
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (!line) continue;
        try {
          const r = JSON.parse(line);
          (peers[r.task] ??= {})[r.peer] = r;
          writeReport();
        } catch {
          log(`peers: unreadable line ${line.slice(0, 200)}`);
        }
      }
    });
    child.on('error', (error) => {
      log(`peers: could not start ${python}: ${error.message}`);
      resolve();
    });
    child.on('close', resolve);
    const allowed = option('peers', 'torch,sklearn').split(',');
    child.stdin.end(JSON.stringify(peerTasks.map((t) => ({ ...t, peers: (t.peers ?? ['torch', 'sklearn']).filter((p) => allowed.includes(p)) }))));
  });
}

const { rows, checks } = writeReport();
log(`\nwrote ${file}`);

const header = ['', 'webgpu', 'pytorch fp32', 'scikit-learn', 'target'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
const line = (r) => r.map((c, i) => String(c).padEnd(widths[i])).join('  ');
console.log(`\n${description}${tiny ? '\n(--tiny shapes: not the issue\'s targets)' : ''}`);
console.log(line(header));
console.log(widths.map((w) => '─'.repeat(w)).join('  '));
for (const r of rows) console.log(line(r));
const mismatched = checks.filter((c) => !c.same);
console.log(checks.length ? `same data on every side: ${mismatched.length ? `NO (${mismatched.map((c) => `${c.task}/${c.peer}`).join(', ')})` : 'yes'}` : 'same data: not checked (no peers)');
