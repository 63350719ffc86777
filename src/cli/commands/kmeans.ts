import { resolveKMeansOptions, type KMeansOptions } from '../../algorithms/kmeans.js';
import { optionError } from '../../errors.js';
import { choiceOption, COMMON_OPTIONS, integerOption, numberOption, parse, stringOption, type Parsed } from '../args.js';
import { checkOutputPath, FEATURE_OPTIONS, runOnFeatures, writeWithColumns } from '../features.js';
import { emit } from '../output.js';

export const KMEANS_USAGE = `clusterkit kmeans <input> --k N [--columns a,b,c | --embedding col] [--exclude a,b]
    [--scale none|standard] [--init k-means++|random] [--n-init N] [--max-iter N] [--tol T] [--seed S]
    [--algorithm auto|lloyd|hamerly] [--backend auto|webgpu|wasm|js] [--threads N] [-o out.(csv|parquet|arrow)] [--json]
  k-means. The output keeps the input's columns and adds "cluster" (int32).`;

/** The k-means options, shared by the sweep, topdown and bisect commands. */
export const KMEANS_OPTIONS = {
  seed: { type: 'string' },
  'n-init': { type: 'string' },
  'max-iter': { type: 'string' },
  tol: { type: 'string' },
  init: { type: 'string' },
  algorithm: { type: 'string' },
} as const;

/** The k-means options, parsed (the algorithm validates them before any work). */
export function kmeansCliOptions(values: Parsed['values']) {
  return {
    init: choiceOption(values, 'init', ['k-means++', 'random'] as const),
    algorithm: choiceOption(values, 'algorithm', ['auto', 'lloyd', 'hamerly'] as const),
    nInit: integerOption(values, 'n-init'),
    maxIter: integerOption(values, 'max-iter'),
    tol: numberOption(values, 'tol'),
    seed: integerOption(values, 'seed'),
  };
}

const OPTIONS = {
  ...COMMON_OPTIONS,
  ...FEATURE_OPTIONS,
  ...KMEANS_OPTIONS,
  k: { type: 'string' },
  output: { type: 'string', short: 'o' },
} as const;

export async function kmeans(argv: string[]): Promise<void> {
  const { values, positionals } = parse('kmeans', argv, OPTIONS, ['input']);
  const k = integerOption(values, 'k');
  if (k === undefined) throw optionError('--k', 'is required (the number of clusters)');
  const output = stringOption(values, 'output');
  checkOutputPath(output);
  const options: KMeansOptions = { k, ...kmeansCliOptions(values) };
  const { source, matrix, columns, result: fit, seconds, loadSeconds, backend } = await runOnFeatures(
    values,
    positionals[0]!,
    (x) => resolveKMeansOptions(options, x.rows, x.cols), // bad options fail before the fit
    (engine, data, progress) =>
      engine.kmeans(data, {
        ...options,
        onIteration: (p) => progress.update((p.run + p.iteration / p.maxIter) / p.runs, `run ${p.run + 1}/${p.runs} iteration ${p.iteration} inertia ${p.inertia.toPrecision(6)}`),
      }),
  );

  if (output) {
    await writeWithColumns(source, output, [{ name: 'cluster', values: fit.labels }]);
  }

  const sizes = new Array<number>(k).fill(0);
  for (const label of fit.labels) sizes[label]! += 1;
  const result = {
    backend,
    n: matrix.rows,
    d: matrix.cols,
    k,
    inertia: fit.inertia,
    iterations: fit.iterations,
    converged: fit.converged,
    seconds,
    loadSeconds,
    sizes,
    columns,
    ...(output ? { output } : {}),
  };
  emit(values.json, result, () =>
    [
      `k-means, k = ${k}, on ${result.n} rows × ${result.d} features (${backend}): ${fit.iterations} iterations, ${fit.converged ? 'converged' : 'not converged (max-iter reached)'}, ${seconds.toFixed(3)} s`,
      `inertia ${fit.inertia.toPrecision(8)}`,
      `cluster sizes: ${sizes.map((s, c) => `${c}: ${s}`).join(', ')}`,
      ...(output ? [`wrote ${output}`] : []),
    ].join('\n'),
  );
}
