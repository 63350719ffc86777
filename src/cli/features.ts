import { standardize } from '../algorithms/scale.js';
import { formatOf } from '../io/files.js';
import { appendColumns, dropColumns, openTable, readMatrix, schemaWith, writeTable, type NewColumn, type TableSource } from '../io/index.js';
import { note, Progress } from './progress.js';
import { Engine } from '../engine.js';
import type { Dataset } from '../input.js';
import type { Matrix } from '../matrix.js';
import type { BackendName } from '../backends/backend.js';
import { BACKEND_CHOICES, type BackendChoice } from '../backends/select.js';
import { choiceOption, integerOption, listOption, stringOption, type Parsed } from './args.js';

export const FEATURE_OPTIONS = {
  columns: { type: 'string' },
  embedding: { type: 'string' },
  exclude: { type: 'string' },
  scale: { type: 'string' },
} as const;

export interface Features {
  source: TableSource;
  matrix: Matrix;
  /** Table columns the features came from. */
  columns: readonly string[];
}

/** The feature options as a column selection and whether to z-score. */
function featureChoice(values: Parsed['values'], alsoExclude: string[]) {
  const columns = listOption(values, 'columns');
  const embedding = stringOption(values, 'embedding');
  const exclude = [...(listOption(values, 'exclude') ?? []), ...alsoExclude];
  const scale = choiceOption(values, 'scale', ['none', 'standard'] as const) ?? 'none';
  return { selection: { columns, embedding, exclude }, standard: scale === 'standard' };
}

/**
 * Opens a table and reads its feature matrix as the options say: --columns, --embedding, or
 * every numeric column but the --exclude'd (and `alsoExclude`, e.g. the labels column), then
 * --scale standard z-scores them.
 */
export async function readFeatures(path: string, values: Parsed['values'], alsoExclude: string[] = []): Promise<Features> {
  const { selection, standard } = featureChoice(values, alsoExclude);
  const source = await openTable(path);
  const read = await readMatrix(source, selection);
  return { source, columns: read.columns, matrix: standard ? standardize(read.matrix) : read.matrix };
}

/**
 * The features of a table (as readFeatures reads them) loaded onto `engine`: handed to the
 * backend chunk by chunk while the file is read, unless --scale needs every row first.
 */
async function loadFeatures(engine: Engine, path: string, values: Parsed['values']): Promise<Features & { data: Dataset }> {
  const { selection, standard } = featureChoice(values, []);
  if (standard) {
    const features = await readFeatures(path, values);
    return { ...features, data: await engine.load(features.matrix) };
  }
  const source = await openTable(path);
  const data = await engine.load(source, selection);
  return { source, columns: data.columns, matrix: data.matrix, data };
}

/** Fails before any work when -o names a format that cannot be written. */
export function checkOutputPath(path: string | undefined): void {
  if (path !== undefined) formatOf(path, ['csv', 'parquet', 'arrow'], 'written');
}

/** The engine options every command takes: --backend and --threads. */
export function engineOptions(values: Parsed['values']): { backend: BackendChoice; threads: number | undefined } {
  return { backend: choiceOption(values, 'backend', BACKEND_CHOICES) ?? 'auto', threads: integerOption(values, 'threads') };
}

/**
 * One engine call as the clustering commands make it: on the engine --backend and --threads
 * choose, the input's features loaded (see loadFeatures) and checked by `check` (options that
 * depend on the row count), a note naming the backend, then `run` with a progress bar. The load
 * (reading and upload) and the run are timed apart. The engine and the data on it are freed
 * afterwards.
 */
export async function runOnFeatures<T>(
  values: Parsed['values'],
  path: string,
  check: (matrix: Matrix) => void,
  run: (engine: Engine, data: Dataset, progress: Progress) => Promise<T>,
): Promise<Features & { result: T; seconds: number; loadSeconds: number; backend: BackendName }> {
  const engine = await Engine.create(engineOptions(values));
  try {
    const loading = performance.now();
    const { data, ...features } = await loadFeatures(engine, path, values);
    const loadSeconds = (performance.now() - loading) / 1000;
    try {
      check(features.matrix);
      note(`${features.matrix.rows} rows × ${features.matrix.cols} features on ${engine.description}`);
      const progress = new Progress();
      const started = performance.now();
      const result = await run(engine, data, progress);
      const seconds = (performance.now() - started) / 1000;
      progress.done();
      return { ...features, result, seconds, loadSeconds, backend: engine.backend };
    } finally {
      data.dispose();
    }
  } finally {
    engine.dispose();
  }
}

/**
 * Writes the input table to `output` with `append` added (atomically, streaming the input again),
 * after dropping `drop` and any input column of the same name as an appended one (with a note).
 */
export async function writeWithColumns(source: TableSource, output: string, append: NewColumn[], drop: readonly string[] = []): Promise<void> {
  const replaced = source.schema.fields.filter((f) => append.some((a) => a.name === f.name)).map((f) => f.name);
  noteReplaced(replaced, output);
  const dropped = [...drop, ...replaced];
  await writeTable(output, schemaWith(source.schema, { drop: dropped, append }), appendColumns(dropColumns(source.batches(), dropped), append));
}

/** Tells the user which input columns an output replaces (stderr). */
export function noteReplaced(columns: readonly string[], output: string): void {
  if (columns.length === 0) return;
  const names = columns.map((n) => `"${n}"`).join(', ');
  note(`the input's ${names} ${columns.length === 1 ? 'column is' : 'columns are'} replaced in ${output}`);
}
