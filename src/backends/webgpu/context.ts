/// <reference types="@webgpu/types" />
import { ClusterkitError, DeviceLostError } from '../../errors.js';
import { shaderSource, type Defines } from './wgsl.js';

/** GPUBufferUsage flags (numeric, so Node needs no WebGPU globals). */
export const Usage = {
  MAP_READ: 0x1,
  COPY_SRC: 0x4,
  COPY_DST: 0x8,
  UNIFORM: 0x40,
  STORAGE: 0x80,
} as const;

export const STORAGE = Usage.STORAGE | Usage.COPY_DST | Usage.COPY_SRC;

const MAP_MODE_READ = 1;

/** The device limits the backend plans with (requested at the adapter's maximum). */
export interface DeviceLimits {
  /** Largest storage binding, in bytes (after any test override). */
  maxBinding: number;
  /** Largest buffer, in bytes. */
  maxBuffer: number;
  /** Workgroup memory per workgroup, in bytes. */
  workgroupStorage: number;
  /** Storage buffers one shader stage may bind. */
  storageBuffers: number;
}

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  software: boolean;
  features: string[];
  limits: Record<string, number>;
  subgroupMinSize: number | undefined;
  subgroupMaxSize: number | undefined;
}

export type BindingResource = GPUBuffer | { buffer: GPUBuffer; offset?: number; size?: number };

/**
 * One WebGPU device and what the backend needs around it: error scopes that turn validation
 * and out-of-memory errors into exceptions, device-loss detection, a pipeline cache, buffer
 * helpers and batched readback.
 *
 * It holds the GPU instance object for as long as the device lives: with the `webgpu` package
 * a collected instance takes the process down (DESIGN §5).
 */
export class GpuContext {
  readonly device: GPUDevice;
  readonly limits: DeviceLimits;
  readonly adapter: AdapterSummary;
  readonly subgroups: boolean;
  /** Whether one-row-per-invocation kernels read rows through workgroup memory (slab.wgsl). */
  readonly stagedRows: boolean;
  /** Kept only to keep it alive (absent on a device the application lent us). */
  readonly gpu: GPU | undefined;
  private lostInfo: { reason: string; message: string } | undefined;
  private destroyed = false;
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();
  /** Whether the device's fma is fused (probed by `probeFma`; until then assumed not). */
  exactFma = false;
  /** Validation errors raised outside any error scope (should not happen; kept for messages). */
  private uncaptured: string | undefined;

  /** Whether dispose() destroys the device: not when the application lent it. */
  private readonly ownsDevice: boolean;

  constructor(gpu: GPU | undefined, device: GPUDevice, adapter: AdapterSummary, limits: DeviceLimits, subgroups: boolean, stagedRows: boolean) {
    this.gpu = gpu;
    this.ownsDevice = gpu !== undefined;
    this.device = device;
    this.adapter = adapter;
    this.limits = limits;
    this.subgroups = subgroups;
    this.stagedRows = stagedRows;
    device.lost.then(
      (info) => {
        if (!this.destroyed) this.lostInfo = { reason: String(info.reason), message: info.message };
      },
      () => {},
    );
    device.addEventListener('uncapturederror', (event) => {
      this.uncaptured = (event as GPUUncapturedErrorEvent).error.message;
    });
  }

  /** Throws a clear error when the device is gone. */
  check(): void {
    if (this.destroyed) throw new ClusterkitError('backend', 'webgpu: the backend was disposed');
    if (this.lostInfo) {
      throw new DeviceLostError(
        `webgpu: the GPU device was lost (${this.lostInfo.reason}${this.lostInfo.message ? `: ${this.lostInfo.message.trim()}` : ''}); ` +
          'results of the interrupted call are unavailable (an engine created with backend "auto" finishes on wasm)',
        { cause: { reason: this.lostInfo.reason, message: this.lostInfo.message } },
      );
    }
  }

  get lost(): boolean {
    return this.lostInfo !== undefined;
  }

