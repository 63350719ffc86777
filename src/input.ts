import type { RecordBatch, Table } from 'apache-arrow';
import { Matrix } from './matrix.js';

/**
 * What the engine accepts as data: a Matrix, an Arrow table (numeric columns, or one
 * FixedSizeList<Float32> embedding column), or record batches streamed in.
 */
export type DataInput = Matrix | Table | AsyncIterable<RecordBatch> | Iterable<RecordBatch>;

/** Which columns of a table are the features (default: every numeric column). */
export interface ColumnSelection {
  columns?: string[];
  embedding?: string;
}

export async function toMatrix(input: DataInput, selection: ColumnSelection = {}): Promise<Matrix> {
  if (input instanceof Matrix) {
    input.assertFinite();
    return input;
  }
  // Loaded on first use: callers that pass matrices never load the Arrow conversion.
  const { readMatrix } = await import('./io/to-matrix.js');
  return (await readMatrix(input, selection)).matrix;
}
