import { resolveAffinityOptions, type AffinityOptions } from '../../algorithms/affinity.js';
import { COMMON_OPTIONS, integerOption, numberOption, parse, stringOption } from '../args.js';
import { checkOutputPath, FEATURE_OPTIONS, runOnFeatures, writeWithColumns } from '../features.js';
import { emit } from '../output.js';
import { note } from '../progress.js';
import { withFlagNames } from './agglomerative.js';

export const AFFINITY_USAGE = `clusterkit affinity <input> [--damping 0.5] [--preference P] [--max-iter 200] [--convergence-iter 15] [--seed S]
    [--columns a,b,c | --embedding col] [--exclude a,b] [--scale none|standard]
    [--backend auto|webgpu|wasm|js] [--threads N] [-o out.(csv|parquet|arrow)] [--json]
  Affinity propagation (scikit-learn's AffinityPropagation) on negative squared Euclidean
  distances; the preference defaults to their median (lower: fewer clusters; negative values
  need "=": --preference=-50). The output keeps
  the input's columns and adds "cluster" (int32; -1 everywhere if no exemplar emerged). Memory:
  three n × n float64 matrices (24·n² bytes), so meant for up to a few thousand rows.`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  ...FEATURE_OPTIONS,
  damping: { type: 'string' },
  preference: { type: 'string' },
  'max-iter': { type: 'string' },
  'convergence-iter': { type: 'string' },
  seed: { type: 'string' },
  output: { type: 'string', short: 'o' },
} as const;

const FLAGS: Record<string, string> = {
  damping: '--damping',
  preference: '--preference',
  maxIter: '--max-iter',
  convergenceIter: '--convergence-iter',
  seed: '--seed',
};

export async function affinity(argv: string[]): Promise<void> {
  const { values, positionals } = parse('affinity', argv, OPTIONS, ['input']);
  const output = stringOption(values, 'output');
  checkOutputPath(output);
  const options: AffinityOptions = {
    damping: numberOption(values, 'damping'),
    preference: numberOption(values, 'preference'),
    maxIter: integerOption(values, 'max-iter'),
    convergenceIter: integerOption(values, 'convergence-iter'),
    seed: integerOption(values, 'seed'),
  };
  withFlagNames(() => resolveAffinityOptions(options, 1), FLAGS); // option errors before reading the data
  const checkRows = (x: { rows: number }) => withFlagNames(() => resolveAffinityOptions(options, x.rows), FLAGS);

  const { source, matrix, columns, result: fit, seconds, loadSeconds, backend } = await runOnFeatures(values, positionals[0]!, checkRows, (engine, data, progress) =>
    engine.affinityPropagation(data, {
      ...options,
      onIteration: (p) => progress.update(p.iteration / p.maxIter, `iteration ${p.iteration}: ${p.exemplars} exemplars`),
    }),
  );
  if (!fit.converged) note(`did not converge in ${fit.iterations} iterations (raise --max-iter or --damping)`);

  if (output) {
    await writeWithColumns(source, output, [{ name: 'cluster', values: fit.labels }]);
  }

  const sizes = new Array<number>(fit.exemplars.length).fill(0);
  for (const label of fit.labels) if (label >= 0) sizes[label]! += 1;
  const result = {
    backend,
    n: matrix.rows,
    d: matrix.cols,
    clusters: fit.exemplars.length,
    exemplars: Array.from(fit.exemplars),
    iterations: fit.iterations,
    converged: fit.converged,
    preference: typeof fit.preference === 'number' ? fit.preference : null,
    seconds,
    loadSeconds,
    sizes,
    columns,
    ...(output ? { output } : {}),
  };
  emit(values.json, result, () =>
    [
      `affinity propagation on ${result.n} rows × ${result.d} features (${backend}): ${result.clusters} clusters, ${fit.iterations} iterations, ${fit.converged ? 'converged' : 'not converged'}, ${seconds.toFixed(3)} s`,
      `preference ${typeof fit.preference === 'number' ? fit.preference.toPrecision(6) : 'per row'}`,
      `exemplar rows (1-based): ${result.exemplars.map((e) => e + 1).join(', ')}`,
      `cluster sizes: ${sizes.map((s, c) => `${c}: ${s}`).join(', ')}`,
      ...(output ? [`wrote ${output}`] : []),
    ].join('\n'),
  );
}
