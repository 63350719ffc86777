/// <reference types="@webgpu/types" />
import { ClusterkitError } from '../../errors.js';
import type { Matrix } from '../../matrix.js';
import type {
  Backend,
  DeviceMatrix,
  KnnResult,
  LloydOptions,
  LloydSession,
  MatrixUpload,
  Metric,
  SeedingState,
  SimilarityResult,
} from '../backend.js';
import type { BackendOptions } from '../select.js';
import { GpuContext, type AdapterSummary, type DeviceLimits } from './context.js';
import { GpuLloyd, type LloydTuning } from './lloyd.js';
import { pow2, rowKernelDefines, silhouetteTile, tileDefines } from './plan.js';
import { GpuMatrix } from './resident.js';
import { RowUpload, uploadMatrix } from './upload.js';
import { GpuSeeding } from './seeding.js';

export { GpuContext } from './context.js';
export { GpuMatrix } from './resident.js';
export { GpuLloyd, UPDATE_PASSES } from './lloyd.js';

/** Options beyond the engine's: mostly for tests and the benchmark. */
export interface WebGpuOptions {
  /** Accept a software adapter (SwiftShader) even under 'auto'. */
  allowSoftware?: boolean;
  /** Use the subgroups feature when the adapter has it (default true). */
  subgroups?: boolean;
  /** Cap on one storage binding, in bytes (tests force tiny chunks with it). */
  maxBindingBytes?: number;
  /**
   * Read rows through workgroup memory in the one-row-per-invocation kernels (slab.wgsl).
   * Default: on a hardware adapter only; tests set it to run that path on SwiftShader.
   */
  stagedRows?: boolean;
  /** Force the assignment tile (see plan.ts TILES). */
  tile?: string;
  /** Silhouette: 'fast' (fp32 expanded form), 'precise' (df32) or 'auto' (precise on small data). */
  silhouettePrecision?: 'auto' | 'fast' | 'precise';
  /** A GPU instance to use instead of navigator.gpu / the `webgpu` package. */
  gpu?: GPU;
}

const U = 2 ** -24;
/** Largest output block one primitive call keeps on the device (bytes). */
const OUTPUT_BYTES = 1 << 26;
/** Silhouette on at most this many rows² × width uses the df32 kernel by default. */
const PRECISE_SILHOUETTE_WORK = 2 ** 33;

/** The device limits the backend plans with, requested at the adapter's maximum and reported. */
const REPORTED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupsPerDimension',
] as const;

/**
 * On Linux a hardware GPU shows up as a device node (DRM render node, NVIDIA, WSL2's dxg); other
 * systems are always probed.
 */
async function linuxHasGpuDevice(): Promise<boolean> {
  if ((globalThis as { process?: { platform?: string } }).process?.platform !== 'linux') return true;
  const { existsSync, readdirSync } = await import('node:fs');
  const dri = existsSync('/dev/dri') ? readdirSync('/dev/dri') : [];
  return dri.some((name) => name.startsWith('renderD')) || existsSync('/dev/nvidia0') || existsSync('/dev/nvidiactl') || existsSync('/dev/dxg');
}

/** Software adapters are slower than the wasm backend: 'auto' must not pick them. */
export function isSoftwareAdapter(info: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean }): boolean {
  if (info.isFallbackAdapter) return true;
  const text = `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.device ?? ''} ${info.description ?? ''}`.toLowerCase();
  return /swiftshader|llvmpipe|lavapipe|softpipe|warp|basic render|software/.test(text);
}

/**
 * The webgpu backend factory: a ready backend, or why it cannot run here. Under 'auto' a
 * software adapter is refused (it is slower than wasm); asked for by name it is accepted, which
 * is how CI runs the shaders on SwiftShader.
 */
