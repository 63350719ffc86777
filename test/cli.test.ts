import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as arrow from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';
import { openTable, readMatrix, writeTable } from '../src/io/index.js';

// The CLI is tested as users run it: the built bin (npm test builds first), a fresh process.
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'dist/cli/main.js');
const WINE = join(ROOT, 'samples/wine.csv');
const IMAGES = join(ROOT, 'samples/street-images.npy');
const TEXTS = join(ROOT, 'samples/street-texts.npy');

function cli(...args: string[]) {
  const run = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: dir });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** Runs a command that must succeed with --json and returns the one JSON object it printed. */
function json(...args: string[]): Record<string, unknown> {
  const run = cli(...args, '--json');
  expect(run.stderr).not.toMatch(/internal error/);
  expect(run.code).toBe(0);
  expect(run.stdout.trim().split('\n')).toHaveLength(1);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

let dir: string;

beforeAll(async () => {
  expect(existsSync(BIN), 'run `npm run build` first (npm test does)').toBe(true);
  dir = mkdtempSync(join(tmpdir(), 'clusterkit-cli-'));
  // The wine sample in every input format.
  const wine = await openTable(WINE);
  for (const out of ['wine.parquet', 'wine.arrow']) await writeTable(join(dir, out), wine.schema, wine.batches());
  const numeric = await readMatrix(wine, { exclude: ['id'] });
  const header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${numeric.matrix.rows}, ${numeric.matrix.cols}), }`;
  const padded = header.padEnd(118, ' ') + '\n';
  const npy = Buffer.concat([Buffer.from('\x93NUMPY\x01\x00', 'latin1'), Buffer.from([padded.length, 0]), Buffer.from(padded, 'latin1'), Buffer.from(numeric.matrix.toFloat32Array().buffer)]);
  writeFileSync(join(dir, 'wine.npy'), npy);
});

describe('clusterkit kmeans', () => {
  for (const input of ['wine.csv', 'wine.parquet', 'wine.arrow', 'wine.npy']) {
    it(`reads ${input}, prints the JSON result and writes a cluster column`, async () => {
      const path = input === 'wine.csv' ? WINE : join(dir, input);
      const exclude = input === 'wine.npy' ? [] : ['--exclude', 'id'];
      const out = join(dir, `clusters-from-${input}.parquet`);
      const result = json('kmeans', path, '--k', '3', ...exclude, '--scale', 'standard', '--backend', 'js', '-o', out);
      expect(result).toMatchObject({ backend: 'js', n: 178, d: 13, k: 3, converged: true, output: out });
      // scikit-learn: KMeans(3, n_init=10) on standardized wine reaches 1277.93.
      expect(result.inertia as number).toBeCloseTo(1277.93, 1);
      expect(typeof result.seconds).toBe('number');
      const written = await openTable(out);
      const names = written.schema.fields.map((f) => f.name);
      expect(names.at(-1)).toBe('cluster');
      expect(String(written.schema.fields.at(-1)!.type)).toBe('Int32');
      if (input !== 'wine.npy') expect(names.slice(0, 2)).toEqual(['id', 'alcohol']);
      const clusters = (await readMatrix(written, { columns: ['cluster'] })).matrix.toFloat32Array();
      const sizes = [0, 0, 0];
      for (const c of clusters) sizes[c]! += 1;
      expect(sizes).toEqual(result.sizes);
    });
  }

  it('is deterministic for a seed and honours the k-means options', () => {
    const args = ['kmeans', WINE, '--k', '4', '--exclude', 'id', '--backend', 'js', '--seed', '7', '--n-init', '2', '--max-iter', '3', '--tol', '0', '--init', 'random'];
    const first = json(...args);
    expect(json(...args)).toEqual({ ...first, seconds: expect.any(Number) });
    expect(first).toMatchObject({ k: 4, iterations: 3, converged: false });
  });

  it('writes CSV and Arrow outputs too, replacing an existing cluster column', async () => {
    const csv = join(dir, 'first.csv');
    json('kmeans', WINE, '--k', '2', '--exclude', 'id', '--backend', 'js', '-o', csv);
    const arrowOut = join(dir, 'second.arrow');
    const run = cli('kmeans', csv, '--k', '3', '--exclude', 'id,cluster', '--backend', 'js', '-o', arrowOut, '--json');
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/"cluster" column is replaced/);
    const table = arrow.tableFromIPC(readFileSync(arrowOut));
    expect(table.schema.fields.filter((f) => f.name === 'cluster')).toHaveLength(1);
    expect(new Set(table.getChild('cluster')!.toArray()).size).toBe(3);
  });
});

describe('clusterkit silhouette, similarity, info, demo', () => {
  it('silhouette of a labelled table', () => {
    const clustered = join(dir, 'labelled.csv');
    json('kmeans', WINE, '--k', '3', '--exclude', 'id', '--scale', 'standard', '--backend', 'js', '-o', clustered);
    const result = json('silhouette', clustered, '--labels', 'cluster', '--exclude', 'id', '--scale', 'standard', '--backend', 'js');
    // scikit-learn's silhouette_score for that clustering of standardized wine.
    expect(result).toMatchObject({ n: 178, d: 13, clusters: 3, sampled: null });
    expect(result.score as number).toBeCloseTo(0.2849, 3);
    expect(json('silhouette', clustered, '--labels', 'cluster', '--exclude', 'id', '--backend', 'js', '--sample-size', '100')).toMatchObject({ sampled: 100 });
  });

  it('similarity writes label and prob_j columns', async () => {
    const out = join(dir, 'scores.arrow');
    const result = json('similarity', IMAGES, TEXTS, '--backend', 'js', '-o', out);
    expect(result).toMatchObject({ images: 2000, texts: 6, d: 64 });
    expect((result.counts as number[]).reduce((a, b) => a + b)).toBe(2000);
    const table = arrow.tableFromIPC(readFileSync(out));
    expect(table.schema.fields.map((f) => f.name)).toEqual(['label', 'prob_0', 'prob_1', 'prob_2', 'prob_3', 'prob_4', 'prob_5']);
    const row = table.get(0)!.toJSON() as Record<string, number>;
    const probs = [0, 1, 2, 3, 4, 5].map((j) => row[`prob_${j}`]!);
    expect(probs.reduce((a, b) => a + b)).toBeCloseTo(1, 5);
    expect(row.label).toBe(probs.indexOf(Math.max(...probs)));
  });

  it('info lists the backends and what auto picks', () => {
    const result = json('info');
    const backends = result.backends as { name: string; available: boolean }[];
    expect(backends.map((b) => b.name)).toEqual(['webgpu', 'wasm', 'js']);
    expect(backends.find((b) => b.name === result.auto)?.available).toBe(true);
  });

  it('demo runs the main job on the bundled samples', () => {
    const run = cli('demo', '--backend', 'js', '--out', join(dir, 'demo'));
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/silhouette 0\.28/);
    expect(readdirSync(join(dir, 'demo')).sort()).toEqual(['street-categories.csv', 'wine-clusters.csv']);
  });
});

describe('bad input: exit code 2, one clear message, no output file', () => {
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const cases: [string, () => string[], RegExp][] = [
    ['NaN in a numeric column', () => [write('nan.csv', 'a,b\n1,2\n3,nan\n'), '--k', '1'], /column "b", row 2: value is NaN/],
    ['infinity', () => [write('inf.csv', 'a,b\n1,2\n3,-inf\n'), '--k', '1'], /column "b", row 2: value is -Infinity/],
    ['a missing value', () => [write('missing.csv', 'a,b\n1,2\n3,\n'), '--k', '1'], /column "b", row 2: missing value/],
    ['text in a numeric column', () => [write('text.csv', 'a,b\n1,2\n3,abc\n'), '--k', '1'], /column "b", row 2: "abc" is not a number/],
    ['a ragged row', () => [write('ragged.csv', 'a,b\n1,2\n3\n'), '--k', '1'], /row 2 has 1 field/],
    ['k < 1', () => [WINE, '--k', '0'], /option k: must be at least 1/],
    ['k > rows', () => [WINE, '--k', '500'], /k = 500 is more than the 178 rows/],
    ['k not a number', () => [WINE, '--k', 'three'], /--k: expected an integer, got "three"/],
    ['an empty file', () => [write('empty.csv', ''), '--k', '2'], /empty\.csv: .*empty/],
    ['a header without rows', () => [write('header.csv', 'a,b\n'), '--k', '2'], /header\.csv: .*no data rows/],
    ['a missing file', () => [join(dir, 'nope.csv'), '--k', '2'], /nope\.csv: no such file/],
    ['a corrupt parquet file', () => [write('bad.parquet', 'not parquet at all'), '--k', '2'], /bad\.parquet: .*not a valid Parquet file/i],
    ['an unknown file type', () => [write('data.xlsx', 'x'), '--k', '2'], /data\.xlsx: "\.xlsx" files cannot be read/],
    ['an unknown column', () => [WINE, '--k', '2', '--columns', 'alcohol,sugar'], /unknown column "sugar"; the table has: id, alcohol/],
    ['a text column chosen', () => [WINE, '--k', '2', '--columns', 'cultivar'], /column "cultivar" is not numeric/],
    ['a bad --init', () => [WINE, '--k', '2', '--init', 'kmeans++'], /--init: expected one of k-means\+\+, random, got "kmeans\+\+"/],
    ['a bad --backend', () => [WINE, '--k', '2', '--backend', 'cuda'], /--backend: expected one of auto, webgpu, wasm, js, got "cuda"/],
    ['an unknown option', () => [WINE, '--k', '2', '--clusters', '3'], /kmeans: unknown option '--clusters'/],
    ['an unwritable output format', () => [WINE, '--k', '2', '-o', join(dir, 'out.xlsx')], /out\.xlsx: "\.xlsx" files cannot be written/],
  ];
  for (const [title, args, message] of cases) {
    it(title, () => {
      const out = join(dir, `out-${title.replace(/\W+/g, '-')}.csv`);
      const argv = args();
      const run = cli('kmeans', '--backend', 'js', ...argv, ...(argv.includes('-o') ? [] : ['-o', out]), '--json');
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(message);
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    });
  }

  it('silhouette with a non-integer labels column names it', () => {
    const run = cli('silhouette', WINE, '--labels', 'alcohol', '--exclude', 'id', '--backend', 'js');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/column "alcohol", row 1: label 14\.23 is not an integer/);
  });

  it('similarity with prompts that do not match the texts', () => {
    const run = cli('similarity', IMAGES, TEXTS, '--prompts', write('prompts.txt', 'one\ntwo\n'), '--backend', 'js');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--prompts: .*has 2 prompts for 6 text embeddings/);
  });
});
