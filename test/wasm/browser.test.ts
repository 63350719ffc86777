// The wasm backend in a web page: module Workers over SharedArrayBuffer-backed WebAssembly
// memories, in headless Chromium (Debian's /usr/bin/chromium through playwright-core). The
// page is served from 127.0.0.1 with the cross-origin isolation headers shared memory needs,
// imports the built modules from dist/, and runs k-means; the result must equal the JS
// reference's in Node.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { fitKMeans } from '../../src/algorithms/kmeans.js';
import { dataset } from '../helpers/fixtures.js';
import { js } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const BUILT = existsSync(join(ROOT, 'dist/backends/wasm/browser-worker.js')) && existsSync(join(ROOT, 'dist/backends/wasm/kernels.simd.wasm'));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>clusterkit wasm</title>
<script type="module">
  import { createWasmBackend } from '/dist/backends/wasm/index.js';
  import { fitKMeans } from '/dist/algorithms/kmeans.js';
  import { Matrix } from '/dist/matrix.js';
  window.runKMeans = async (data, n, d, k, threads) => {
    const backend = await createWasmBackend({ threads });
    if ('unavailable' in backend) return { unavailable: backend.unavailable };
    try {
      const x = await backend.upload(Matrix.from(Float32Array.from(data), n, d));
      const fit = await fitKMeans(backend, x, { k, nInit: 2, seed: 7 });
      x.dispose();
      return {
        description: backend.description,
        isolated: self.crossOriginIsolated,
        labels: Array.from(fit.labels),
        inertia: fit.inertia,
        iterations: fit.iterations,
      };
    } finally {
      backend.dispose();
    }
  };
  window.pageReady = true;
</script>`;

/** Serves the page, dist/ and test/fixtures/ with COOP/COEP so the page is cross-origin isolated. */
function serve(): Promise<Server> {
  const server = createServer(async (request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname));
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    };
    try {
      if (path === '/plain.html') {
        // No COOP/COEP: a page that is not cross-origin isolated.
        response.writeHead(200, { 'Content-Type': TYPES['.html']! }).end('<!doctype html><title>plain</title>');
        return;
      }
      if (path === '/' || path === '/index.html') {
        response.writeHead(200, { ...headers, 'Content-Type': TYPES['.html']! }).end(PAGE);
        return;
      }
      if (!path.startsWith('/dist/')) throw new Error('not served');
      const body = await readFile(join(ROOT, path));
      response.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(path)] ?? 'application/octet-stream' }).end(body);
    } catch {
      response.writeHead(404, headers).end('not found');
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

interface PageResult {
  unavailable?: string;
  description: string;
  isolated: boolean;
  labels: number[];
  inertia: number;
  iterations: number;
}

describe.skipIf(!BUILT || !existsSync(CHROMIUM))('wasm backend in headless Chromium (module workers)', () => {
  let server: Server;
  let browser: Browser;
  beforeAll(async () => {
    server = await serve();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--headless', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('runs k-means (k-means++ and Lloyd) in the page, as the JS reference in Node', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const { port } = server.address() as AddressInfo;
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => (window as unknown as { pageReady?: boolean }).pageReady === true);

    const fixture = dataset('digits');
    const k = 10;
    type Run = (data: number[], n: number, d: number, k: number, threads: number) => Promise<PageResult>;
    const result = await page.evaluate(
      ([data, n, d, k]) => (window as unknown as { runKMeans: Run }).runKMeans(data, n, d, k, 2),
      [fixture.data, fixture.n, fixture.d, k] as [number[], number, number, number],
    );
    expect(errors).toEqual([]);
    expect(result.unavailable).toBeUndefined();
    expect(result.isolated).toBe(true);
    // Chromium ships relaxed SIMD: the fused multiply-add build is the one picked.
    expect(result.description).toMatch(/^wasm: SIMD, relaxed SIMD.*2 threads$/);

    const reference = await fitKMeans(js, await js.upload(fixture.x), { k, nInit: 2, seed: 7 });
    expect(result.labels).toEqual(Array.from(reference.labels));
    expect(result.iterations).toBe(reference.iterations);
    expect(Math.abs(result.inertia - reference.inertia) / reference.inertia).toBeLessThan(1e-6);
    await page.close();
  });

  it('says why it cannot run in a page without cross-origin isolation', async () => {
    const page = await browser.newPage();
    const { port } = server.address() as AddressInfo;
    await page.goto(`http://127.0.0.1:${port}/plain.html`);
    // A string, so the test runner's transform leaves the dynamic import alone.
    const reason = await page.evaluate(`(async () => {
      const { createWasmBackend } = await import('/dist/backends/wasm/index.js');
      const made = await createWasmBackend({ threads: 1 });
      if (!('unavailable' in made)) made.dispose();
      return { isolated: self.crossOriginIsolated, reason: 'unavailable' in made ? made.unavailable : 'available' };
    })()`);
    expect(reason).toEqual({ isolated: false, reason: expect.stringMatching(/cross-origin isolated/) });
    await page.close();
  });
});
