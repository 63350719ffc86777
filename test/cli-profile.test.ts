import { readFileSync, rmSync } from 'node:fs';
import * as arrow from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendColumns, openTable, readMatrix, schemaWith, writeTable } from '../src/io/index.js';
import { CliWorkDir, readTable, WINE } from './helpers/cli.js';
import { type AreasFixture, expectNullableClose, loadFixture, maxScaledError, type ProfileFixture } from './helpers/fixtures.js';
import { asyncOf, embeddingVector } from './io/helpers.js';

const wine = loadFixture<ProfileFixture>('profile/wine');
const areas = loadFixture<AreasFixture>('profile/areas');
const wineLabels = Int32Array.from(loadFixture<{ kmeans: { labels: number[] }[] }>('wine').kmeans[1]!.labels);

let work: CliWorkDir;

beforeAll(async () => {
  work = new CliWorkDir('clusterkit-cli-profile-');
  // samples/wine.csv plus the k-means labels of the profile fixture, as CSV and Arrow.
  const source = await openTable(WINE);
  const append = [{ name: 'cluster', values: wineLabels }];
  for (const out of ['wine-clusters.csv', 'wine-clusters.arrow']) {
    await writeTable(work.path(out), schemaWith(source.schema, { append }), appendColumns(source.batches(), append));
  }
  // The per-area embedding table, its similarity-style labels alone, and a CSV with a missing key.
  const columns: Record<string, arrow.Vector> = {
    area: arrow.vectorFromArray(areas.area, new arrow.Utf8()),
    area_id: arrow.vectorFromArray(areas.area_id, new arrow.Int32()),
    embedding: embeddingVector(Float32Array.from(areas.embedding), areas.dim),
    kind: arrow.vectorFromArray(areas.kind, new arrow.Utf8()),
  };
  const images = new arrow.Table(columns);
  for (const out of ['images.arrow', 'images.parquet']) await writeTable(work.path(out), images.schema, asyncOf(images.batches));
  const withLabels = new arrow.Table({ ...columns, label: arrow.vectorFromArray(areas.label, new arrow.Int32()) });
  await writeTable(work.path('scored.arrow'), withLabels.schema, asyncOf(withLabels.batches));
  const scores = new arrow.Table({ label: arrow.vectorFromArray(areas.label, new arrow.Int32()) });
  await writeTable(work.path('scores.parquet'), scores.schema, asyncOf(scores.batches));
  const fewer = new arrow.Table({ label: arrow.vectorFromArray(areas.label.slice(0, 100), new arrow.Int32()) });
  await writeTable(work.path('fewer-scores.arrow'), fewer.schema, asyncOf(fewer.batches));
});

afterAll(() => {
  if (work) rmSync(work.dir, { recursive: true, force: true });
});

