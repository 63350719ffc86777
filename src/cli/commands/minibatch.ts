import * as arrow from 'apache-arrow';
import {
  matrixPasses,
  resolveMiniBatchOptions,
  standardizedPasses,
  streamMoments,
  type MatrixPasses,
  type MiniBatchKMeansOptions,
} from '../../algorithms/minibatch.js';
import { Engine } from '../../engine.js';
import { optionError } from '../../errors.js';
import { makeBatch } from '../../io/batch.js';
import { openTable, schemaWith, writeTable, type ColumnSelection } from '../../io/index.js';
import type { Matrix } from '../../matrix.js';
import { choiceOption, COMMON_OPTIONS, integerOption, listOption, numberOption, parse, stringOption } from '../args.js';
import { checkOutputPath, engineOptions, FEATURE_OPTIONS } from '../features.js';
import { emit } from '../output.js';
import { note, Progress } from '../progress.js';

export const MINIBATCH_USAGE = `clusterkit minibatch <input> --k N [--batch-size 1024] [--max-iter 100] [--n-init 3] [--init-size N]
    [--init k-means++|random] [--tol 0] [--max-no-improvement 10] [--reassignment-ratio 0.01]
    [--shuffle-buffer N] [--seed S] [--columns a,b,c | --embedding col] [--exclude a,b]
    [--scale none|standard] [--backend auto|webgpu|wasm|js] [--threads N] [-o out.(csv|parquet|arrow)] [--json]
  Mini-batch k-means (scikit-learn's MiniBatchKMeans) on data larger than memory: the input is
  read in record batches, pass after pass (--max-iter passes at most, early stopping as
  scikit-learn), through a shuffle buffer of --shuffle-buffer rows (default 32 batches). A last
  pass computes the inertia and, with -o, writes the input's columns plus "cluster" (int32).`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  ...FEATURE_OPTIONS,
  k: { type: 'string' },
  'batch-size': { type: 'string' },
  'max-iter': { type: 'string' },
  'n-init': { type: 'string' },
  'init-size': { type: 'string' },
  init: { type: 'string' },
  tol: { type: 'string' },
  'max-no-improvement': { type: 'string' },
  'reassignment-ratio': { type: 'string' },
  'shuffle-buffer': { type: 'string' },
  seed: { type: 'string' },
  output: { type: 'string', short: 'o' },
} as const;

/** Options named as on the command line, so that a bad value's message names the flag. */
const FLAGS: Record<string, string> = {
  k: '--k',
  batchSize: '--batch-size',
  maxIter: '--max-iter',
  nInit: '--n-init',
  initSize: '--init-size',
  tol: '--tol',
  maxNoImprovement: '--max-no-improvement',
  reassignmentRatio: '--reassignment-ratio',
  shuffleBuffer: '--shuffle-buffer',
  seed: '--seed',
};

