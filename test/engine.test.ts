import { describe, expect, it } from 'vitest';
import type { WebGpuBackend } from '../src/backends/webgpu/index.js';
import { Engine } from '../src/engine.js';
import { DeviceLostError } from '../src/errors.js';
import { Matrix } from '../src/matrix.js';
import { dataset } from './helpers/fixtures.js';

const iris = dataset('iris');
const reference = iris.kmeans[0]!;
const init = Matrix.from(Float32Array.from(reference.init), reference.k, iris.d);

/** A forced webgpu engine (SwiftShader in CI), or why there is none. */
async function gpuEngine(fallback: 'wasm' | 'none', warnings: string[]): Promise<Engine | string> {
  try {
    return await Engine.create({ backend: 'webgpu', fallback, onWarning: (m) => warnings.push(m) });
  } catch (error) {
    return (error as Error).message;
  }
}

/** What a driver reset looks like from the engine: the device is destroyed under it. */
async function loseDevice(engine: Engine): Promise<void> {
  (engine as unknown as { impl: WebGpuBackend }).impl.ctx.device.destroy();
  await new Promise((resolve) => setTimeout(resolve, 50));
}

describe('GPU device loss', () => {
  it('with a fallback, the call finishes on wasm with the same result and a warning', async (context) => {
    const warnings: string[] = [];
    const engine = await gpuEngine('wasm', warnings);
    if (typeof engine === 'string') {
      if (process.env.CI === 'true') throw new Error(`no WebGPU adapter in CI: ${engine}`);
      return context.skip(engine);
    }
    expect(engine.backend).toBe('webgpu');
    await loseDevice(engine);
    const fit = await engine.kmeans(iris.x, { k: reference.k, init });
    expect(engine.backend).toBe('wasm');
    expect(Array.from(fit.labels)).toEqual(reference.labels);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/GPU device was lost.*finishing on wasm/);
    engine.dispose();
  });

  it('without one, the call fails with DeviceLostError', async (context) => {
    const engine = await gpuEngine('none', []);
    if (typeof engine === 'string') {
      if (process.env.CI === 'true') throw new Error(`no WebGPU adapter in CI: ${engine}`);
      return context.skip(engine);
    }
    await loseDevice(engine);
    await expect(engine.kmeans(iris.x, { k: reference.k, init })).rejects.toBeInstanceOf(DeviceLostError);
    engine.dispose();
  });
});

describe('a GPU device lent by the application', () => {
  it('runs k-means on it and leaves it alive after dispose()', async (context) => {
    const { create, globals } = (await import('webgpu')) as unknown as { create(flags: string[]): GPU; globals: object };
    Object.assign(globalThis, globals);
    const gpu = create([]);
    const adapter = await gpu.requestAdapter();
    if (!adapter) {
      if (process.env.CI === 'true') throw new Error('no WebGPU adapter in CI');
      return context.skip('no WebGPU adapter');
    }
    const device = await adapter.requestDevice();
    const engine = await Engine.create({ backend: 'webgpu', device });
    expect(engine.backend).toBe('webgpu');
    const fit = await engine.kmeans(iris.x, { k: reference.k, init });
    expect(Array.from(fit.labels)).toEqual(reference.labels);
    engine.dispose();
    // Still the application's: a buffer can be made and no loss was signalled.
    device.pushErrorScope('validation');
    device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE });
    expect(await device.popErrorScope()).toBeNull();
    const lost = await Promise.race([device.lost.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 100))]);
    expect(lost).toBe(false);
    device.destroy();
  });
});

describe('Engine', () => {
  it('auto never picks a software GPU adapter', async () => {
    const engine = await Engine.create();
    if (engine.backend === 'webgpu') expect(engine.description).not.toMatch(/swiftshader|llvmpipe|lavapipe/i);
    else expect(engine.backend).toBe('wasm');
    engine.dispose();
  });

  it('refuses to run after dispose()', async () => {
    const engine = await Engine.create({ backend: 'js' });
    engine.dispose();
    await expect(engine.kmeans(iris.x, { k: 3 })).rejects.toThrow(/after dispose/);
  });
});
