import { describeNonFinite, inputError } from './errors.js';

/** A run of whole rows stored contiguously, row-major. */
export interface MatrixChunk {
  readonly rowStart: number;
  readonly rows: number;
  readonly data: Float32Array;
}

/** Rows per chunk are chosen so a chunk holds at most this many floats (256 MiB). */
export const DEFAULT_CHUNK_ELEMENTS = 1 << 26;

/**
 * A dense row-major float32 matrix, split into chunks of whole rows.
 *
 * Chunks exist because millions of 512-D rows exceed what one typed array, one WASM memory or
 * one GPU binding can hold; algorithms and backends walk the chunks instead of assuming one
 * contiguous array. Small matrices have exactly one chunk.
 */
export class Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly chunks: readonly MatrixChunk[];
  /** Optional column names, used in error messages and output tables. */
  readonly columnNames: readonly string[] | undefined;
  private finiteChecked = false;

  /** `finite`: the caller has checked every value is finite, so assertFinite() need not scan. */
  constructor(rows: number, cols: number, chunks: readonly MatrixChunk[], columnNames?: readonly string[], finite = false) {
    if (!Number.isInteger(rows) || rows < 0) throw new RangeError(`Matrix: bad row count ${rows}`);
    if (!Number.isInteger(cols) || cols < 1) throw new RangeError(`Matrix: bad column count ${cols}`);
    let expected = 0;
    for (const chunk of chunks) {
      if (chunk.rowStart !== expected || chunk.data.length !== chunk.rows * cols) {
        throw new RangeError(`Matrix: chunk at row ${chunk.rowStart} does not continue row ${expected} with ${cols} columns`);
      }
      expected += chunk.rows;
    }
    if (expected !== rows) throw new RangeError(`Matrix: chunks hold ${expected} rows, expected ${rows}`);
    if (columnNames && columnNames.length !== cols) throw new RangeError('Matrix: one name per column expected');
    this.rows = rows;
    this.cols = cols;
    this.chunks = chunks;
    this.columnNames = columnNames;
    this.finiteChecked = finite;
  }

  /** Wraps (float32) or converts (other arrays) row-major data of `rows` × `cols`. */
  static from(data: Float32Array | Float64Array | ArrayLike<number>, rows: number, cols: number, columnNames?: readonly string[]): Matrix {
    if (data.length !== rows * cols) {
      throw inputError(`expected ${rows} × ${cols} = ${rows * cols} values, got ${data.length}`);
    }
    const f32 = data instanceof Float32Array ? data : Float32Array.from(data);
    const builder = new MatrixBuilder(cols, columnNames);
    builder.appendRows(f32);
    return builder.build();
  }

  /** Builds a matrix from an array of rows; rows of unequal length are an error naming the row. */
  static fromRows(rowList: readonly ArrayLike<number>[], columnNames?: readonly string[]): Matrix {
    if (rowList.length === 0) throw inputError('no rows');
    const cols = rowList[0]!.length;
    const builder = new MatrixBuilder(cols, columnNames);
    const row = new Float32Array(cols);
    rowList.forEach((values, i) => {
      if (values.length !== cols) {
        throw inputError(`row ${i + 1} has ${values.length} values, expected ${cols} like row 1`);
      }
      for (let j = 0; j < cols; j++) row[j] = values[j]!;
      builder.appendRows(row);
    });
    return builder.build();
  }

  /** Each column as an array of its own (for output tables), in one pass over the rows. */
  columnArrays(): Float32Array[] {
    const { cols } = this;
    const columns = Array.from({ length: cols }, () => new Float32Array(this.rows));
    for (const { data, rowStart, rows } of this.chunks) {
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < cols; j++) columns[j]![rowStart + r] = data[r * cols + j]!;
      }
    }
    return columns;
  }

  /** A view of row `i` (no copy). */
  row(i: number): Float32Array {
    const chunk = this.chunkOf(i);
    const offset = (i - chunk.rowStart) * this.cols;
    return chunk.data.subarray(offset, offset + this.cols);
  }

  /** The chunk holding row `i`. */
  chunkOf(i: number): MatrixChunk {
    if (i < 0 || i >= this.rows) throw new RangeError(`row ${i} out of range 0..${this.rows - 1}`);
    if (this.chunks.length === 1) return this.chunks[0]!;
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.chunks[mid]!.rowStart <= i) lo = mid;
      else hi = mid - 1;
    }
    return this.chunks[lo]!;
  }

  /** All values in one contiguous array (the chunk itself when there is only one). */
  toFloat32Array(): Float32Array {
    if (this.chunks.length === 1) return this.chunks[0]!.data;
    const out = new Float32Array(this.rows * this.cols);
    for (const chunk of this.chunks) out.set(chunk.data, chunk.rowStart * this.cols);
    return out;
  }

  /** A new matrix of the given rows, in the given order (finite if this one is known to be). */
  selectRows(indices: ArrayLike<number>): Matrix {
    // Rows copied straight into chunk-sized arrays (a builder append per row cost more than a
    // mini-batch step's assignment): short rows element by element, longer ones by a typed-array
    // copy, whose view per row costs less than a JS loop over 64 or more values.
    if (indices.length === 0) throw inputError('no rows');
    const d = this.cols;
    const chunks = emptyChunks(indices.length, d);
    for (const { rowStart, rows, data } of chunks) {
      for (let i = 0; i < rows; i++) {
        const row = indices[rowStart + i]!;
        const chunk = this.chunkOf(row);
        const source = chunk.data;
        const offset = (row - chunk.rowStart) * d;
        const to = i * d;
        if (d >= SET_ROW_FROM) data.set(source.subarray(offset, offset + d), to);
        else for (let j = 0; j < d; j++) data[to + j] = source[offset + j]!;
      }
    }
    return new Matrix(indices.length, d, chunks, this.columnNames, this.finiteChecked);
  }

  /**
   * Throws an input error naming the first NaN or infinite value (row and column are 1-based in
   * the message, the column by name when known). Scans once per matrix.
   */
  assertFinite(): void {
    if (this.finiteChecked) return;
    for (const chunk of this.chunks) {
      const i = firstNonFinite(chunk.data);
      if (i < 0) continue;
      const v = chunk.data[i]!;
      const row = chunk.rowStart + Math.floor(i / this.cols);
      const col = i % this.cols;
      const name = this.columnNames ? `column "${this.columnNames[col]}"` : `column ${col + 1}`;
      throw inputError(`${name}, row ${row + 1}: value is ${describeNonFinite(v)}; clustering needs finite numbers`);
    }
    this.finiteChecked = true;
  }
}

