#!/usr/bin/env node
/**
 * clusterkit against scikit-learn, side by side, in one run, on the same data.
 *
 *   node bench/sklearn.mjs [--quick] [--backends js,wasm] [--shapes kind:NxD:K,…] [--threads N]
 *                          [--seed S] [--tag dev-2core] [--out bench/results] [--python /usr/bin/python3]
 *                          [--no-sklearn] [--no-peers] [--no-kernels]
 *
 * Import from ../dist: run `npm run build` first. Progress goes to stderr; the markdown report
 * is printed last on stdout and written, with the full JSON, to <out>/<tag>-sklearn[-quick].{md,json}.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Matrix } from '../dist/index.js';
import { runKernelBenchmarks } from './kernels.mjs';
import { autoBackendName, measureKMeans, measureSilhouette, openEngine, probe, seedCentroids, threadsOf } from './lib/clusterkit.mjs';
import { compareKMeans, comparePeers, compareSilhouette } from './lib/compare.mjs';
import { gaussianBlobs } from './lib/data.mjs';
import { CpuWatch, defaultTag, loadAverage, machineInfo, waitForQuiet } from './lib/machine.mjs';
import { writeNpy } from './lib/npy.mjs';
import { measurePeers } from './lib/peers.mjs';
import { OPENBLAS_HANDICAPS, runSklearn } from './lib/python.mjs';
import { formatMs, markdownReport } from './lib/report.mjs';
import { CAPPED_PLAN, FULL_PLAN, FULL_SHAPES, QUICK_PLAN, QUICK_SHAPES, SLOW_ITERATION_MS, OptionError, parseShapes, positiveInteger } from './lib/shapes.mjs';

const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
/** GFLOP/s assumed for a backend's first (and so far unmeasured) shape; only js is known to be slow. */
const PRIOR_GFLOPS = { js: 0.5 };

const USAGE = `node bench/sklearn.mjs [options]     (after npm run build)
  --quick              small shapes (${QUICK_SHAPES}); about half a minute
  --backends js,wasm   backends to measure (default: every one that runs here, a software GPU
                       adapter excepted; js skipped on shapes too big for it when another runs)
  --shapes LIST        kind:NxD:K,… with kind kmeans or silhouette (default ${FULL_SHAPES})
  --threads N          worker threads for wasm (default: every core)
  --seed S             data and k-means++ seed (default 0)
  --tag TAG            results file name tag (default dev-<cores>core, or $CLUSTERKIT_BENCH_TAG)
  --out DIR            where <tag>-sklearn[-quick].{json,md} go (default bench/results)
  --python PATH        Python with scikit-learn (default /usr/bin/python3)
  --wait-quiet S        before each timed phase, wait up to S seconds for other processes to
                       leave the CPU (shared machines; default 0: do not wait)
  --no-sklearn, --no-peers, --no-kernels   leave a part out
`;

/** Cores' worth of CPU used by other processes above which a phase's figures get a warning. */
const BUSY_CORES = 0.2;

const log = (message) => console.error(`[bench] ${message}`);

function parseOptions() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      backends: { type: 'string' },
      shapes: { type: 'string' },
      threads: { type: 'string' },
      seed: { type: 'string', default: '0' },
      tag: { type: 'string', default: process.env.CLUSTERKIT_BENCH_TAG ?? defaultTag() },
      out: { type: 'string', default: RESULTS_DIR },
      python: { type: 'string', default: '/usr/bin/python3' },
      'no-sklearn': { type: 'boolean', default: false },
      'no-peers': { type: 'boolean', default: false },
      'no-kernels': { type: 'boolean', default: false },
      'wait-quiet': { type: 'string', default: '0' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const seed = positiveInteger('--seed', values.seed, 0);
  return {
    ...values,
    seed,
    threads: values.threads === undefined ? undefined : positiveInteger('--threads', values.threads),
    requested: values.backends?.split(',').map((b) => b.trim()),
    shapes: parseShapes(values.shapes ?? (values.quick ? QUICK_SHAPES : FULL_SHAPES), seed),
    plan: values.quick ? QUICK_PLAN : FULL_PLAN,
    waitQuiet: positiveInteger('--wait-quiet', values['wait-quiet'], 0),
  };
}

