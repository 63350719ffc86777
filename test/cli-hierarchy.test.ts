import { beforeAll, describe, expect, it } from 'vitest';
import { openTable } from '../src/io/index.js';
import { CliWorkDir, column, WINE } from './helpers/cli.js';
import { type AffinityFixture, firstAppearance, type HierarchyFixture, LINKAGE_METHODS, loadFixture } from './helpers/fixtures.js';

const wine = loadFixture<HierarchyFixture>('hierarchy/wine');
const affinityCases = loadFixture<AffinityFixture>('hierarchy/affinity').cases;
let work: CliWorkDir;
let wineCsv: string;
let blobsCsv: string;

/** Rows of a fixture as a CSV with columns f0…f{d−1}. */
function writeCsv(name: string, data: number[], n: number, d: number): string {
  const lines = [Array.from({ length: d }, (_, j) => `f${j}`).join(',')];
  for (let i = 0; i < n; i++) lines.push(data.slice(i * d, (i + 1) * d).join(','));
  return work.write(name, lines.join('\n') + '\n');
}

beforeAll(() => {
  work = new CliWorkDir('clusterkit-cli-hierarchy-');
  wineCsv = writeCsv('wine-subset.csv', wine.data, wine.n, wine.d);
  const blobs = affinityCases[0]!;
  blobsCsv = writeCsv('ap-blobs.csv', blobs.data, blobs.n, blobs.d);
});

describe('clusterkit agglomerative', () => {
  it('keeps the input columns, adds cluster, writes the linkage matrix, prints one JSON object', async () => {
    const out = work.path('wine-ward.parquet');
    const merges = work.path('wine-ward-linkage.csv');
    const result = work.json('agglomerative', WINE, '--exclude', 'id', '--scale', 'standard', '--n-clusters', '3', '--backend', 'js', '-o', out, '--linkage-out', merges);
    // scikit-learn's AgglomerativeClustering(3) (ward) on standardized wine: sizes 58, 56, 64.
    expect(result).toMatchObject({ backend: 'js', n: 178, d: 13, linkage: 'ward', nClusters: 3, distanceThreshold: null, precision: 'float64', output: out, linkageOutput: merges });
    expect([...(result.sizes as number[])].sort()).toEqual([56, 58, 64]);
    expect(typeof result.seconds).toBe('number');
    const table = await openTable(out);
    const names = table.schema.fields.map((f) => f.name);
    expect(names[0]).toBe('id');
    expect(names.slice(-2)).toEqual(['cultivar', 'cluster']);
    expect(String(table.schema.fields.at(-1)!.type)).toBe('Int32');
    const clusters = await column(out, 'cluster');
    expect([0, 1, 2].map((c) => clusters.filter((v) => v === c).length)).toEqual(result.sizes);

    const linkage = await openTable(merges);
    expect(linkage.schema.fields.map((f) => f.name)).toEqual(['idx1', 'idx2', 'height', 'size']);
    const heights = await column(merges, 'height');
    const sizes = await column(merges, 'size');
    expect(heights).toHaveLength(177);
    expect(sizes.at(-1)).toBe(178);
    expect(heights.every((h, i) => i === 0 || h >= heights[i - 1]!)).toBe(true);
    expect(heights.at(-1)).toBeCloseTo((result.topHeights as number[])[0]!, 4);
  });

  for (const method of LINKAGE_METHODS) {
    it(`${method}: scikit-learn's labels by count and by threshold`, async () => {
      const expected = wine.methods[method];
      const out = work.path(`subset-${method}.csv`);
      const byCount = work.json('agglomerative', wineCsv, '--linkage', method, '--n-clusters', String(expected.n_clusters), '--backend', 'js', '-o', out);
      expect(byCount.nClusters).toBe(expected.n_clusters);
      expect(await column(out, 'cluster')).toEqual(firstAppearance(expected.labels));
      const byHeight = work.json('agglomerative', wineCsv, '--linkage', method, '--distance-threshold', String(expected.distance_threshold), '--backend', 'wasm', '-o', out);
      expect(byHeight).toMatchObject({ nClusters: expected.threshold_n_clusters, distanceThreshold: expected.distance_threshold, backend: 'wasm' });
      expect(await column(out, 'cluster')).toEqual(firstAppearance(expected.threshold_labels));
    });
  }

  it('prints a human summary without --json, and float32 storage on request', () => {
    const run = work.run('agglomerative', wineCsv, '--linkage', 'average', '--n-clusters', '2', '--precision', 'float32', '--backend', 'js');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/average linkage, on 60 rows × 13 features \(js, float32 distances\): 2 clusters/);
    expect(run.stdout).toMatch(/highest merges: 5\.7745/);
  });
});

