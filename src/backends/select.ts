import { ClusterkitError, optionError } from '../errors.js';
import type { Backend, BackendName } from './backend.js';
import { JsBackend } from './js/index.js';

export type BackendChoice = 'auto' | BackendName;

export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'webgpu', 'wasm', 'js'];

export interface BackendOptions {
  /** Worker threads for the wasm backend (default: every core). */
  threads?: number;
  /**
   * A WebGPU device the application already has (a GPUDevice): the webgpu backend runs on it,
   * sharing it with the app, within the limits it was created with; the engine never destroys it.
   */
  device?: unknown;
}

/** What `clusterkit info` reports for one backend. */
export interface BackendProbe {
  name: BackendName;
  available: boolean;
  detail: string;
}

/** 'auto' asks only for a backend worth picking unasked (no software GPU adapter). */
export type Purpose = 'auto' | 'forced';

interface BackendFactory {
  name: BackendName;
  /** A ready backend, or the reason it cannot run here (for this purpose). */
  create(options: BackendOptions, purpose: Purpose): Promise<Backend | { unavailable: string }>;
}

/**
 * Backends in the order `auto` prefers them: a hardware GPU first, then WebAssembly, then
 * plain JS. Each factory reports why it cannot run rather than throwing, so `auto` can move on
 * and `info` can explain.
 */
const FACTORIES: readonly BackendFactory[] = [
  { name: 'webgpu', create: async (options, purpose) => (await import('./webgpu/index.js')).createWebGpuBackend(options, purpose) },
  { name: 'wasm', create: async (options) => (await import('./wasm/index.js')).createWasmBackend({ threads: options.threads }) },
  { name: 'js', create: async () => new JsBackend() },
];

export async function createBackend(choice: BackendChoice, options: BackendOptions = {}): Promise<Backend> {
  if (!BACKEND_CHOICES.includes(choice)) {
    throw optionError('backend', `expected one of ${BACKEND_CHOICES.join(', ')}, got ${JSON.stringify(choice)}`);
  }
  const reasons: string[] = [];
  for (const factory of FACTORIES) {
    if (choice !== 'auto' && factory.name !== choice) continue;
    const made = await factory.create(options, choice === 'auto' ? 'auto' : 'forced');
    if (!('unavailable' in made)) return made;
    reasons.push(`${factory.name}: ${made.unavailable}`);
  }
  throw new ClusterkitError('backend', `backend ${choice} cannot run here (${reasons.join('; ')})`);
}

/** Every backend as it would run when asked for by name (`info`). */
export async function probeBackends(options: BackendOptions = {}): Promise<BackendProbe[]> {
  const probes: BackendProbe[] = [];
  for (const factory of FACTORIES) {
    const made = await factory.create(options, 'forced');
    if ('unavailable' in made) {
      probes.push({ name: factory.name, available: false, detail: made.unavailable });
    } else {
      probes.push({ name: factory.name, available: true, detail: made.description });
      made.dispose();
    }
  }
  return probes;
}
