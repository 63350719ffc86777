import { describe, it } from 'vitest';
import { createWebGpuBackend, type WebGpuBackend, type WebGpuOptions } from '../../src/backends/webgpu/index.js';
import { Matrix, MatrixBuilder } from '../../src/matrix.js';
import { Rng } from '../../src/rng.js';

/**
 * A webgpu backend for tests, or the reason there is none. Forced (a software adapter is
 * fine): CI runs these on SwiftShader with
 * VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json.
 */
export async function openGpu(options: WebGpuOptions = {}): Promise<{ gpu?: WebGpuBackend; reason?: string }> {
  const made = await createWebGpuBackend(options, 'forced');
  if ('unavailable' in made) return { reason: made.unavailable };
  return { gpu: made };
}

/** describe() that skips (or fails under CI=true) when there is no adapter. */
export function describeGpu(title: string, opened: { gpu?: WebGpuBackend; reason?: string }, body: (gpu: WebGpuBackend) => void): void {
  if (opened.gpu) {
    const gpu = opened.gpu;
    describe(title, () => body(gpu));
  } else if (process.env.CI === 'true') {
    describe(title, () => it('needs a WebGPU adapter in CI', () => {
      throw new Error(`no WebGPU adapter: ${opened.reason}`);
    }));
  } else {
    describe.skip(`${title} — skipped: ${opened.reason}`, () => it('needs a WebGPU adapter', () => {}));
  }
}

/** n × d uniform values in [offset, offset + scale), as a matrix of host chunks of `chunkRows` rows. */
export function randomMatrix(seed: number, n: number, d: number, { offset = 0, scale = 1, chunkRows }: { offset?: number; scale?: number; chunkRows?: number } = {}): Matrix {
  const rng = new Rng(seed);
  const data = Float32Array.from({ length: n * d }, () => offset + scale * rng.nextFloat());
  const builder = new MatrixBuilder(d, undefined, chunkRows ? chunkRows * d : undefined);
  builder.appendRows(data);
  return builder.build();
}

/** Gaussian-ish blobs (sum of uniforms) around k random centres: clear clusters, no ties. */
export function blobs(seed: number, n: number, d: number, k: number, chunkRows?: number): Matrix {
  const rng = new Rng(seed);
  const centres = Float32Array.from({ length: k * d }, () => 10 * rng.nextFloat());
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = rng.nextInt(k);
    for (let j = 0; j < d; j++) data[i * d + j] = centres[c * d + j]! + (rng.nextFloat() + rng.nextFloat() + rng.nextFloat() - 1.5);
  }
  const builder = new MatrixBuilder(d, undefined, chunkRows ? chunkRows * d : undefined);
  builder.appendRows(data);
  return builder.build();
}

export function maxRelative(actual: ArrayLike<number>, expected: ArrayLike<number>, floor = 1e-30): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} ≠ ${expected.length}`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / Math.max(Math.abs(expected[i]!), floor));
  }
  return worst;
}

export function maxAbsolute(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} ≠ ${expected.length}`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  return worst;
}
