// The Node thread/bootstrap layer: worker_threads, files next to this module (or in dist/ when
// running from the TypeScript sources under a test runner), and V8's relaxed-SIMD flag.
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { FromWorker, ToWorker } from './abi.js';
import type { Platform, ThreadHandle } from './platform.js';

/** The folder holding kernels.*.wasm and node-worker.js. */
function assetDir(): URL {
  const candidates = [new URL('./', import.meta.url), new URL('../../../dist/backends/wasm/', import.meta.url)];
  for (const dir of candidates) {
    if (existsSync(fileURLToPath(new URL('kernels.simd.wasm', dir))) && existsSync(fileURLToPath(new URL('node-worker.js', dir)))) return dir;
  }
  throw new Error('the WebAssembly kernels are not built (run npm run build)');
}

/**
 * V8 compiles wasm lazily with its baseline compiler (Liftoff) and tiers a function up only
 * after it has run a while, and a running call never switches: the first Lloyd step over a
 * large dataset would run several times slower than the rest. The kernels are small, so they
 * are compiled eagerly with the optimizing compiler instead (tens of ms, once per process),
 * with V8's defaults put back right after, unless the user set these flags themselves.
 */
function compileOptimized(bytes: Uint8Array<ArrayBuffer>): WebAssembly.Module {
  const own = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((arg) => /liftoff|wasm-lazy-compilation/.test(arg));
  if (own) return new WebAssembly.Module(bytes);
  setFlagsFromString('--no-liftoff');
  setFlagsFromString('--no-wasm-lazy-compilation');
  try {
    return new WebAssembly.Module(bytes);
  } finally {
    setFlagsFromString('--wasm-lazy-compilation');
    setFlagsFromString('--liftoff');
  }
}

export function nodePlatform(): Platform {
  let dir: URL | undefined;
  const assets = () => (dir ??= assetDir());
  return {
    name: 'node',
    unavailable() {
      if (typeof SharedArrayBuffer === 'undefined') return 'SharedArrayBuffer is not available';
      try {
        assets();
      } catch (error) {
        return (error as Error).message;
      }
      return undefined;
    },
    async loadKernels(variant) {
      return new Uint8Array(readFileSync(fileURLToPath(new URL(`kernels.${variant}.wasm`, assets()))));
    },
    enableRelaxedSimd() {
      if (process.env.CLUSTERKIT_WASM_RELAXED === '0') return false;
      // Node 20 (V8 11.3) has relaxed SIMD behind this flag; later versions ship it enabled.
      setFlagsFromString('--experimental-wasm-relaxed-simd');
      return true;
    },
    compile: async (bytes) => compileOptimized(bytes),
    defaultThreads: () => availableParallelism(),
    spawn(): ThreadHandle {
      const worker = new Worker(new URL('node-worker.js', assets()));
      worker.unref();
      return {
        post: (message: ToWorker) => worker.postMessage(message),
        onMessage: (listener) => worker.on('message', (message: FromWorker) => listener(message)),
        onFailure: (listener) => {
          worker.on('error', (error) => listener(error));
          worker.on('exit', (code) => listener(new Error(`wasm worker exited (code ${code})`)));
        },
        hold: (active) => (active ? worker.ref() : worker.unref()),
        terminate: () => void worker.terminate(),
      };
    },
  };
}