describe('clusterkit affinity', () => {
  it("the fixture's blobs: scikit-learn's labels, exemplars and iterations", async () => {
    const c = affinityCases[0]!;
    const out = work.path('ap-blobs-out.arrow');
    const result = work.json('affinity', blobsCsv, '--backend', 'js', '-o', out);
    expect(result).toMatchObject({ n: c.n, d: c.d, clusters: c.exemplars.length, exemplars: c.exemplars, iterations: c.n_iter, converged: true, output: out });
    const table = await openTable(out);
    expect(table.schema.fields.map((f) => f.name)).toEqual(['f0', 'f1', 'cluster']);
    expect(await column(out, 'cluster')).toEqual(c.labels);
  });

  it('standardized wine: the same 14 exemplars as scikit-learn, in 29 iterations', () => {
    const result = work.json('affinity', WINE, '--exclude', 'id', '--scale', 'standard', '--backend', 'wasm');
    expect(result).toMatchObject({ n: 178, d: 13, clusters: 14, iterations: 29, converged: true });
    expect(result.exemplars).toEqual([12, 25, 35, 53, 56, 61, 78, 88, 97, 124, 125, 131, 148, 162]);
    expect(result.sizes).toEqual([17, 4, 19, 10, 15, 7, 3, 17, 17, 3, 17, 12, 26, 11]);
    expect(result.preference as number).toBeCloseTo(-24.9553, 3);
  });

  it('honours the options and says when it did not converge', () => {
    const unconverged = affinityCases.find((c) => !c.converged)!;
    const run = work.run('affinity', blobsCsv, '--max-iter', String(unconverged.max_iter), '--backend', 'js', '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ iterations: unconverged.max_iter, converged: false, exemplars: unconverged.exemplars });
    expect(run.stderr).toMatch(/did not converge in 12 iterations/);
    const fewer = work.json('affinity', blobsCsv, '--preference=-1000', '--damping', '0.9', '--convergence-iter', '20', '--seed', '3', '--backend', 'js');
    expect(fewer.clusters as number).toBeLessThan(3);
    expect(fewer.preference).toBe(-1000);
  });
});

describe('bad input: exit code 2, one clear message, no output file', () => {
  const cases: [string, string, () => string[], RegExp][] = [
    ['agglomerative', 'no cut given', () => [WINE, '--exclude', 'id'], /option --n-clusters: or --distance-threshold is required/],
    ['agglomerative', 'both cuts given', () => [WINE, '--exclude', 'id', '--n-clusters', '3', '--distance-threshold', '2'], /option --distance-threshold: give either --n-clusters or --distance-threshold, not both/],
    ['agglomerative', 'a bad linkage', () => [WINE, '--n-clusters', '3', '--linkage', 'median'], /--linkage: expected one of ward, complete, average, single, got "median"/],
    ['agglomerative', 'n-clusters 0', () => [WINE, '--n-clusters', '0'], /option --n-clusters: must be at least 1, got 0/],
    ['agglomerative', 'n-clusters > rows', () => [WINE, '--n-clusters', '500'], /option --n-clusters: nClusters = 500 is more than the 178 rows/],
    ['agglomerative', 'n-clusters not an integer', () => [WINE, '--n-clusters', '2.5'], /--n-clusters: expected an integer, got "2\.5"/],
    ['agglomerative', 'a negative threshold', () => [WINE, '--distance-threshold=-1'], /option --distance-threshold: must be at least 0, got -1/],
    ['agglomerative', 'a threshold that is not a number', () => [WINE, '--distance-threshold', 'far'], /--distance-threshold: expected a number, got "far"/],
    ['agglomerative', 'a bad precision', () => [WINE, '--n-clusters', '2', '--precision', 'half'], /--precision: expected one of auto, float64, float32, got "half"/],
    ['agglomerative', 'one row', () => [work.write('one.csv', 'a,b\n1,2\n'), '--n-clusters', '1'], /needs at least 2 rows, got 1/],
    ['agglomerative', 'NaN in the data', () => [work.write('nan-h.csv', 'a,b\n1,2\n3,nan\n4,5\n'), '--n-clusters', '2'], /column "b", row 2: value is NaN/],
    ['agglomerative', 'text in a numeric column', () => [WINE, '--n-clusters', '2', '--columns', 'alcohol,cultivar'], /column "cultivar" is not numeric/],
    ['agglomerative', 'an unwritable linkage output', () => [WINE, '--n-clusters', '2', '--linkage-out', work.path('merges.xlsx')], /merges\.xlsx: "\.xlsx" files cannot be written/],
    ['agglomerative', 'an unknown option', () => [WINE, '--n-clusters', '2', '--method', 'ward'], /agglomerative: unknown option '--method'/],
    ['affinity', 'damping 1', () => [WINE, '--damping', '1'], /option --damping: must be at least 0\.5 and less than 1, got 1/],
    ['affinity', 'damping below 0.5', () => [WINE, '--damping', '0.3'], /option --damping: must be at least 0\.5, got 0\.3/],
    ['affinity', 'damping not a number', () => [WINE, '--damping', 'high'], /--damping: expected a number, got "high"/],
    ['affinity', 'max-iter 0', () => [WINE, '--max-iter', '0'], /option --max-iter: must be at least 1, got 0/],
    ['affinity', 'convergence-iter 0', () => [WINE, '--convergence-iter', '0'], /option --convergence-iter: must be at least 1, got 0/],
    ['affinity', 'a preference that is not a number', () => [WINE, '--preference', 'median'], /--preference: expected a number, got "median"/],
    ['affinity', 'infinity in the data', () => [work.write('inf-a.csv', 'a,b\n1,2\n3,inf\n')], /column "b", row 2: value is Infinity/],
    ['affinity', 'an empty file', () => [work.write('empty-a.csv', '')], /empty-a\.csv: .*empty/],
    ['affinity', 'a missing file', () => [work.path('nope.csv')], /nope\.csv: no such file/],
  ];
  for (const [command, title, args, message] of cases) {
    it(`${command}: ${title}`, () => {
      const slug = `${command}-${title.replace(/\W+/g, '-')}`;
      const out = work.path(`out-${slug}.csv`);
      const merges = work.path(`merges-${slug}.csv`);
      const argv = args();
      const extra = command === 'agglomerative' && !argv.includes('--linkage-out') ? ['--linkage-out', merges] : [];
      const run = work.run(command, '--backend', 'js', ...argv, '-o', out, ...extra, '--json');
      work.expectRejected(run, message, out, merges);
    });
  }
});
