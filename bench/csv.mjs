#!/usr/bin/env node
// Reading and preparing a census-style CSV, beside pandas and scikit-learn in the same run.
//
//   npm run build && node bench/csv.mjs [--rows N] [--quick] [--tag T]
//
// The table: an id, a region (5 values), 20 numeric columns (every third one skewed), 2% of one
// column missing. Two measurements, each made 3 times by each side (pandas' three runs between
// clusterkit's first and second, so that both see the same state of the machine), medians:
//  - read: the file into columns (clusterkit: openTable, then every record batch; pandas:
//    read_csv);
//  - prep: reading plus fitting median imputation, winsorizing at the 1% / 99% quantiles and
//    robust scaling of the numeric columns, and one-hot encoding of the region (clusterkit:
//    fitPrep on the file; pandas + scikit-learn: read_csv, SimpleImputer(median), quantiles
//    with NumPy's linear method, clip, RobustScaler, get_dummies).
// Needs Debian's python3-pandas and python3-sklearn. Writes bench/results/<tag>-csv.json.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileBenchmarkOptions, writeResults } from './lib/file-benchmark.mjs';
import { machineInfo } from './lib/machine.mjs';
import { median } from './lib/timing.mjs';

const options = fileBenchmarkOptions('csv.mjs', 500_000, 50_000);
const n = options.rows;
const { fitPrep, openTable } = await import(new URL('../dist/index.js', import.meta.url).href);
const log = (...a) => console.error(...a);

/** Deterministic values in [0, 1) from a row and a column. */
const unit = (i, j) => (((i * 2654435761 + j * 40503) >>> 0) % 1000003) / 1000003;

function censusCsv(rows) {
  const regions = ['north', 'south', 'east', 'west', 'centre'];
  const lines = [['id', 'region', ...Array.from({ length: 20 }, (_, j) => `v${j}`)].join(',')];
  for (let i = 0; i < rows; i++) {
    const cells = [String(i), regions[i % 5]];
    for (let j = 0; j < 20; j++) {
      const u = unit(i, j);
      const value = j % 3 === 0 ? Math.exp(3 + 2 * (u - 0.5)) * (1 + unit(i, j + 20)) : 50 + 30 * (u - 0.5);
      cells.push(j === 5 && unit(i, 99) < 0.02 ? '' : value.toFixed(3));
    }
    lines.push(cells.join(','));
  }
  return `${lines.join('\n')}\n`;
}

const PREP = { impute: 'median', winsorize: [0.01, 0.99], scale: 'robust', oneHot: ['region'], exclude: ['id'] };

const PYTHON = `
import json, sys, time
import numpy as np, pandas as pd, sklearn
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import RobustScaler

path, repeats = sys.argv[1], int(sys.argv[2])

def prep():
    df = pd.read_csv(path)
    numeric = [c for c in df.columns if c not in ('id', 'region')]
    x = SimpleImputer(strategy='median').fit_transform(df[numeric].to_numpy())
    lo, hi = np.quantile(x, [0.01, 0.99], axis=0)
    x = np.clip(x, lo, hi)
    scaler = RobustScaler().fit(x)
    dummies = pd.get_dummies(df['region'], prefix='region', prefix_sep='=')
    return scaler.center_, dummies.shape

def timed(fn):
    fn()
    t = []
    for _ in range(repeats):
        s = time.perf_counter(); fn(); t.append((time.perf_counter() - s) * 1000)
    return sorted(t)[len(t) // 2]

print(json.dumps({'readMs': timed(lambda: pd.read_csv(path)), 'prepMs': timed(prep),
                  'center': [float(v) for v in prep()[0]], 'pandas': pd.__version__, 'sklearn': sklearn.__version__}))
`;

const dir = mkdtempSync(join(tmpdir(), 'clusterkit-csv-'));
try {
  const path = join(dir, 'census.csv');
  const text = censusCsv(n);
  writeFileSync(path, text);
  log(`wrote ${n} rows × 22 columns (${(text.length / 2 ** 20).toFixed(1)} MiB)`);

  const read = async () => {
    let rows = 0;
    for await (const batch of (await openTable(path)).batches()) rows += batch.numRows;
    if (rows !== n) throw new Error(`read ${rows} rows, expected ${n}`);
  };
  const times = { read: [], prep: [] };
  await read(); // page cache and JIT
  let fitted = await fitPrep(await openTable(path), PREP);
  let peer;
  for (let rep = 0; rep < 3; rep++) {
    let t0 = performance.now();
    await read();
    times.read.push(performance.now() - t0);
    t0 = performance.now();
    fitted = await fitPrep(await openTable(path), PREP);
    times.prep.push(performance.now() - t0);
    log(`clusterkit run ${rep + 1}: read ${times.read.at(-1).toFixed(0)} ms, prep ${times.prep.at(-1).toFixed(0)} ms`);
    if (rep === 0) {
      const python = spawnSync('/usr/bin/python3', ['-c', PYTHON, path, '3'], { encoding: 'utf8' });
      peer = python.status === 0 ? JSON.parse(python.stdout) : { error: python.stderr.trim().split('\n').at(-1) };
      log(`pandas: ${JSON.stringify({ readMs: peer.readMs, prepMs: peer.prepMs, error: peer.error })}`);
    }
  }

  // The robust scaler's centres (medians after imputing and clipping) agree with scikit-learn's.
  const centers = fitted.steps.find((step) => step.method === 'robust')?.center;
  const centerDifference = peer.center && centers ? Math.max(...Array.from(centers, (c, j) => Math.abs(c - peer.center[j]))) : undefined;

  const result = {
    machine: machineInfo(),
    command: options.command,
    rows: n,
    mib: text.length / 2 ** 20,
    clusterkit: { readMs: median(times.read), prepMs: median(times.prep), samples: times },
    pandas: peer,
    speedup: peer.readMs ? { read: peer.readMs / median(times.read), prep: peer.prepMs / median(times.prep) } : undefined,
    centerDifference,
  };
  writeResults(options, 'csv', result);
  console.log(`\nA ${n}-row census CSV (${result.mib.toFixed(1)} MiB) — ${result.machine.cpu}, ${result.machine.cores} cores; medians of 3`);
  console.log('step                       pandas / scikit-learn   clusterkit   speed-up');
  for (const step of ['read', 'prep']) {
    const theirs = peer[`${step}Ms`];
    const ours = result.clusterkit[`${step}Ms`];
    console.log(`${step.padEnd(26)} ${theirs === undefined ? 'not run'.padStart(19) : `${(theirs / 1000).toFixed(2)} s`.padStart(19)}   ${`${(ours / 1000).toFixed(2)} s`.padStart(10)}   ${theirs === undefined ? '' : `${(theirs / ours).toFixed(2)}×`}`);
  }
  if (peer.error) console.log(`pandas not run: ${peer.error}`);
  if (centerDifference !== undefined) console.log(`robust scaler centres: largest difference from scikit-learn ${centerDifference.toExponential(2)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
