#!/usr/bin/env node
// Reading embeddings into a Matrix: how long `readMatrix(await openTable(path))` takes for an
// Arrow IPC, a Parquet and a .npy file of the same N × 512 float32 rows, beside NumPy's np.load
// of the .npy (the only peer on this machine: Debian packages no pyarrow).
//
//   npm run build && node bench/read.mjs [--rows N] [--quick] [--tag T]
//
// Each format is read 3 times, the formats alternating, after one unmeasured read that fills
// the page cache; the median is reported, with the batches alone (the decoder's share) and the
// throughput. Writes bench/results/<tag>-read.json.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeEmbeddings } from './lib/embeddings-file.mjs';
import { fileBenchmarkOptions, writeResults } from './lib/file-benchmark.mjs';
import { machineInfo } from './lib/machine.mjs';
import { writeNpy } from './lib/npy.mjs';
import { median } from './lib/timing.mjs';

const options = fileBenchmarkOptions('read.mjs', 1_048_576, 131_072);
const n = options.rows;
const d = 512;
const { openTable, readMatrix } = await import(new URL('../dist/io/index.js', import.meta.url).href);
const log = (...a) => console.error(...a);

const dir = mkdtempSync(join(tmpdir(), 'clusterkit-read-'));
try {
  const values = new Float32Array(n * d);
  for (let i = 0; i < values.length; i++) values[i] = ((i * 2654435761) % 1000003) / 1000003 - 0.5;
  const files = { arrow: join(dir, 'e.arrow'), parquet: join(dir, 'e.parquet'), npy: join(dir, 'e.npy') };
  log(`writing ${n} × ${d} float32 (${((n * d * 4) / 2 ** 30).toFixed(2)} GiB) as .arrow, .parquet, .npy`);
  await writeEmbeddings(files.arrow, [values], d);
  await writeEmbeddings(files.parquet, [values], d);
  writeNpy(files.npy, values, [n, d]);

  const selection = (format) => (format === 'npy' ? {} : { embedding: 'clip' });
  const readWhole = async (format) => {
    const { matrix } = await readMatrix(await openTable(files[format]), selection(format));
    if (matrix.rows !== n || matrix.row(n - 1)[d - 1] !== values[n * d - 1]) throw new Error(`${format}: wrong rows`);
  };
  const readBatches = async (format) => {
    for await (const batch of (await openTable(files[format])).batches()) void batch;
  };
  const times = {};
  for (const format of Object.keys(files)) await readWhole(format); // page cache, JIT, parquet-wasm
  for (let rep = 0; rep < 3; rep++) {
    for (const format of Object.keys(files)) {
      for (const [what, run] of [['matrix', readWhole], ['batches', readBatches]]) {
        const t0 = performance.now();
        await run(format);
        ((times[format] ??= {})[what] ??= []).push(performance.now() - t0);
      }
    }
  }
  const numpy = spawnSync('/usr/bin/python3', ['-c', `
import sys, time, numpy as np
np.load(sys.argv[1])
t = []
for _ in range(3):
    s = time.perf_counter(); a = np.load(sys.argv[1]); t.append(time.perf_counter() - s)
print(sorted(t)[1] * 1000)
`, files.npy], { encoding: 'utf8' });
  const numpyMs = numpy.status === 0 ? Number(numpy.stdout.trim()) : undefined;

  const gib = (n * d * 4) / 2 ** 30;
  const rows = Object.entries(times).map(([format, t]) => ({
    format,
    matrixMs: median(t.matrix),
    batchesMs: median(t.batches),
    gibPerSecond: gib / (median(t.matrix) / 1000),
    samples: t,
  }));
  const result = { machine: machineInfo(), command: options.command, rows: n, cols: d, gib, formats: rows, numpyLoadMs: numpyMs };
  writeResults(options, 'read', result);
  console.log(`\n${n} × ${d} float32 embeddings (${gib.toFixed(2)} GiB) read into a Matrix — ${result.machine.cpu}, ${result.machine.cores} cores`);
  console.log('format    matrix      batches alone   GiB/s');
  for (const r of rows) console.log(`${r.format.padEnd(8)}  ${(r.matrixMs / 1000).toFixed(2).padStart(6)} s   ${(r.batchesMs / 1000).toFixed(2).padStart(6)} s        ${r.gibPerSecond.toFixed(2)}`);
  console.log(`NumPy np.load of the .npy: ${numpyMs === undefined ? `not run (${numpy.stderr?.trim().split('\n').at(-1) ?? numpy.error?.message})` : `${(numpyMs / 1000).toFixed(2)} s`}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
