import { standardize } from '../algorithms/scale.js';
import { formatOf } from '../io/files.js';
import { appendColumns, dropColumns, openTable, readMatrix, schemaWith, writeTable, type NewColumn, type TableSource } from '../io/index.js';
import { note, Progress } from './progress.js';
import { Engine } from '../engine.js';
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
  columns: string[];
}

/**
 * Opens a table and reads its feature matrix as the options say: --columns, --embedding, or
 * every numeric column but the --exclude'd (and `alsoExclude`, e.g. the labels column), then
 * --scale standard z-scores them.
 */
export async function readFeatures(path: string, values: Parsed['values'], alsoExclude: string[] = []): Promise<Features> {
  const columns = listOption(values, 'columns');
  const embedding = stringOption(values, 'embedding');
  const exclude = [...(listOption(values, 'exclude') ?? []), ...alsoExclude];
  const scale = choiceOption(values, 'scale', ['none', 'standard'] as const) ?? 'none';
  const source = await openTable(path);
  const read = await readMatrix(source, { columns, embedding, exclude });
  return { source, columns: read.columns, matrix: scale === 'standard' ? standardize(read.matrix) : read.matrix };
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
 * choose, after a note naming it, with a progress bar and the wall time; the engine is disposed
 * afterwards.
 */
export async function runOnEngine<T>(
  values: Parsed['values'],
  matrix: Matrix,
  run: (engine: Engine, progress: Progress) => Promise<T>,
): Promise<{ result: T; seconds: number; backend: BackendName }> {
  const engine = await Engine.create(engineOptions(values));
  try {
    note(`${matrix.rows} rows × ${matrix.cols} features on ${engine.description}`);
    const progress = new Progress();
    const started = performance.now();
    const result = await run(engine, progress);
    const seconds = (performance.now() - started) / 1000;
    progress.done();
    return { result, seconds, backend: engine.backend };
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