/** The index of the first NaN or infinite value of `data`, or −1 when every value is finite. */
export function firstNonFinite(data: Float32Array): number {
  return allFinite(data) ? -1 : data.findIndex((v) => v - v !== 0);
}

/**
 * Whether every value is finite. v − v is 0 for a finite v and NaN otherwise, so one compare
 * checks the sum of four (twice as fast as a compare per value).
 */
function allFinite(data: Float32Array): boolean {
  let i = 0;
  for (const end = data.length - 4; i <= end; i += 4) {
    if (data[i]! - data[i]! + (data[i + 1]! - data[i + 1]!) + (data[i + 2]! - data[i + 2]! + (data[i + 3]! - data[i + 3]!)) !== 0) return false;
  }
  for (; i < data.length; i++) if (data[i]! - data[i]! !== 0) return false;
  return true;
}

/** Row length (values) from which selectRows copies a row with TypedArray.set rather than a loop. */
const SET_ROW_FROM = 64;

/** Zeroed row-major chunks for `rows` rows of `d` values, as a Matrix holds them. */
function emptyChunks(rows: number, d: number): MatrixChunk[] {
  const chunkRows = Math.max(1, Math.floor(DEFAULT_CHUNK_ELEMENTS / d));
  const chunks: MatrixChunk[] = [];
  for (let rowStart = 0; rowStart < rows; rowStart += chunkRows) {
    const count = Math.min(chunkRows, rows - rowStart);
    chunks.push({ rowStart, rows: count, data: new Float32Array(count * d) });
  }
  return chunks;
}

/**
 * Appends rows into chunks of bounded size. Readers stream record batches through one of
 * these, so a large file becomes float32 chunks without ever being a JS array of rows.
 * `onChunk` sees each chunk as soon as it is complete (the built matrix holds that same chunk),
 * so a backend can upload it while the next is being read.
 */
export class MatrixBuilder {
  readonly cols: number;
  /** Rows per chunk: reserveRows takes at most this many at a time. */
  readonly chunkRows: number;
  private readonly columnNames: readonly string[] | undefined;
  private readonly chunks: MatrixChunk[] = [];
  private current: Float32Array;
  private filled = 0; // rows in `current`
  private total = 0;
  /** A chunk filled here (not adopted) reached half the chunk size: the input is large. */
  private large = false;
  private readonly onChunk: ((chunk: MatrixChunk) => void) | undefined;

