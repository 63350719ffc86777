import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { afterAll, expect, it, vi } from 'vitest';
import { JsBackend } from '../../src/backends/js/index.js';
import type { WebGpuBackend } from '../../src/backends/webgpu/index.js';
import type { GpuMatrix } from '../../src/backends/webgpu/resident.js';
import type { RowUpload } from '../../src/backends/webgpu/upload.js';
import { DeviceLostError } from '../../src/errors.js';
import { Dataset } from '../../src/input.js';
import { openTable, writeTable } from '../../src/io/index.js';
import type { Matrix } from '../../src/matrix.js';
import { describeGpu, openGpu, randomMatrix } from './gpu.js';

vi.setConfig({ testTimeout: 600_000, hookTimeout: 600_000 });

// 8 KiB bindings: 64 rows per device chunk for rows of up to 8 values (see chunkRows).
const opened = await openGpu({ maxBindingBytes: 8192, subgroups: false });
afterAll(() => opened.gpu?.dispose());

/** Every device chunk's buffer size and its rows as read back (vec4-padded). */
async function deviceRows(gpu: WebGpuBackend, m: GpuMatrix): Promise<{ sizes: number[]; rows: number[]; values: Float32Array }> {
  const ctx = gpu.ctx;
  const rb = ctx.readback();
  const handles = m.chunks.map((chunk) => rb.add(chunk.buffer, 0, chunk.buffer.size));
  await ctx.guard('reading rows back', () => {
    const encoder = ctx.device.createCommandEncoder();
    rb.encode(encoder);
    ctx.device.queue.submit([encoder.finish()]);
  });
  await rb.map('reading rows back');
  const parts = handles.map((h) => rb.f32(h));
  const values = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    values.set(part, at);
    at += part.length;
  }
  return { sizes: m.chunks.map((c) => c.buffer.size), rows: m.chunks.map((c) => c.rows), values };
}

