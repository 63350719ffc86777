import { standardize } from '../algorithms/scale.js';
import { formatOf } from '../io/files.js';
import { openTable, readMatrix, type TableSource } from '../io/index.js';
import type { Matrix } from '../matrix.js';
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