export async function createWebGpuBackend(
  options: BackendOptions & WebGpuOptions = {},
  purpose: 'auto' | 'forced' = 'forced',
): Promise<WebGpuBackend | { unavailable: string }> {
  if (options.device) return backendOnDevice(options.device as GPUDevice, options);
  let gpu: GPU | undefined = options.gpu;
  if (!gpu) {
    const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
    if (nav?.gpu) gpu = nav.gpu;
  }
  if (!gpu) {
    const isNode = typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';
    if (!isNode) return { unavailable: 'this JavaScript runtime has no navigator.gpu' };
    if (purpose === 'auto' && !(await linuxHasGpuDevice())) {
      // Nothing for a hardware adapter to run on: skip loading Dawn, whose probe of software
      // Vulkan drivers takes time and prints warnings.
      return { unavailable: 'no GPU device on this machine (/dev/dri/renderD*, /dev/nvidia*, /dev/dxg)' };
    }
    // Vulkan's window-system code prints an error for every adapter request without it.
    const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process!.env;
    env.XDG_RUNTIME_DIR ??= '/tmp';
    try {
      // A variable specifier keeps browser bundlers from trying to resolve the Node package.
      const name = 'webgpu';
      const mod = (await import(name)) as { create(flags: string[]): GPU };
      gpu = mod.create([]);
    } catch (error) {
      return { unavailable: `the webgpu package (Dawn) did not load: ${(error as Error).message.split('\n')[0]}` };
    }
  }
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (error) {
    return { unavailable: `requesting a GPU adapter failed: ${(error as Error).message.split('\n')[0]}` };
  }
  if (!adapter) {
    return {
      unavailable:
        'no WebGPU adapter (no GPU driver found; for CI, VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json gives SwiftShader)',
    };
  }
  const info = adapter.info;
  const software = isSoftwareAdapter(info);
  if (software && purpose === 'auto' && !options.allowSoftware) {
    return {
      unavailable: `only a software adapter is present (${describeAdapterShort(info)}), slower than wasm; ask for backend "webgpu" to use it anyway`,
    };
  }
  const a = adapter.limits;
  const wantSubgroups = options.subgroups !== false && adapter.features.has('subgroups');
  // The adapter's maxima: big tiles need the workgroup storage, big data the binding size.
  const requiredLimits = Object.fromEntries(REPORTED_LIMITS.map((key) => [key, (a as unknown as Record<string, number>)[key]!]));
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({
      requiredFeatures: wantSubgroups ? (['subgroups'] as GPUFeatureName[]) : [],
      requiredLimits,
      label: 'clusterkit',
    });
  } catch (error) {
    return { unavailable: `the adapter refused a device: ${(error as Error).message.split('\n')[0]}` };
  }
  if (a.maxComputeInvocationsPerWorkgroup < 256 || a.maxStorageBuffersPerShaderStage < 8) {
    device.destroy();
    return { unavailable: `the adapter is too limited (needs 256 invocations per workgroup and 8 storage buffers per stage)` };
  }
  return startBackend(gpu, device, info, [...adapter.features], wantSubgroups, options);
}

/** The backend on a device the application created (and keeps: it is never destroyed here). */
async function backendOnDevice(device: GPUDevice, options: BackendOptions & WebGpuOptions): Promise<WebGpuBackend | { unavailable: string }> {
  const l = device.limits;
  if (l.maxComputeInvocationsPerWorkgroup < 256 || l.maxStorageBuffersPerShaderStage < 8) {
    return { unavailable: 'the device given is too limited (needs 256 invocations per workgroup and 8 storage buffers per stage)' };
  }
  // GPUDevice.adapterInfo is recent; without it the adapter is described as unknown.
  const info = (device as { adapterInfo?: GPUAdapterInfo }).adapterInfo ?? ({ vendor: '', architecture: '', device: '', description: 'device given by the application' } as GPUAdapterInfo);
  const subgroups = options.subgroups !== false && device.features.has('subgroups');
  return startBackend(undefined, device, info, [...device.features], subgroups, options);
}

/**
 * Wraps a device in a context (limits as the device has them) and checks that it computes.
 * `gpu` is the instance to keep alive when the device is ours; undefined when it was lent.
 */