  /**
   * Runs `work` (synchronous GPU calls: creating, encoding, submitting) inside validation,
   * out-of-memory and internal error scopes, and throws a ClusterkitError naming `what` if any
   * of them caught an error. A binding over a limit, a buffer too large for the device, an
   * out-of-memory allocation — all become exceptions here instead of garbage results.
   */
  async guard<T>(what: string, work: () => T): Promise<T> {
    this.check();
    const device = this.device;
    device.pushErrorScope('internal');
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    let result: T | undefined;
    let thrown: unknown;
    try {
      result = work();
    } catch (error) {
      thrown = error;
    }
    const [validation, memory, internal] = await Promise.all([device.popErrorScope(), device.popErrorScope(), device.popErrorScope()]);
    const error = memory ?? validation ?? internal;
    if (error) {
      const kind = memory ? 'out of GPU memory' : validation ? 'rejected by WebGPU validation' : 'internal GPU error';
      throw new ClusterkitError('backend', `webgpu: ${what}: ${kind}: ${firstLines(error.message)}`);
    }
    if (thrown !== undefined) {
      if (thrown instanceof ClusterkitError) throw thrown;
      this.check();
      throw new ClusterkitError('backend', `webgpu: ${what}: ${(thrown as Error)?.message ?? String(thrown)}`, { cause: thrown });
    }
    return result as T;
  }

  /** A buffer; call inside `guard`. Sizes are rounded up to 16 bytes. */
  buffer(size: number, usage: number, label: string): GPUBuffer {
    const bytes = Math.max(16, Math.ceil(size / 16) * 16);
    if (bytes > this.limits.maxBuffer) {
      throw new ClusterkitError(
        'backend',
        `webgpu: ${label} needs a ${bytes}-byte buffer, more than this device's maxBufferSize (${this.limits.maxBuffer})`,
      );
    }
    return this.device.createBuffer({ size: bytes, usage, label });
  }

  /** A storage buffer that will be bound whole: refused when over the binding limit. */
  storage(size: number, label: string, extraUsage = 0): GPUBuffer {
    const bytes = Math.max(16, Math.ceil(size / 16) * 16);
    if (bytes > this.limits.maxBinding) {
      throw new ClusterkitError(
        'backend',
        `webgpu: ${label} needs a ${bytes}-byte storage binding, more than this device allows (${this.limits.maxBinding} bytes)`,
      );
    }
    return this.buffer(bytes, STORAGE | extraUsage, label);
  }

