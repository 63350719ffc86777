import { profileClusters, type ProfileResult } from '../../algorithms/profile.js';
import { optionError } from '../../errors.js';
import { openTable, writeTable } from '../../io/index.js';
import { choiceOption, listOption, parse, stringOption } from '../args.js';
import { checkOutputPath } from '../features.js';
import { emit } from '../output.js';
import { note } from '../progress.js';

export const PROFILE_USAGE = `clusterkit profile <input> --labels col [--columns a,b,c | --embedding col] [--exclude a,b]
    [--show index|z|mean|median] [-o profiles.(csv|parquet|arrow)] [--json]
  Cluster profiles: per cluster the count and, per variable, mean, median, index score (cluster
  mean ÷ overall mean × 100; empty where the overall mean is not positive) and z-score (cluster
  mean − overall mean, ÷ overall std). Variables: every numeric column but the labels unless
  chosen. Prints variables × clusters (--show picks the statistic, index by default); -o writes
  one row per cluster: cluster, count, <var>_mean, <var>_median, <var>_index, <var>_z.`;

const OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  labels: { type: 'string' },
  columns: { type: 'string' },
  embedding: { type: 'string' },
  exclude: { type: 'string' },
  show: { type: 'string' },
  output: { type: 'string', short: 'o' },
} as const;

const SHOW = ['index', 'z', 'mean', 'median'] as const;

export async function profile(argv: string[]): Promise<void> {
  const { values, positionals } = parse('profile', argv, OPTIONS, ['input']);
  const labels = stringOption(values, 'labels');
  if (labels === undefined) throw optionError('--labels', 'is required (the column holding cluster labels)');
  const output = stringOption(values, 'output');
  checkOutputPath(output);
  const show = choiceOption(values, 'show', SHOW) ?? 'index';
  const columns = listOption(values, 'columns');
  const embedding = stringOption(values, 'embedding');
  const exclude = listOption(values, 'exclude');
  if (columns && embedding !== undefined) throw optionError('--embedding', 'cannot be combined with --columns');

  const source = await openTable(positionals[0]!);
  const started = performance.now();
  const result = await profileClusters(source, labels, { columns, embedding, exclude });
  const seconds = (performance.now() - started) / 1000;
  for (const line of result.notes) note(line);

  if (output) {
    const { table } = result;
    await writeTable(output, table.schema, (async function* () {
      yield* table.batches;
    })());
  }

  const json = {
    n: result.rows,
    d: result.variables.length,
    k: result.clusters.length,
    labels,
    variables: result.variables,
    clusters: result.clusters,
    counts: result.counts,
    overall: result.overall,
    profiles: result.profiles,
    notes: result.notes,
    seconds,
    ...(output ? { output } : {}),
  };
  emit(values.json, json, () =>
    [
      `${result.rows} rows in ${result.clusters.length} clusters (column "${labels}"), ${result.variables.length} variable${result.variables.length === 1 ? '' : 's'}; ${TITLES[show]}:`,
      formatTable(result, show),
      ...(output ? [`wrote ${output}`] : []),
    ].join('\n'),
  );
}

const TITLES: Record<(typeof SHOW)[number], string> = {
  index: 'index scores (cluster mean ÷ overall mean × 100)',
  z: 'z-scores (cluster mean − overall mean) ÷ overall std',
  mean: 'means',
  median: 'medians',
};

/** Variables down, clusters across; the first data column is the overall value. */
function formatTable(result: ProfileResult, show: (typeof SHOW)[number]): string {
  const cell = (v: number | null): string => {
    if (v === null) return 'n/a';
    if (show === 'index') return String(Math.round(v));
    if (show === 'z') return v.toFixed(2);
    return formatNumber(v);
  };
  const overall = show === 'median' ? result.overall.median : result.overall.mean;
  const header = ['variable', show === 'median' ? 'overall median' : 'overall mean', ...result.clusters.map((c, i) => `${c} (n=${result.counts[i]})`)];
  const body = result.variables.map((name, j) => [name, formatNumber(overall[j]!), ...result.clusters.map((_, c) => cell(result[show][c]![j]!))]);
  const widths = header.map((h, col) => Math.max(h.length, ...body.map((row) => row[col]!.length)));
  const line = (row: string[]) => row.map((text, col) => (col === 0 ? text.padEnd(widths[col]!) : text.padStart(widths[col]!))).join('  ');
  return [line(header), ...body.map(line)].join('\n');
}

function formatNumber(v: number): string {
  if (v === 0) return '0';
  const abs = Math.abs(v);
  return abs >= 1e6 || abs < 1e-3 ? v.toExponential(3) : String(Number(v.toPrecision(6)));
}
