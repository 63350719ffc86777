// The browser thread/bootstrap layer: module Workers next to this module, fetch for the kernels.
// Shared WebAssembly memory needs a cross-origin isolated page (COOP: same-origin and
// COEP: require-corp headers).
import type { FromWorker } from './abi.js';
import type { Platform, ThreadHandle } from './platform.js';

export function browserPlatform(): Platform {
  const scope = globalThis as unknown as { crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number } };
  return {
    name: 'browser',
    unavailable() {
      if (typeof Worker === 'undefined') return 'no Web Workers here';
      if (typeof SharedArrayBuffer === 'undefined' || scope.crossOriginIsolated === false) {
        return 'SharedArrayBuffer needs a cross-origin isolated page (COOP same-origin, COEP require-corp)';
      }
      return undefined;
    },
    async loadKernels(variant) {
      const response = await fetch(new URL(`kernels.${variant}.wasm`, import.meta.url));
      if (!response.ok) throw new Error(`kernels.${variant}.wasm: HTTP ${response.status}`);
      return new Uint8Array(await response.arrayBuffer());
    },
    enableRelaxedSimd: () => false,
    compile: (bytes) => WebAssembly.compile(bytes),
    defaultThreads: () => Math.max(1, scope.navigator?.hardwareConcurrency ?? 1),
    spawn(): ThreadHandle {
      const worker = new Worker(new URL('./browser-worker.js', import.meta.url), { type: 'module' });
      return {
        post: (message) => worker.postMessage(message),
        onMessage: (listener) => worker.addEventListener('message', (event: MessageEvent<FromWorker>) => listener(event.data)),
        onFailure: (listener) =>
          worker.addEventListener('error', (event: ErrorEvent) => listener(new Error(`wasm worker failed: ${event.message}`))),
        hold: () => {},
        terminate: () => worker.terminate(),
      };
    },
  };
}
