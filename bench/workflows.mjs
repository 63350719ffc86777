#!/usr/bin/env node
/**
 * The workflow benchmark (issue 5): choosing k, mini-batch k-means and bisecting k-means,
 * clusterkit beside scikit-learn on the same float32 data in the same run.
 *
 *   npm run build && node bench/workflows.mjs [--backends wasm,js] [--repeats 3] [--quick]
 *       [--sweep 20000x32:8] [--ks 2..10] [--sample-size 5000] [--n-init 3]
 *       [--minibatch 100000x32:8] [--batch-size 1024] [--bisect 100000x32:16]
 *       [--python /usr/bin/python3] [--no-sklearn]
 *       [--out bench/results/dev-2core-workflows.json]
 *
 * - sweep: for k = 2..10, k-means (nInit runs), silhouette on a sample, Calinski–Harabasz,
 *   Davies–Bouldin and the clustergram data (first principal component, cluster means on it):
 *   `engine.sweep` (the data uploaded once) against the same loop of scikit-learn calls.
 * - minibatch: `engine.miniBatchKMeans` on the matrix in memory against scikit-learn's
 *   MiniBatchKMeans (both sample mini-batches at random), and clusterkit streaming the same rows
 *   from an Arrow IPC file in record batches (no scikit-learn equivalent: it needs the array).
 * - bisect: `engine.bisectingKMeans(x, { k })` against scikit-learn's BisectingKMeans (both
 *   with their defaults: random init, one run per split, the cluster of largest inertia split).
 *
 * Data: seeded Gaussian blobs (bench/lib/data.mjs), handed to Python as .npy. scikit-learn runs
 * with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed from its environment (they slow it down
 * here), and is timed with its default thread pools and with one thread, the faster reported
 * (on a busy machine OpenMP's spinning threads can be many times slower). Timing: one warm-up on a small head of the data, then the median of up to --repeats
 * runs, fewer once 20 s were spent (bench/lib/timing.mjs; the Python side mirrors it).
 * The table is printed last; the JSON goes to --out.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as arrow from 'apache-arrow';
import { Engine, Matrix } from '../dist/index.js';
import { openTable, writeTable } from '../dist/io/index.js';
import { backendsToRun } from './lib/clusterkit.mjs';
import { gaussianBlobs } from './lib/data.mjs';
import { defaultTag, loadAverage, machineInfo } from './lib/machine.mjs';
import { writeNpy } from './lib/npy.mjs';
import { runPythonPeer } from './lib/python.mjs';
import { shapeOf } from './lib/shapes.mjs';
import { median, timeRepeated } from './lib/timing.mjs';

const PEER = fileURLToPath(new URL('./workflows_peer.py', import.meta.url));
const log = (message) => process.stderr.write(`[workflows] ${message}\n`);

const { values: args } = parseArgs({
  options: {
    backends: { type: 'string' },
    repeats: { type: 'string', default: '3' },
    quick: { type: 'boolean', default: false },
    sweep: { type: 'string' },
    ks: { type: 'string', default: '2..10' },
    'sample-size': { type: 'string', default: '5000' },
    'n-init': { type: 'string', default: '3' },
    minibatch: { type: 'string' },
    'batch-size': { type: 'string', default: '1024' },
    bisect: { type: 'string' },
    python: { type: 'string', default: '/usr/bin/python3' },
    'no-sklearn': { type: 'boolean', default: false },
    out: { type: 'string' },
    seed: { type: 'string', default: '7' },
  },
});

const seed = Number(args.seed);
const sweepShape = shapeOf(args.sweep, args.quick ? '4000x16:6' : '20000x32:8');
const miniShape = shapeOf(args.minibatch, args.quick ? '20000x16:6' : '100000x32:8');
const bisectShape = shapeOf(args.bisect, args.quick ? '20000x16:6' : '100000x32:16');
const [kLo, kHi] = args.ks.split('..').map(Number);
const ks = Array.from({ length: kHi - kLo + 1 }, (_, i) => kLo + i);
const sampleSize = Math.min(Number(args['sample-size']), sweepShape.n);
const nInit = Number(args['n-init']);
const batchSize = Number(args['batch-size']);
const plan = { repeats: Number(args.repeats), budgetMs: args.quick ? 2_000 : 20_000, warmup: true };

async function measureSweep(engine, x) {
  const options = { ks, nInit, sampleSize, seed };
  const head = Matrix.from(x.toFloat32Array().subarray(0, 2000 * x.cols), 2000, x.cols);
  await engine.sweep(head, { ks: ks.slice(0, 2), nInit: 1, sampleSize: 1000, seed }); // warm-up
  const timing = await timeRepeated(() => engine.sweep(x, options), plan);
  const entries = timing.result.entries.map((e) => ({ k: e.k, inertia: e.inertia, silhouette: e.silhouette, calinskiHarabasz: e.calinskiHarabasz, daviesBouldin: e.daviesBouldin }));
  return { ms: timing.ms, samples: timing.samples, best: timing.result.best, entries };
}

async function measureMiniBatch(engine, x, arrowPath) {
  const options = { k: miniShape.k, batchSize, seed };
  const head = Matrix.from(x.toFloat32Array().subarray(0, 5000 * x.cols), 5000, x.cols);
  await engine.miniBatchKMeans(head, { ...options, nInit: 1 }); // warm-up
  const memory = await timeRepeated(() => engine.miniBatchKMeans(x, options), plan);
  const source = await openTable(arrowPath);
  const streamed = await timeRepeated(() => engine.miniBatchKMeans(source, options), { ...plan, repeats: Math.min(plan.repeats, 2) });
  const summary = (t) => ({ ms: t.ms, samples: t.samples, inertia: t.result.inertia, steps: t.result.steps, epochs: t.result.epochs });
  return { memory: summary(memory), streamed: summary(streamed) };
}

async function measureBisect(engine, x) {
  const options = { k: bisectShape.k, seed };
  await engine.bisectingKMeans(Matrix.from(x.toFloat32Array().subarray(0, 5000 * x.cols), 5000, x.cols), options); // warm-up
  const timing = await timeRepeated(() => engine.bisectingKMeans(x, options), plan);
  return { ms: timing.ms, samples: timing.samples, inertia: timing.result.inertia };
}

async function writeArrow(path, x) {
  const columns = {};
  for (let j = 0; j < x.cols; j++) columns[`f${j}`] = Float32Array.from({ length: x.rows }, (_, i) => x.row(i)[j]);
  const table = arrow.tableFromArrays(columns);
  async function* batches() {
    for (let start = 0; start < table.numRows; start += 65_536) yield* table.slice(start, start + 65_536).batches;
  }
  await writeTable(path, table.schema, batches());
}

async function main() {
  const started = Date.now();
  const loadBefore = loadAverage();
  const work = mkdtempSync(join(tmpdir(), 'clusterkit-workflows-bench-'));
  try {
    const sweepX = Matrix.from(gaussianBlobs({ n: sweepShape.n, d: sweepShape.d, blobs: sweepShape.k, seed }), sweepShape.n, sweepShape.d);
    const miniX = Matrix.from(gaussianBlobs({ n: miniShape.n, d: miniShape.d, blobs: miniShape.k, seed: seed + 1 }), miniShape.n, miniShape.d);
    const sweepNpy = join(work, 'sweep.npy');
    const bisectX = Matrix.from(gaussianBlobs({ n: bisectShape.n, d: bisectShape.d, blobs: bisectShape.k, seed: seed + 2 }), bisectShape.n, bisectShape.d);
    const miniNpy = join(work, 'minibatch.npy');
    const bisectNpy = join(work, 'bisect.npy');
    writeNpy(sweepNpy, sweepX.toFloat32Array(), [sweepShape.n, sweepShape.d]);
    writeNpy(miniNpy, miniX.toFloat32Array(), [miniShape.n, miniShape.d]);
    writeNpy(bisectNpy, bisectX.toFloat32Array(), [bisectShape.n, bisectShape.d]);
    const miniArrow = join(work, 'minibatch.arrow');
    await writeArrow(miniArrow, miniX);

    let sklearn = null;
    if (!args['no-sklearn']) {
      log('scikit-learn');
      sklearn = runPythonPeer(
        args.python,
        PEER,
        {
          plan: { repeats: plan.repeats, budget_ms: plan.budgetMs, warmup: plan.warmup },
          sweep: { data: sweepNpy, ks, n_init: nInit, sample_size: sampleSize, seed },
          minibatch: { data: miniNpy, k: miniShape.k, batch_size: batchSize, n_init: 3, seed },
          bisect: { data: bisectNpy, k: bisectShape.k, seed },
        },
        work,
      );
    }

    const backends = {};
    for (const name of await backendsToRun(args.backends, log)) {
      const engine = await Engine.create({ backend: name });
      try {
        log(`${engine.description}: sweep`);
        const sweep = await measureSweep(engine, sweepX);
        log(`${engine.backend}: mini-batch k-means`);
        const minibatch = await measureMiniBatch(engine, miniX, miniArrow);
        log(`${engine.backend}: bisecting k-means`);
        const bisect = await measureBisect(engine, bisectX);
        backends[name] = { description: engine.description, sweep, minibatch, bisect };
      } finally {
        engine.dispose();
      }
    }

    const results = {
      benchmark: 'workflows',
      date: new Date().toISOString(),
      machine: machineInfo(),
      load: { before: loadBefore, after: loadAverage() },
      command: `node bench/workflows.mjs ${process.argv.slice(2).join(' ')}`.trim(),
      workloads: {
        sweep: { ...sweepShape, ks, nInit, silhouetteSampleSize: sampleSize, seed, what: 'k-means + sampled silhouette + Calinski-Harabasz + Davies-Bouldin + clustergram (PC1) per k' },
        minibatch: { ...miniShape, batchSize, nInit: 3, seed: seed + 1, what: 'MiniBatchKMeans defaults (max_iter 100, max_no_improvement 10, reassignment_ratio 0.01); inertia on all rows after fit' },
        bisect: { ...bisectShape, seed: seed + 2, what: 'BisectingKMeans defaults (random init, n_init 1, biggest_inertia); k leaves' },
      },
      sklearn,
      clusterkit: backends,
      comparison: compare(sklearn, backends),
      seconds: (Date.now() - started) / 1000,
    };
    const out = args.out ?? fileURLToPath(new URL(`./results/${defaultTag()}-workflows.json`, import.meta.url));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
    log(`wrote ${out}`);
    process.stdout.write(table(results) + '\n');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Speed-ups (scikit-learn's time / ours: > 1 is faster) and result agreement. */
