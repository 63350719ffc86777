import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createWebGpuBackend, isSoftwareAdapter } from '../../src/backends/webgpu/index.js';
import { shaderSource } from '../../src/backends/webgpu/wgsl.js';
import { SHADERS } from '../../src/backends/webgpu/shaders.generated.js';
import { Engine } from '../../src/engine.js';
import { ClusterkitError, DeviceLostError } from '../../src/errors.js';
import { Matrix } from '../../src/matrix.js';
import { describeGpu, openGpu, randomMatrix } from './gpu.js';

// SwiftShader compiles each kernel variant in seconds and runs it on the CPU: give these room
// when the machine is busy (other test files run beside them).
vi.setConfig({ testTimeout: 600_000, hookTimeout: 600_000 });

const opened = await openGpu({ maxBindingBytes: 1 << 14 });
afterAll(() => opened.gpu?.dispose());

describe('webgpu shader sources', () => {
  it('shaders.generated.ts is up to date with shaders/*.wgsl', () => {
    const script = fileURLToPath(new URL('../../scripts/build-shaders.mjs', import.meta.url));
    expect(() => execFileSync(process.execPath, [script, '--check'], { stdio: 'pipe' })).not.toThrow();
  });

  it('the preprocessor handles #if / #else / #include and {{constants}}', () => {
    const src = shaderSource('pairs', { TM: 64, TN: 64, RM: 4, RN: 4, TK: 16, DP4: 3, ASSIGN: true, HAMERLY: false });
    expect(src).toContain('const DP4: u32 = 3u;');
    expect(src).toContain('fn two_sum'); // from common.wgsl
    expect(src).toContain('LABELS');
    expect(src).not.toContain('LOWER');
    expect(src).not.toMatch(/^\s*#/m);
    expect(() => shaderSource('pairs', { ASSIGN: true })).toThrow(/no value for \{\{TM\}\}/);
    expect(Object.keys(SHADERS)).toEqual(expect.arrayContaining(['pairs', 'pairs_precise', 'assign_rows', 'update', 'rows', 'seeding', 'topk', 'softmax']));
  });
});

describe('webgpu adapter choice', () => {
  it('recognises software adapters', () => {
    expect(isSoftwareAdapter({ vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: false })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' })).toBe(true);
    expect(isSoftwareAdapter({ isFallbackAdapter: true })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100 80GB HBM3' })).toBe(false);
  });

  it("'auto' never takes a software adapter; asking for webgpu by name may", async () => {
    const forced = await createWebGpuBackend({}, 'forced');
    if ('unavailable' in forced) return; // no adapter at all here
    const software = forced.adapter.software;
    forced.dispose();
    const auto = await createWebGpuBackend({}, 'auto');
    if (software) {
      // Refused either before Dawn loads (no GPU device node: a CPU-only machine) or at the adapter.
      expect('unavailable' in auto && auto.unavailable).toMatch(/software adapter|no GPU device/);
      const engine = await Engine.create({ backend: 'auto' });
      expect(engine.backend).not.toBe('webgpu');
      engine.dispose();
    } else if (!('unavailable' in auto)) {
      auto.dispose();
    }
  });
});

describeGpu('webgpu errors are exceptions, never garbage', opened, (gpu) => {
  const ctx = gpu.ctx;

  it('the description names the adapter, its limits and features', () => {
    expect(gpu.description).toMatch(/^webgpu: /);
    expect(gpu.description).toMatch(/binding \d+ MiB/);
    expect(gpu.adapter.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
  });

  it('a buffer beyond maxBufferSize', async () => {
    const tooBig = ctx.device.limits.maxBufferSize + 1024;
    const attempt = ctx.guard('allocating', () => ctx.device.createBuffer({ size: tooBig, usage: 0x80 }));
    await expect(attempt).rejects.toThrow(ClusterkitError);
    await expect(ctx.guard('allocating', () => ctx.device.createBuffer({ size: tooBig, usage: 0x80 }))).rejects.toThrow(
      /webgpu: allocating: (rejected by WebGPU validation|out of GPU memory)/,
    );
  });

  it('a binding larger than its buffer (the "binding over the limit" trap)', async () => {
    const pipeline = await ctx.pipeline('softmax', { SOFTMAX: true });
    const small = await ctx.guard('small buffers', () => [ctx.storage(64, 'scores'), ctx.storage(64, 'labels'), ctx.uniform([1, 4, 0, 0])]);
    await expect(
      ctx.guard('binding', () => ctx.bindGroup(pipeline, { 0: { buffer: small[0]!, offset: 0, size: 1 << 20 }, 1: small[1]!, 2: small[2]! })),
    ).rejects.toThrow(/rejected by WebGPU validation/);
    small.forEach((b) => b.destroy());
  });

  it('a storage binding over the device limit is refused before it is made', async () => {
    await expect(ctx.guard('big binding', () => ctx.storage((1 << 14) + 16, 'huge'))).rejects.toThrow(/more than this device allows/);
  });

  it('a row wider than one binding cannot be chunked: a clear error', async () => {
    const wide = randomMatrix(1, 2, 5000); // 20 kB per row > 16 KiB binding cap
    await expect(gpu.upload(wide)).rejects.toThrow(/exceeds this device's storage binding limit/);
  });

  it('per-step buffers over the limit (k × d sums) fail at start, not mid-fit', async () => {
    const x = await gpu.upload(randomMatrix(2, 600, 64));
    await expect(gpu.startLloyd(x, 500, { bounds: false })).rejects.toThrow(ClusterkitError);
    x.dispose();
  });

  it('a broken shader names the shader and the compiler message', async () => {
    await expect(ctx.pipeline('rows', { DP4: 'oops', SLAB: 2 })).rejects.toThrow(/shader rows .* failed to compile/);
  });

  it('a disposed matrix or session is refused', async () => {
    const x = await gpu.upload(Matrix.fromRows([[1, 2], [3, 4], [5, 6]]));
    const session = await gpu.startLloyd(x, 2, { bounds: false });
    x.dispose();
    await expect(session.step(Float32Array.of(1, 2, 5, 6), { accumulate: true })).rejects.toThrow(/after dispose/);
    session.dispose();
  });
});

describe('webgpu device loss', () => {
  it('gives a clear error naming the loss', async () => {
    const { gpu, reason } = await openGpu();
    if (!gpu) {
      if (process.env.CI === 'true') throw new Error(`no WebGPU adapter: ${reason}`);
      return;
    }
    const x = await gpu.upload(Matrix.fromRows([[1, 2], [3, 4], [5, 6], [7, 8]]));
    const session = await gpu.startLloyd(x, 2, { bounds: false });
    gpu.ctx.device.destroy(); // what a driver reset looks like from here
    await new Promise((resolve) => setTimeout(resolve, 50));
    const error = await session.step(Float32Array.of(1, 2, 7, 8), { accumulate: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterkitError);
    expect((error as Error).message).toMatch(/device was lost/);
    expect(error).toBeInstanceOf(DeviceLostError);
    gpu.dispose();
  });
});