/**
 * The backends to measure, and a note for each one left out. By default every backend that runs
 * here, except a software WebGPU adapter (SwiftShader: ~1000× slower than a GPU; name it to force it).
 */
async function chooseBackends(options, notes) {
  const probes = await probe(options.threads);
  const available = new Map(probes.filter((p) => p.available).map((p) => [p.name, p]));
  const autoPick = await autoBackendName(options.threads);
  let chosen;
  if (options.requested) {
    for (const name of options.requested) {
      const found = probes.find((p) => p.name === name);
      if (!found) throw new OptionError(`--backends: unknown backend "${name}"`);
      if (!found.available) notes.push(`${name} skipped: ${found.detail}`);
    }
    chosen = options.requested.filter((name) => available.has(name));
  } else {
    for (const p of probes) if (!p.available) notes.push(`${p.name} skipped: ${p.detail}`);
    chosen = [...available.keys()];
    if (available.has('webgpu') && autoPick !== 'webgpu') {
      notes.push(`webgpu skipped: only a software adapter here (${available.get('webgpu').detail}); pass --backends webgpu to force it`);
      chosen = chosen.filter((name) => name !== 'webgpu');
    }
  }
  // k-means++ seeds and silhouette labels come from one backend that is being measured anyway
  // (every backend draws the same ones): the one auto picks if chosen, else the fastest CPU one.
  const seeding = chosen.includes(autoPick) ? autoPick : ['wasm', 'js', 'webgpu'].find((name) => chosen.includes(name));
  return { backends: chosen, seeding };
}

/** Generates each shape's data, its k-means++ centroids or silhouette labels, and their .npy copies. */
async function prepareData(options, seeding, workDir) {
  const prepared = new Map();
  for (const shape of options.shapes) {
    log(`data ${shape.kind} ${shape.name}`);
    const values = gaussianBlobs({ n: shape.n, d: shape.d, blobs: shape.k, seed: shape.seed });
    const x = Matrix.from(values, shape.n, shape.d);
    const entry = { shape, x, dataPath: join(workDir, `${shape.id}-x.npy`) };
    writeNpy(entry.dataPath, values, [shape.n, shape.d]);
    if (shape.kind === 'kmeans') {
      entry.init = await seedCentroids(seeding, x, shape.k, shape.seed, options.threads);
      entry.initPath = join(workDir, `${shape.id}-init.npy`);
      writeNpy(entry.initPath, entry.init.toFloat32Array(), [shape.k, shape.d]);
    } else {
      // Labels worth scoring: a clusterkit k-means fit, the same for every side.
      const engine = await openEngine(seeding, options.threads);
      entry.labels = (await engine.kmeans(x, { k: shape.k, nInit: 1, seed: shape.seed })).labels;
      engine.dispose();
      entry.labelsPath = join(workDir, `${shape.id}-labels.npy`);
      writeNpy(entry.labelsPath, entry.labels, [shape.n]);
    }
    prepared.set(shape.id, entry);
  }
  return prepared;
}

function sklearnSpec(prepared, plan, workDir) {
  const entries = [...prepared.values()];
  return {
    outDir: workDir,
    plan: { repeats: plan.repeats, budgetMs: plan.budgetMs },
    kmeans: entries
      .filter((e) => e.shape.kind === 'kmeans')
      .map(({ shape, dataPath, initPath }) => ({ id: shape.id, name: shape.name, data: dataPath, init: initPath, k: shape.k, seed: shape.seed, lo: plan.lo, hi: plan.hi })),
    silhouette: entries
      .filter((e) => e.shape.kind === 'silhouette')
      .map(({ shape, dataPath, labelsPath }) => ({ id: shape.id, name: shape.name, data: dataPath, labels: labelsPath })),
  };
}

/**
 * The plan for one backend on one k-means shape, from its speed measured so far: the full plan,
 * a capped one for a backend too slow for it (the JS reference on wide data), or a skip when the
 * backend was not asked for by name and a faster one covers the shape.
 */
