import type { BisectingStrategy } from '../../algorithms/topdown.js';
import { optionError } from '../../errors.js';
import { choiceOption, COMMON_OPTIONS, integerOption, numberOption, parse, stringOption } from '../args.js';
import { checkOutputPath, FEATURE_OPTIONS, runOnFeatures, writeWithColumns } from '../features.js';
import { emit } from '../output.js';
import { KMEANS_OPTIONS } from './kmeans.js';

export const BISECT_USAGE = `clusterkit bisect <input> --k N [--strategy biggest-inertia|largest-cluster] [--init random|k-means++]
    [--n-init N] [--max-iter N] [--tol T] [--seed S] [--algorithm auto|lloyd|hamerly]
    [--columns a,b,c | --embedding col] [--exclude a,b] [--scale none|standard]
    [--backend auto|webgpu|wasm|js] [--threads N] [-o out.(csv|parquet|arrow)] [--json]
  Bisecting k-means (scikit-learn's BisectingKMeans): split the cluster with the largest inertia
  (or the most rows) in two with 2-means until there are k. Defaults as scikit-learn: random init,
  one run per split, tol 1e-4 on the squared centre shift. The output adds "cluster" (int32).`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  ...FEATURE_OPTIONS,
  ...KMEANS_OPTIONS,
  k: { type: 'string' },
  strategy: { type: 'string' },
  output: { type: 'string', short: 'o' },
} as const;

const STRATEGIES = { 'biggest-inertia': 'biggest_inertia', 'largest-cluster': 'largest_cluster' } as const satisfies Record<string, BisectingStrategy>;

export async function bisect(argv: string[]): Promise<void> {
  const { values, positionals } = parse('bisect', argv, OPTIONS, ['input']);
  const k = integerOption(values, 'k');
  if (k === undefined) throw optionError('--k', 'is required (the number of clusters)');
  if (k < 1) throw optionError('--k', `must be at least 1, got ${k}`);
  const strategy = STRATEGIES[choiceOption(values, 'strategy', Object.keys(STRATEGIES) as (keyof typeof STRATEGIES)[]) ?? 'biggest-inertia'];
  const init = choiceOption(values, 'init', ['random', 'k-means++'] as const);
  const algorithm = choiceOption(values, 'algorithm', ['auto', 'lloyd', 'hamerly'] as const);
  const nInit = integerOption(values, 'n-init');
  if (nInit !== undefined && nInit < 1) throw optionError('--n-init', `must be at least 1, got ${nInit}`);
  const maxIter = integerOption(values, 'max-iter');
  if (maxIter !== undefined && maxIter < 1) throw optionError('--max-iter', `must be at least 1, got ${maxIter}`);
  const tol = numberOption(values, 'tol');
  if (tol !== undefined && tol < 0) throw optionError('--tol', `must be at least 0, got ${tol}`);
  const seed = integerOption(values, 'seed');
  const output = stringOption(values, 'output');
  checkOutputPath(output);
  const checkRows = (x: { rows: number }) => {
    if (k > x.rows) throw optionError('--k', `k = ${k} is more than the ${x.rows} rows`);
  };

  const { source, matrix, columns, result: fit, seconds, loadSeconds, backend } = await runOnFeatures(values, positionals[0]!, checkRows, (engine, data, progress) =>
    engine.bisectingKMeans(data, {
      k,
      strategy,
      init,
      algorithm,
      nInit,
      maxIter,
      tol,
      seed,
      onProgress: (p) => progress.update(p.fraction, `split ${p.split + 1}/${p.splits}`),
    }),
  );

  if (output) {
    await writeWithColumns(source, output, [{ name: 'cluster', values: fit.labels }]);
  }

  const result = {
    backend,
    n: matrix.rows,
    d: matrix.cols,
    k,
    strategy,
    inertia: fit.inertia,
    seconds,
    loadSeconds,
    sizes: fit.sizes,
    tree: fit.tree.map(({ center: _center, ...node }) => node),
    columns,
    ...(output ? { output } : {}),
  };
  emit(values.json, result, () =>
    [
      `bisecting k-means, k = ${k} (${strategy}), on ${result.n} rows × ${result.d} features (${backend}), ${seconds.toFixed(3)} s`,
      `inertia ${fit.inertia.toPrecision(8)}`,
      `cluster sizes: ${fit.sizes.map((s, c) => `${c}: ${s}`).join(', ')}`,
      ...(output ? [`wrote ${output}`] : []),
    ].join('\n'),
  );
}
