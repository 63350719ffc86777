import type { DeviceMatrix } from '../backend.js';
import type { Matrix } from '../../matrix.js';
import type { WasmContext } from './context.js';
import type { Shard } from './memory.js';

/** A run of rows of a resident matrix inside one shard: paddedRows × dp float32 at `ptr`. */
export interface Piece {
  shard: Shard;
  ptr: number;
  /** First row (of the whole matrix) held here. */
  rowStart: number;
  rows: number;
  /** rows rounded up to a multiple of 4 (zero rows), so kernels can read whole 4-row blocks. */
  paddedRows: number;
}

/** Row width in floats, padded to a multiple of 4 (zeros), so rows are whole v128 vectors. */
export function paddedWidth(cols: number): number {
  return Math.ceil(cols / 4) * 4;
}

/** Per-row bytes a shard keeps free beside a piece for session state (labels, bounds, trials). */
const ROW_STATE_BYTES = 48;

/**
 * A matrix resident in WebAssembly memory: its rows copied once, padded, into pieces; a matrix
 * larger than one memory spans several shards.
 */
export class WasmMatrix implements DeviceMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly dp: number;
  private disposed = false;
  private center: Float32Array | undefined;
  /** Cached float64 row norms per piece (cosine metrics). */
  readonly norms = new Map<Piece, number>();

  constructor(
    readonly host: Matrix,
    readonly pieces: Piece[],
  ) {
    this.rows = host.rows;
    this.cols = host.cols;
    this.dp = paddedWidth(host.cols);
  }

  /**
   * A centre for the data (the mean of up to 4096 evenly spaced rows, rounded to float32):
   * scores are computed on x − μ so that data far from the origin keeps its precision.
   */
  get mu(): Float32Array {
    if (!this.center) {
      const sample = Math.min(this.rows, 4096);
      const d = this.cols;
      const mean = new Float64Array(d);
      for (let s = 0; s < sample; s++) {
        const i = Math.floor((s * this.rows) / sample);
        const chunk = this.host.chunkOf(i);
        const offset = (i - chunk.rowStart) * d;
        for (let j = 0; j < d; j++) mean[j]! += chunk.data[offset + j]!;
      }
      this.center = new Float32Array(this.dp);
      for (let j = 0; j < this.cols; j++) this.center[j] = mean[j]! / sample;
    }
    return this.center;
  }

  /** The pieces overlapping rows [start, end), with the local row range in each. */
  *overlapping(start: number, end: number): Generator<{ piece: Piece; from: number; to: number }> {
    for (const piece of this.pieces) {
      const from = Math.max(start, piece.rowStart) - piece.rowStart;
      const to = Math.min(end, piece.rowStart + piece.rows) - piece.rowStart;
      if (from < to) yield { piece, from, to };
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const piece of this.pieces) {
      piece.shard.release(piece.ptr);
      const norms = this.norms.get(piece);
      if (norms !== undefined) piece.shard.release(norms);
    }
    this.norms.clear();
  }

  assertLive(): void {
    if (this.disposed) throw new Error('wasm: matrix used after dispose()');
  }
}

/** Copies `matrix` into shard memory (once; it stays there until disposed). */
export function uploadMatrix(context: WasmContext, matrix: Matrix): WasmMatrix {
  const dp = paddedWidth(matrix.cols);
  const rowBytes = dp * 4;
  const maxRows = Math.max(4, Math.floor((context.shardCapacity * 0.6) / (rowBytes + ROW_STATE_BYTES) / 4) * 4);
  // A piece plus its per-row state takes at most 60% of a shard, and goes where 25% more stays free.
  const pieces: Piece[] = [];
  try {
    for (let rowStart = 0; rowStart < matrix.rows; rowStart += maxRows) {
      const rows = Math.min(maxRows, matrix.rows - rowStart);
      const paddedRows = Math.ceil(rows / 4) * 4;
      const { shard, ptr } = context.alloc(paddedRows * rowBytes, paddedRows * ROW_STATE_BYTES + context.shardCapacity * 0.25);
      const piece: Piece = { shard, ptr, rowStart, rows, paddedRows };
      pieces.push(piece);
      copyRows(matrix, piece, dp);
    }
  } catch (error) {
    for (const piece of pieces) piece.shard.release(piece.ptr);
    throw error;
  }
  return new WasmMatrix(matrix, pieces);
}

function copyRows(matrix: Matrix, piece: Piece, dp: number): void {
  const d = matrix.cols;
  const view = piece.shard.f32(piece.ptr, piece.paddedRows * dp);
  if (dp !== d || piece.paddedRows !== piece.rows) view.fill(0);
  const end = piece.rowStart + piece.rows;
  for (const chunk of matrix.chunks) {
    const from = Math.max(piece.rowStart, chunk.rowStart);
    const to = Math.min(end, chunk.rowStart + chunk.rows);
    if (from >= to) continue;
    if (dp === d) {
      view.set(chunk.data.subarray((from - chunk.rowStart) * d, (to - chunk.rowStart) * d), (from - piece.rowStart) * dp);
    } else {
      for (let r = from; r < to; r++) {
        const src = (r - chunk.rowStart) * d;
        view.set(chunk.data.subarray(src, src + d), (r - piece.rowStart) * dp);
      }
    }
  }
}

/**
 * Copies rows [start, end) of `matrix` into `view` (dp wide) and zeroes the rest of it: the
 * padding columns and any rows past end. Only what the rows leave is zeroed (a scratch block
 * of megabytes cost as much to clear as to compute on).
 */
export function copyRowRange(matrix: Matrix, start: number, end: number, view: Float32Array, dp: number): void {
  view.fill(0, matrix.cols === dp ? (end - start) * dp : 0);
  for (let r = start; r < end; r++) view.set(matrix.row(r), (r - start) * dp);
}
