#!/usr/bin/env node
/**
 * Table preparation and PCA: clusterkit against scikit-learn / NumPy / SciPy, side by side, in
 * one run, on the same float32 data.
 *
 *   node bench/prep.mjs [--quick] [--backends wasm,js] [--threads N] [--seed S]
 *                       [--tag dev-2core] [--out bench/results] [--python /usr/bin/python3] [--no-python]
 *
 * Import from ../dist: run `npm run build` first. Progress goes to stderr; the table is printed
 * last on stdout; the full JSON (from which the table can be rebuilt) goes to
 * <out>/<tag>-prep[-quick].json.
 *
 * Measured (fit only, data already in memory; warm-up, then the median of up to 3 runs):
 * - PCA, 10 components: clusterkit `engine.pca` (scatter matrix on the backend, eigh on the host)
 *   against scikit-learn PCA(svd_solver='full') (exact, like clusterkit), PCA with its default
 *   solver (randomized here: approximate) and NumPy covariance + eigh (clusterkit's algorithm on
 *   OpenBLAS / LAPACK). Quality: explained variance ratios and the 10 components against the
 *   exact float64 scikit-learn fit.
 * - standardize: `scaleMatrix(x, 'standard')` (a Matrix, the CLI's --scale) and the Arrow table
 *   step `fitScaler(table).transform(table)` against StandardScaler().fit_transform.
 * - correlation: `engine.correlation` (Pearson, Spearman) against np.corrcoef and
 *   scipy.stats.spearmanr; quality: the largest difference of an entry.
 * scikit-learn runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from its environment.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as arrow from 'apache-arrow';
import { Engine, Matrix, fitScaler, scaleMatrix } from '../dist/index.js';
import { gaussianBlobs } from './lib/data.mjs';
import { defaultTag, loadAverage, machineInfo } from './lib/machine.mjs';
import { readNpy, writeNpy } from './lib/npy.mjs';
import { runPythonPeer } from './lib/python.mjs';
import { formatMs } from './lib/report.mjs';
import { timeRepeated } from './lib/timing.mjs';

const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
const PEER = fileURLToPath(new URL('./prep_peer.py', import.meta.url));
const log = (message) => console.error(`[bench] ${message}`);

const FULL = [
  { kind: 'pca', n: 100_000, d: 64, components: 10 },
  { kind: 'pca', n: 20_000, d: 512, components: 10 },
  { kind: 'standardize', n: 100_000, d: 64 },
  { kind: 'pearson', n: 100_000, d: 64 },
  { kind: 'pearson', n: 20_000, d: 512 },
  { kind: 'spearman', n: 100_000, d: 64 },
];
const QUICK = [
  { kind: 'pca', n: 20_000, d: 64, components: 10 },
  { kind: 'pca', n: 5_000, d: 256, components: 10 },
  { kind: 'standardize', n: 20_000, d: 64 },
  { kind: 'pearson', n: 20_000, d: 64 },
  { kind: 'spearman', n: 20_000, d: 64 },
];
const PLAN = { repeats: 3, budgetMs: 6_000 };

function parseOptions() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      backends: { type: 'string' },
      threads: { type: 'string' },
      seed: { type: 'string', default: '0' },
      tag: { type: 'string', default: process.env.CLUSTERKIT_BENCH_TAG ?? defaultTag() },
      out: { type: 'string', default: RESULTS_DIR },
      python: { type: 'string', default: '/usr/bin/python3' },
      'no-python': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  return values;
}

const idOf = (c) => `${c.kind}:${c.n}x${c.d}${c.components ? `:k${c.components}` : ''}`;

const maxAbsDiff = (a, b) => {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (Number.isNaN(x) && Number.isNaN(y)) continue;
    worst = Math.max(worst, Math.abs(x - y));
  }
  return worst;
};

/** Largest |loading difference| over the components, each sign-aligned with the reference. */
function componentError(actual, reference, k, d) {
  let worst = 0;
  for (let c = 0; c < k; c++) {
    let dot = 0;
    for (let j = 0; j < d; j++) dot += actual[c * d + j] * reference[c * d + j];
    const sign = dot < 0 ? -1 : 1;
    for (let j = 0; j < d; j++) worst = Math.max(worst, Math.abs(sign * actual[c * d + j] - reference[c * d + j]));
  }
  return worst;
}

/** An Arrow table of d Float64 columns from a row-major float32 array. */
function arrowTable(data, n, d) {
  const columns = {};
  for (let j = 0; j < d; j++) {
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) values[i] = data[i * d + j];
    columns[`x${j}`] = arrow.makeVector(values);
  }
  return new arrow.Table(columns);
}