function sameBytes(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** The host rows padded to a multiple of four columns with zeros, as the device holds them. */
function padded(x: Matrix): Float32Array {
  const dp = Math.ceil(x.cols / 4) * 4;
  const out = new Float32Array(x.rows * dp);
  for (let i = 0; i < x.rows; i++) out.set(x.row(i), i * dp);
  return out;
}

describeGpu('webgpu: rows uploaded as they are read', opened, (gpu) => {
  it('a matrix handed over in 7-row chunks lands exactly as its whole upload, each device chunk written once its rows are in', async () => {
    // 300 rows: device chunks of 64, 64, 64, 64, 44 rows. 6 columns are padded to 8, 8 are not.
    for (const cols of [6, 8]) {
      const x = randomMatrix(cols, 300, cols, { offset: -1, scale: 2, chunkRows: 7 });
      const upload = gpu.startUpload(cols) as RowUpload;
      for (const chunk of x.chunks) {
        upload.add(chunk);
        expect(upload.uploadedRows).toBe(64 * Math.floor((chunk.rowStart + chunk.rows) / 64));
      }
      const streamed = await upload.finish(x);
      const whole = (await gpu.upload(x)) as GpuMatrix;
      const got = await deviceRows(gpu, streamed);
      const expected = await deviceRows(gpu, whole);
      expect(got.rows).toEqual([64, 64, 64, 64, 44]);
      expect(got.sizes).toEqual([64, 64, 64, 64, 44].map((rows) => rows * 32));
      expect(got).toEqual(expected);
      expect(got.values).toEqual(padded(x));
      expect(streamed.chunks.map((c) => [c.rowStart, c.blockStart])).toEqual(whole.chunks.map((c) => [c.rowStart, c.blockStart]));
      expect(Array.from(streamed.mean)).toEqual(Array.from(whole.mean));
      streamed.dispose();
      whole.dispose();
    }
  });

  it('a k-means step on streamed rows matches the js reference', async () => {
    const x = randomMatrix(11, 300, 5, { chunkRows: 13 });
    const upload = gpu.startUpload(5);
    for (const chunk of x.chunks) upload.add(chunk);
    const streamed = await upload.finish(x);
    const centroids = Float32Array.from({ length: 3 * 5 }, (_, i) => x.row(50 * (i % 3))[i % 5]!);
    const session = await gpu.startLloyd(streamed, 3, { bounds: false });
    const got = await session.step(centroids, { accumulate: true });
    session.dispose();
    streamed.dispose();
    const js = new JsBackend();
    const reference = await (await js.startLloyd(await js.upload(x), 3, { bounds: false })).step(centroids, { accumulate: true });
    expect(Array.from(got.labels)).toEqual(Array.from(reference.labels));
    expect(Array.from(got.counts!)).toEqual(Array.from(reference.counts!));
  });

  it('refuses a finish with another matrix than the rows handed over, and chunks out of order', async () => {
    const x = randomMatrix(3, 20, 4, { chunkRows: 8 });
    const upload = gpu.startUpload(4);
    expect(() => upload.add(x.chunks[1]!)).toThrow(/does not continue row 0/);
    upload.add(x.chunks[0]!);
    await expect(upload.finish(x)).rejects.toThrow(/finished with a 20 × 4 matrix after 8 rows/);
    upload.abort();
  });
});

it('a device lost while rows stream in is reported by finish, not by add', async (context) => {
  const lone = await openGpu({ subgroups: false });
  if (!lone.gpu) {
    if (process.env.CI === 'true') throw new Error(`no WebGPU adapter in CI: ${lone.reason}`);
    return context.skip(lone.reason);
  }
  const gpu = lone.gpu;
  const x = randomMatrix(5, 40, 4, { chunkRows: 10 });
  const upload = gpu.startUpload(4);
  upload.add(x.chunks[0]!);
  gpu.ctx.device.destroy();
  await new Promise((resolve) => setTimeout(resolve, 50));
  for (const chunk of x.chunks.slice(1)) upload.add(chunk);
  await expect(upload.finish(x)).rejects.toBeInstanceOf(DeviceLostError);
  gpu.dispose();
});

it('a Parquet file of embeddings, decoded on worker threads and kept without copies, streams to the GPU intact', async (context) => {
  // 150,000 × 64: three row groups whose batches (65,536 × 64 = 2²² floats) the reader keeps as
  // they are; 4 MiB bindings make 16,384-row device chunks, so chunks of both kinds straddle.
  const lone = await openGpu({ maxBindingBytes: 1 << 22, subgroups: false });
  if (!lone.gpu) {
    if (process.env.CI === 'true') throw new Error(`no WebGPU adapter in CI: ${lone.reason}`);
    return context.skip(lone.reason);
  }
  const gpu = lone.gpu;
  const dir = mkdtempSync(join(tmpdir(), 'clusterkit-upload-'));
  try {
    const rows = 150_000;
    const d = 64;
    const x = randomMatrix(21, rows, d, { offset: -1, scale: 2 });
    const values = x.toFloat32Array();
    const type = new arrow.FixedSizeList(d, new arrow.Field('item', new arrow.Float32(), false));
    const batches = [0, 50_000, 100_000].map((start) => {
      const child = arrow.makeData({ type: new arrow.Float32(), length: 50_000 * d, data: values.subarray(start * d, (start + 50_000) * d) });
      return new arrow.Table({ emb: arrow.makeVector(arrow.makeData({ type, length: 50_000, nullCount: 0, child })) }).batches[0]!;
    });
    const path = join(dir, 'embeddings.parquet');
    await writeTable(path, batches[0]!.schema, (async function* () {
      yield* batches;
    })());
    const data = new Dataset(await openTable(path), { embedding: 'emb' });
    const resident = (await data.residentOn(gpu)) as GpuMatrix;
    expect(resident.chunks.map((c) => c.rows)).toEqual([...new Array(9).fill(16_384), rows - 9 * 16_384]);
    expect(data.matrix.chunks.map((c) => c.rows)).toEqual([65_536, 65_536, rows - 2 * 65_536]);
    // Byte comparisons: toEqual walks 9.6 million values one by one for minutes.
    expect(sameBytes(data.matrix.toFloat32Array(), values)).toBe(true);
    expect(sameBytes((await deviceRows(gpu, resident)).values, values)).toBe(true);
    data.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
    gpu.dispose();
  }
});