describe('clusterkit profile', () => {
  for (const input of ['wine-clusters.csv', 'wine-clusters.arrow']) {
    it(`profiles ${input} and writes one row per cluster`, async () => {
      const out = work.path(`profiles-from-${input}.parquet`);
      const result = work.json('profile', work.path(input), '--labels', 'cluster', '--exclude', 'id', '-o', out);
      expect(result).toMatchObject({ n: 178, d: 13, k: 3, labels: 'cluster', clusters: wine.clusters, counts: wine.counts, variables: wine.variables, notes: [], output: out });
      const profiles = result.profiles as { cluster: number; index: Record<string, number>; z: Record<string, number>; median: Record<string, number> }[];
      const d = wine.variables.length;
      expectNullableClose(profiles.flatMap((p) => wine.variables.map((v) => p.index[v]!)), wine.index);
      expectNullableClose(profiles.flatMap((p) => wine.variables.map((v) => p.z[v]!)), wine.z);
      expectNullableClose(profiles.flatMap((p) => wine.variables.map((v) => p.median[v]!)), wine.median);
      expectNullableClose((result.overall as { std: number[] }).std, wine.overall.std);

      const table = await readTable(out);
      expect(table.numRows).toBe(3);
      expect(table.schema.fields.slice(0, 3).map(String)).toEqual(['cluster: Int32', 'count: Int32', 'alcohol_mean: Float64']);
      expect(table.schema.fields).toHaveLength(2 + 4 * d);
      const proline = [...table.getChild('proline_index')!] as number[];
      expect(maxScaledError(proline, wine.clusters.map((_, c) => wine.index[c * d + 12]!))).toBeLessThan(1e-10);
    });
  }

  it('prints variables × clusters of index scores, or of the statistic --show picks', () => {
    const run = work.run('profile', work.path('wine-clusters.csv'), '--labels', 'cluster', '--columns', 'alcohol,proline,hue');
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toBe('178 rows in 3 clusters (column "cluster"), 3 variables; index scores (cluster mean ÷ overall mean × 100):');
    expect(lines[1]).toMatch(/^variable\s+overall mean\s+0 \(n=\d+\)\s+1 \(n=\d+\)\s+2 \(n=\d+\)$/);
    const proline = lines.find((line) => line.startsWith('proline'))!.trim().split(/\s+/);
    expect(proline.slice(2).map(Number)).toEqual(wine.clusters.map((_, c) => Math.round(wine.index[c * 13 + 12]!)));
    const z = work.run('profile', work.path('wine-clusters.csv'), '--labels', 'cluster', '--columns', 'alcohol', '--show', 'z');
    const alcohol = z.stdout.trim().split('\n').at(-1)!.trim().split(/\s+/);
    expect(alcohol.slice(2)).toEqual(wine.clusters.map((_, c) => wine.z[c * 13]!.toFixed(2)));
  });

  it('writes CSV, with empty cells and a note on stderr for undefined index scores', () => {
    const csv = work.write('centred.csv', 'x,y,g\n-1,1,0\n1,2,0\n-2,3,1\n2,4,1\n');
    const out = work.path('centred-profiles.csv');
    const run = work.run('profile', csv, '--labels', 'g', '-o', out);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('clusterkit: index scores are null for "x": the overall mean is zero or negative (index scores need a positive mean; see the z profile)\n');
    expect(run.stdout).toMatch(/^x\s+0\s+n\/a\s+n\/a$/m);
    expect(readFileSync(out, 'utf8')).toBe(
      'cluster,count,x_mean,y_mean,x_median,y_median,x_index,y_index,x_z,y_z\n' +
        '0,2,0,1.5,0,1.5,,60,0,-0.8944271909999159\n' +
        '1,2,0,3.5,0,3.5,,140,0,0.8944271909999159\n',
    );
  });
});

describe('clusterkit aggregate', () => {
  for (const input of ['images.arrow', 'images.parquet']) {
    it(`aggregates the embeddings of ${input} per area, with label shares from a similarity output`, async () => {
      const out = work.path(`areas-from-${input}.parquet`);
      const result = work.json('aggregate', work.path(input), '--by', 'area', '--embedding', 'embedding', '--category', 'label', '--category-from', work.path('scores.parquet'), '-o', out);
      expect(result).toMatchObject({ n: 257, by: 'area', groups: 10, keys: areas.groups.keys, counts: areas.groups.counts, stats: ['mean', 'median', 'max'], d: 8, categories: areas.label_categories, output: out });
      expect(maxScaledError((result.shares as number[][]).flat(), areas.label_shares)).toBeLessThan(1e-15);

      const table = await readTable(out);
      expect(table.schema.fields.map(String)).toEqual([
        'area: Utf8',
        'count: Int32',
        'embedding_mean: FixedSizeList[8]<Float32>',
        'embedding_median: FixedSizeList[8]<Float32>',
        'embedding_max: FixedSizeList[8]<Float32>',
        ...areas.label_categories.map((c) => `share_${c}: Float64`),
      ]);
      // Read back through the same reader users have: one matrix row per group.
      const mean = (await readMatrix(await openTable(out), { embedding: 'embedding_mean' })).matrix.toFloat32Array();
      expect(maxScaledError(mean, areas.groups.mean)).toBeLessThan(1e-6);
      const max = (await readMatrix(await openTable(out), { embedding: 'embedding_max' })).matrix.toFloat32Array();
      expect(Array.from(max)).toEqual(areas.groups.max);
    });
  }

  it('reads the category from the input itself, fixes the categories, and writes arrays into CSV', () => {
    const out = work.path('areas.csv');
    const result = work.json('aggregate', work.path('scored.arrow'), '--by', 'area_id', '--embedding', 'embedding', '--stats', 'max', '--category', 'label', '--categories', '0,1,2,3,4,5', '-o', out);
    expect(result).toMatchObject({ keys: areas.groups.ids, stats: ['max'], categories: [0, 1, 2, 3, 4, 5] });
    expect(maxScaledError((result.shares as number[][]).flat(), areas.all_label_shares)).toBeLessThan(1e-15);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('area_id,count,embedding_max,share_0,share_1,share_2,share_3,share_4,share_5');
    expect(lines).toHaveLength(11);
    const first = lines[1]!.match(/^(\d+),(\d+),"\[([^\]]+)\]",(.*)$/)!;
    expect(Number(first[1])).toBe(areas.groups.ids[0]);
    expect(first[3]!.split(',').map((text) => Math.fround(Number(text)))).toEqual(areas.groups.max.slice(0, 8));
    expect(first[4]!.split(',')[3]).toBe('0');
  });

  it('prints a table of counts and category shares', () => {
    const run = work.run('aggregate', work.path('scored.arrow'), '--by', 'area', '--category', 'kind');
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toBe('257 rows in 10 groups by "area":');
    expect(lines[1]).toMatch(/^area\s+count\s+park\s+shop\s+street$/);
    expect(lines[3]).toMatch(/^area_01\s+1\s+(0\.0|100\.0)%\s+(0\.0|100\.0)%\s+(0\.0|100\.0)%$/);
    const stats = work.run('aggregate', work.path('scored.arrow'), '--by', 'area', '--embedding', 'embedding');
    expect(stats.stderr).toMatch(/the mean \/ median \/ max embeddings are only written to a file: add -o/);
  });
});

