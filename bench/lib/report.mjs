/**
 * The markdown report, built from the results JSON alone (so it can be rebuilt from a saved
 * file): a machine line, the side-by-side table, the JS peers, the kernel micro-benchmarks,
 * and notes on anything skipped, capped or suspicious.
 */

import { sklearnFit } from './compare.mjs';

const DTYPE = { float32: 'f32', float64: 'f64' };

export function formatMs(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms >= 1000) return `${(ms / 1000).toFixed(ms >= 100_000 ? 0 : 2)} s`;
  return `${ms.toFixed(ms >= 100 ? 0 : ms >= 10 ? 1 : 2)} ms`;
}

const formatRatio = (x) => (x === null || x === undefined ? '—' : `${x.toFixed(x >= 10 ? 0 : 2)}×`);
const formatGflops = (x) => `${x.toFixed(x >= 10 ? 0 : 1)} GFLOP/s`;
const dtype = (figure) => ` (${DTYPE[figure.best]})`;

function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Rows for one k-means shape: [measurement, scikit-learn cell, …per backend (cell, ratio)]. */
function kmeansRows(shape, results) {
  const sk = results.sklearn?.kmeans[shape.id];
  const cells = (pick) =>
    results.backends.flatMap(({ name }) => {
      const entry = results.clusterkit[name]?.[shape.id];
      if (!entry || entry.skipped) return ['skipped', '—'];
      return pick(entry);
    });
  const it = (fit) => `${fit.iterations} it${fit.converged ? '' : ', not converged'}`;
  const window = (t) => (t.hi.iterations - t.lo.iterations > 1 ? `it ${t.lo.iterations + 1}–${t.hi.iterations}` : `it ${t.hi.iterations}`);
  const quality = (a) => (a.inertiaRatio === null ? '—' : `inertia ×${a.inertiaRatio.toFixed(6)} · ARI ${a.ari.toFixed(4)}`);
  const skFit = (f) => (sk ? `${formatMs(f.ms)} · ${sklearnFit(f).iterations} it${dtype(f)}` : '—');
  return [
    [
      'Lloyd iteration, same init',
      sk ? `${formatMs(sk.lloyd.ms)} · ${formatGflops((2 * shape.n * shape.k * shape.d) / (sk.lloyd.ms * 1e6))}${dtype(sk.lloyd)}` : '—',
      ...cells((e) => [`${formatMs(e.lloyd.msPerIteration)} · ${formatGflops(e.lloyd.gflops)} (${window(e.lloyd)})`, formatRatio(e.lloyd.speedup)]),
    ],
    [
      'Hamerly iteration, same init (vs sklearn Lloyd)',
      sk ? formatMs(sk.lloyd.ms) : '—',
      ...cells((e) => [`${formatMs(e.hamerly.msPerIteration)} · ${(100 * e.hamerly.distanceFraction).toFixed(0)}% of distances`, formatRatio(e.hamerly.speedup)]),
    ],
    ['k-means++ init', sk ? `${formatMs(sk.init.ms)}${dtype(sk.init)}` : '—', ...cells((e) => [formatMs(e.init.ms), formatRatio(e.init.speedup)])],
    [
      'k-means++ + 1 iteration',
      sk ? `${formatMs(sk.init.byDtype[sk.init.best].initPlusOneMs)}${dtype(sk.init)}` : '—',
      ...cells((e) => [formatMs(e.init.initPlusOneMs), formatRatio(e.init.initPlusOneSpeedup)]),
    ],
    ['fit, 1 init, tol 1e-4', skFit(sk?.fitOneInit), ...cells((e) => [`${formatMs(e.fitOneInit.ms)} · ${it(e.fitOneInit)}`, formatRatio(e.fitOneInit.speedupVsOneInit)])],
    [
      'sklearn defaults (n_init=10) vs clusterkit 1 init',
      skFit(sk?.fitDefaults),
      ...cells((e) => [`${formatMs(e.fitOneInit.ms)} · ${it(e.fitOneInit)}`, formatRatio(e.fitOneInit.speedupVsDefaults)]),
    ],
    ['quality: same init, same iterations', sk ? `${sk.lloyd.fits.map((f) => f.iterations).join(' / ')} it` : '—', ...cells((e) => [`${quality(e.lloyd.sameInit)} (${e.lloyd.fit.iterations} it)`, '—'])],
    ['quality: 1 init vs sklearn n_init=1', '—', ...cells((e) => [quality(e.fitOneInit.vsOneInit), '—'])],
    ['quality: 1 init vs sklearn n_init=10', '—', ...cells((e) => [quality(e.fitOneInit.vsDefaults), '—'])],
  ].map(([label, ...rest]) => [shape.name, label, ...rest]);
}

