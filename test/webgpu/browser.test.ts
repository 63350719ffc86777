import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataset, loadFixture } from '../helpers/fixtures.js';

/**
 * The webgpu backend in a web page: the project compiled by tsc (as `npm run build` does, into
 * a temporary folder), served from 127.0.0.1, loaded by Debian's headless Chromium whose
 * WebGPU runs on SwiftShader. The page imports only the engine modules (no Node built-ins, no
 * apache-arrow) and gets navigator.gpu — no `webgpu` package.
 */
const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--no-sandbox',
  '--headless',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-angle=swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const PAGE = `<!doctype html><meta charset="utf-8"><title>clusterkit webgpu</title>
<script type="module">
  import { Engine } from './dist/engine.js';
  import { Matrix } from './dist/matrix.js';
  window.clusterkit = { Engine, Matrix };
  window.ready = true;
</script>`;

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.map': 'application/json' };

const available = existsSync(CHROMIUM);
const describeBrowser = available || process.env.CI === 'true' ? describe : describe.skip;

describeBrowser('webgpu backend in headless Chromium (navigator.gpu, SwiftShader)', () => {
  let dir = '';
  let server: Server | undefined;
  let origin = '';

  beforeAll(async () => {
    if (!available) throw new Error(`${CHROMIUM} is missing`);
    dir = mkdtempSync(join(tmpdir(), 'clusterkit-browser-'));
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    try {
      execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.json'), '--outDir', join(dir, 'dist'), '--sourceMap', 'false', '--declaration', 'false'], {
        stdio: 'pipe',
      });
    } catch (error) {
      // Type errors elsewhere in the tree still emit JavaScript; only a missing module is fatal.
      if (!existsSync(join(dir, 'dist', 'engine.js'))) throw error;
    }
    server = createServer((req, res) => {
      const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
      if (path === '/' || path === '/index.html') {
        res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
        return;
      }
      const file = join(dir, path);
      if (!file.startsWith(dir) || !existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }, 180_000);

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs k-means and CLIP similarity like scikit-learn', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
    try {
      const page = await browser.newPage();
      const logs: string[] = [];
      page.on('console', (m) => logs.push(m.text()));
      page.on('pageerror', (e) => logs.push(String(e)));
      await page.goto(`${origin}/`);
      await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true, undefined, { timeout: 60_000 }).catch(() => {
        throw new Error(`page did not load: ${logs.join(' | ')}`);
      });
      const iris = dataset('iris');
      const c = iris.kmeans[1]!;
      const sim = loadFixture<{ n_images: number; n_texts: number; d: number; images: number[]; texts: number[]; cases: { logit_scale: number; probs: number[]; labels: number[] }[] }>('similarity');
      const input = { data: iris.data, n: iris.n, d: iris.d, k: c.k, init: c.init, maxIter: c.max_iter, tol: c.tol, sim };
      const result = await page.evaluate(async (input) => {
        type Api = { Engine: any; Matrix: any };
        const { Engine, Matrix } = (window as unknown as { clusterkit: Api }).clusterkit;
        const engine = await Engine.create({ backend: 'webgpu' });
        try {
          const x = Matrix.from(Float32Array.from(input.data), input.n, input.d);
          const fit = await engine.kmeans(x, {
            k: input.k,
            init: Matrix.from(Float32Array.from(input.init), input.k, input.d),
            maxIter: input.maxIter,
            tol: input.tol,
          });
          const images = Matrix.from(Float32Array.from(input.sim.images), input.sim.n_images, input.sim.d);
          const texts = Matrix.from(Float32Array.from(input.sim.texts), input.sim.n_texts, input.sim.d);
          const scored = await engine.similarity(images, texts, { logitScale: input.sim.cases[0].logit_scale });
          return {
            backend: engine.backend,
            description: engine.description,
            gpu: 'gpu' in navigator,
            labels: Array.from(fit.labels),
            inertia: fit.inertia,
            iterations: fit.iterations,
            simLabels: Array.from(scored.labels),
            probs: Array.from(scored.scores),
          };
        } finally {
          engine.dispose();
        }
      }, input);
      expect(result.gpu).toBe(true);
      expect(result.backend).toBe('webgpu');
      expect(result.description).toMatch(/webgpu: .*swiftshader|webgpu: /i);
      expect(result.labels).toEqual(c.labels);
      expect(result.iterations).toBe(c.n_iter);
      expect(Math.abs(result.inertia - c.inertia) / c.inertia).toBeLessThan(1e-6);
      expect(result.simLabels).toEqual(sim.cases[0]!.labels);
      let worst = 0;
      (result.probs as number[]).forEach((p, i) => (worst = Math.max(worst, Math.abs(p - sim.cases[0]!.probs[i]!))));
      expect(worst).toBeLessThan(1e-5);
    } finally {
      await browser.close();
    }
  }, 180_000);
});