function planFor(backend, shape, options, rates, othersRun) {
  const rate = rates.get(backend) ?? PRIOR_GFLOPS[backend];
  const iterationMs = rate ? (2 * shape.n * shape.k * shape.d) / (rate * 1e6) : 0;
  if (iterationMs <= SLOW_ITERATION_MS) return { plan: options.plan };
  const estimate = `~${formatMs(iterationMs)} per Lloyd iteration at ${rate.toFixed(2)} GFLOP/s`;
  if (!options.requested && othersRun) return { skip: `${estimate}; pass --backends ${backend} to run it (capped)` };
  return {
    plan: CAPPED_PLAN,
    note:
      `${backend} on ${shape.name} capped (${estimate}): one repeat, no warm-up run, per-iteration times from runs of ${CAPPED_PLAN.lo} and ${CAPPED_PLAN.hi} iterations ` +
      `(too early for Hamerly's bounds to skip anything), end-to-end fit stopped after ${CAPPED_PLAN.fitMaxIter} iterations`,
  };
}

/** Every shape on one backend; returns { shapeId: summary | { skipped } } and its thread count. */
async function runBackend(name, backends, prepared, sklearn, options, notes) {
  const engine = await openEngine(name, options.threads);
  const rates = new Map();
  const results = {};
  const measured = { threads: threadsOf(engine), description: engine.description, lloydMs: undefined };
  try {
    for (const { shape, x, init, labels } of prepared.values()) {
      if (shape.kind === 'silhouette') {
        log(`${name} ${shape.name}: silhouette`);
        results[shape.id] = compareSilhouette(await measureSilhouette(engine, x, labels, options.plan), sklearn?.silhouette[shape.id]);
        continue;
      }
      const decision = planFor(name, shape, options, rates, backends.some((b) => b !== name && b !== 'js'));
      if (decision.skip) {
        notes.push(`${name} skipped on ${shape.name}: ${decision.skip}`);
        results[shape.id] = { skipped: decision.skip };
        continue;
      }
      if (decision.note) notes.push(decision.note);
      const summary = compareKMeans(shape, await measureKMeans(engine, shape, x, init, decision.plan, { threads: options.threads, log }), sklearn?.kmeans[shape.id]);
      results[shape.id] = { ...summary, plan: decision.plan };
      rates.set(name, summary.lloyd.gflops);
      measured.lloydMs ??= summary.lloyd.msPerIteration; // on the first k-means shape, for the peers table
    }
  } finally {
    engine.dispose();
  }
  return { results, ...measured };
}

/** Notes on figures that would mislead without a word: early convergence, unequal iterations, a busy machine. */
function sanityNotes(results) {
  const notes = [];
  for (const [backend, shapes] of Object.entries(results.clusterkit)) {
    for (const shape of results.shapes) {
      const entry = shapes[shape.id];
      if (!entry?.lloyd) continue;
      const sk = results.sklearn?.kmeans[shape.id];
      if (sk && !sk.lloyd.byDtype[sk.lloyd.best].differential) notes.push(`scikit-learn ${shape.name}: per-iteration time is ${sk.lloyd.byDtype[sk.lloyd.best].method}`);
      for (const algorithm of ['lloyd', 'hamerly']) {
        if (!entry[algorithm].differential) notes.push(`${backend} ${shape.name} ${algorithm}: per-iteration time is ${entry[algorithm].method}`);
      }
      if (sk && entry.lloyd.sameInit.ari === null) {
        notes.push(`${backend} ${shape.name}: no scikit-learn fixed-iteration fit ran the same ${entry.lloyd.fit.iterations} iterations: same-init labels not compared`);
      }
    }
  }
  const busy = results.load.othersByPhase.filter((p) => p.othersCores > BUSY_CORES);
  if (busy.length) {
    const phases = busy.map((p) => `${p.phase} ${p.othersCores.toFixed(1)}`).join(', ');
    notes.push(
      `the machine was shared: other processes kept cores busy (${phases} of ${results.machine.cores}); those figures are pessimistic, ` +
        "the multi-threaded ones (scikit-learn's OpenMP/OpenBLAS, wasm workers) far more than single-threaded js, so ratios are skewed: rerun on a quiet machine",
    );
  }
  return notes;
}

