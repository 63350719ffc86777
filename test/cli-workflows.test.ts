import { readFileSync } from 'node:fs';
import * as arrow from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';
import { openTable, writeTable } from '../src/io/index.js';
import { CliWorkDir, clusterSizes, column, WINE } from './helpers/cli.js';
import { loadFixture } from './helpers/fixtures.js';

let work: CliWorkDir;
/** Blobs of the mini-batch fixture as an Arrow file of 10 record batches of 500 rows. */
let blobs: string;
const minibatch = loadFixture<{ n: number; d: number; k: number; data: number[]; median_inertia: Record<string, number> }>('workflows/minibatch');

/** A table of the blob rows (with NaN at `nanRow`, when given) in record batches of `rows` rows. */
function blobTable(nanRow?: number): arrow.Table {
  const { n, d, data } = minibatch;
  const columns: Record<string, Float32Array | Int32Array> = { id: Int32Array.from({ length: n }, (_, i) => i + 1) };
  for (let j = 0; j < d; j++) columns[`f${j}`] = Float32Array.from({ length: n }, (_, i) => (i === nanRow && j === 1 ? Number.NaN : data[i * d + j]!));
  return arrow.tableFromArrays(columns);
}

async function writeBatched(path: string, table: arrow.Table, rows: number): Promise<void> {
  async function* batches() {
    for (let start = 0; start < table.numRows; start += rows) yield* table.slice(start, start + rows).batches;
  }
  await writeTable(path, table.schema, batches());
}

beforeAll(async () => {
  work = new CliWorkDir('clusterkit-workflows-');
  blobs = work.path('blobs.arrow');
  await writeBatched(blobs, blobTable(), 500);
});

describe('clusterkit sweep', () => {
  it('prints one JSON object with the scores per k and the clustergram data, and writes it with -o', () => {
    const out = work.path('sweep.json');
    const result = work.json('sweep', WINE, '--k', '2..5', '--exclude', 'id', '--scale', 'standard', '--backend', 'js', '--seed', '1', '-o', out);
    expect(result).toMatchObject({ backend: 'js', n: 178, d: 13, ks: [2, 3, 4, 5], silhouetteSample: null, output: out });
    expect(result.best).toEqual({ silhouette: 3, calinskiHarabasz: 3, daviesBouldin: 3 });
    const entries = result.entries as { k: number; inertia: number; silhouette: number; sizes: number[] }[];
    expect(entries.map((e) => e.k)).toEqual([2, 3, 4, 5]);
    // scikit-learn: KMeans(3, n_init=10) on standardized wine: inertia 1277.93, silhouette 0.2849.
    expect(entries[1]!.inertia).toBeCloseTo(1277.93, 1);
    expect(entries[1]!.silhouette).toBeCloseTo(0.2849, 3);
    const clustergram = result.clustergram as { component: number[]; ks: { k: number; sizes: number[]; positions: number[]; flows: unknown[] }[] };
    expect(clustergram.component).toHaveLength(13);
    expect(clustergram.ks.map((g) => g.positions.length)).toEqual([2, 3, 4, 5]);
    expect(clustergram.ks[0]!.flows).toEqual([]);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(result);
  });

  it('prints a table without --json; a list of k and a silhouette sample', () => {
    const run = work.run('sweep', WINE, '--k', '2,4', '--exclude', 'id', '--backend', 'js', '--sample-size', '100', '--n-init', '2');
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/silhouette on 100 sampled rows/);
    expect(lines[1]!.trim().split(/\s+/)).toEqual(['k', 'inertia', 'silhouette', 'calinski_harabasz', 'davies_bouldin']);
    expect(lines[2]!.trim().split(/\s+/)[0]).toBe('2');
    expect(lines[3]!.trim().split(/\s+/)[0]).toBe('4');
    expect(lines.at(-1)).toMatch(/^best k: silhouette [24], Calinski-Harabasz [24], Davies-Bouldin [24]/);
    const skipped = work.json('sweep', WINE, '--k', '3', '--exclude', 'id', '--backend', 'js', '--no-silhouette');
    expect((skipped.entries as { silhouette: unknown }[])[0]!.silhouette).toBeNull();
  });
});