  constructor(cols: number, columnNames?: readonly string[], chunkElements = DEFAULT_CHUNK_ELEMENTS, onChunk?: (chunk: MatrixChunk) => void) {
    if (!Number.isInteger(cols) || cols < 1) throw new RangeError(`MatrixBuilder: bad column count ${cols}`);
    this.cols = cols;
    this.columnNames = columnNames;
    this.onChunk = onChunk;
    this.chunkRows = Math.max(1, Math.floor(chunkElements / cols));
    this.current = new Float32Array(0);
  }

  get rows(): number {
    return this.total;
  }

  /** Appends whole rows given row-major (length a multiple of `cols`). */
  appendRows(values: Float32Array): void {
    if (values.length % this.cols !== 0) throw new RangeError('MatrixBuilder: partial row');
    let offset = 0;
    while (offset < values.length) {
      const rows = Math.min((values.length - offset) / this.cols, this.chunkRows);
      const view = this.reserveRows(rows);
      view.set(values.subarray(offset, offset + view.length));
      offset += view.length;
    }
  }

  /**
   * Appends whole rows given row-major, keeping `values` itself as the matrix's storage (no
   * copy; cut into chunks of at most `chunkRows` rows, as views). For rows that already sit in
   * memory in matrix layout, such as a float32 embedding column read from a file; nothing may
   * write to `values` afterwards.
   */
  adoptRows(values: Float32Array): void {
    if (values.length % this.cols !== 0) throw new RangeError('MatrixBuilder: partial row');
    this.flush();
    const rows = values.length / this.cols;
    for (let done = 0; done < rows; done += this.chunkRows) {
      const count = Math.min(this.chunkRows, rows - done);
      this.push(this.total, count, values.subarray(done * this.cols, (done + count) * this.cols));
      this.total += count;
    }
  }

  /**
   * Space for `rows` more rows (at most one chunk's worth), to be filled in place by the caller,
   * row-major; saves a copy when converting columnar batches.
   */
  reserveRows(rows: number): Float32Array {
    if (rows > this.chunkRows) throw new RangeError('MatrixBuilder: reserve at most one chunk of rows');
    const need = this.filled + rows;
    if (need > this.chunkRows) {
      this.flush();
    } else if (need * this.cols > this.current.length) {
      // Grow geometrically up to the chunk size so small inputs do not allocate 256 MiB.
      const capacityRows = Math.min(this.chunkRows, Math.max(need, 2 * (this.current.length / this.cols), 1024));
      const grown = new Float32Array(capacityRows * this.cols);
      grown.set(this.current.subarray(0, this.filled * this.cols));
      this.current = grown;
    }
    if (this.current.length === 0) {
      // Once a chunk has been filled the input is large: later chunks are made whole, sparing
      // the copies of growing each one (as many bytes again as the data).
      const capacityRows = this.large ? this.chunkRows : Math.min(this.chunkRows, Math.max(rows, 1024));
      this.current = new Float32Array(capacityRows * this.cols);
    }
    const view = this.current.subarray(this.filled * this.cols, (this.filled + rows) * this.cols);
    this.filled += rows;
    this.total += rows;
    return view;
  }

  /** `finite`: every value appended was checked to be finite (readers check while converting). */
  build(options: { finite?: boolean } = {}): Matrix {
    this.flush();
    if (this.total === 0) throw inputError('no rows');
    return new Matrix(this.total, this.cols, this.chunks, this.columnNames, options.finite);
  }

  private flush(): void {
    if (this.filled === 0) return;
    const rowStart = this.total - this.filled;
    // A chunk less than half full (the last of a large input) is copied out, so that it does not
    // keep a whole chunk's array alive.
    this.large ||= 2 * this.filled >= this.chunkRows;
    const used = this.filled * this.cols;
    const data = 2 * used < this.current.length ? this.current.slice(0, used) : this.current.subarray(0, used);
    this.current = new Float32Array(0);
    this.push(rowStart, this.filled, data);
    this.filled = 0;
  }

  private push(rowStart: number, rows: number, data: Float32Array): void {
    const chunk = { rowStart, rows, data };
    this.chunks.push(chunk);
    this.onChunk?.(chunk);
  }
}
