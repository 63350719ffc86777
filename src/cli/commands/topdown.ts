import * as arrow from 'apache-arrow';
import { optionError } from '../../errors.js';
import { makeBatch } from '../../io/batch.js';
import { appendColumns, dropColumns, schemaWith, writeTable } from '../../io/index.js';
import { choiceOption, COMMON_OPTIONS, integerOption, parse, stringOption } from '../args.js';
import { checkOutputPath, FEATURE_OPTIONS, noteReplaced, runOnFeatures } from '../features.js';
import { emit } from '../output.js';
import { kmeansCliOptions, KMEANS_OPTIONS } from './kmeans.js';
import { checkKsFit, kRangeOption } from './sweep.js';

export const TOPDOWN_USAGE = `clusterkit topdown <input> --k N --sub-k 2..6 [--criterion silhouette|calinski-harabasz|davies-bouldin]
    [--sample-size N] [--columns a,b,c | --embedding col] [--exclude a,b] [--scale none|standard]
    [--init k-means++|random] [--n-init N] [--max-iter N] [--tol T] [--seed S] [--algorithm auto|lloyd|hamerly]
    [--backend auto|webgpu|wasm|js] [--threads N] [-o out.(csv|parquet|arrow)] [--json]
  Two-level clustering: k-means with --k clusters, then each cluster split again by k-means with
  its own k from --sub-k, chosen by the criterion (default: the highest silhouette). The output
  adds "cluster" (int32, the sub-clusters numbered in order), "parent" and "child" (int32) and
  "cluster_id" (text "parent.child", e.g. "2.3").`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  ...FEATURE_OPTIONS,
  ...KMEANS_OPTIONS,
  k: { type: 'string' },
  'sub-k': { type: 'string' },
  criterion: { type: 'string' },
  'sample-size': { type: 'string' },
  output: { type: 'string', short: 'o' },
} as const;

const CRITERIA = { silhouette: 'silhouette', 'calinski-harabasz': 'calinski_harabasz', 'davies-bouldin': 'davies_bouldin' } as const;
const ADDED = ['cluster', 'parent', 'child', 'cluster_id'];

export async function topdown(argv: string[]): Promise<void> {
  const { values, positionals } = parse('topdown', argv, OPTIONS, ['input']);
  const k = integerOption(values, 'k');
  if (k === undefined) throw optionError('--k', 'is required (the clusters of the top split)');
  if (k < 1) throw optionError('--k', `must be at least 1, got ${k}`);
  const subKs = kRangeOption(values, 'sub-k') ?? [2, 3, 4, 5, 6];
  const subKMin = subKs[0]!;
  const subKMax = subKs[subKs.length - 1]!;
  if (subKs.length !== subKMax - subKMin + 1) throw optionError('--sub-k', 'must be a range A..B (every k from A to B is tried)');
  const criterion = CRITERIA[choiceOption(values, 'criterion', Object.keys(CRITERIA) as (keyof typeof CRITERIA)[]) ?? 'silhouette'];
  const sampleSize = integerOption(values, 'sample-size');
  if (sampleSize !== undefined && sampleSize < 2) throw optionError('--sample-size', `must be at least 2, got ${sampleSize}`);
  const output = stringOption(values, 'output');
  checkOutputPath(output);
  const kmeansOptions = kmeansCliOptions(values);
  const checkRows = (x: { rows: number }) => {
    if (k > x.rows) throw optionError('--k', `k = ${k} is more than the ${x.rows} rows`);
    checkKsFit('--sub-k', [subKMin], x.rows);
  };
  const { source, matrix, columns, result: fit, seconds, loadSeconds, backend } = await runOnFeatures(values, positionals[0]!, checkRows, (engine, data, progress) =>
    engine.topDown(data, {
      ...kmeansOptions,
      k,
      subKMin,
      subKMax,
      criterion,
      sampleSize,
      onProgress: (p) => progress.update(p.fraction, p.stage === 'top' ? `top split, k = ${k}` : `group ${p.group + 1}/${p.groups}`),
    }),
  );

  if (output) {
    const drop = source.schema.fields.filter((f) => ADDED.includes(f.name)).map((f) => f.name);
    noteReplaced(drop, output);
    const append = [
      { name: 'cluster', values: fit.labels },
      { name: 'parent', values: fit.parent },
      { name: 'child', values: fit.child },
    ];
    const withInts = schemaWith(source.schema, { drop, append });
    const schema = new arrow.Schema([...withInts.fields, new arrow.Field('cluster_id', new arrow.Utf8(), false)], withInts.metadata);
    await writeTable(output, schema, withIds(appendColumns(dropColumns(source.batches(), drop), append), schema, fit.labels, fit.ids));
  }

  const result = {
    backend,
    n: matrix.rows,
    d: matrix.cols,
    k,
    subK: [subKMin, subKMax],
    criterion,
    clusters: fit.ids.length,
    ids: fit.ids,
    inertia: fit.inertia,
    seconds,
    loadSeconds,
    top: { inertia: fit.top.inertia, sizes: fit.top.sizes },
    groups: fit.groups,
    sizes: new Array<number>(fit.ids.length).fill(0),
    columns,
    ...(output ? { output } : {}),
  };
  for (const label of fit.labels) result.sizes[label]! += 1;
  emit(values.json, result, () =>
    [
      `top-down clustering on ${result.n} rows × ${result.d} features (${backend}), ${seconds.toFixed(3)} s: ${k} top clusters, ${fit.ids.length} sub-clusters, inertia ${fit.inertia.toPrecision(8)}`,
      ...fit.groups.map((g) => {
        const scores = g.scores.map((s) => `${s.k}: ${formatScore(criterion === 'silhouette' ? s.silhouette : criterion === 'calinski_harabasz' ? s.calinskiHarabasz : s.daviesBouldin)}`).join(', ');
        return `  group ${g.parent} (${g.size} rows): k = ${g.k}${scores ? ` (${criterion} ${scores})` : ' (too small to split)'}`;
      }),
      `cluster sizes: ${fit.ids.map((id, c) => `${id}: ${result.sizes[c]}`).join(', ')}`,
      ...(output ? [`wrote ${output}`] : []),
    ].join('\n'),
  );
}

function formatScore(value: number | null): string {
  return value === null ? '—' : value.toFixed(4);
}

/** Appends the text column cluster_id ("parent.child" of each row's flat cluster). */
async function* withIds(batches: AsyncIterable<arrow.RecordBatch>, schema: arrow.Schema, labels: Int32Array, ids: string[]): AsyncGenerator<arrow.RecordBatch> {
  let start = 0;
  for await (const batch of batches) {
    const text = Array.from(labels.subarray(start, start + batch.numRows), (label) => ids[label]!);
    const column = arrow.vectorFromArray(text, new arrow.Utf8()).data[0]!;
    yield makeBatch(schema, batch.numRows, [...batch.data.children, column]);
    start += batch.numRows;
  }
}
