#!/usr/bin/env node
/**
 * Agglomerative clustering and affinity propagation (issue 5): clusterkit beside scikit-learn
 * on the same float32 data in the same run.
 *
 *   npx tsc -p tsconfig.json && node bench/hierarchy.mjs [--backends wasm,js] [--repeats 3] [--quick]
 *       [--agglomerative 5000x32:8] [--linkages ward,complete,average,single] [--affinity 1000x16:8]
 *       [--damping 0.5] [--big 20000x32:8] [--big-sklearn] [--only agglomerative,affinity,big]
 *       [--python /usr/bin/python3] [--no-sklearn] [--out bench/results/dev-2core-hierarchy.json]
 *
 * - agglomerative: `engine.agglomerative(x, { linkage, nClusters: k })` (distances from the
 *   backend, the n × n matrix, NN-chain or Prim) against AgglomerativeClustering(k, linkage);
 *   agreement = adjusted Rand index of the two labelings and the largest relative difference of
 *   the ten highest merge heights.
 * - affinity: `engine.affinityPropagation(x, { damping })` against AffinityPropagation(damping,
 *   random_state=0); agreement = same exemplars, ARI, iterations.
 * - big (only with --big): one ward fit of a large input, in a child process so its peak RSS is
 *   its own (scikit-learn too with --big-sklearn).
 *
 * Data: seeded Gaussian blobs (bench/lib/data.mjs), handed to Python as .npy. scikit-learn runs
 * with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed from its environment. Timing: one warm-up on
 * a small head of the data, then the median of up to --repeats runs, fewer once 20 s were spent
 * (bench/lib/timing.mjs; the Python side mirrors it). The table is printed last; the JSON goes
 * to --out.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Engine, Matrix } from '../dist/index.js';
import { backendsToRun } from './lib/clusterkit.mjs';
import { gaussianBlobs } from './lib/data.mjs';
import { defaultTag, loadAverage, machineInfo } from './lib/machine.mjs';
import { writeNpy } from './lib/npy.mjs';
import { runPythonPeer } from './lib/python.mjs';
import { adjustedRandIndex } from './lib/quality.mjs';
import { shapeOf } from './lib/shapes.mjs';
import { timeRepeated } from './lib/timing.mjs';

const PEER = fileURLToPath(new URL('./hierarchy_peer.py', import.meta.url));
const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const log = (message) => process.stderr.write(`[hierarchy] ${message}\n`);

const { values: args } = parseArgs({
  options: {
    backends: { type: 'string' },
    repeats: { type: 'string', default: '3' },
    quick: { type: 'boolean', default: false },
    agglomerative: { type: 'string' },
    linkages: { type: 'string', default: 'ward,complete,average,single' },
    affinity: { type: 'string' },
    damping: { type: 'string', default: '0.5' },
    big: { type: 'string' },
    'big-sklearn': { type: 'boolean', default: false },
    only: { type: 'string' },
    python: { type: 'string', default: '/usr/bin/python3' },
    'no-sklearn': { type: 'boolean', default: false },
    out: { type: 'string' },
    seed: { type: 'string', default: '11' },
  },
});

const seed = Number(args.seed);
const aggShape = shapeOf(args.agglomerative, args.quick ? '1500x32:8' : '5000x32:8');
const apShape = shapeOf(args.affinity, args.quick ? '400x16:8' : '1000x16:8');
const bigShape = args.big && (args.only ?? 'big').split(',').includes('big') ? shapeOf(args.big) : null;
const linkages = args.linkages.split(',');
const damping = Number(args.damping);
const only = new Set((args.only ?? 'agglomerative,affinity,big').split(','));
const runAgglomerative = only.has('agglomerative');
const runAffinity = only.has('affinity');
const plan = { repeats: Number(args.repeats), budgetMs: args.quick ? 2_000 : 20_000 };

async function measureAgglomerative(engine, x) {
  const out = {};
  const head = Matrix.from(x.toFloat32Array().subarray(0, 500 * x.cols), 500, x.cols);
  for (const linkage of linkages) {
    await engine.agglomerative(head, { linkage, nClusters: aggShape.k }); // warm-up
    const timing = await timeRepeated(() => engine.agglomerative(x, { linkage, nClusters: aggShape.k }), plan);
    const fit = timing.result;
    out[linkage] = {
      ms: timing.ms,
      samples: timing.samples,
      precision: fit.precision,
      labels: Array.from(fit.labels),
      topHeights: Array.from(fit.heights.slice(-10)).reverse(),
    };
  }
  return out;
}

async function measureAffinity(engine, x) {
  const head = Matrix.from(x.toFloat32Array().subarray(0, 200 * x.cols), 200, x.cols);
  await engine.affinityPropagation(head, { damping }); // warm-up
  const timing = await timeRepeated(() => engine.affinityPropagation(x, { damping }), plan);
  const fit = timing.result;
  return { ms: timing.ms, samples: timing.samples, labels: Array.from(fit.labels), exemplars: Array.from(fit.exemplars), iterations: fit.iterations, converged: fit.converged };
}

/** One ward fit in a fresh Node process: wall time and that process's peak RSS. */
function measureBig(backend, npyPath, workDir) {
  const script = `
    import { readFileSync } from 'node:fs';
    const { Engine, Matrix } = await import(${JSON.stringify(DIST)});
    const bytes = readFileSync(${JSON.stringify(npyPath)});
    const headerLength = bytes.readUInt16LE(8);
    const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset + 10 + headerLength, bytes.byteOffset + bytes.length));
    const x = Matrix.from(data, ${bigShape.n}, ${bigShape.d});
    const engine = await Engine.create({ backend: ${JSON.stringify(backend)} });
    let distancesMs = 0;
    const start = performance.now();
    const fit = await engine.agglomerative(x, { linkage: 'ward', nClusters: ${bigShape.k}, onProgress: (p) => { if (p.stage === 'merging' && !distancesMs) distancesMs = performance.now() - start; } });
    const ms = performance.now() - start;
    engine.dispose();
    process.stdout.write(JSON.stringify({ ms, distancesMs, precision: fit.precision, peakRssGiB: process.resourceUsage().maxRSS / 2 ** 20, labels: Array.from(fit.labels) }));
  `;
  // A file, not --eval: worker threads inherit the parent's flags, and --input-type breaks them.
  const scriptPath = join(workDir, `big-${backend}.mjs`);
  writeFileSync(scriptPath, script);
  const run = spawnSync(process.execPath, [scriptPath], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`big ward run on ${backend} failed with exit code ${run.status}`);
  return JSON.parse(run.stdout);
}

