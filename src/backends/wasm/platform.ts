import type { FromWorker, ToWorker } from './abi.js';

/** One kernel worker, as the pool sees it (Node worker_threads or a browser module Worker). */
export interface ThreadHandle {
  post(message: ToWorker): void;
  onMessage(listener: (message: FromWorker) => void): void;
  onFailure(listener: (error: Error) => void): void;
  /** Whether the worker keeps a Node process alive (only while work is in flight). */
  hold(active: boolean): void;
  terminate(): void;
}

/** What differs between Node and browsers: loading the kernels, features, and threads. */
export interface Platform {
  readonly name: 'node' | 'browser';
  /** Why shared-memory threads cannot run here, or undefined when they can. */
  unavailable(): string | undefined;
  /** The compiled kernels, relaxed SIMD or plain SIMD. */
  loadKernels(variant: 'relaxed' | 'simd'): Promise<Uint8Array<ArrayBuffer>>;
  /**
   * Makes relaxed SIMD compile if the runtime has it behind a flag (Node 20's V8), and says
   * whether that was tried.
   */
  enableRelaxedSimd(): boolean;
  /** Compiles the kernels, straight to optimized code where the runtime allows choosing. */
  compile(bytes: Uint8Array<ArrayBuffer>): Promise<WebAssembly.Module>;
  defaultThreads(): number;
  spawn(): ThreadHandle;
}

export function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

export async function loadPlatform(): Promise<Platform> {
  if (isNode()) return (await import('./platform-node.js')).nodePlatform();
  return (await import('./platform-browser.js')).browserPlatform();
}