function compare(sklearn, backends) {
  const out = {};
  for (const [name, b] of Object.entries(backends)) {
    const sk = sklearn;
    const inertiaRatios = sk ? b.sweep.entries.map((e, i) => e.inertia / sk.sweep.entries[i].inertia) : null;
    out[name] = {
      sweepSpeedup: sk ? sk.sweep.ms / b.sweep.ms : null,
      sweepInertiaRatio: inertiaRatios && { min: Math.min(...inertiaRatios), max: Math.max(...inertiaRatios), median: median(inertiaRatios) },
      sweepSilhouetteMaxDifference: sk ? Math.max(...b.sweep.entries.map((e, i) => Math.abs(e.silhouette - sk.sweep.entries[i].silhouette))) : null,
      sweepBestK: b.sweep.best,
      sklearnBestK: sk && {
        silhouette: sk.sweep.entries.reduce((a, e) => (e.silhouette > a.silhouette ? e : a)).k,
        calinskiHarabasz: sk.sweep.entries.reduce((a, e) => (e.calinski_harabasz > a.calinski_harabasz ? e : a)).k,
        daviesBouldin: sk.sweep.entries.reduce((a, e) => (e.davies_bouldin < a.davies_bouldin ? e : a)).k,
      },
      minibatchSpeedup: sk ? sk.minibatch.ms / b.minibatch.memory.ms : null,
      minibatchInertiaRatio: sk ? b.minibatch.memory.inertia / sk.minibatch.inertia : null,
      streamedInertiaRatio: sk ? b.minibatch.streamed.inertia / sk.minibatch.inertia : null,
      bisectSpeedup: sk ? sk.bisect.ms / b.bisect.ms : null,
      bisectInertiaRatio: sk ? b.bisect.inertia / sk.bisect.inertia : null,
    };
  }
  return out;
}

