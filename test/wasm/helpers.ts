import type { Backend, DeviceMatrix } from '../../src/backends/backend.js';
import { JsBackend } from '../../src/backends/js/index.js';
import { createWasmBackend, type WasmBackend, type WasmBackendOptions } from '../../src/backends/wasm/index.js';
import { Matrix, MatrixBuilder } from '../../src/matrix.js';
import { Rng } from '../../src/rng.js';

export const js = new JsBackend();

/** A wasm backend, or a thrown error saying why there is none (the tests need one). */
export async function wasmBackend(options: WasmBackendOptions = {}): Promise<WasmBackend> {
  const made = await createWasmBackend(options);
  if ('unavailable' in made) throw new Error(`wasm backend unavailable: ${made.unavailable} (run npm run build)`);
  return made;
}

/** Gaussian blobs: `k` centres spread by `spread`, unit noise, plus `offset` on every value. */
export function blobs(n: number, d: number, k: number, seed: number, options: { spread?: number; offset?: number; chunkElements?: number } = {}): Matrix {
  const rng = new Rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(rng.nextFloat() + 1e-300)) * Math.cos(2 * Math.PI * rng.nextFloat());
  const spread = options.spread ?? 4;
  const centres = Array.from({ length: k }, () => Float64Array.from({ length: d }, () => gauss() * spread));
  const builder = new MatrixBuilder(d, undefined, options.chunkElements);
  const row = new Float32Array(d);
  for (let i = 0; i < n; i++) {
    const centre = centres[rng.nextInt(k)]!;
    for (let j = 0; j < d; j++) row[j] = centre[j]! + gauss() + (options.offset ?? 0);
    builder.appendRows(row);
  }
  return builder.build();
}

/** The same matrix with other chunking (every backend must read chunked host matrices). */
export function rechunk(m: Matrix, chunkElements: number): Matrix {
  const builder = new MatrixBuilder(m.cols, undefined, chunkElements);
  for (const chunk of m.chunks) builder.appendRows(chunk.data);
  return builder.build();
}

/** Rows `rows` of m as k × d centroids. */
export function rowsOf(m: Matrix, rows: number[]): Float32Array {
  const out = new Float32Array(rows.length * m.cols);
  rows.forEach((r, i) => out.set(m.row(r), i * m.cols));
  return out;
}

export function maxRelative(actual: ArrayLike<number>, expected: ArrayLike<number>, floor = 1): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / Math.max(floor, Math.abs(expected[i]!)));
  }
  return worst;
}

export function mismatches(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let count = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) count++;
  return count;
}

/** Uploads `m` to both backends. */
export async function both(wasm: Backend, m: Matrix): Promise<[DeviceMatrix, DeviceMatrix]> {
  return [await wasm.upload(m), await js.upload(m)];
}

export { nextCentroids } from '../helpers/lloyd.js';
