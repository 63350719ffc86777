import { Engine } from '../../engine.js';
import { inputError, optionError } from '../../errors.js';
import { formatFloat32 } from '../../io/csv.js';
import { readMatrix } from '../../io/index.js';
import { COMMON_OPTIONS, integerOption, parse, stringOption } from '../args.js';
import { engineOptions, FEATURE_OPTIONS, readFeatures } from '../features.js';
import { emit } from '../output.js';

export const SILHOUETTE_USAGE = `clusterkit silhouette <input> --labels col [--columns a,b,c | --embedding col] [--exclude a,b]
    [--scale none|standard] [--sample-size N] [--seed S] [--backend auto|webgpu|wasm|js] [--threads N] [--json]
  Mean silhouette coefficient of the clustering in column --labels (Euclidean distances); the
  features are every numeric column but the labels unless chosen.`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  ...FEATURE_OPTIONS,
  labels: { type: 'string' },
  'sample-size': { type: 'string' },
  seed: { type: 'string' },
} as const;

export async function silhouette(argv: string[]): Promise<void> {
  const { values, positionals } = parse('silhouette', argv, OPTIONS, ['input']);
  const labelColumn = stringOption(values, 'labels');
  if (labelColumn === undefined) throw optionError('--labels', 'is required (the column holding cluster labels)');
  const { source, matrix, columns } = await readFeatures(positionals[0]!, values, [labelColumn]);
  if (columns.includes(labelColumn)) throw optionError('--columns', `the labels column "${labelColumn}" cannot also be a feature`);
  const labels = (await readMatrix(source, { columns: [labelColumn] })).matrix.toFloat32Array();
  const fractional = labels.findIndex((v) => !Number.isInteger(v));
  if (fractional >= 0) throw inputError(`${source.path}: column "${labelColumn}", row ${fractional + 1}: label ${formatFloat32(labels[fractional]!)} is not an integer`);

  const engine = await Engine.create(engineOptions(values));
  try {
    const started = performance.now();
    const scored = await engine.silhouette(matrix, labels, {
      sampleSize: integerOption(values, 'sample-size'),
      seed: integerOption(values, 'seed'),
    });
    const seconds = (performance.now() - started) / 1000;
    const result = {
      backend: engine.backend,
      n: matrix.rows,
      d: matrix.cols,
      clusters: new Set(labels).size,
      score: scored.score,
      sampled: scored.sampleIndices?.length ?? null,
      seconds,
      columns,
    };
    emit(values.json, result, () =>
      `silhouette ${scored.score.toFixed(6)} over ${result.sampled ?? result.n} rows, ${result.clusters} clusters (${engine.backend}, ${seconds.toFixed(3)} s)`,
    );
  } finally {
    engine.dispose();
  }
}