async function startBackend(
  gpu: GPU | undefined,
  device: GPUDevice,
  info: GPUAdapterInfo,
  features: string[],
  subgroups: boolean,
  options: BackendOptions & WebGpuOptions,
): Promise<WebGpuBackend | { unavailable: string }> {
  const l = device.limits;
  const limits: DeviceLimits = {
    maxBinding: Math.min(l.maxStorageBufferBindingSize, l.maxBufferSize, options.maxBindingBytes ?? Infinity),
    maxBuffer: l.maxBufferSize,
    workgroupStorage: l.maxComputeWorkgroupStorageSize,
    storageBuffers: l.maxStorageBuffersPerShaderStage,
  };
  const limitRecord: Record<string, number> = {};
  for (const key of REPORTED_LIMITS) limitRecord[key] = (l as unknown as Record<string, number>)[key]!;
  const summary: AdapterSummary = {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    software: isSoftwareAdapter(info),
    features: features.sort(),
    limits: limitRecord,
    subgroupMinSize: (info as { subgroupMinSize?: number }).subgroupMinSize,
    subgroupMaxSize: (info as { subgroupMaxSize?: number }).subgroupMaxSize,
  };
  const ctx = new GpuContext(gpu, device, summary, limits, subgroups, options.stagedRows ?? !summary.software);
  try {
    await ctx.probeFma();
  } catch (error) {
    ctx.destroy();
    return { unavailable: `the device failed a first compute dispatch: ${(error as Error).message}` };
  }
  return new WebGpuBackend(ctx, options);
}

function describeAdapterShort(info: GPUAdapterInfo): string {
  const parts = [info.vendor, info.architecture, info.device || info.description].filter(Boolean);
  return parts.join(' ') || 'unnamed adapter';
}

/** GPU instances of live backends: never collected while a device may still be in use. */
const LIVE = new Set<GPU>();

/**
 * The WebGPU backend: WGSL kernels (shaders/) through Dawn in Node or navigator.gpu in a page.
 * See DESIGN §2 and issue 4. `bounds: 'auto'` means no bounds here: the fused tile kernel does
 * every distance at full speed, while Hamerly's per-row skips would turn it into divergent,
 * gathered work plus an extra pass — it only pays where distances are expensive per row
 * (the CPU backends). `bounds: true` is honoured (same labels, fewer distance evaluations).
 */
export class WebGpuBackend implements Backend {
  readonly name = 'webgpu' as const;
  readonly description: string;
  private layoutCache: SilhouetteLayout | undefined;

  constructor(
    readonly ctx: GpuContext,
    private readonly options: WebGpuOptions = {},
  ) {
    if (ctx.gpu) LIVE.add(ctx.gpu);
    const s = ctx.adapter;
    const l = s.limits;
    const mib = (b: number | undefined) => (b === undefined ? '?' : `${Math.round(b / 2 ** 20)} MiB`);
    this.description =
      `webgpu: ${[s.vendor, s.architecture, s.device || s.description].filter(Boolean).join(' / ') || 'unnamed adapter'}` +
      `${s.software ? ' (software adapter)' : ''}; binding ${mib(l.maxStorageBufferBindingSize)}, buffer ${mib(l.maxBufferSize)}, ` +
      `workgroup memory ${l.maxComputeWorkgroupStorageSize} B, ${l.maxComputeInvocationsPerWorkgroup} invocations; ` +
      `features: ${s.features.filter((f) => /subgroup|timestamp|shader-f16/.test(f)).join(', ') || 'none of note'}` +
      `${ctx.subgroups ? ` (subgroups ${s.subgroupMinSize ?? '?'}–${s.subgroupMaxSize ?? '?'} used)` : ''}; ` +
      `fma ${ctx.exactFma ? 'fused' : 'not fused (Dekker products)'}`;
  }

  /** Adapter details for `clusterkit info --json` and the benchmark. */
  get adapter(): AdapterSummary {
    return this.ctx.adapter;
  }

  async upload(matrix: Matrix): Promise<DeviceMatrix> {
    return uploadMatrix(this.ctx, matrix);
  }

  startUpload(cols: number): MatrixUpload {
    return new RowUpload(this.ctx, cols);
  }

  async startLloyd(x: DeviceMatrix, k: number, options: LloydOptions, tuning?: LloydTuning): Promise<LloydSession> {
    const bounds = options.bounds === true;
    return GpuLloyd.create(this.ctx, this.resident(x), k, bounds, tuning ?? (this.options.tile ? { tile: this.options.tile } : {}));
  }

