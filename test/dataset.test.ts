import * as arrow from 'apache-arrow';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { Backend, DeviceMatrix, MatrixUpload } from '../src/backends/backend.js';
import type { WebGpuBackend } from '../src/backends/webgpu/index.js';
import { Engine } from '../src/engine.js';
import { Dataset } from '../src/input.js';
import { Matrix, type MatrixChunk } from '../src/matrix.js';
import { dataset as fixture } from './helpers/fixtures.js';
import { describeLanes, openLanes } from './helpers/lanes.js';

const iris = fixture('iris');
const reference = iris.kmeans[0]!;
const init = Matrix.from(Float32Array.from(reference.init), reference.k, iris.d);
const names = Array.from({ length: iris.d }, (_, j) => `f${j}`);

/** The iris rows as record batches of `rows` rows (plus an id column the selection leaves out); `poison` replaces one value of f1. */
function irisBatches(rows: number, poison?: { row: number; value: number }): arrow.RecordBatch[] {
  const batches: arrow.RecordBatch[] = [];
  for (let start = 0; start < iris.n; start += rows) {
    const end = Math.min(iris.n, start + rows);
    const columns: Record<string, arrow.Vector> = { id: arrow.vectorFromArray(Array.from({ length: end - start }, (_, i) => `r${start + i}`), new arrow.Utf8()) };
    names.forEach((name, j) => {
      const values = Float64Array.from({ length: end - start }, (_, i) => iris.x.row(start + i)[j]!);
      if (j === 1 && poison && poison.row >= start && poison.row < end) values[poison.row - start] = poison.value;
      columns[name] = arrow.makeVector(values);
    });
    batches.push(new arrow.Table(columns).batches[0]!);
  }
  return batches;
}

async function* once<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items;
}

/** A backend that records what reaches it (only the upload side). */
function recordingBackend() {
  const log: string[] = [];
  const added: MatrixChunk[] = [];
  const device = (host: Matrix, how: string): DeviceMatrix => ({
    rows: host.rows,
    cols: host.cols,
    host,
    dispose: () => log.push(`dispose ${how}`),
  });
  const backend = {
    upload: async (host: Matrix) => {
      log.push(`upload ${host.rows}`);
      return device(host, 'upload');
    },
    startUpload: (cols: number): MatrixUpload => {
      log.push(`start ${cols}`);
      return {
        add: (chunk) => {
          log.push(`add ${chunk.rowStart}+${chunk.rows}`);
          added.push(chunk);
        },
        finish: async (host) => {
          log.push(`finish ${host.rows}`);
          return device(host, 'stream');
        },
        abort: () => log.push('abort'),
      };
    },
  } as unknown as Backend;
  return { backend, log, added };
}

describe('Dataset', () => {
  it('streams a table to the backend while reading it, then keeps it resident', async () => {
    const { backend, log, added } = recordingBackend();
    const data = new Dataset(once(irisBatches(40)), { exclude: ['id'] }, 16 * iris.d);
    const resident = await data.residentOn(backend);
    expect(added.length).toBeGreaterThan(5);
    expect(log[0]).toBe(`start ${iris.d}`);
    expect(log.at(-1)).toBe('finish 150');
    expect(added.map((c) => c.data)).toEqual(data.matrix.chunks.map((c) => c.data));
    expect(resident.host).toBe(data.matrix);
    expect(data.columns).toEqual(names);
    expect(Array.from(data.matrix.row(149))).toEqual(Array.from(iris.x.row(149)));
    expect(await data.residentOn(backend)).toBe(resident); // resident: no second upload
    expect(log.filter((l) => l.startsWith('finish') || l.startsWith('upload'))).toHaveLength(1);
  });

  it('a bad value mid-stream fails naming its row, and what was uploaded is freed', async () => {
    const { backend, log } = recordingBackend();
    // Chunks of at most 16 rows: several are uploaded before the bad batch.
    const data = new Dataset(once(irisBatches(40, { row: 97, value: NaN })), { exclude: ['id'] }, 16 * iris.d);
    await expect(data.residentOn(backend)).rejects.toThrow('column "f1", row 98: value is NaN');
    expect(log.filter((l) => l.startsWith('add')).length).toBeGreaterThan(3);
    expect(log.at(-1)).toBe('abort');
    expect(log.some((l) => l.startsWith('finish'))).toBe(false);
  });

  it('on another backend, and after a failed transfer, uploads the host copy (a stream is read once)', async () => {
    const first = recordingBackend();
    const data = new Dataset(once(irisBatches(50)), { exclude: ['id'] });
    await data.residentOn(first.backend);
    const second = recordingBackend();
    await data.residentOn(second.backend);
    expect(first.log.at(-1)).toBe('dispose stream');
    expect(second.log).toEqual(['upload 150']);

    // A transfer that fails in finish (out of memory, a lost device) leaves the host matrix whole.
    const failing = recordingBackend();
    const broken = { ...failing.backend, startUpload: (cols: number) => ({ ...failing.backend.startUpload(cols), finish: () => Promise.reject(new Error('lost')) }) } as Backend;
    const again = new Dataset(once(irisBatches(50)), { exclude: ['id'] });
    await expect(again.residentOn(broken)).rejects.toThrow('lost');
    await again.residentOn(broken);
    expect(failing.log.at(-1)).toBe('upload 150');
    expect(again.rows).toBe(150);
  });

  it('refuses use after dispose, and frees its copy', async () => {
    const { backend, log } = recordingBackend();
    const data = new Dataset(iris.x);
    await data.residentOn(backend);
    data.dispose();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(log).toEqual(['upload 150', 'dispose upload']);
    expect(() => data.matrix).toThrow(/after dispose/);
    expect(() => data.residentOn(backend)).toThrow(/after dispose/);
  });
});