async function main() {
  const options = parseOptions();
  const notes = [];
  const loadAtStart = loadAverage();
  const cpu = new CpuWatch(machineInfo().cores);
  // Before each timed phase: optionally wait for the other processes on a shared machine.
  const settle = async (phase) => {
    if (options.waitQuiet > 0) {
      const others = await waitForQuiet({ cores: cpu.cores, threshold: BUSY_CORES, maxSeconds: options.waitQuiet, log });
      if (others !== null && others >= BUSY_CORES) notes.push(`${phase} started while other processes used ${others.toFixed(1)} cores (waited ${options.waitQuiet} s)`);
    }
    cpu.begin();
  };
  const { backends, seeding } = await chooseBackends(options, notes);
  if (backends.length === 0) throw new Error(`no backend to measure (${notes.join('; ')})`);
  log(`backends: ${backends.join(', ')} (k-means++ seeds from ${seeding})`);
  const workDir = mkdtempSync(join(tmpdir(), 'clusterkit-bench-'));
  try {
    const prepared = await prepareData(options, seeding, workDir); // untimed: settle() starts each timed phase
    let sklearn;
    if (options['no-sklearn']) notes.push('scikit-learn skipped (--no-sklearn)');
    else {
      await settle('scikit-learn');
      log(`scikit-learn (${options.python}, without ${OPENBLAS_HANDICAPS.join(', ')})`);
      sklearn = runSklearn(options.python, sklearnSpec(prepared, options.plan, workDir), workDir);
      cpu.phase('scikit-learn');
    }
    const clusterkit = {};
    const backendInfo = [];
    for (const name of backends) {
      await settle(`clusterkit ${name}`);
      const run = await runBackend(name, backends, prepared, sklearn, options, notes);
      clusterkit[name] = run.results;
      backendInfo.push({ name, threads: run.threads, description: run.description, lloydMs: run.lloydMs });
      cpu.phase(`clusterkit ${name}`);
    }
    const peerEntry = [...prepared.values()].find((e) => e.shape.kind === 'kmeans');
    let peers;
    if (!options['no-peers'] && peerEntry) {
      await settle('JS peers');
      const lloydMs = Object.fromEntries(backendInfo.filter((b) => b.lloydMs).map((b) => [b.name, b.lloydMs]));
      const raw = await measurePeers(peerEntry.x, peerEntry.init, options.plan, log);
      peers = { shape: peerEntry.shape.id, results: comparePeers(peerEntry.shape, raw, lloydMs, sklearn?.kmeans[peerEntry.shape.id]) };
      cpu.phase('JS peers');
    }
    if (!options['no-kernels']) await settle('tinybench');
    const kernels = options['no-kernels'] ? [] : await runKernelBenchmarks({ backends, shapes: options.shapes, threads: options.threads, quick: options.quick, log });
    if (kernels.length) cpu.phase('tinybench');
    const results = {
      mode: options.quick ? 'quick' : 'full',
      date: new Date().toISOString().slice(0, 10),
      command: `node bench/sklearn.mjs ${process.argv.slice(2).join(' ')}`.trim(),
      machine: machineInfo(),
      load: { averageAtStart: loadAtStart, othersByPhase: cpu.phases },
      plan: options.plan,
      shapes: options.shapes,
      backends: backendInfo,
      sklearn,
      clusterkit,
      peers,
      kernels,
      notes,
    };
    results.notes.push(...sanityNotes(results));
    writeReport(results, options);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

function writeReport(results, options) {
  const base = join(options.out, `${options.tag}-sklearn${options.quick ? '-quick' : ''}`);
  mkdirSync(options.out, { recursive: true });
  // Label arrays and the temp paths of scikit-learn's labels stay out of the JSON.
  writeFileSync(`${base}.json`, JSON.stringify(results, (key, value) => (key === 'labels' ? undefined : value), 2) + '\n');
  const markdown = markdownReport(results);
  writeFileSync(`${base}.md`, markdown);
  log(`wrote ${base}.json and ${base}.md`);
  process.stdout.write(markdown);
}

try {
  await main();
} catch (err) {
  console.error(err instanceof OptionError ? `bench/sklearn.mjs: ${err.message}\n\n${USAGE}` : err);
  process.exitCode = 1;
}