  async startSeeding(x: DeviceMatrix, firstRow: number): Promise<SeedingState> {
    return GpuSeeding.create(this.ctx, this.resident(x), firstRow);
  }

  async clusterDistanceSums(x: DeviceMatrix, labels: Int32Array, k: number, start: number, end: number): Promise<Float64Array> {
    const m = this.resident(x);
    const { ctx } = this;
    if (labels.length !== m.rows) throw new RangeError(`clusterDistanceSums: ${labels.length} labels for ${m.rows} rows`);
    const out = new Float64Array((end - start) * k);
    if (end <= start) return out;
    const mode = this.options.silhouettePrecision ?? 'auto';
    const precise = mode === 'precise' || (mode === 'auto' && m.rows * m.rows * m.dp4 * 4 <= PRECISE_SILHOUETTE_WORK);
    const layout = await this.silhouetteLayout(m, labels, k);
    const tile = silhouetteTile(m.rows, ctx.limits.workgroupStorage, this.options.tile);
    const pipeline = precise
      ? await ctx.pipeline('pairs_precise', { DP4: m.dp4, SIL: true, DIRECT: true })
      : await ctx.pipeline('pairs', { ...tileDefines(tile, m.dp4), SIL: true });
    const norms = precise ? undefined : await this.centredNorms(m);
    const tm = precise ? 16 : tile.TM;
    const noise = 2 * Math.sqrt(m.dp4 * 4) * U;
    // Output rows per device block (df32 pairs).
    const blockRows = Math.max(1, Math.floor(Math.min(OUTPUT_BYTES, ctx.limits.maxBinding) / (k * 8)));
    for (let b0 = start; b0 < end; b0 += blockRows) {
      const b1 = Math.min(end, b0 + blockRows);
      const rb = ctx.readback();
      const temp: GPUBuffer[] = [];
      let handles!: ReturnType<typeof rb.addLarge>;
      await ctx.guard('silhouette distance sums', () => {
        const sums = ctx.storage((b1 - b0) * k * 8, 'silhouette sums');
        temp.push(sums);
        const encoder = ctx.device.createCommandEncoder();
        encoder.clearBuffer(sums);
        const pass = encoder.beginComputePass();
        for (const a of m.parts(b0, b1)) {
          const qTiles = Math.ceil(a.rows / tm);
          m.chunks.forEach((bChunk, bi) => {
            const seg = layout.chunks[bi]!;
            const params = precise
              ? ctx.uniform([a.rows, a.base, 0, 0, a.offset, 0, 0, k, qTiles, 0, 0, 0], [0, 0, 0, 0])
              : ctx.uniform([a.rows, a.base, 0, k, a.offset, a.chunk.rowStart + a.base, bChunk.rowStart, qTiles, 0, 0, 0, 0], [0, 0, noise, 0]);
            temp.push(params);
            const entries: Record<number, GPUBuffer> = precise
              ? { 0: a.chunk.buffer, 1: bChunk.buffer, 2: params, 3: sums, 4: seg.perm, 5: seg.seg }
              : { 0: a.chunk.buffer, 1: bChunk.buffer, 2: params, 3: layout.mean, 4: sums, 5: seg.perm, 6: seg.seg, 7: norms! };
            ctx.dispatch(pass, pipeline, ctx.bindGroup(pipeline, entries), qTiles * k);
          });
        }
        pass.end();
        handles = rb.addLarge(sums, 0, (b1 - b0) * k * 8);
        rb.encode(encoder);
        ctx.device.queue.submit([encoder.finish()]);
      });
      try {
        await rb.map('silhouette distance sums');
      } finally {
        temp.forEach((t) => t.destroy());
      }
      let o = (b0 - start) * k;
      for (const h of handles) {
        const v = rb.f32(h);
        for (let i = 0; i < v.length; i += 2) out[o++] = v[i]! + v[i + 1]!;
      }
    }
    return out;
  }

  /** The 'dot' products (df32 tiles). */
  innerProducts(a: DeviceMatrix, b: DeviceMatrix, start: number, end: number): Promise<Float32Array> {
    return this.distances(a, b, 'dot', start, end);
  }