  /** A uniform block: `u32s` first, then `f32s`, each field 4 bytes (the shaders' Params order). */
  uniform(u32s: readonly number[], f32s: readonly number[] = [], label = 'params'): GPUBuffer {
    const words = Math.max(4, Math.ceil((u32s.length + f32s.length) / 4) * 4);
    const data = new ArrayBuffer(words * 4);
    const u = new Uint32Array(data);
    const f = new Float32Array(data);
    u32s.forEach((v, i) => {
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`webgpu: ${label}: bad u32 field ${i} = ${v}`);
      u[i] = v;
    });
    f32s.forEach((v, i) => (f[u32s.length + i] = v));
    const buffer = this.buffer(data.byteLength, Usage.UNIFORM | Usage.COPY_DST, label);
    this.device.queue.writeBuffer(buffer, 0, data);
    return buffer;
  }

  /** Rewrites a uniform block made by `uniform`. */
  writeUniform(buffer: GPUBuffer, u32s: readonly number[], f32s: readonly number[] = []): void {
    const words = Math.max(4, Math.ceil((u32s.length + f32s.length) / 4) * 4);
    const data = new ArrayBuffer(words * 4);
    new Uint32Array(data).set(u32s);
    new Float32Array(data).set(f32s, u32s.length);
    this.device.queue.writeBuffer(buffer, 0, data);
  }

  /** Writes a typed array into a buffer in pieces (Dawn stages each write). */
  write(buffer: GPUBuffer, offset: number, data: ArrayBufferView): void {
    const piece = 1 << 26;
    for (let done = 0; done < data.byteLength; done += piece) {
      const size = Math.min(piece, data.byteLength - done);
      this.device.queue.writeBuffer(buffer, offset + done, data.buffer, data.byteOffset + done, size);
    }
  }

  /** The compute pipeline of shader `name` with `defines` (compiled once, then cached). */
  pipeline(name: string, defines: Defines): Promise<GPUComputePipeline> {
    const all: Record<string, number | boolean | string> = { EXACT_FMA: this.exactFma, ...defines };
    const key = `${name}:${JSON.stringify(Object.entries(all).sort(([a], [b]) => (a < b ? -1 : 1)))}`;
    let made = this.pipelines.get(key);
    if (!made) {
      made = this.compile(name, all, key);
      this.pipelines.set(key, made);
      made.catch(() => this.pipelines.delete(key));
    }
    return made;
  }

  private async compile(name: string, defines: Defines, key: string): Promise<GPUComputePipeline> {
    this.check();
    const code = shaderSource(name, defines);
    const device = this.device;
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ code, label: key });
    let pipeline: GPUComputePipeline | undefined;
    let failure: unknown;
    try {
      pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: key });
    } catch (error) {
      failure = error;
    }
    const scoped = await device.popErrorScope();
    if (failure || scoped || !pipeline) {
      const info = await module.getCompilationInfo().catch(() => undefined);
      const messages = info?.messages
        .filter((m) => m.type === 'error')
        .map((m) => `line ${m.lineNum}:${m.linePos} ${m.message}`)
        .slice(0, 5)
        .join('; ');
      const reason = messages || scoped?.message || (failure as Error)?.message || 'unknown error';
      this.check();
      throw new ClusterkitError('backend', `webgpu: shader ${name} (${key}) failed to compile: ${firstLines(reason)}`);
    }
    return pipeline;
  }

  /** A bind group for group 0 of `pipeline`, entries by binding number. */
  bindGroup(pipeline: GPUComputePipeline, entries: Record<number, BindingResource>, label?: string): GPUBindGroup {
    return this.device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: Object.entries(entries).map(([binding, resource]) => ({
        binding: Number(binding),
        resource: 'mapState' in resource ? { buffer: resource } : resource,
      })),
      ...(label ? { label } : {}),
    });
  }

  /**
   * Dispatches `groups` workgroups of a 1-D kernel; above the per-dimension limit the grid
   * becomes 2-D (the shaders flatten it with flat_id and skip the overhang).
   */
  dispatch(pass: GPUComputePassEncoder, pipeline: GPUComputePipeline, bindGroup: GPUBindGroup, groups: number): void {
    if (groups <= 0) return;
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    const max = 65535;
    if (groups <= max) pass.dispatchWorkgroups(groups);
    else pass.dispatchWorkgroups(max, Math.ceil(groups / max));
  }

  /**
   * Finds out whether fma is fused here: (1 + 2⁻¹²)² needs 25 bits, so fma(a, a, −a·a) is 2⁻²⁴
   * when fused and 0 when it is a rounded multiply-add (allowed by Vulkan; SwiftShader does so).
   */
  async probeFma(): Promise<boolean> {
    const code = `@group(0) @binding(0) var<storage, read_write> o: array<f32>;
@compute @workgroup_size(1) fn main() { let a = o[0]; o[1] = fma(a, a, -(a * a)); }`;
    const pipeline = await this.guard('probing fma', () =>
      this.device.createComputePipeline({ layout: 'auto', compute: { module: this.device.createShaderModule({ code }), entryPoint: 'main' } }),
    );
    const rb = this.readback();
    let buffer!: GPUBuffer;
    await this.guard('probing fma', () => {
      buffer = this.storage(16, 'fma probe');
      this.device.queue.writeBuffer(buffer, 0, new Float32Array([1 + 2 ** -12, 0, 0, 0]));
      const encoder = this.device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      this.dispatch(pass, pipeline, this.bindGroup(pipeline, { 0: buffer }), 1);
      pass.end();
      const handle = rb.add(buffer, 4, 4);
      rb.encode(encoder);
      this.device.queue.submit([encoder.finish()]);
      return handle;
    }).then(async (handle) => {
      await rb.map('probing fma');
      this.exactFma = rb.f32(handle)[0] === 2 ** -24;
    }).finally(() => buffer?.destroy());
    return this.exactFma;
  }

  /** Starts a batched readback: register copies, encode them, submit, then `await` the data. */
  readback(): Readback {
    return new Readback(this);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.pipelines.clear();
    if (this.ownsDevice) this.device.destroy();
  }

  /** The message for a failed map or submission: device loss when that is what happened. */
  async failure(what: string, cause: unknown): Promise<ClusterkitError> {
    // Device loss is reported asynchronously; give it a turn to arrive.
    await new Promise((resolve) => setTimeout(resolve, 0));
    try {
      this.check();
    } catch (lost) {
      return lost as ClusterkitError;
    }
    const extra = this.uncaptured ? ` (${firstLines(this.uncaptured)})` : '';
    return new ClusterkitError('backend', `webgpu: ${what}: ${(cause as Error)?.message ?? String(cause)}${extra}`, { cause });
  }
}