const lanes = await openLanes();
afterAll(() => lanes.forEach((lane) => lane.engine?.dispose()));

describeLanes('Engine.load', lanes, (engine) => {
  it('loads a stream once for k-means, silhouette, predict and mini-batch k-means, with the same results as a matrix', async () => {
    const data = await engine.load(once(irisBatches(32)), { exclude: ['id'] });
    expect([data.rows, data.cols]).toEqual([150, iris.d]);
    const impl = (engine as unknown as { impl: Backend }).impl;
    const upload = vi.spyOn(impl, 'upload');
    const startUpload = vi.spyOn(impl, 'startUpload');
    const fit = await engine.kmeans(data, { k: reference.k, init });
    expect(Array.from(fit.labels)).toEqual(reference.labels);
    const scored = await engine.silhouette(data, fit.labels);
    expect(Array.from(await fit.predict(data))).toEqual(reference.labels);
    const miniBatch = await engine.miniBatchKMeans(data, { k: reference.k, batchSize: 64, seed: 1 });
    expect(miniBatch.labels).toHaveLength(150);
    // Every call used the resident copy (mini-batch k-means uploads only its samples).
    expect(upload.mock.calls.filter(([m]) => m === data.matrix)).toEqual([]);
    expect(startUpload).not.toHaveBeenCalled();
    upload.mockRestore();
    startUpload.mockRestore();
    const direct = await engine.silhouette(iris.x, fit.labels);
    expect(scored.score).toBeCloseTo(direct.score, 6);
    data.dispose();
    await expect(engine.kmeans(data, { k: 3 })).rejects.toThrow(/after dispose/);
  });

  it('a table file opened with openTable streams in, and a bad value fails the load naming its row', async () => {
    const table = new arrow.Table(irisBatches(64));
    const data = await engine.load({ path: 'iris.arrow', format: 'arrow', schema: table.schema, batches: () => once(table.batches) }, { exclude: ['id'] });
    expect(data.columns).toEqual(names);
    expect(data.matrix.toFloat32Array()).toEqual(iris.x.toFloat32Array());
    data.dispose();
    await expect(engine.load(once(irisBatches(64, { row: 130, value: Infinity })), { exclude: ['id'] })).rejects.toThrow(
      'column "f1", row 131: value is Infinity',
    );
  });
});

describe('Engine.load on a GPU lost while the rows stream in', () => {
  it('finishes on wasm with a warning, from the rows already read', async (context) => {
    const warnings: string[] = [];
    let engine: Engine;
    try {
      engine = await Engine.create({ backend: 'webgpu', fallback: 'wasm', onWarning: (m) => warnings.push(m) });
    } catch (error) {
      if (process.env.CI === 'true') throw error;
      return context.skip((error as Error).message);
    }
    const gpu = (engine as unknown as { impl: WebGpuBackend }).impl;
    async function* losing() {
      let b = 0;
      for (const batch of irisBatches(30)) {
        if (b++ === 2) {
          gpu.ctx.device.destroy();
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        yield batch;
      }
    }
    const data = await engine.load(losing(), { exclude: ['id'] });
    expect(engine.backend).toBe('wasm');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/GPU device was lost.*finishing on wasm/);
    const fit = await engine.kmeans(data, { k: reference.k, init });
    expect(Array.from(fit.labels)).toEqual(reference.labels);
    data.dispose();
    engine.dispose();
  });
});
