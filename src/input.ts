import type { RecordBatch, Table } from 'apache-arrow';
import type { Backend, DeviceMatrix, MatrixUpload } from './backends/backend.js';
import type { TableSource } from './io/read.js';
import type { ColumnSelection, MatrixRead, ReadOptions } from './io/to-matrix.js';
import { Matrix } from './matrix.js';

/**
 * What the engine accepts as data: a Matrix, a Dataset already loaded, an Arrow table (numeric
 * columns, or one FixedSizeList<Float32> embedding column), or record batches streamed in.
 */
export type DataInput = Matrix | Dataset | Table | AsyncIterable<RecordBatch> | Iterable<RecordBatch>;

/** What `Engine.load` reads: data, or a table file opened with `openTable`. */
export type LoadInput = Exclude<DataInput, Dataset> | TableSource;

export type { ColumnSelection } from './io/to-matrix.js';

export async function toMatrix(input: DataInput, selection: ColumnSelection = {}): Promise<Matrix> {
  if (input instanceof Dataset) return input.matrix;
  if (input instanceof Matrix) {
    input.assertFinite();
    return input;
  }
  return (await readInput(input, selection)).matrix;
}

async function readInput(input: Exclude<LoadInput, Matrix>, selection: ColumnSelection, options?: ReadOptions): Promise<MatrixRead> {
  // Loaded on first use: callers that pass matrices never load the Arrow conversion.
  const { readMatrix } = await import('./io/to-matrix.js');
  return readMatrix(input, selection, options);
}

/**
 * Data read once and kept resident on a backend across engine calls (`Engine.load`), so that
 * k-means, its silhouette and a sweep share one upload. A table or a stream of record batches
 * goes to the backend chunk by chunk while it is read: on a GPU each device chunk is written as
 * soon as its rows are in, so its transfer overlaps the reading of the rest. The host matrix is
 * kept: algorithms read single rows from it, and an engine that changes backend (a GPU lost
 * mid-run) uploads it again.
 *
 * The column selection is applied when the data is read; calls given a Dataset ignore theirs.
 */
export class Dataset {
  private host: MatrixRead | undefined;
  private device: { backend: Backend; matrix: Promise<DeviceMatrix> } | undefined;
  private disposed = false;

  /**
   * Use `Engine.load`; the engine also wraps each call's inputs in one for the call.
   * `chunkElements`: floats per host chunk, the unit handed to the backend (tests make it small).
   */
  constructor(
    private readonly source: LoadInput,
    private readonly selection: ColumnSelection = {},
    private readonly chunkElements?: number,
  ) {}

  /** The rows as read: float32, every value finite. */
  get matrix(): Matrix {
    return this.read().matrix;
  }

  /** The table columns the matrix came from (for a Matrix, its column names, if any). */
  get columns(): readonly string[] {
    return this.read().columns;
  }

  get rows(): number {
    return this.matrix.rows;
  }

  get cols(): number {
    return this.matrix.cols;
  }

  /**
   * The matrix resident on `backend`. The first call reads the source, streaming it to the
   * backend as it goes; a later call with another backend uploads the host matrix there and
   * frees the copy on the previous one.
   */
  residentOn(backend: Backend): Promise<DeviceMatrix> {
    this.assertLive();
    if (this.device?.backend !== backend) {
      this.releaseDevice();
      const source = this.source;
      const matrix = this.host || source instanceof Matrix ? this.uploadHost(backend) : this.stream(source, backend);
      this.device = { backend, matrix };
      // A failed upload is not kept: the next call tries again (from the host copy, if the read finished).
      matrix.catch(() => {
        if (this.device?.matrix === matrix) this.device = undefined;
      });
    }
    return this.device.matrix;
  }

  /** Frees the backend's copy; the dataset cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.releaseDevice();
  }

  /** Uploads the host matrix whole (a Matrix given, or a stream read before: a retry, another backend). */
  private async uploadHost(backend: Backend): Promise<DeviceMatrix> {
    return backend.upload(this.read().matrix);
  }

  private async stream(source: Exclude<LoadInput, Matrix>, backend: Backend): Promise<DeviceMatrix> {
    let upload: MatrixUpload | undefined;
    try {
      this.host = await readInput(source, this.selection, {
        chunkElements: this.chunkElements,
        onChunk: (chunk, cols) => (upload ??= backend.startUpload(cols)).add(chunk),
      });
    } catch (error) {
      upload?.abort();
      throw error;
    }
    // A read with rows has handed over at least one chunk.
    return upload!.finish(this.host.matrix);
  }

  private read(): MatrixRead {
    this.assertLive();
    if (!this.host && this.source instanceof Matrix) this.host = matrixRead(this.source);
    if (!this.host) throw new Error('Dataset: not read yet (Engine.load returns datasets that are)');
    return this.host;
  }

  private releaseDevice(): void {
    const device = this.device;
    this.device = undefined;
    device?.matrix.then(
      (matrix) => matrix.dispose(),
      () => {},
    );
  }

  private assertLive(): void {
    if (this.disposed) throw new Error('Dataset: used after dispose()');
  }
}

function matrixRead(matrix: Matrix): MatrixRead {
  matrix.assertFinite();
  return { matrix, columns: [...(matrix.columnNames ?? [])] };
}