export interface ReadHandle {
  readonly staging: number;
  readonly offset: number;
  readonly size: number;
}

/**
 * Collects buffer ranges to read after one submission: each range is copied into MAP_READ
 * staging buffers (packed, at most 256 MiB each) in the same command encoder as the work, and
 * all of them are mapped together.
 */
export class Readback {
  private readonly copies: { src: GPUBuffer; srcOffset: number; staging: number; offset: number; size: number }[] = [];
  private readonly sizes: number[] = [];
  private buffers: GPUBuffer[] = [];
  private data: ArrayBuffer[] = [];

  constructor(private readonly ctx: GpuContext) {}

  add(src: GPUBuffer, srcOffset: number, size: number): ReadHandle {
    const cap = Math.min(this.ctx.limits.maxBuffer, 1 << 28);
    const bytes = Math.ceil(size / 4) * 4;
    if (bytes > cap) {
      // Split a large range over several staging buffers, returned as one handle per piece
      // through `addLarge`.
      throw new RangeError('Readback.add: range too large; use addLarge');
    }
    let staging = this.sizes.length - 1;
    if (staging < 0 || this.sizes[staging]! + bytes > cap) {
      this.sizes.push(0);
      staging++;
    }
    const offset = this.sizes[staging]!;
    this.sizes[staging] = offset + bytes;
    this.copies.push({ src, srcOffset, staging, offset, size: bytes });
    return { staging, offset, size: bytes };
  }

  /** A range of any size, as pieces to be read in order. */
  addLarge(src: GPUBuffer, srcOffset: number, size: number): ReadHandle[] {
    const cap = Math.min(this.ctx.limits.maxBuffer, 1 << 28);
    const handles: ReadHandle[] = [];
    for (let done = 0; done < size; done += cap) handles.push(this.add(src, srcOffset + done, Math.min(cap, size - done)));
    return handles;
  }

  /** Encodes the copies (call inside the guard, after the work, before submit). */
  encode(encoder: GPUCommandEncoder): void {
    this.buffers = this.sizes.map((size, i) => this.ctx.buffer(size, Usage.MAP_READ | Usage.COPY_DST, `readback ${i}`));
    for (const c of this.copies) encoder.copyBufferToBuffer(c.src, c.srcOffset, this.buffers[c.staging]!, c.offset, c.size);
  }

  /** Maps every staging buffer (after submit) and keeps copies of their contents. */
  async map(what: string): Promise<void> {
    try {
      await Promise.all(this.buffers.map((b) => b.mapAsync(MAP_MODE_READ)));
    } catch (error) {
      this.destroy();
      throw await this.ctx.failure(what, error);
    }
    this.data = this.buffers.map((b) => b.getMappedRange().slice(0));
    this.destroy();
  }

  bytes(handle: ReadHandle): ArrayBuffer {
    const data = this.data[handle.staging];
    if (!data) throw new Error('Readback: not mapped');
    return data.slice(handle.offset, handle.offset + handle.size);
  }

  f32(handle: ReadHandle): Float32Array {
    const data = this.data[handle.staging]!;
    return new Float32Array(data, handle.offset, handle.size / 4);
  }

  u32(handle: ReadHandle): Uint32Array {
    const data = this.data[handle.staging]!;
    return new Uint32Array(data, handle.offset, handle.size / 4);
  }

  private destroy(): void {
    for (const b of this.buffers) b.destroy();
    this.buffers = [];
  }
}

function firstLines(message: string): string {
  const text = message.split('\n').filter((l) => l.trim()).slice(0, 3).join(' / ').trim();
  return text.length > 400 ? `${text.slice(0, 400)}…` : text;
}