  async distances(a: DeviceMatrix, b: DeviceMatrix, metric: Metric, start: number, end: number): Promise<Float32Array> {
    const out = new Float32Array((end - start) * b.rows);
    await this.pairTiles(this.resident(a), this.resident(b), metric, 1, start, end, async (rb, buffer, r0, r1, encode) => {
      const handles = rb.addLarge(buffer, 0, (r1 - r0) * b.rows * 4);
      await encode();
      let o = (r0 - start) * b.rows;
      for (const h of handles) {
        const v = rb.f32(h);
        out.set(v, o);
        o += v.length;
      }
    });
    return out;
  }

  async knn(a: DeviceMatrix, b: DeviceMatrix, k: number, metric: Metric, start: number, end: number): Promise<KnnResult> {
    const { ctx } = this;
    const mb = this.resident(b);
    if (k > mb.rows) throw new RangeError(`knn: k = ${k} > ${mb.rows} rows`);
    const small = k <= 32;
    const pipeline = await ctx.pipeline('topk', { KL: small ? pow2(k) : 1, SMALL: small, SUBGROUPS: ctx.subgroups });
    const indices = new Int32Array((end - start) * k);
    const distances = new Float32Array((end - start) * k);
    const sign = metric === 'dot' ? -1 : 1;
    await this.pairTiles(this.resident(a), mb, metric, 1, start, end, async (rb, buffer, r0, r1, encode) => {
      const rows = r1 - r0;
      const temp: GPUBuffer[] = [];
      let hi!: ReturnType<typeof rb.addLarge>;
      let hv!: ReturnType<typeof rb.addLarge>;
      await encode((pass) => {
        const idx = ctx.storage(rows * k * 4, 'knn indices');
        const val = ctx.storage(rows * k * 4, 'knn values');
        const params = ctx.uniform([rows, mb.rows, k, 0], [sign, 0, 0, 0]);
        temp.push(idx, val, params);
        ctx.dispatch(pass, pipeline, ctx.bindGroup(pipeline, { 0: buffer, 1: idx, 2: params, 3: val }), rows);
        hi = rb.addLarge(idx, 0, rows * k * 4);
        hv = rb.addLarge(val, 0, rows * k * 4);
      }, temp);
      let o = (r0 - start) * k;
      hi.forEach((h, i) => {
        const ids = rb.u32(h);
        indices.set(new Int32Array(ids.buffer, ids.byteOffset, ids.length), o);
        distances.set(rb.f32(hv[i]!), o);
        o += ids.length;
      });
    });
    return { indices, distances };
  }

  async similarity(
    images: DeviceMatrix,
    texts: DeviceMatrix,
    logitScale: number,
    softmax: boolean,
    start: number,
    end: number,
  ): Promise<SimilarityResult> {
    const { ctx } = this;
    const t = texts.rows;
    const pipeline = await ctx.pipeline('softmax', { SOFTMAX: softmax });
    const scores = new Float32Array((end - start) * t);
    const labels = new Int32Array(end - start);
    await this.pairTiles(this.resident(images), this.resident(texts), 'logit', logitScale, start, end, async (rb, buffer, r0, r1, encode) => {
      const rows = r1 - r0;
      const temp: GPUBuffer[] = [];
      let hs!: ReturnType<typeof rb.addLarge>;
      let hl!: ReturnType<typeof rb.addLarge>;
      await encode((pass) => {
        const lab = ctx.storage(rows * 4, 'similarity labels');
        const params = ctx.uniform([rows, t, 0, 0]);
        temp.push(lab, params);
        ctx.dispatch(pass, pipeline, ctx.bindGroup(pipeline, { 0: buffer, 1: lab, 2: params }), Math.ceil(rows / 256));
        hs = rb.addLarge(buffer, 0, rows * t * 4);
        hl = rb.addLarge(lab, 0, rows * 4);
      }, temp);
      let o = (r0 - start) * t;
      for (const h of hs) {
        const v = rb.f32(h);
        scores.set(v, o);
        o += v.length;
      }
      let l = r0 - start;
      for (const h of hl) {
        const v = rb.u32(h);
        labels.set(new Int32Array(v.buffer, v.byteOffset, v.length), l);
        l += v.length;
      }
    });
    return { scores, labels };
  }