describe('profile and aggregate, bad input: exit code 2, one clear message, no output file', () => {
  const cases: [string, () => string[], RegExp][] = [
    ['profile: labels not integers', () => ['profile', WINE, '--labels', 'alcohol', '--exclude', 'id'], /wine\.csv: column "alcohol", row 1: label 14\.23 is not an integer/],
    ['profile: a text labels column', () => ['profile', WINE, '--labels', 'cultivar'], /column "cultivar" \(Utf8\) cannot be the label column: it must hold integers/],
    ['profile: an unknown labels column', () => ['profile', WINE, '--labels', 'segment'], /unknown column "segment" \(option labels\); the table has: id, alcohol/],
    ['profile: a missing label', () => ['profile', work.write('missing-label.csv', 'x,g\n1,0\n2,\n3,1\n'), '--labels', 'g'], /missing-label\.csv: column "g", row 2: missing label/],
    ['profile: no --labels', () => ['profile', WINE], /--labels: is required/],
    ['profile: NaN in a variable', () => ['profile', work.write('nan.csv', 'x,g\n1,0\nnan,1\n'), '--labels', 'g'], /column "x", row 2: value is NaN/],
    ['profile: a bad --show', () => ['profile', WINE, '--labels', 'id', '--show', 'zscore'], /--show: expected one of index, z, mean, median, got "zscore"/],
    ['aggregate: an unknown --by column', () => ['aggregate', work.path('images.arrow'), '--by', 'district'], /images\.arrow: unknown column "district" \(option by\); the table has: area, area_id, embedding, kind/],
    ['aggregate: a missing key', () => ['aggregate', work.write('missing-key.csv', 'area,x\na,1\nb,2\n,3\n'), '--by', 'area', '--columns', 'x'], /missing-key\.csv: column "area", row 3: missing key/],
    ['aggregate: a fractional key', () => ['aggregate', WINE, '--by', 'alcohol'], /column "alcohol", row 1: key 14\.23 is not an integer/],
    ['aggregate: no --by', () => ['aggregate', WINE], /--by: is required/],
    ['aggregate: an unknown statistic', () => ['aggregate', work.path('images.arrow'), '--by', 'area', '--embedding', 'embedding', '--stats', 'mean,mode'], /--stats: expected some of mean, median, max, got "mode"/],
    ['aggregate: --stats without values', () => ['aggregate', work.path('images.arrow'), '--by', 'area', '--stats', 'mean'], /--stats: needs --embedding or --columns/],
    ['aggregate: a category table of other rows', () => ['aggregate', work.path('images.arrow'), '--by', 'area', '--category', 'label', '--category-from', work.path('fewer-scores.arrow')], /--category-from: .*fewer-scores\.arrow does not have one row per row of .*images\.arrow \(100 values given for a table of more rows/],
    ['aggregate: a category not listed', () => ['aggregate', work.path('scored.arrow'), '--by', 'area', '--category', 'label', '--categories', '0,1,2'], /column "label", row \d+: category "[45]" is not one of the categories listed \(0, 1, 2\)/],
    ['aggregate: --categories without --category', () => ['aggregate', work.path('scored.arrow'), '--by', 'area', '--categories', '0,1'], /--categories: needs --category/],
    ['aggregate: not an embedding', () => ['aggregate', work.path('images.arrow'), '--by', 'area', '--embedding', 'kind'], /column "kind" is not an embedding \(Utf8\)/],
  ];
  for (const [title, args, message] of cases) {
    it(title, () => {
      const out = work.path(`out-${title.replace(/\W+/g, '-')}.parquet`);
      const run = work.run(...args(), '-o', out, '--json');
      work.expectRejected(run, message, out);
    });
  }
});
