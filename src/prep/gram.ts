import type { Backend } from '../backends/backend.js';
import { Matrix } from '../matrix.js';

/**
 * Rows of the data per backend call: the backend's dot products run over this many values (on
 * float32 backends that bounds each float32 accumulation; the blocks' d × d results are summed
 * here in float64). About 2¹⁸ floats per uploaded block keeps a tile's working set in cache.
 */
export function gramBlockRows(d: number): number {
  const rows = 2 ** Math.round(Math.log2((1 << 18) / d));
  return Math.min(4096, Math.max(1024, rows));
}

/** From this many columns on, the features are split in two and only 3 of the 4 products run. */
export const GRAM_SPLIT_COLUMNS = 128;

/**
 * The d × d Gram matrix G = Σᵢ zᵢ zᵢᵀ (float64, row-major) of the rows of `x` transformed
 * column-wise as zᵢⱼ = (xᵢⱼ − center[j]) · factor[j] (factor 1 when omitted): with `center` the
 * column means this is the scatter matrix Xcᵀ Xc, whose eigenvectors are PCA's components.
 *
 * Computed on the backend with its `innerProducts` primitive, which gives A·Bᵀ tiles:
 * each block of rows is centred on the host (float64, stored as float32), uploaded transposed
 * (d rows of block-length values), and `innerProducts(T, T)` yields that block's d × d
 * contribution T·Tᵀ. With many columns T is split into its top and bottom features and the
 * symmetric result needs only top·topᵀ, top·bottomᵀ and bottom·bottomᵀ. No n × n or n × d
 * intermediate is kept beyond one block.
 */
export async function gram(backend: Backend, x: Matrix, center: Float64Array, factor?: Float64Array): Promise<Float64Array> {
  const d = x.cols;
  const total = new Float64Array(d * d);
  const blockRows = gramBlockRows(d);
  const h = d >= GRAM_SPLIT_COLUMNS ? d >> 1 : d; // features in the top part
  const add = (products: Float32Array, rowOffset: number, colOffset: number, width: number, mirror: boolean) => {
    for (let i = 0, at = 0; at < products.length; i++) {
      const r = rowOffset + i;
      for (let c = colOffset; c < colOffset + width; c++, at++) {
        total[r * d + c]! += products[at]!;
        if (mirror) total[c * d + r]! += products[at]!;
      }
    }
  };
  // One buffer for every block (the backend copies it on upload): a fresh megabyte per block
  // cost more in page faults than filling it.
  const buffer = new Float32Array(d * Math.min(blockRows, x.rows));
  const scale = factor ?? new Float64Array(d).fill(1); // × 1 is exact: the same values either way
  for (let start = 0; start < x.rows; start += blockRows) {
    const rows = Math.min(blockRows, x.rows - start);
    const block = transposedBlock(x, start, rows, center, scale, buffer);
    const part = (from: number, to: number) => new Matrix(to - from, rows, [{ rowStart: 0, rows: to - from, data: block.subarray(from * rows, to * rows) }], undefined, true);
    const top = await backend.upload(part(0, h));
    try {
      add(await backend.innerProducts(top, top, 0, h), 0, 0, h, false);
      if (h < d) {
        const bottom = await backend.upload(part(h, d));
        try {
          add(await backend.innerProducts(top, bottom, 0, h), 0, h, d - h, true);
          add(await backend.innerProducts(bottom, bottom, 0, d - h), h, h, d - h, false);
        } finally {
          bottom.dispose();
        }
      }
    } finally {
      top.dispose();
    }
  }
  // Exactly symmetric (the backend computes both triangles, possibly in different orders).
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) {
      const v = (total[i * d + j]! + total[j * d + i]!) / 2;
      total[i * d + j] = v;
      total[j * d + i] = v;
    }
  }
  return total;
}

/** Rows [start, start + rows) of x, transformed, as a d × rows row-major array at the start of `buffer`. */
function transposedBlock(x: Matrix, start: number, rows: number, center: Float64Array, scale: Float64Array, buffer: Float32Array): Float32Array {
  const d = x.cols;
  const out = buffer.subarray(0, d * rows);
  // Straight from the chunks' arrays (a row view per row cost as much as the products), 16
  // rows at a time so that each output row gets a whole cache line per visit: row by row, the
  // d output rows a power-of-two length apart all fall in one cache set.
  for (let r = 0; r < rows; ) {
    const chunk = x.chunkOf(start + r);
    const first = start + r - chunk.rowStart;
    const count = Math.min(rows - r, chunk.rows - first);
    const data = chunk.data;
    for (let i0 = 0; i0 < count; i0 += 16) {
      const i1 = Math.min(count, i0 + 16);
      for (let j = 0; j < d; j++) {
        const c = center[j]!;
        const f = scale[j]!;
        const to = j * rows + r;
        for (let i = i0, from = (first + i0) * d + j; i < i1; i++, from += d) out[to + i] = (data[from]! - c) * f;
      }
    }
    r += count;
  }
  return out;
}