  dispose(): void {
    this.releaseLayout();
    this.ctx.destroy();
    // Release the instance only after Dawn has had a turn to finish tearing the device down.
    const gpu = this.ctx.gpu;
    if (gpu) setTimeout(() => LIVE.delete(gpu), 1000).unref?.();
  }

  private resident(x: DeviceMatrix): GpuMatrix {
    if (!(x instanceof GpuMatrix)) throw new ClusterkitError('backend', 'webgpu: the matrix was uploaded to another backend');
    x.assertLive();
    return x;
  }

  /**
   * Metric values of rows [start, end) of `a` against all of `b` (df32 kernel), block by block
   * (each block's output stays on the device within OUTPUT_BYTES); `use` receives the device
   * buffer of each block and an `encode` that runs the kernels — plus any epilogue it adds —
   * in one submission with the readbacks it registered.
   */
  private async pairTiles(
    a: GpuMatrix,
    b: GpuMatrix,
    metric: Metric | 'logit',
    scale: number,
    start: number,
    end: number,
    use: (
      rb: ReturnType<GpuContext['readback']>,
      buffer: GPUBuffer,
      r0: number,
      r1: number,
      encode: (epilogue?: (pass: GPUComputePassEncoder) => void, temp?: GPUBuffer[]) => Promise<void>,
    ) => Promise<void>,
  ): Promise<void> {
    const { ctx } = this;
    if (a.cols !== b.cols) throw new ClusterkitError('input', `A has ${a.cols} columns and B has ${b.cols}; they must match`);
    if (end <= start) return;
    const normed = metric === 'cosine' || metric === 'logit';
    const flags: Record<string, boolean | number> = { DP4: a.dp4, DIST: true, DIRECT: metric === 'sqeuclidean' || metric === 'euclidean', NORMED: normed };
    if (metric === 'euclidean') flags.METRIC_EUCLIDEAN = true;
    if (metric === 'cosine') flags.METRIC_COSINE = true;
    const pipeline = await ctx.pipeline('pairs_precise', flags);
    const na = normed ? await this.euclideanNorms(a) : undefined;
    const nb = normed ? await this.euclideanNorms(b) : undefined;
    const width = b.rows;
    const blockRows = Math.max(1, Math.floor(Math.min(OUTPUT_BYTES, ctx.limits.maxBinding) / (width * 4)));
    for (let r0 = start; r0 < end; r0 += blockRows) {
      const r1 = Math.min(end, r0 + blockRows);
      const rb = ctx.readback();
      const temp: GPUBuffer[] = [];
      const buffer = await ctx.guard('distance tile buffer', () => ctx.storage((r1 - r0) * width * 4, 'distance block'));
      temp.push(buffer);
      const encode = async (epilogue?: (pass: GPUComputePassEncoder) => void, extra: GPUBuffer[] = []) => {
        try {
          await ctx.guard(`${metric} tiles`, () => {
            const encoder = ctx.device.createCommandEncoder();
            const pass = encoder.beginComputePass();
            for (const ap of a.parts(r0, r1)) {
              for (const bc of b.chunks) {
                const params = ctx.uniform(
                  [ap.rows, ap.base, bc.rows, 0, ap.offset, width, bc.rowStart, 0, 0, ap.chunk.rowStart + ap.base, bc.rowStart, 0],
                  [scale, 0, 0, 0],
                );
                temp.push(params);
                const entries: Record<number, GPUBuffer> = { 0: ap.chunk.buffer, 1: bc.buffer, 2: params, 3: buffer };
                if (normed) Object.assign(entries, { 4: na!, 5: nb! });
                ctx.dispatch(pass, pipeline, ctx.bindGroup(pipeline, entries), Math.ceil(ap.rows / 16) * Math.ceil(bc.rows / 16));
              }
            }
            epilogue?.(pass);
            pass.end();
            rb.encode(encoder);
            ctx.device.queue.submit([encoder.finish()]);
          });
          await rb.map(`${metric} tiles`);
        } finally {
          temp.forEach((t) => t.destroy());
          extra.forEach((t) => t.destroy());
        }
      };
      await use(rb, buffer, r0, r1, encode);
    }
  }