async function measureBackend(engine, c, x, file, reference) {
  if (c.kind === 'pca') {
    const t = await timeRepeated(() => engine.pca(x, { components: c.components }), PLAN);
    const model = t.result;
    const out = { ms: t.ms, samples: t.samples };
    if (reference) {
      const ratio = readNpy(file.replace('.npy', '-ratio.npy')).data;
      const components = readNpy(file.replace('.npy', '-components.npy')).data;
      out.ratioError = maxAbsDiff(model.explainedVarianceRatio, ratio);
      out.componentError = componentError(model.components.toFloat32Array(), components, c.components, c.d);
    }
    return out;
  }
  const method = c.kind;
  const t = await timeRepeated(() => engine.correlation(x, { method }), PLAN);
  const out = { ms: t.ms, samples: t.samples };
  if (reference) out.error = maxAbsDiff(t.result.toFloat32Array(), readNpy(file.replace('.npy', `-${method}.npy`)).data);
  return out;
}

async function main() {
  const options = parseOptions();
  if (options.help) {
    console.log('node bench/prep.mjs [--quick] [--backends wasm,js] [--threads N] [--seed S] [--tag T] [--out DIR] [--python PATH] [--no-python]');
    return;
  }
  const cases = (options.quick ? QUICK : FULL).map((c) => ({ ...c, id: idOf(c) }));
  const threads = options.threads === undefined ? undefined : Number(options.threads);
  const seed = Number(options.seed);
  const workDir = mkdtempSync(join(tmpdir(), 'clusterkit-bench-prep-'));
  const loadBefore = loadAverage();
  try {
    log(`data: ${cases.length} cases, seeded Gaussian blobs (float32)`);
    const data = new Map();
    for (const c of cases) {
      const x = gaussianBlobs({ n: c.n, d: c.d, blobs: 8, seed: seed + c.d });
      const file = join(workDir, `${c.id.replace(/[:]/g, '_')}.npy`);
      writeNpy(file, x, [c.n, c.d]);
      data.set(c.id, { x: Matrix.from(x, c.n, c.d), raw: x, file });
    }

    // Case by case, scikit-learn then clusterkit, so that both sides of a row run close in time
    // (other work on a shared machine changes the load from minute to minute).
    const auto = await Engine.create({ backend: 'auto', ...(threads ? { threads } : {}) });
    const backendNames = options.backends ? options.backends.split(',') : [auto.backend];
    auto.dispose();
    const engines = {};
    for (const name of backendNames) engines[name] = await Engine.create({ backend: name, ...(threads ? { threads } : {}) });
    const clusterkit = Object.fromEntries(backendNames.map((name) => [name, { description: engines[name].description, results: {} }]));
    const python = options['no-python'] ? undefined : { versions: undefined, threadpools: undefined, results: {} };
    const host = {};
    try {
      for (const c of cases) {
        const { x, raw, file } = data.get(c.id);
        if (python) {
          log(`${c.id}: scikit-learn / NumPy / SciPy`);
          const peer = runPythonPeer(options.python, PEER, { cases: [{ ...c, file }], repeats: PLAN.repeats, budget_ms: PLAN.budgetMs }, workDir);
          python.versions = peer.versions;
          python.threadpools = peer.threadpools;
          python.results[c.id] = { ...peer.results[c.id], load: loadAverage() };
        }
        if (c.kind === 'standardize') {
          // Standardizing runs on the host (float64 statistics), whatever the backend.
          log(`${c.id}: clusterkit (host)`);
          const matrix = await timeRepeated(() => scaleMatrix(x, 'standard'), PLAN);
          const table = arrowTable(raw, c.n, c.d);
          const arrowStep = await timeRepeated(() => fitScaler(table, { method: 'standard' }).transform(table), PLAN);
          host[c.id] = { matrix: { ms: matrix.ms, samples: matrix.samples }, table: { ms: arrowStep.ms, samples: arrowStep.samples }, load: loadAverage() };
          continue;
        }
        for (const name of backendNames) {
          log(`${c.id}: clusterkit ${name}`);
          clusterkit[name].results[c.id] = { ...(await measureBackend(engines[name], c, x, file, Boolean(python))), load: loadAverage() };
        }
      }
    } finally {
      for (const engine of Object.values(engines)) engine.dispose();
    }

    const results = {
      kind: 'prep',
      quick: options.quick,
      date: new Date().toISOString(),
      machine: machineInfo(),
      load: { before: loadBefore, after: loadAverage() },
      seed,
      cases,
      python: python ?? null,
      clusterkit,
      host,
    };
    const report = markdown(results);
    const name = `${options.tag}-prep${options.quick ? '-quick' : ''}`;
    mkdirSync(options.out, { recursive: true });
    writeFileSync(join(options.out, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
    log(`wrote ${join(options.out, `${name}.json`)}`);
    console.log(report);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

const ratio = (theirs, ours) => (theirs && ours ? `${(theirs / ours).toFixed(theirs / ours >= 10 ? 0 : 2)}×` : '—');
const dtypeOf = (f) => (f?.best ? ` (${f.best === 'float32' ? 'f32' : 'f64'})` : '');

function markdown(results) {
  const backends = Object.keys(results.clusterkit);
  const py = results.python?.results ?? {};
  const header = ['case', 'n × d', 'scikit-learn / NumPy', ...backends.flatMap((b) => [`clusterkit ${b}`, 'speed-up']), 'agreement', 'load'];
  const load = (...entries) => entries.map((e) => (e?.load === undefined ? '—' : e.load.toFixed(1))).join(' / ');
  const rows = [];
  for (const c of results.cases) {
    const shape = `${c.n.toLocaleString('en')} × ${c.d}`;
    const p = py[c.id];
    if (c.kind === 'pca') {
      const ours = backends.map((b) => results.clusterkit[b].results[c.id]);
      const quality = ours.map((o) => (o.ratioError === undefined ? '—' : `ratios ±${o.ratioError.toExponential(1)}, loadings ±${o.componentError.toExponential(1)}`)).join('; ');
      rows.push([`PCA k=${c.components} vs PCA(svd_solver='full')`, shape, p ? `${formatMs(p.full.ms)}${dtypeOf(p.full)}` : '—', ...ours.flatMap((o) => [formatMs(o.ms), ratio(p?.full.ms, o.ms)]), quality, load(p, ...ours)]);
      if (p) {
        rows.push([`  … vs PCA() default solver (${p.default.solver})`, shape, `${formatMs(p.default.ms)}${dtypeOf(p.default)}`, ...ours.flatMap((o) => ['', ratio(p.default.ms, o.ms)]), 'approximate solver', '']);
        rows.push(['  … vs NumPy covariance + eigh', shape, `${formatMs(p.eigh.ms)}${dtypeOf(p.eigh)}`, ...ours.flatMap((o) => ['', ratio(p.eigh.ms, o.ms)]), 'same algorithm', '']);
      }
    } else if (c.kind === 'standardize') {
      const h = results.host[c.id];
      const cell = (label, f) => [label, shape, p ? `${formatMs(p.time.ms)}${dtypeOf(p.time)}` : '—', ...backends.flatMap((_, i) => (i === 0 ? [formatMs(f.ms), ratio(p?.time.ms, f.ms)] : ['', ''])), 'host, float64 statistics', load(p, h)];
      rows.push(cell('standardize: scaleMatrix vs StandardScaler', h.matrix));
      rows.push(cell('standardize: Arrow fitScaler + transform', h.table));
    } else {
      const ours = backends.map((b) => results.clusterkit[b].results[c.id]);
      const peer = c.kind === 'pearson' ? 'np.corrcoef' : 'spearmanr';
      rows.push([`${c.kind} correlation vs ${peer}`, shape, p ? `${formatMs(p.time.ms)}${dtypeOf(p.time)}` : '—', ...ours.flatMap((o) => [formatMs(o.ms), ratio(p?.time.ms, o.ms)]), ours.map((o) => (o.error === undefined ? '—' : `max |Δ| ${o.error.toExponential(1)}`)).join('; '), load(p, ...ours)]);
    }
  }
  const line = (cells) => `| ${cells.join(' | ')} |`;
  const m = results.machine;
  const versions = results.python?.versions;
  return [
    `## Table preparation and PCA: clusterkit vs scikit-learn (${m.cpu}, ${m.cores} cores, Node ${m.node})`,
    '',
    versions ? `scikit-learn ${versions.sklearn}, NumPy ${versions.numpy}, SciPy ${versions.scipy}; ` + backends.map((b) => results.clusterkit[b].description).join('; ') : '',
    `Load average ${results.load.before.toFixed(2)} before, ${results.load.after.toFixed(2)} after. Medians of up to ${PLAN.repeats} runs after a warm-up; speed-up = their time ÷ ours; load = the 1-minute load average after each side's case (scikit-learn / clusterkit).`,
    '',
    line(header),
    line(header.map(() => '---')),
    ...rows.map(line),
  ].join('\n');
}

main().catch((error) => {
  console.error(`[bench] ${error.stack ?? error}`);
  process.exitCode = 1;
});
