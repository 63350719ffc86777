import { AGGREGATE_STATS, aggregateGroups, readKeys, type AggregateResult, type AggregateStat, type GroupKey } from '../../algorithms/aggregate.js';
import { optionError } from '../../errors.js';
import { openTable, writeTable } from '../../io/index.js';
import { listOption, parse, stringOption } from '../args.js';
import { checkOutputPath } from '../features.js';
import { emit } from '../output.js';
import { note } from '../progress.js';

export const AGGREGATE_USAGE = `clusterkit aggregate <input> --by col [--embedding col | --columns a,b,c] [--stats mean,median,max]
    [--category col [--category-from file] [--categories a,b,c]] [-o out.(csv|parquet|arrow)] [--json]
  Group-by aggregation: per value of --by (text or integers), the row count, the element-wise
  mean / median / max of an embedding (FixedSizeList columns <emb>_mean …) or of numeric columns
  (<col>_mean …), and the share of rows per --category value (share_<value>). --category-from
  reads the category column from another table with the same rows (e.g. the output of
  "clusterkit similarity" for these images). --categories fixes the share columns and their order.`;

const OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  by: { type: 'string' },
  embedding: { type: 'string' },
  columns: { type: 'string' },
  stats: { type: 'string' },
  category: { type: 'string' },
  'category-from': { type: 'string' },
  categories: { type: 'string' },
  output: { type: 'string', short: 'o' },
} as const;

/** Groups listed on stdout without --json. */
const SHOWN_GROUPS = 30;

export async function aggregate(argv: string[]): Promise<void> {
  const { values, positionals } = parse('aggregate', argv, OPTIONS, ['input']);
  const by = stringOption(values, 'by');
  if (by === undefined) throw optionError('--by', 'is required (the column to group by)');
  const output = stringOption(values, 'output');
  checkOutputPath(output);
  const embedding = stringOption(values, 'embedding');
  const columns = listOption(values, 'columns');
  if (columns && embedding !== undefined) throw optionError('--embedding', 'cannot be combined with --columns');
  const statList = listOption(values, 'stats');
  if (statList && embedding === undefined && !columns) throw optionError('--stats', 'needs --embedding or --columns');
  for (const stat of statList ?? []) {
    if (!(AGGREGATE_STATS as readonly string[]).includes(stat)) {
      throw optionError('--stats', `expected some of ${AGGREGATE_STATS.join(', ')}, got "${stat}"`);
    }
  }
  const categoryColumn = stringOption(values, 'category');
  const categoryFrom = stringOption(values, 'category-from');
  const categoryList = listOption(values, 'categories');
  if (categoryColumn === undefined && (categoryFrom !== undefined || categoryList)) {
    throw optionError(categoryFrom !== undefined ? '--category-from' : '--categories', 'needs --category (the column holding the categories)');
  }

  const source = await openTable(positionals[0]!);
  let category: string | GroupKey[] | undefined = categoryColumn;
  if (categoryFrom !== undefined) category = await readKeys(await openTable(categoryFrom), categoryColumn!, 'category', 'category');
  const categories = categoryList?.map((text) => (/^[+-]?\d+$/.test(text) ? Number(text) : text));

  const started = performance.now();
  let result: AggregateResult;
  try {
    result = await aggregateGroups(source, {
      by,
      embedding,
      columns,
      category,
      categories,
      stats: statList as AggregateStat[] | undefined,
    });
  } catch (error) {
    // The library names its own options; say which file the category values came from.
    if (categoryFrom !== undefined && error instanceof Error && /^option category: \d+ values given/.test(error.message)) {
      throw optionError('--category-from', `${categoryFrom} does not have one row per row of ${source.path} (${error.message.replace(/^option category: /, '')})`);
    }
    throw error;
  }
  const seconds = (performance.now() - started) / 1000;

  if (output) {
    const { table } = result;
    await writeTable(output, table.schema, (async function* () {
      yield* table.batches;
    })());
  } else if (result.stats.length > 0 && embedding !== undefined) {
    note(`the ${result.stats.join(' / ')} embeddings are only written to a file: add -o out.parquet`);
  }

  const shares = result.shares && result.categories ? sharesByGroup(result) : undefined;
  const json = {
    n: result.rows,
    by,
    groups: result.keys.length,
    keys: result.keys,
    counts: Array.from(result.counts),
    ...(result.stats.length > 0 ? { stats: result.stats, d: result.variables.length } : {}),
    ...(embedding !== undefined ? { embedding } : {}),
    ...(columns ? { columns } : {}),
    ...(result.categories ? { categories: result.categories, shares } : {}),
    seconds,
    ...(output ? { output } : {}),
  };
  emit(values.json, json, () => [summary(result, embedding, columns), formatGroups(result), ...(output ? [`wrote ${output}`] : [])].join('\n'));
}

function sharesByGroup(result: AggregateResult): number[][] {
  const c = result.categories!.length;
  return result.keys.map((_, i) => Array.from(result.shares!.subarray(i * c, (i + 1) * c)));
}

function summary(result: AggregateResult, embedding: string | undefined, columns: string[] | undefined): string {
  const what =
    result.stats.length === 0
      ? ''
      : `; ${result.stats.join(' / ')} of ${embedding !== undefined ? `embedding "${embedding}" (${result.variables.length}-D)` : `${columns!.length} column(s)`}`;
  return `${result.rows} rows in ${result.keys.length} groups by "${result.by}"${what}:`;
}

/** Key, count and (with categories) the share of each category in percent. */
function formatGroups(result: AggregateResult): string {
  const categories = result.categories ?? [];
  const c = categories.length;
  const header = [result.by, 'count', ...categories.map((cat) => `${cat}`)];
  const shown = Math.min(result.keys.length, SHOWN_GROUPS);
  const body: string[][] = [];
  for (let i = 0; i < shown; i++) {
    body.push([
      String(result.keys[i]),
      String(result.counts[i]),
      ...categories.map((_, j) => `${(100 * result.shares![i * c + j]!).toFixed(1)}%`),
    ]);
  }
  const widths = header.map((h, col) => Math.max(h.length, ...body.map((row) => row[col]!.length)));
  const line = (row: string[]) => row.map((text, col) => (col === 0 ? text.padEnd(widths[col]!) : text.padStart(widths[col]!))).join('  ');
  const more = result.keys.length > shown ? [`… ${result.keys.length - shown} more groups${result.stats.length || c ? ' (all in -o / --json)' : ''}`] : [];
  return [line(header), ...body.map(line), ...more].join('\n');
}