export async function minibatch(argv: string[]): Promise<void> {
  const { values, positionals } = parse('minibatch', argv, OPTIONS, ['input']);
  const k = integerOption(values, 'k');
  if (k === undefined) throw optionError('--k', 'is required (the number of clusters)');
  const output = stringOption(values, 'output');
  checkOutputPath(output);
  const options: MiniBatchKMeansOptions = {
    k,
    batchSize: integerOption(values, 'batch-size'),
    maxIter: integerOption(values, 'max-iter'),
    nInit: integerOption(values, 'n-init'),
    initSize: integerOption(values, 'init-size'),
    init: choiceOption(values, 'init', ['k-means++', 'random'] as const),
    tol: numberOption(values, 'tol'),
    maxNoImprovement: integerOption(values, 'max-no-improvement'),
    reassignmentRatio: numberOption(values, 'reassignment-ratio'),
    shuffleBuffer: integerOption(values, 'shuffle-buffer'),
    seed: integerOption(values, 'seed'),
    computeLabels: false, // the output pass below labels the rows batch by batch
  };
  try {
    resolveMiniBatchOptions(options); // bad options fail before any data is read
  } catch (error) {
    throw renameOption(error);
  }
  const selection: ColumnSelection = {
    columns: listOption(values, 'columns'),
    embedding: stringOption(values, 'embedding'),
    exclude: listOption(values, 'exclude'),
  };
  const scale = choiceOption(values, 'scale', ['none', 'standard'] as const) ?? 'none';
  const source = await openTable(positionals[0]!);

  const engine = await Engine.create(engineOptions(values));
  try {
    const progress = new Progress();
    const started = performance.now();
    let columns: string[] = [];
    let passes: MatrixPasses = matrixPasses(source, selection, (names) => (columns = names));
    // z-scores need the whole data's means and deviations: one more pass, still batch by batch.
    const standardize = scale === 'standard' ? await streamMoments(passes) : undefined;
    if (standardize) passes = standardizedPasses(passes, standardize.mean, standardize.scale);
    const model = await engine
      .miniBatchKMeans(passes, {
        ...options,
        onProgress: (p) =>
          progress.update(p.fraction, `${p.stage}${p.stage === 'train' ? ` pass ${p.epoch} step ${p.step}${p.ewaInertia === null ? '' : ` ewa inertia ${p.ewaInertia.toPrecision(5)}`}` : ''}`),
      })
      .catch((error: unknown) => {
        throw renameOption(error);
      });
    const fitSeconds = (performance.now() - started) / 1000;

    // The last pass: labels and inertia batch by batch, written out with -o.
    const sizes = new Array<number>(k).fill(0);
    let inertia = 0;
    const centroids = model.centroids.toFloat32Array();
    const d = model.d;
    const label = async (batch: arrow.RecordBatch): Promise<Int32Array> => {
      let one: MatrixPasses = matrixPasses(() => [batch], selection);
      if (standardize) one = standardizedPasses(one, standardize.mean, standardize.scale);
      let matrix: Matrix | undefined;
      for await (const m of one()) matrix = m;
      if (!matrix) return new Int32Array(0);
      const labels = await model.predict(matrix);
      for (let i = 0; i < matrix.rows; i++) {
        const row = matrix.row(i);
        const c = labels[i]!;
        sizes[c]! += 1;
        for (let j = 0; j < d; j++) inertia += (row[j]! - centroids[c * d + j]!) ** 2;
      }
      return labels;
    };
    progress.update(0.97, 'labelling');
    if (output) {
      const drop = source.schema.fields.some((f) => f.name === 'cluster') ? ['cluster'] : [];
      if (drop.length) note(`the input's "cluster" column is replaced in ${output}`);
      const schema = schemaWith(source.schema, { drop, append: [{ name: 'cluster', values: new Int32Array(0) }] });
      const keep = source.schema.fields.flatMap((f, i) => (drop.includes(f.name) ? [] : [i]));
      await writeTable(output, schema, withClusters(source.batches(), schema, keep, label));
    } else {
      for await (const batch of source.batches()) if (batch.numRows > 0) await label(batch);
    }
    const seconds = (performance.now() - started) / 1000;
    progress.done();

    const result = {
      backend: engine.backend,
      n: model.n,
      d: model.d,
      k,
      inertia,
      steps: model.steps,
      epochs: model.epochs,
      converged: model.converged,
      seconds,
      fitSeconds,
      sizes,
      columns,
      ...(output ? { output } : {}),
    };
    emit(values.json, result, () =>
      [
        `mini-batch k-means, k = ${k}, on ${result.n} rows × ${result.d} features streamed from ${source.path} (${engine.description}): ${model.steps} steps over ${model.epochs} pass(es), ${model.converged ? 'stopped early (converged)' : 'max-iter reached'}, ${seconds.toFixed(3)} s`,
        `inertia ${inertia.toPrecision(8)}`,
        `cluster sizes: ${sizes.map((s, c) => `${c}: ${s}`).join(', ')}`,
        ...(output ? [`wrote ${output}`] : []),
      ].join('\n'),
    );
  } finally {
    engine.dispose();
  }
}

/** Each batch (its `keep` columns) with its rows' clusters appended; labels come from the whole input batch. */
async function* withClusters(
  batches: AsyncIterable<arrow.RecordBatch>,
  schema: arrow.Schema,
  keep: number[],
  label: (batch: arrow.RecordBatch) => Promise<Int32Array>,
): AsyncGenerator<arrow.RecordBatch> {
  for await (const batch of batches) {
    const labels = batch.numRows > 0 ? await label(batch) : new Int32Array(0);
    const column = arrow.makeData({ type: new arrow.Int32(), length: batch.numRows, nullCount: 0, data: labels });
    yield makeBatch(schema, batch.numRows, [...keep.map((i) => batch.data.children[i]!), column]);
  }
}

/** The algorithm names options as the API does (batchSize); the CLI user typed --batch-size. */
function renameOption(error: unknown): unknown {
  if (!(error instanceof Error) || !('kind' in error) || (error as { kind: string }).kind !== 'option') return error;
  const match = /^option (\w+): /.exec(error.message);
  const flag = match ? FLAGS[match[1]!] : undefined;
  if (!flag) return error;
  return optionError(flag, error.message.slice(match![0].length));
}