  private async euclideanNorms(m: GpuMatrix): Promise<GPUBuffer> {
    return m.rowNorms('euclidean', (out) => this.computeNorms(m, out, false));
  }

  private async centredNorms(m: GpuMatrix): Promise<GPUBuffer> {
    return m.rowNorms('centred', (out) => this.computeNorms(m, out, true));
  }

  private async computeNorms(m: GpuMatrix, out: GPUBuffer, centred: boolean): Promise<void> {
    const { ctx } = this;
    const pipeline = await ctx.pipeline('rows', { ...rowKernelDefines(m.dp4, ctx), NORMS: true, FAST: centred });
    const temp: GPUBuffer[] = [];
    await ctx.guard('row norms', () => {
      const mean = centred ? ctx.storage(m.dp4 * 16, 'column means') : undefined;
      if (mean) {
        ctx.write(mean, 0, m.mean);
        temp.push(mean);
      }
      const encoder = ctx.device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      for (const chunk of m.chunks) {
        const params = ctx.uniform([chunk.rows, chunk.rowStart, 0, 0], [0, 0, 0, 0]);
        temp.push(params);
        const entries: Record<number, GPUBuffer> = { 0: chunk.buffer, 1: params, 3: out };
        if (mean) entries[2] = mean;
        ctx.dispatch(pass, pipeline, ctx.bindGroup(pipeline, entries), Math.ceil(chunk.rows / 256));
      }
      pass.end();
      ctx.device.queue.submit([encoder.finish()]);
    });
    await ctx.device.queue.onSubmittedWorkDone();
    temp.forEach((t) => t.destroy());
  }

  /**
   * Rows of each chunk sorted by label (counting sort on the host: the labels are there
   * already) with each cluster's segment bounds; cached per labels array.
   */
  private async silhouetteLayout(m: GpuMatrix, labels: Int32Array, k: number): Promise<SilhouetteLayout> {
    const cached = this.layoutCache;
    if (cached && cached.matrix === m && cached.labels === labels && cached.k === k) return cached;
    this.releaseLayout();
    const { ctx } = this;
    const buffers: GPUBuffer[] = [];
    const layout = await ctx.guard('silhouette label layout', () => {
      const mean = ctx.storage(m.dp4 * 16, 'column means');
      buffers.push(mean);
      ctx.write(mean, 0, m.mean);
      const chunks = m.chunks.map((chunk) => {
        const seg = new Uint32Array(k + 1);
        for (let r = 0; r < chunk.rows; r++) {
          const label = labels[chunk.rowStart + r]!;
          if (!(label >= 0 && label < k)) throw new ClusterkitError('input', `labels: row ${chunk.rowStart + r + 1} has label ${label}, expected 0..${k - 1}`);
          seg[label + 1]!++;
        }
        for (let c = 0; c < k; c++) seg[c + 1]! += seg[c]!;
        const cursor = seg.slice(0, k);
        const perm = new Uint32Array(chunk.rows);
        for (let r = 0; r < chunk.rows; r++) perm[cursor[labels[chunk.rowStart + r]!]!++] = r;
        const permBuffer = ctx.storage(chunk.rows * 4, 'silhouette row order');
        const segBuffer = ctx.storage((k + 1) * 4, 'silhouette segments');
        buffers.push(permBuffer, segBuffer);
        ctx.write(permBuffer, 0, perm);
        ctx.write(segBuffer, 0, seg);
        return { perm: permBuffer, seg: segBuffer };
      });
      return { matrix: m, labels, k, mean, chunks, buffers };
    });
    this.layoutCache = layout;
    return layout;
  }

  private releaseLayout(): void {
    this.layoutCache?.buffers.forEach((b) => b.destroy());
    this.layoutCache = undefined;
  }
}

/** Rows sorted by label per chunk, kept while silhouette walks its row blocks. */
interface SilhouetteLayout {
  matrix: GpuMatrix;
  labels: Int32Array;
  k: number;
  mean: GPUBuffer;
  chunks: { perm: GPUBuffer; seg: GPUBuffer }[];
  buffers: GPUBuffer[];
}