function table(results) {
  const { sklearn, clusterkit, comparison, workloads } = results;
  const s = workloads.sweep;
  const m = workloads.minibatch;
  const b = workloads.bisect;
  const ms = (v) => (v === undefined || v === null ? '—' : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);
  const x = (v) => (v === null || v === undefined ? '' : ` (${v.toFixed(2)}×)`);
  const names = Object.keys(clusterkit);
  const threads = (figure) => (figure ? ` [${figure.threads === '1' ? '1 thread' : 'all cores'}]` : '');
  const rows = [
    [`sweep k=${s.ks[0]}..${s.ks.at(-1)}, ${s.n}×${s.d} (n_init ${s.nInit}, silhouette on ${s.silhouetteSampleSize})`, ms(sklearn?.sweep.ms) + threads(sklearn?.sweep), ...names.map((n) => ms(clusterkit[n].sweep.ms) + x(comparison[n].sweepSpeedup))],
    [`MiniBatchKMeans ${m.n}×${m.d} k=${m.k} batch ${m.batchSize}, in memory`, ms(sklearn?.minibatch.ms) + threads(sklearn?.minibatch), ...names.map((n) => ms(clusterkit[n].minibatch.memory.ms) + x(comparison[n].minibatchSpeedup))],
    [`  … streamed from an Arrow file (clusterkit only)`, '—', ...names.map((n) => ms(clusterkit[n].minibatch.streamed.ms))],
    [`BisectingKMeans ${b.n}×${b.d} k=${b.k}`, ms(sklearn?.bisect.ms) + threads(sklearn?.bisect), ...names.map((n) => ms(clusterkit[n].bisect.ms) + x(comparison[n].bisectSpeedup))],
  ];
  const header = ['workload', 'scikit-learn', ...names.map((n) => `clusterkit ${n} (speed-up)`)];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells) => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  const quality = names.map((n) => {
    const c = comparison[n];
    if (!sklearn) return `${n}: best k ${JSON.stringify(c.sweepBestK)}`;
    return `${n}: sweep inertia ratio ${c.sweepInertiaRatio.min.toFixed(4)}–${c.sweepInertiaRatio.max.toFixed(4)}, silhouette |Δ| ≤ ${c.sweepSilhouetteMaxDifference.toFixed(4)} (different samples), best k (sil/CH/DB) ${c.sweepBestK.silhouette}/${c.sweepBestK.calinskiHarabasz}/${c.sweepBestK.daviesBouldin} vs scikit-learn ${c.sklearnBestK.silhouette}/${c.sklearnBestK.calinskiHarabasz}/${c.sklearnBestK.daviesBouldin}; mini-batch inertia ratio ${c.minibatchInertiaRatio.toFixed(4)} (streamed ${c.streamedInertiaRatio.toFixed(4)}); bisecting inertia ratio ${c.bisectInertiaRatio.toFixed(4)}`;
  });
  return [
    '',
    `Workflows on ${results.machine.cpu} (${results.machine.cores} cores), load ${results.load.before.toFixed(1)} → ${results.load.after.toFixed(1)}; median of up to ${plan.repeats} runs`,
    line(header),
    ...rows.map(line),
    ...quality,
  ].join('\n');
}

await main();
