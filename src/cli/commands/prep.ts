import { inputError, optionError } from '../../errors.js';
import { openTable, writeTable } from '../../io/index.js';
import { IMPUTE_STRATEGIES } from '../../prep/impute.js';
import { fitPrep, PREP_ORDER, type PrepOptions } from '../../prep/pipeline.js';
import { SCALE_METHODS } from '../../prep/stats.js';
import { choiceOption, listOption, parse, stringOption, type Parsed } from '../args.js';
import { checkOutputPath } from '../features.js';
import { emit } from '../output.js';

export const PREP_USAGE = `clusterkit prep <input> [--impute median|mean] [--log1p a,b] [--winsorize 0.01,0.99]
    [--scale standard|minmax|robust] [--one-hot a,b] [--one-hot-nulls category|zeros|error]
    [--columns a,b,c | --exclude a,b] [-o out.(csv|parquet|arrow)] [--json]
  Table preparation. The steps given run in this order, each fitted on the output of the one
  before: impute (missing values → column median / mean), log1p (of the columns named),
  winsorize (clip at the lower / upper quantiles, NumPy's linear quantiles), scale (standard:
  z-scores; minmax: to [0, 1]; robust: (x − median) / IQR), one-hot (each text column named
  becomes <col>=<value> 0/1 columns in its place, categories sorted; nulls get <col>=null).
  impute, winsorize and scale apply to every numeric column, or to --columns, or all but
  --exclude; prepared columns become Float64. Other columns pass through untouched. A missing
  value is an empty cell or NaN; steps other than impute keep it missing. --json prints the
  fitted parameters of every step.`;

const OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  impute: { type: 'string' },
  log1p: { type: 'string' },
  winsorize: { type: 'string' },
  scale: { type: 'string' },
  'one-hot': { type: 'string' },
  'one-hot-nulls': { type: 'string' },
  columns: { type: 'string' },
  exclude: { type: 'string' },
  output: { type: 'string', short: 'o' },
} as const;

/** "0.01,0.99", or one number p for p,1−p. */
function winsorizeOption(values: Parsed['values']): [number, number] | undefined {
  const text = stringOption(values, 'winsorize');
  if (text === undefined) return undefined;
  const parts = text.split(',').map((s) => s.trim());
  const numbers = parts.map((s) => (s === '' ? NaN : Number(s)));
  const limits: [number, number] | undefined =
    numbers.length === 1 ? [numbers[0]!, 1 - numbers[0]!] : numbers.length === 2 ? [numbers[0]!, numbers[1]!] : undefined;
  if (!limits || !limits.every(Number.isFinite) || !(limits[0] >= 0 && limits[0] <= limits[1] && limits[1] <= 1)) {
    throw optionError('--winsorize', `expected lower,upper quantiles with 0 ≤ lower ≤ upper ≤ 1 (e.g. 0.01,0.99), got "${text}"`);
  }
  return limits;
}

function namesOption(values: Parsed['values'], name: string): string[] | undefined {
  const names = listOption(values, name);
  names?.forEach((n, i) => {
    if (names.indexOf(n) !== i) throw optionError(`--${name}`, `column "${n}" is named twice`);
  });
  return names;
}

export async function prep(argv: string[]): Promise<void> {
  const { values, positionals } = parse('prep', argv, OPTIONS, ['input']);
  const output = stringOption(values, 'output');
  checkOutputPath(output);
  const columns = namesOption(values, 'columns');
  const exclude = namesOption(values, 'exclude');
  if (columns && exclude) throw optionError('--exclude', 'cannot be combined with --columns');
  const options: PrepOptions = {
    impute: choiceOption(values, 'impute', IMPUTE_STRATEGIES),
    log1p: namesOption(values, 'log1p'),
    winsorize: winsorizeOption(values),
    scale: choiceOption(values, 'scale', SCALE_METHODS),
    oneHot: namesOption(values, 'one-hot'),
    oneHotNulls: choiceOption(values, 'one-hot-nulls', ['category', 'zeros', 'error'] as const),
    columns,
    exclude,
  };
  if (!options.impute && !options.log1p && !options.winsorize && !options.scale && !options.oneHot) {
    throw optionError('prep', 'no step given; use one or more of --impute, --log1p, --winsorize, --scale, --one-hot');
  }

  const source = await openTable(positionals[0]!);
  const started = performance.now();
  const prepared = await fitPrep(source, options);
  const schema = prepared.outputSchema(source.schema);
  let rows = 0;
  const counted = async function* () {
    for await (const batch of prepared.transformBatches(source.batches())) {
      rows += batch.numRows;
      yield batch;
    }
  };
  if (output) {
    await writeTable(output, schema, counted());
  } else {
    for await (const _ of counted()); // checks the whole table transforms (log1p domain, categories)
  }
  if (rows === 0) throw inputError(`${source.path}: the table has no rows`);
  const seconds = (performance.now() - started) / 1000;

  const fitted = prepared.toJSON();
  const steps = fitted.steps as Record<string, unknown>[];
  const result = {
    n: rows,
    order: PREP_ORDER,
    columns: fitted.columns,
    steps,
    outputColumns: schema.fields.map((f) => f.name),
    seconds,
    ...(output ? { output } : {}),
  };
  emit(values.json, result, () =>
    [
      `prepared ${rows} rows in ${seconds.toFixed(3)} s: ${steps.map((s) => s.step).join(' → ')}`,
      ...steps.map((s) => `  ${describeStep(s)}`),
      `${schema.fields.length} output columns`,
      ...(output ? [`wrote ${output}`] : []),
    ].join('\n'),
  );
}

function describeStep(step: Record<string, unknown>): string {
  const columns = (step.columns as string[]).join(', ');
  switch (step.step) {
    case 'impute':
      return `impute (${step.strategy}): ${columns}`;
    case 'winsorize':
      return `winsorize at quantiles ${(step.limits as number[]).join(', ')}: ${columns}`;
    case 'scale':
      return `scale (${step.method}): ${columns}`;
    case 'one-hot': {
      const categories = step.categories as Record<string, unknown[]>;
      return `one-hot: ${Object.entries(categories).map(([c, v]) => `${c} (${v.length} categories)`).join(', ')}`;
    }
    default:
      return `${String(step.step)}: ${columns}`;
  }
}
