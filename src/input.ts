import type { RecordBatch, Table } from 'apache-arrow';
import type { ColumnSelection } from './io/to-matrix.js';
import { Matrix } from './matrix.js';

/**
 * What the engine accepts as data: a Matrix, an Arrow table (numeric columns, or one
 * FixedSizeList<Float32> embedding column), or record batches streamed in.
 */
export type DataInput = Matrix | Table | AsyncIterable<RecordBatch> | Iterable<RecordBatch>;

export type { ColumnSelection } from './io/to-matrix.js';

export async function toMatrix(input: DataInput, selection: ColumnSelection = {}): Promise<Matrix> {
  if (input instanceof Matrix) {
    input.assertFinite();
    return input;
  }
  // Loaded on first use: callers that pass matrices never load the Arrow conversion.
  const { readMatrix } = await import('./io/to-matrix.js');
  return (await readMatrix(input, selection)).matrix;
}
