import * as arrow from 'apache-arrow';
import { LINKAGES, resolveAgglomerativeOptions, type AgglomerativeOptions } from '../../algorithms/agglomerative.js';
import { ClusterkitError, optionError } from '../../errors.js';
import { makeBatch } from '../../io/batch.js';
import { writeTable } from '../../io/index.js';
import { choiceOption, COMMON_OPTIONS, integerOption, numberOption, parse, stringOption } from '../args.js';
import { checkOutputPath, FEATURE_OPTIONS, runOnFeatures, writeWithColumns } from '../features.js';
import { emit } from '../output.js';

export const AGGLOMERATIVE_USAGE = `clusterkit agglomerative <input> (--n-clusters N | --distance-threshold T) [--linkage ward|complete|average|single]
    [--columns a,b,c | --embedding col] [--exclude a,b] [--scale none|standard] [--precision auto|float64|float32]
    [--backend auto|webgpu|wasm|js] [--threads N] [-o out.(csv|parquet|arrow)] [--linkage-out merges.(csv|parquet|arrow)] [--json]
  Hierarchical agglomerative clustering on Euclidean distances (default linkage ward), cut into
  N clusters or at height T (merges strictly below T, as scikit-learn). The output keeps the
  input's columns and adds "cluster" (int32); --linkage-out writes SciPy's linkage matrix
  (idx1, idx2, height, size: one row per merge, sorted by height). Memory: an n × n distance
  matrix, 4·n² bytes (float32: single, complete, and ward / average above 16,384 rows) or
  8·n² bytes (float64: ward / average up to 16,384 rows, or --precision float64).`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  ...FEATURE_OPTIONS,
  linkage: { type: 'string' },
  'n-clusters': { type: 'string' },
  'distance-threshold': { type: 'string' },
  precision: { type: 'string' },
  output: { type: 'string', short: 'o' },
  'linkage-out': { type: 'string' },
} as const;

/** Library option names as the CLI spells them, for error messages. */
const FLAGS: Record<string, string> = { nClusters: '--n-clusters', distanceThreshold: '--distance-threshold', linkage: '--linkage', precision: '--precision' };

export async function agglomerative(argv: string[]): Promise<void> {
  const { values, positionals } = parse('agglomerative', argv, OPTIONS, ['input']);
  const nClusters = integerOption(values, 'n-clusters');
  const distanceThreshold = numberOption(values, 'distance-threshold');
  if (nClusters === undefined && distanceThreshold === undefined) {
    throw optionError('--n-clusters', 'or --distance-threshold is required (where to cut the tree)');
  }
  if (nClusters !== undefined && distanceThreshold !== undefined) {
    throw optionError('--distance-threshold', 'give either --n-clusters or --distance-threshold, not both');
  }
  const linkage = choiceOption(values, 'linkage', LINKAGES) ?? 'ward';
  const precision = choiceOption(values, 'precision', ['auto', 'float64', 'float32'] as const);
  const output = stringOption(values, 'output');
  checkOutputPath(output);
  const linkageOut = stringOption(values, 'linkage-out');
  checkOutputPath(linkageOut);
  if (output !== undefined && output === linkageOut) throw optionError('--linkage-out', 'must not be the same file as -o');
  const options: AgglomerativeOptions = { linkage, nClusters, distanceThreshold, precision };
  const checkRows = (x: { rows: number }) => withFlagNames(() => resolveAgglomerativeOptions(options, x.rows)); // bad options fail before the fit

  const { source, matrix, columns, result: fit, seconds, loadSeconds, backend } = await runOnFeatures(values, positionals[0]!, checkRows, (engine, data, progress) =>
    engine.agglomerative(data, {
      ...options,
      onProgress: (p) =>
        p.stage === 'distances'
          ? progress.update((0.5 * p.done) / p.total, `distances ${((100 * p.done) / p.total).toFixed(0)}%`)
          : progress.update(0.5 + (0.5 * p.done) / p.total, `${linkage} linkage: merge ${p.done} of ${p.total}`),
    }),
  );

  if (output) {
    await writeWithColumns(source, output, [{ name: 'cluster', values: fit.labels }]);
  }
  if (linkageOut) await writeLinkage(linkageOut, fit.linkage);

  const sizes = new Array<number>(fit.nClusters).fill(0);
  for (const label of fit.labels) sizes[label]! += 1;
  const topHeights = Array.from(fit.heights.slice(-Math.min(10, fit.heights.length))).reverse();
  const result = {
    backend,
    n: matrix.rows,
    d: matrix.cols,
    linkage,
    nClusters: fit.nClusters,
    distanceThreshold: distanceThreshold ?? null,
    sizes,
    topHeights,
    precision: fit.precision,
    seconds,
    loadSeconds,
    columns,
    ...(output ? { output } : {}),
    ...(linkageOut ? { linkageOutput: linkageOut } : {}),
  };
  emit(values.json, result, () =>
    [
      `agglomerative clustering, ${linkage} linkage, on ${result.n} rows × ${result.d} features (${backend}, ${fit.precision} distances): ${fit.nClusters} cluster${fit.nClusters === 1 ? '' : 's'}${distanceThreshold !== undefined ? ` below height ${distanceThreshold}` : ''}, ${seconds.toFixed(3)} s`,
      `highest merges: ${topHeights.map((h) => h.toPrecision(6)).join(', ')}`,
      `cluster sizes: ${sizes.map((s, c) => `${c}: ${s}`).join(', ')}`,
      ...(output ? [`wrote ${output}`] : []),
      ...(linkageOut ? [`wrote ${linkageOut}`] : []),
    ].join('\n'),
  );
}

/** The linkage matrix as a table: idx1, idx2 (int32), height (float64), size (int32). */
async function writeLinkage(path: string, linkage: Float64Array): Promise<void> {
  const merges = linkage.length / 4;
  const column = (j: number) => Int32Array.from({ length: merges }, (_, i) => linkage[4 * i + j]!);
  const heights = Float64Array.from({ length: merges }, (_, i) => linkage[4 * i + 2]!);
  const schema = new arrow.Schema([
    new arrow.Field('idx1', new arrow.Int32(), false),
    new arrow.Field('idx2', new arrow.Int32(), false),
    new arrow.Field('height', new arrow.Float64(), false),
    new arrow.Field('size', new arrow.Int32(), false),
  ]);
  const data = [
    arrow.makeData({ type: new arrow.Int32(), length: merges, nullCount: 0, data: column(0) }),
    arrow.makeData({ type: new arrow.Int32(), length: merges, nullCount: 0, data: column(1) }),
    arrow.makeData({ type: new arrow.Float64(), length: merges, nullCount: 0, data: heights }),
    arrow.makeData({ type: new arrow.Int32(), length: merges, nullCount: 0, data: column(3) }),
  ];
  async function* batches() {
    yield makeBatch(schema, merges, data);
  }
  await writeTable(path, schema, batches());
}

/** Runs `check`, renaming library option names in its errors to the CLI's flags. */
export function withFlagNames<T>(check: () => T, flags: Record<string, string> = FLAGS): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof ClusterkitError && error.kind === 'option') {
      const renamed = error.message.replace(/^option (\w+):/, (whole, name: string) => (flags[name] ? `option ${flags[name]}:` : whole));
      throw new ClusterkitError('option', renamed);
    }
    throw error;
  }
}