describe('clusterkit topdown, bisect, minibatch', () => {
  it('topdown adds cluster, parent, child and cluster_id columns', async () => {
    const out = work.path('topdown.parquet');
    const result = work.json('topdown', WINE, '--k', '2', '--sub-k', '2..4', '--exclude', 'id', '--scale', 'standard', '--backend', 'js', '-o', out);
    expect(result).toMatchObject({ n: 178, k: 2, subK: [2, 4], criterion: 'silhouette', output: out });
    const groups = result.groups as { parent: number; k: number; scores: { k: number }[] }[];
    expect(groups.map((g) => g.scores.map((s) => s.k))).toEqual([
      [2, 3, 4],
      [2, 3, 4],
    ]);
    const table = await openTable(out);
    expect(table.schema.fields.slice(-4).map((f) => `${f.name}:${f.type}`)).toEqual(['cluster:Int32', 'parent:Int32', 'child:Int32', 'cluster_id:Utf8']);
    const rows: { cluster: number; parent: number; child: number; cluster_id: string }[] = [];
    for await (const batch of table.batches()) for (const row of batch) rows.push(row!.toJSON() as never);
    expect(rows).toHaveLength(178);
    const ids = result.ids as string[];
    for (const row of rows) {
      expect(row.cluster_id).toBe(`${row.parent}.${row.child}`);
      expect(ids[row.cluster]).toBe(row.cluster_id);
    }
    const byCh = work.json('topdown', WINE, '--k', '2', '--sub-k', '2..3', '--criterion', 'calinski-harabasz', '--exclude', 'id', '--backend', 'js');
    expect(byCh.criterion).toBe('calinski_harabasz');
  });

  it('bisect writes a cluster column; both strategies', async () => {
    const out = work.path('bisect.csv');
    const result = work.json('bisect', WINE, '--k', '4', '--strategy', 'largest-cluster', '--exclude', 'id', '--scale', 'standard', '--backend', 'js', '-o', out);
    expect(result).toMatchObject({ n: 178, k: 4, strategy: 'largest_cluster' });
    expect((result.sizes as number[]).reduce((a, b) => a + b)).toBe(178);
    expect(result.tree as unknown[]).toHaveLength(7);
    expect(clusterSizes(await column(out, 'cluster'), 4)).toEqual(result.sizes);
    expect(work.json('bisect', WINE, '--k', '3', '--exclude', 'id', '--backend', 'js')).toMatchObject({ strategy: 'biggest_inertia' });
  });

  it('minibatch streams a file of many record batches: inertia within 2% of scikit-learn, the cluster column in input order', async () => {
    const out = work.path('minibatch.arrow');
    const result = work.json('minibatch', blobs, '--k', String(minibatch.k), '--exclude', 'id', '--batch-size', '256', '--backend', 'js', '-o', out);
    expect(result).toMatchObject({ n: 5000, d: 4, k: 6, columns: ['f0', 'f1', 'f2', 'f3'], output: out });
    expect(Math.abs((result.inertia as number) / minibatch.median_inertia['256']! - 1)).toBeLessThan(0.02);
    const table = arrow.tableFromIPC(readFileSync(out));
    expect(table.numRows).toBe(5000);
    expect(table.batches.length).toBe(10);
    expect(Array.from(table.getChild('id')!.toArray() as Int32Array).slice(0, 3)).toEqual([1, 2, 3]);
    expect(clusterSizes(table.getChild('cluster')!.toArray() as Int32Array, 6)).toEqual(result.sizes);
    // Without -o: the same fit (same seed), inertia from the labelling pass.
    const again = work.json('minibatch', blobs, '--k', '6', '--exclude', 'id', '--batch-size', '256', '--backend', 'js', '--scale', 'standard', '--seed', '3');
    expect(again.sizes as number[]).toHaveLength(6);
  });
});

