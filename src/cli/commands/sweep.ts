import { extname } from 'node:path';
import type { SweepOptions } from '../../algorithms/sweep.js';
import { optionError } from '../../errors.js';
import { writeTextFile } from '../../io/index.js';
import { COMMON_OPTIONS, integerOption, parse, stringOption, type Parsed } from '../args.js';
import { FEATURE_OPTIONS, runOnFeatures } from '../features.js';
import { kmeansCliOptions, KMEANS_OPTIONS } from './kmeans.js';
import { emit } from '../output.js';

export const SWEEP_USAGE = `clusterkit sweep <input> --k 2..10 [--columns a,b,c | --embedding col] [--exclude a,b]
    [--scale none|standard] [--sample-size N] [--no-silhouette] [--init k-means++|random] [--n-init N]
    [--max-iter N] [--tol T] [--seed S] [--algorithm auto|lloyd|hamerly] [--backend auto|webgpu|wasm|js]
    [--threads N] [-o sweep.json] [--json]
  Choosing k: k-means for every k of the range (A..B, or a list 2,4,8), each scored by inertia,
  silhouette (exact, or on --sample-size rows), Calinski-Harabasz and Davies-Bouldin; prints a
  table, or with --json one object that also holds the clustergram data (each cluster's mean on
  the first principal component, sizes, and rows moving between consecutive k). -o writes that
  JSON object to a file.`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  ...FEATURE_OPTIONS,
  ...KMEANS_OPTIONS,
  k: { type: 'string' },
  'sample-size': { type: 'string' },
  'no-silhouette': { type: 'boolean' },
  output: { type: 'string', short: 'o' },
} as const;

/**
 * A k range option: "A..B" (inclusive), a list "2,4,8", or one k. Each k must be an integer of
 * at least `min`. Returns the sorted distinct values.
 */
export function kRangeOption(values: Parsed['values'], name: string, min = 2): number[] | undefined {
  const text = stringOption(values, name);
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  const range = /^(\d+)\s*\.\.\s*(\d+)$/.exec(trimmed);
  let ks: number[];
  if (range) {
    const [lo, hi] = [Number(range[1]), Number(range[2])];
    if (lo > hi) throw optionError(`--${name}`, `the range ${lo}..${hi} is empty (start > end); write it as ${hi}..${lo}`);
    if (hi - lo > 10_000) throw optionError(`--${name}`, `the range ${lo}..${hi} has more than 10000 values`);
    ks = Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
  } else if (/^\d+(\s*,\s*\d+)*$/.test(trimmed)) {
    ks = trimmed.split(',').map((s) => Number(s.trim()));
  } else {
    throw optionError(`--${name}`, `expected a range like 2..10, a list like 2,4,8 or one integer, got "${text}"`);
  }
  const small = ks.find((k) => k < min);
  if (small !== undefined) throw optionError(`--${name}`, `k = ${small} is too small; every k must be at least ${min}`);
  return [...new Set(ks)].sort((a, b) => a - b);
}

/** Fails unless every k leaves at least one row more than clusters (the scores need k ≤ n − 1). */
export function checkKsFit(option: string, ks: readonly number[], rows: number): void {
  const largest = ks[ks.length - 1]!;
  if (largest > rows - 1) throw optionError(option, `k = ${largest} is too large for ${rows} rows (at most n − 1 = ${rows - 1})`);
}

export async function sweep(argv: string[]): Promise<void> {
  const { values, positionals } = parse('sweep', argv, OPTIONS, ['input']);
  const ks = kRangeOption(values, 'k');
  if (ks === undefined) throw optionError('--k', 'is required (the k range, e.g. --k 2..10)');
  const output = stringOption(values, 'output');
  if (output !== undefined && extname(output).toLowerCase() !== '.json') {
    throw optionError('-o', `sweep writes its result as JSON; "${output}" does not end in .json`);
  }
  const kmeansOptions = kmeansCliOptions(values);
  const sampleSize = integerOption(values, 'sample-size');
  if (sampleSize !== undefined && sampleSize < 2) throw optionError('--sample-size', `must be at least 2, got ${sampleSize}`);
  const withSilhouette = !values['no-silhouette'];
  const checkRows = (x: { rows: number }) => {
    checkKsFit('--k', ks, x.rows);
    if (withSilhouette && sampleSize !== undefined && sampleSize < x.rows) checkKsFit('--k', ks, sampleSize);
  };

  const options: SweepOptions = { ...kmeansOptions, ks, silhouette: withSilhouette, sampleSize };
  const { columns, result: swept, seconds, loadSeconds, backend } = await runOnFeatures(values, positionals[0]!, checkRows, (engine, data, progress) =>
    engine.sweep(data, {
      ...options,
      onProgress: (p) => progress.update(p.fraction, `k = ${p.k} (${p.index + 1}/${p.count}): ${p.stage}`),
    }),
  );

  const pc = swept.principalComponent;
  const result = {
    backend,
    n: swept.n,
    d: swept.d,
    ks,
    seconds,
    loadSeconds,
    silhouetteSample: swept.silhouetteSample,
    best: swept.best,
    entries: swept.entries.map((e) => ({
      k: e.k,
      inertia: e.inertia,
      silhouette: e.silhouette,
      calinskiHarabasz: e.calinskiHarabasz,
      daviesBouldin: e.daviesBouldin,
      iterations: e.iterations,
      converged: e.converged,
      sizes: e.sizes,
    })),
    clustergram: pc && {
      component: Array.from(pc.component),
      mean: Array.from(pc.mean),
      explainedVarianceRatio: pc.explainedVarianceRatio,
      rowsUsed: pc.rowsUsed,
      ks: swept.entries.map((e) => ({ k: e.k, sizes: e.sizes, positions: e.positions, flows: e.flows })),
    },
    columns,
    ...(output ? { output } : {}),
  };
  if (output) await writeTextFile(output, JSON.stringify(result) + '\n');
  const mode = !withSilhouette ? 'skipped' : swept.silhouetteSample === null ? 'exact' : `on ${swept.silhouetteSample} sampled rows`;
  emit(values.json, result, () => sweepTable(result, backend, mode));
}

function sweepTable(
  result: {
    n: number;
    d: number;
    seconds: number;
    best: { silhouette: number | null; calinskiHarabasz: number | null; daviesBouldin: number | null };
    entries: { k: number; inertia: number; silhouette: number | null; calinskiHarabasz: number | null; daviesBouldin: number | null }[];
    output?: string;
  },
  backend: string,
  silhouette: string,
): string {
  const cell = (v: number | null, digits: number) => (v === null ? '—' : v.toFixed(digits));
  const header = ['k', 'inertia', 'silhouette', 'calinski_harabasz', 'davies_bouldin'];
  const rows = result.entries.map((e) => [String(e.k), e.inertia.toPrecision(8), cell(e.silhouette, 4), cell(e.calinskiHarabasz, 2), cell(e.daviesBouldin, 4)]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((s, c) => s.padStart(widths[c]!)).join('  ');
  const best = result.best;
  return [
    `sweep over ${result.entries.length} values of k on ${result.n} rows × ${result.d} features (${backend}), ${result.seconds.toFixed(3)} s; silhouette ${silhouette}`,
    line(header),
    ...rows.map(line),
    `best k: silhouette ${best.silhouette ?? '—'}, Calinski-Harabasz ${best.calinskiHarabasz ?? '—'}, Davies-Bouldin ${best.daviesBouldin ?? '—'} (look for the elbow in inertia)`,
    ...(result.output ? [`wrote ${result.output}`] : []),
  ].join('\n');
}