function silhouetteRows(shape, results) {
  const sk = results.sklearn?.silhouette[shape.id];
  const cells = results.backends.flatMap(({ name }) => {
    const entry = results.clusterkit[name]?.[shape.id];
    if (!entry || entry.skipped) return ['skipped', '—'];
    const delta = entry.scoreDifference === null ? '' : ` · Δscore ${entry.scoreDifference.toExponential(1)}`;
    return [`${formatMs(entry.ms)}${delta}`, formatRatio(entry.speedup)];
  });
  return [[shape.name, 'silhouette (exact)', sk ? `${formatMs(sk.ms)} · score ${sk.score.toFixed(4)}${dtype(sk)}` : '—', ...cells]];
}

function mainTable(results) {
  const header = ['shape', 'measurement', 'scikit-learn', ...results.backends.flatMap(({ name }) => [`clusterkit ${name}`, `× (${name})`])];
  const rows = results.shapes.flatMap((shape) => (shape.kind === 'kmeans' ? kmeansRows(shape, results) : silhouetteRows(shape, results)));
  const threads = ['', 'threads', results.sklearn ? `${results.sklearn.machine.threads}` : '—', ...results.backends.flatMap((b) => [`${b.threads ?? '?'}`, ''])];
  return table(header, [...rows, threads]);
}

function peersTable(results) {
  const { peers } = results;
  if (!peers) return '';
  const shape = results.shapes.find((s) => s.id === peers.shape);
  const header = ['library', `ms / iteration (${shape.name}, same init)`, 'GFLOP/s', ...results.backends.map(({ name }) => `clusterkit ${name} speed-up`), 'ARI vs sklearn'];
  const rows = Object.entries(peers.results).map(([name, p]) => [
    name,
    formatMs(p.msPerIteration),
    p.gflops.toFixed(2),
    ...results.backends.map(({ name: b }) => formatRatio(p.clusterkitSpeedup[b])),
    p.ariVsSklearn === null ? '—' : p.ariVsSklearn.toFixed(4),
  ]);
  return table(header, rows);
}

function kernelsTable(results) {
  if (!results.kernels?.length) return '';
  const rows = results.kernels.map((k) => [k.kernel, k.error ? `error: ${k.error}` : formatMs(k.medianMs), k.gflops ? k.gflops.toFixed(2) : '—', `${k.runs ?? '—'}`]);
  return table(['tinybench kernel', 'median', 'GFLOP/s', 'runs'], rows);
}

function machineLine(results) {
  const m = results.machine;
  const py = results.sklearn?.machine;
  const blas = py?.threadpools.find((p) => p.internal_api === 'openblas');
  const parts = [`${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB`, `Node ${m.node}`];
  if (py) parts.push(`Python ${py.python}, scikit-learn ${py.sklearn}, NumPy ${py.numpy}, SciPy ${py.scipy}`);
  if (blas) parts.push(`OpenBLAS ${blas.version} (${blas.architecture}, ${blas.threading_layer})`);
  const others = results.load.othersByPhase.filter((p) => p.othersCores !== null);
  if (others.length) parts.push(`cores used by other processes: ${others.map((p) => `${p.phase} ${p.othersCores.toFixed(2)}`).join(', ')}`);
  return `Machine: ${parts.join('; ')}.`;
}

export function markdownReport(results) {
  const sections = [
    `## clusterkit vs scikit-learn (${results.mode}, ${results.date})`,
    machineLine(results),
    'Time columns: each side\'s median; × = scikit-learn time / clusterkit time (> 1: clusterkit faster). ' +
      'scikit-learn gets the faster of float32/float64 input per figure (dtype in parentheses). ' +
      'Per-iteration times are (t(hi) − t(lo)) / (hi − lo) over fixed-iteration runs from the same initial centroids; ' +
      'GFLOP/s counts 2·N·K·D per iteration (for Hamerly, the Lloyd-equivalent work).',
    mainTable(results),
    peersTable(results),
    kernelsTable(results),
    results.notes.length ? `Notes:\n${results.notes.map((n) => `- ${n}`).join('\n')}` : '',
  ];
  return sections.filter(Boolean).join('\n\n') + '\n';
}