describe('bad input: exit code 2, one clear message, no output file', () => {
  let nanDeep: string;
  beforeAll(async () => {
    nanDeep = work.path('nan-deep.arrow');
    await writeBatched(nanDeep, blobTable(3456), 500);
  });
  const cases: [string, string, () => string[], RegExp][] = [
    ['sweep', 'a reversed k range', () => [WINE, '--k', '10..2'], /option --k: the range 10\.\.2 is empty \(start > end\)/],
    ['sweep', 'a k range that is not one', () => [WINE, '--k', '2..x'], /option --k: expected a range like 2\.\.10, a list like 2,4,8 or one integer, got "2\.\.x"/],
    ['sweep', 'a missing --k', () => [WINE], /option --k: is required/],
    ['sweep', 'k = 1 in the range', () => [WINE, '--k', '1..4'], /option --k: k = 1 is too small; every k must be at least 2/],
    ['sweep', 'k too large for the rows', () => [WINE, '--k', '170..178'], /option --k: k = 178 is too large for 178 rows/],
    ['sweep', 'an output that is not JSON', () => [WINE, '--k', '2..3', '-o', work.path('sweep.csv')], /option -o: sweep writes its result as JSON/],
    ['sweep', 'a bad --sample-size', () => [WINE, '--k', '2..3', '--sample-size', '1'], /option --sample-size: must be at least 2/],
    ['sweep', 'NaN in the data', () => [work.write('nan.csv', 'a,b\n1,2\n3,nan\n4,5\n6,7\n'), '--k', '2'], /column "b", row 2: value is NaN/],
    ['topdown', 'a missing --k', () => [WINE, '--sub-k', '2..4'], /option --k: is required/],
    ['topdown', 'a reversed --sub-k', () => [WINE, '--k', '2', '--sub-k', '6..2'], /option --sub-k: the range 6\.\.2 is empty/],
    ['topdown', 'a --sub-k list', () => [WINE, '--k', '2', '--sub-k', '2,5'], /option --sub-k: must be a range A\.\.B/],
    ['topdown', 'a bad --criterion', () => [WINE, '--k', '2', '--criterion', 'gap'], /option --criterion: expected one of silhouette, calinski-harabasz, davies-bouldin/],
    ['topdown', 'k > rows', () => [WINE, '--k', '500'], /option --k: k = 500 is more than the 178 rows/],
    ['bisect', 'a missing --k', () => [WINE], /option --k: is required/],
    ['bisect', 'a bad --strategy', () => [WINE, '--k', '3', '--strategy', 'biggest_inertia'], /option --strategy: expected one of biggest-inertia, largest-cluster, got "biggest_inertia"/],
    ['bisect', 'k = 0', () => [WINE, '--k', '0'], /option --k: must be at least 1, got 0/],
    ['bisect', 'an unknown column', () => [WINE, '--k', '2', '--columns', 'alcohol,sugar'], /unknown column "sugar"/],
    ['minibatch', 'a missing --k', () => [WINE], /option --k: is required/],
    ['minibatch', 'batch size 0', () => [WINE, '--k', '3', '--batch-size', '0'], /option --batch-size: must be at least 1, got 0/],
    ['minibatch', 'a batch size that is not a number', () => [WINE, '--k', '3', '--batch-size', 'big'], /option --batch-size: expected an integer, got "big"/],
    ['minibatch', 'a negative reassignment ratio', () => [WINE, '--k', '3', '--reassignment-ratio=-1'], /option --reassignment-ratio: must be at least 0, got -1/],
    ['minibatch', 'k > rows', () => [WINE, '--k', '500', '--exclude', 'id'], /option --k: k = 500 is more than the 178 rows/],
    ['minibatch', 'NaN deep in a batched file', () => [nanDeep, '--k', '3'], /nan-deep\.arrow: column "f1", row 3457: value is NaN/],
    ['minibatch', 'text in a numeric column', () => [work.write('text.csv', 'a,b\n1,2\n3,abc\n'), '--k', '1'], /column "b", row 2: "abc" is not a number/],
    ['minibatch', 'an empty file', () => [work.write('empty.csv', ''), '--k', '2'], /empty\.csv: .*empty/],
    ['minibatch', 'an unwritable output format', () => [WINE, '--k', '2', '-o', work.path('out.xlsx')], /out\.xlsx: "\.xlsx" files cannot be written/],
  ];
  for (const [command, title, args, message] of cases) {
    it(`${command}: ${title}`, () => {
      const out = work.path(`out-${command}-${title.replace(/\W+/g, '-')}.${command === 'sweep' ? 'json' : 'csv'}`);
      const argv = args();
      const run = work.run(command, '--backend', 'js', ...argv, ...(argv.includes('-o') ? [] : ['-o', out]), '--json');
      expect(run.stderr).not.toMatch(/internal error/);
      work.expectRejected(run, message, out);
    });
  }
});