async function main() {
  const started = Date.now();
  const loadBefore = loadAverage();
  const work = mkdtempSync(join(tmpdir(), 'clusterkit-hierarchy-bench-'));
  try {
    const aggX = Matrix.from(gaussianBlobs({ n: aggShape.n, d: aggShape.d, blobs: aggShape.k, seed }), aggShape.n, aggShape.d);
    const apX = Matrix.from(gaussianBlobs({ n: apShape.n, d: apShape.d, blobs: apShape.k, seed: seed + 1 }), apShape.n, apShape.d);
    const aggNpy = join(work, 'agglomerative.npy');
    const apNpy = join(work, 'affinity.npy');
    writeNpy(aggNpy, aggX.toFloat32Array(), [aggShape.n, aggShape.d]);
    writeNpy(apNpy, apX.toFloat32Array(), [apShape.n, apShape.d]);
    let bigNpy = null;
    if (bigShape) {
      bigNpy = join(work, 'big.npy');
      writeNpy(bigNpy, gaussianBlobs({ n: bigShape.n, d: bigShape.d, blobs: bigShape.k, seed: seed + 2 }), [bigShape.n, bigShape.d]);
    }

    let sklearn = null;
    if (!args['no-sklearn']) {
      log('scikit-learn');
      sklearn = runPythonPeer(
        args.python,
        PEER,
        {
          plan: { repeats: plan.repeats, budget_ms: plan.budgetMs },
          ...(runAgglomerative ? { agglomerative: { data: aggNpy, k: aggShape.k, linkages } } : {}),
          ...(runAffinity ? { affinity: { data: apNpy, damping } } : {}),
        },
        work,
      );
      if (bigShape && args['big-sklearn']) {
        sklearn.big = runPythonPeer(args.python, PEER, { big: { data: bigNpy, k: bigShape.k, linkage: 'ward' } }, work).big;
      }
    }

    const backends = {};
    for (const name of await backendsToRun(args.backends, log)) {
      const engine = await Engine.create({ backend: name });
      try {
        backends[name] = { description: engine.description };
        if (runAgglomerative) {
          log(`${engine.description}: agglomerative`);
          backends[name].agglomerative = await measureAgglomerative(engine, aggX);
        }
        if (runAffinity) {
          log(`${engine.backend}: affinity propagation`);
          backends[name].affinity = await measureAffinity(engine, apX);
        }
      } finally {
        engine.dispose();
      }
      if (bigShape) {
        log(`${name}: ward on ${bigShape.n}×${bigShape.d} (once, in a child process)`);
        backends[name].big = measureBig(name, bigNpy, work);
      }
    }

    const results = {
      benchmark: 'hierarchy',
      date: new Date().toISOString(),
      machine: machineInfo(),
      load: { before: loadBefore, after: loadAverage() },
      command: `node bench/hierarchy.mjs ${process.argv.slice(2).join(' ')}`.trim(),
      workloads: {
        ...(runAgglomerative ? { agglomerative: { ...aggShape, linkages, seed, what: 'AgglomerativeClustering(n_clusters=k, linkage) vs engine.agglomerative({ linkage, nClusters: k })' } } : {}),
        ...(runAffinity ? { affinity: { ...apShape, damping, seed: seed + 1, what: 'AffinityPropagation(damping, random_state=0) vs engine.affinityPropagation({ damping })' } } : {}),
        ...(bigShape ? { big: { ...bigShape, linkage: 'ward', seed: seed + 2, what: 'one fit, child process, peak RSS of that process' } } : {}),
      },
      sklearn: sklearn && stripLabels(sklearn),
      clusterkit: Object.fromEntries(Object.entries(backends).map(([name, b]) => [name, stripLabels(b)])),
      comparison: compare(sklearn, backends),
      seconds: (Date.now() - started) / 1000,
    };
    const out = args.out ?? fileURLToPath(new URL(`./results/${defaultTag()}-hierarchy.json`, import.meta.url));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
    log(`wrote ${out}`);
    process.stdout.write(table(results) + '\n');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The result without per-row labels (they only feed the comparison). */
function stripLabels(side) {
  return JSON.parse(JSON.stringify(side, (key, value) => (key === 'labels' ? undefined : value)));
}

/** Speed-ups (scikit-learn's time / ours: > 1 is faster) and agreement of the results. */
function compare(sklearn, backends) {
  const out = {};
  for (const [name, b] of Object.entries(backends)) {
    const agglomerative = {};
    for (const linkage of b.agglomerative ? linkages : []) {
      const ours = b.agglomerative[linkage];
      const theirs = sklearn?.agglomerative?.[linkage];
      agglomerative[linkage] = theirs
        ? {
            speedup: theirs.ms / ours.ms,
            adjustedRand: adjustedRandIndex(ours.labels, theirs.labels),
            topHeightsMaxRelativeDifference: Math.max(...ours.topHeights.map((h, i) => Math.abs(h - theirs.top_heights[i]) / theirs.top_heights[i])),
          }
        : null;
    }
    const ap = sklearn?.affinity;
    out[name] = {
      agglomerative,
      affinity: ap && b.affinity
        ? {
            speedup: ap.ms / b.affinity.ms,
            sameExemplars: JSON.stringify(ap.exemplars) === JSON.stringify(b.affinity.exemplars),
            adjustedRand: adjustedRandIndex(b.affinity.labels, ap.labels),
            iterations: { clusterkit: b.affinity.iterations, sklearn: ap.iterations },
          }
        : null,
      big:
        b.big && sklearn?.big
          ? { speedup: sklearn.big.ms / b.big.ms, adjustedRand: adjustedRandIndex(b.big.labels, sklearn.big.labels) }
          : null,
    };
  }
  return out;
}

function table(results) {
  const { sklearn, clusterkit, comparison, workloads } = results;
  const a = workloads.agglomerative;
  const p = workloads.affinity;
  const ms = (v) => (v === undefined || v === null ? '—' : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);
  const x = (v) => (v === null || v === undefined ? '' : ` (${v.toFixed(2)}×)`);
  const names = Object.keys(clusterkit);
  const rows = (a ? linkages : []).map((linkage) => [
    `AgglomerativeClustering ${a.n}×${a.d} ${linkage}, k=${a.k}`,
    ms(sklearn?.agglomerative?.[linkage]?.ms),
    ...names.map((n) => ms(clusterkit[n].agglomerative[linkage].ms) + x(comparison[n].agglomerative[linkage]?.speedup)),
  ]);
  if (p) rows.push([`AffinityPropagation ${p.n}×${p.d}, damping ${p.damping}`, ms(sklearn?.affinity?.ms), ...names.map((n) => ms(clusterkit[n].affinity.ms) + x(comparison[n].affinity?.speedup))]);
  if (workloads.big) {
    const w = workloads.big;
    const rss = (gib) => (gib ? `, ${gib.toFixed(2)} GiB peak` : '');
    rows.push([
      `ward ${w.n}×${w.d}, once`,
      sklearn?.big ? ms(sklearn.big.ms) + rss(sklearn.big.peak_rss_gib) : '—',
      ...names.map((n) => (clusterkit[n].big ? ms(clusterkit[n].big.ms) + rss(clusterkit[n].big.peakRssGiB) + x(comparison[n].big?.speedup) : '—')),
    ]);
  }
  const header = ['workload', 'scikit-learn', ...names.map((n) => `clusterkit ${n} (speed-up)`)];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells) => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  const quality = sklearn
    ? names.map((n) => {
        const c = comparison[n];
        const parts = Object.entries(c.agglomerative).map(([l, v]) => `${l} ARI ${v.adjustedRand.toFixed(4)}, top heights |Δ| ≤ ${v.topHeightsMaxRelativeDifference.toExponential(1)}`);
        if (c.affinity) parts.push(`affinity ${c.affinity.sameExemplars ? 'same exemplars' : 'different exemplars'}, ARI ${c.affinity.adjustedRand.toFixed(4)}, iterations ${c.affinity.iterations.clusterkit} vs ${c.affinity.iterations.sklearn}`);
        if (c.big) parts.push(`big ward ARI ${c.big.adjustedRand.toFixed(4)}`);
        return `${n}: ${parts.join('; ')}`;
      })
    : [];
  return [
    '',
    `Hierarchy on ${results.machine.cpu} (${results.machine.cores} cores), load ${results.load.before.toFixed(1)} → ${results.load.after.toFixed(1)}; median of up to ${plan.repeats} runs`,
    line(header),
    ...rows.map(line),
    ...quality,
  ].join('\n');
}

await main();
