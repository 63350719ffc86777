import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as arrow from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';
import { openTable, readMatrix, writeTable } from '../src/io/index.js';
import { CliWorkDir, clusterSizes, column, IMAGES, TEXTS, WINE } from './helpers/cli.js';
import { openGpu } from './webgpu/gpu.js';

let work: CliWorkDir;

beforeAll(async () => {
  work = new CliWorkDir('clusterkit-cli-');
  // The wine sample in every input format.
  const wine = await openTable(WINE);
  for (const out of ['wine.parquet', 'wine.arrow']) await writeTable(work.path(out), wine.schema, wine.batches());
  const numeric = await readMatrix(wine, { exclude: ['id'] });
  const header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${numeric.matrix.rows}, ${numeric.matrix.cols}), }`;
  const padded = header.padEnd(118, ' ') + '\n';
  const npy = Buffer.concat([Buffer.from('\x93NUMPY\x01\x00', 'latin1'), Buffer.from([padded.length, 0]), Buffer.from(padded, 'latin1'), Buffer.from(numeric.matrix.toFloat32Array().buffer)]);
  writeFileSync(work.path('wine.npy'), npy);
});

describe('clusterkit kmeans', () => {
  for (const input of ['wine.csv', 'wine.parquet', 'wine.arrow', 'wine.npy']) {
    it(`reads ${input}, prints the JSON result and writes a cluster column`, async () => {
      const path = input === 'wine.csv' ? WINE : work.path(input);
      const exclude = input === 'wine.npy' ? [] : ['--exclude', 'id'];
      const out = work.path(`clusters-from-${input}.parquet`);
      const result = work.json('kmeans', path, '--k', '3', ...exclude, '--scale', 'standard', '--backend', 'js', '-o', out);
      expect(result).toMatchObject({ backend: 'js', n: 178, d: 13, k: 3, converged: true, output: out });
      // scikit-learn: KMeans(3, n_init=10) on standardized wine reaches 1277.93.
      expect(result.inertia as number).toBeCloseTo(1277.93, 1);
      expect(typeof result.seconds).toBe('number');
      expect(result.loadSeconds as number).toBeGreaterThan(0);
      const written = await openTable(out);
      const names = written.schema.fields.map((f) => f.name);
      expect(names.at(-1)).toBe('cluster');
      expect(String(written.schema.fields.at(-1)!.type)).toBe('Int32');
      if (input !== 'wine.npy') expect(names.slice(0, 2)).toEqual(['id', 'alcohol']);
      expect(clusterSizes(await column(out, 'cluster'), 3)).toEqual(result.sizes);
    });
  }

  it('on webgpu, loads the file onto the GPU as it reads it and finds what js finds', async (context) => {
    const { gpu, reason } = await openGpu();
    gpu?.dispose();
    if (!gpu) {
      if (process.env.CI === 'true') throw new Error(`no WebGPU adapter in CI: ${reason}`);
      return context.skip(reason);
    }
    const outputs = { js: work.path('wine-js.arrow'), webgpu: work.path('wine-webgpu.arrow') };
    const results = Object.fromEntries(
      Object.entries(outputs).map(([backend, out]) => [
        backend,
        work.json('kmeans', work.path('wine.arrow'), '--k', '3', '--exclude', 'id', '--seed', '1', '--n-init', '2', '--backend', backend, '-o', out),
      ]),
    );
    expect(results.webgpu).toMatchObject({ backend: 'webgpu', n: 178, d: 13, sizes: results.js!.sizes, iterations: results.js!.iterations });
    expect(results.webgpu!.inertia as number).toBeCloseTo(results.js!.inertia as number, 0);
    expect(await column(outputs.webgpu, 'cluster')).toEqual(await column(outputs.js, 'cluster'));
  });

  it('is deterministic for a seed and honours the k-means options', () => {
    const args = ['kmeans', WINE, '--k', '4', '--exclude', 'id', '--backend', 'js', '--seed', '7', '--n-init', '2', '--max-iter', '3', '--tol', '0', '--init', 'random'];
    const first = work.json(...args);
    expect(work.json(...args)).toEqual({ ...first, seconds: expect.any(Number), loadSeconds: expect.any(Number) });
    expect(first).toMatchObject({ k: 4, iterations: 3, converged: false });
  });

  it('writes CSV and Arrow outputs too, replacing an existing cluster column', async () => {
    const csv = work.path('first.csv');
    work.json('kmeans', WINE, '--k', '2', '--exclude', 'id', '--backend', 'js', '-o', csv);
    const arrowOut = work.path('second.arrow');
    const run = work.run('kmeans', csv, '--k', '3', '--exclude', 'id,cluster', '--backend', 'js', '-o', arrowOut, '--json');
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/"cluster" column is replaced/);
    const table = arrow.tableFromIPC(readFileSync(arrowOut));
    expect(table.schema.fields.filter((f) => f.name === 'cluster')).toHaveLength(1);
    expect(new Set(table.getChild('cluster')!.toArray()).size).toBe(3);
  });
});

describe('clusterkit silhouette, similarity, info, demo', () => {
  it('silhouette of a labelled table', () => {
    const clustered = work.path('labelled.csv');
    work.json('kmeans', WINE, '--k', '3', '--exclude', 'id', '--scale', 'standard', '--backend', 'js', '-o', clustered);
    const result = work.json('silhouette', clustered, '--labels', 'cluster', '--exclude', 'id', '--scale', 'standard', '--backend', 'js');
    // scikit-learn's silhouette_score for that clustering of standardized wine.
    expect(result).toMatchObject({ n: 178, d: 13, clusters: 3, sampled: null });
    expect(result.score as number).toBeCloseTo(0.2849, 3);
    expect(work.json('silhouette', clustered, '--labels', 'cluster', '--exclude', 'id', '--backend', 'js', '--sample-size', '100')).toMatchObject({ sampled: 100 });
  });

  it('similarity writes label and prob_j columns', async () => {
    const out = work.path('scores.arrow');
    const result = work.json('similarity', IMAGES, TEXTS, '--backend', 'js', '-o', out);
    expect(result).toMatchObject({ images: 2000, texts: 6, d: 64, loadSeconds: expect.any(Number) });
    expect((result.counts as number[]).reduce((a, b) => a + b)).toBe(2000);
    const table = arrow.tableFromIPC(readFileSync(out));
    expect(table.schema.fields.map((f) => f.name)).toEqual(['label', 'prob_0', 'prob_1', 'prob_2', 'prob_3', 'prob_4', 'prob_5']);
    for (const value of table) {
      const row = value.toJSON() as Record<string, number>;
      const probs = [0, 1, 2, 3, 4, 5].map((j) => row[`prob_${j}`]!);
      expect(probs.reduce((a, b) => a + b)).toBeCloseTo(1, 5);
      expect(row.label).toBe(probs.indexOf(Math.max(...probs)));
    }
  });

  it('info lists the backends and what auto picks', () => {
    const result = work.json('info');
    const backends = result.backends as { name: string; available: boolean }[];
    expect(backends.map((b) => b.name)).toEqual(['webgpu', 'wasm', 'js']);
    expect(backends.find((b) => b.name === result.auto)?.available).toBe(true);
  });

  it('demo runs the main job on the bundled samples', () => {
    const run = work.run('demo', '--backend', 'js', '--out', work.path('demo'));
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/silhouette 0\.28/);
    expect(readdirSync(work.path('demo')).sort()).toEqual(['street-categories.csv', 'wine-clusters.csv']);
  });
});

describe('bad input: exit code 2, one clear message, no output file', () => {
  const cases: [string, () => string[], RegExp][] = [
    ['NaN in a numeric column', () => [work.write('nan.csv', 'a,b\n1,2\n3,nan\n'), '--k', '1'], /column "b", row 2: value is NaN/],
    ['infinity', () => [work.write('inf.csv', 'a,b\n1,2\n3,-inf\n'), '--k', '1'], /column "b", row 2: value is -Infinity/],
    ['a missing value', () => [work.write('missing.csv', 'a,b\n1,2\n3,\n'), '--k', '1'], /column "b", row 2: missing value/],
    ['text in a numeric column', () => [work.write('text.csv', 'a,b\n1,2\n3,abc\n'), '--k', '1'], /column "b", row 2: "abc" is not a number/],
    ['a ragged row', () => [work.write('ragged.csv', 'a,b\n1,2\n3\n'), '--k', '1'], /row 2 has 1 field/],
    ['k < 1', () => [WINE, '--k', '0'], /option k: must be at least 1/],
    ['k > rows', () => [WINE, '--k', '500'], /k = 500 is more than the 178 rows/],
    ['k not a number', () => [WINE, '--k', 'three'], /--k: expected an integer, got "three"/],
    ['an empty file', () => [work.write('empty.csv', ''), '--k', '2'], /empty\.csv: .*empty/],
    ['a header without rows', () => [work.write('header.csv', 'a,b\n'), '--k', '2'], /header\.csv: .*no data rows/],
    ['a missing file', () => [work.path('nope.csv'), '--k', '2'], /nope\.csv: no such file/],
    ['a corrupt parquet file', () => [work.write('bad.parquet', 'not parquet at all'), '--k', '2'], /bad\.parquet: .*not a valid Parquet file/i],
    ['an unknown file type', () => [work.write('data.xlsx', 'x'), '--k', '2'], /data\.xlsx: "\.xlsx" files cannot be read/],
    ['an unknown column', () => [WINE, '--k', '2', '--columns', 'alcohol,sugar'], /unknown column "sugar"; the table has: id, alcohol/],
    ['a text column chosen', () => [WINE, '--k', '2', '--columns', 'cultivar'], /column "cultivar" is not numeric/],
    ['a bad --init', () => [WINE, '--k', '2', '--init', 'kmeans++'], /--init: expected one of k-means\+\+, random, got "kmeans\+\+"/],
    ['a bad --backend', () => [WINE, '--k', '2', '--backend', 'cuda'], /--backend: expected one of auto, webgpu, wasm, js, got "cuda"/],
    ['an unknown option', () => [WINE, '--k', '2', '--clusters', '3'], /kmeans: unknown option '--clusters'/],
    ['an unwritable output format', () => [WINE, '--k', '2', '-o', work.path('out.xlsx')], /out\.xlsx: "\.xlsx" files cannot be written/],
  ];
  for (const [title, args, message] of cases) {
    it(title, () => {
      const out = work.path(`out-${title.replace(/\W+/g, '-')}.csv`);
      const argv = args();
      const run = work.run('kmeans', '--backend', 'js', ...argv, ...(argv.includes('-o') ? [] : ['-o', out]), '--json');
      work.expectRejected(run, message, out);
    });
  }

  it('silhouette with a non-integer labels column names it', () => {
    const run = work.run('silhouette', WINE, '--labels', 'alcohol', '--exclude', 'id', '--backend', 'js');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/column "alcohol", row 1: label 14\.23 is not an integer/);
  });

  it('similarity with prompts that do not match the texts', () => {
    const run = work.run('similarity', IMAGES, TEXTS, '--prompts', work.write('prompts.txt', 'one\ntwo\n'), '--backend', 'js');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--prompts: .*has 2 prompts for 6 text embeddings/);
  });
});
