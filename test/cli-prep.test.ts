import { readFileSync } from 'node:fs';
import * as arrow from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';
import { CliWorkDir, IMAGES, readTable, WINE } from './helpers/cli.js';
import { type CensusFixture, loadFixture, type PcaFixture } from './helpers/fixtures.js';

const census = loadFixture<CensusFixture>('prep/census');
const wineStd = loadFixture<PcaFixture>('prep/pca').cases.find((c) => c.name === 'wine_std')!;

let work: CliWorkDir;
let CENSUS: string;

function numbers(table: arrow.Table, name: string): number[] {
  const column = table.getChild(name)!;
  return Array.from({ length: table.numRows }, (_, i) => {
    const v = column.get(i) as number | null;
    return v === null ? NaN : Number(v);
  });
}

beforeAll(() => {
  work = new CliWorkDir('clusterkit-cli-prep-');
  // The census fixture as CSV: empty cells are missing values.
  const lines = [census.order.join(',')];
  for (let i = 0; i < census.n; i++) lines.push(census.order.map((c) => (census.columns[c]![i] === null ? '' : String(census.columns[c]![i]))).join(','));
  CENSUS = work.write('census.csv', `${lines.join('\n')}\n`);
});

describe('clusterkit prep', () => {
  const steps = ['--impute', 'median', '--log1p', 'income,households', '--winsorize', '0.05,0.95', '--scale', 'standard', '--one-hot', 'region'];

  for (const format of ['csv', 'parquet', 'arrow']) {
    it(`runs the pipeline and writes ${format} matching scikit-learn`, async () => {
      const out = work.path(`prepared.${format}`);
      // Steps given in another order: they run in the fixed order.
      const result = work.json('prep', CENSUS, ...steps.slice(8), ...steps.slice(0, 8), '-o', out);
      expect(result).toMatchObject({ n: 40, output: out, order: ['impute', 'log1p', 'winsorize', 'scale', 'one-hot'] });
      expect((result.steps as { step: string }[]).map((s) => s.step)).toEqual(['impute', 'log1p', 'winsorize', 'scale', 'one-hot']);
      expect(result.outputColumns).toEqual(census.pipeline.columns);
      const impute = (result.steps as { values?: Record<string, number> }[])[0]!.values!;
      census.numeric.forEach((name, j) => expect(impute[name]).toBeCloseTo(census.impute.median.statistics[j]!, 12));

      const table = await readTable(out);
      expect(table.schema.fields.map((f) => f.name)).toEqual(census.pipeline.columns);
      for (const name of census.pipeline.columns) {
        const expected = census.pipeline.output[name]!;
        if (typeof expected.find((v) => v !== null) === 'string') {
          expect(Array.from({ length: table.numRows }, (_, i) => table.getChild(name)!.get(i))).toEqual(expected);
        } else {
          const actual = numbers(table, name);
          expected.forEach((e, i) => expect(Math.abs(actual[i]! - (e as number)), `${name}[${i}]`).toBeLessThan(1e-12));
        }
      }
    });
  }

  it('prepares only the chosen columns; the others pass through unchanged, missing values kept', async () => {
    const out = work.path('robust.csv');
    const result = work.json('prep', CENSUS, '--scale', 'robust', '--columns', 'income,rooms', '-o', out);
    expect(result.columns).toEqual(['income', 'rooms']);
    const table = await readTable(out);
    const original = await readTable(CENSUS);
    expect(numbers(table, 'population')).toEqual(numbers(original, 'population'));
    expect(numbers(table, 'income').filter(Number.isNaN)).toHaveLength(4);
    expect(numbers(table, 'income')).not.toEqual(numbers(original, 'income'));
  });

  it('prints the fitted parameters without -o', () => {
    const result = work.json('prep', CENSUS, '--winsorize', '0.01');
    expect(result).toMatchObject({ n: 40, steps: [{ step: 'winsorize', limits: [0.01, 0.99] }] });
    expect(result.output).toBeUndefined();
    const text = work.run('prep', CENSUS, '--impute', 'mean');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/prepared 40 rows .*: impute/);
  });
});

describe('clusterkit pca', () => {
  it('writes pc_1 … pc_N beside the input columns; the ratios match scikit-learn on standardized wine', async () => {
    const out = work.path('wine-pca.parquet');
    const result = work.json('pca', WINE, '--exclude', 'id', '--scale', 'standard', '--components', '3', '--backend', 'js', '--sign', 'scores', '-o', out);
    expect(result).toMatchObject({ backend: 'js', n: 178, d: 13, k: 3, scale: 'standard', output: out });
    const ratios = result.explainedVarianceRatio as number[];
    ratios.forEach((r, i) => expect(Math.abs(r - wineStd.explained_variance_ratio[i]!)).toBeLessThan(1e-5));
    const components = result.components as number[][];
    expect(components).toHaveLength(3);
    components.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - wineStd.components[i * 13 + j]!)).toBeLessThan(1e-4)));

    const table = await readTable(out);
    const names = table.schema.fields.map((f) => f.name);
    expect(names.slice(0, 2)).toEqual(['id', 'alcohol']);
    expect(names.slice(-3)).toEqual(['pc_1', 'pc_2', 'pc_3']);
    expect(String(table.schema.fields.at(-1)!.type)).toBe('Float32');
    const pc1 = numbers(table, 'pc_1');
    const expected = Array.from({ length: 178 }, (_, r) => wineStd.transform[r * 13]!);
    pc1.forEach((v, r) => expect(Math.abs(v - expected[r]!)).toBeLessThan(1e-4));
  });

  it('an embedding column (.npy) with the current sign rule, and whitening', () => {
    const result = work.json('pca', IMAGES, '--components', '5', '--whiten', '--backend', 'js');
    expect(result).toMatchObject({ n: 2000, d: 64, k: 5, whiten: true });
    const ratios = result.explainedVarianceRatio as number[];
    for (let i = 1; i < ratios.length; i++) expect(ratios[i]!).toBeLessThanOrEqual(ratios[i - 1]!);
    for (const row of result.components as number[][]) {
      const largest = row.reduce((best, v) => (Math.abs(v) > Math.abs(best) ? v : best), 0);
      expect(largest).toBeGreaterThan(0);
    }
  });

  it('replaces existing pc_ columns', async () => {
    const first = work.path('pcs.csv');
    work.json('pca', WINE, '--exclude', 'id', '--components', '2', '--backend', 'js', '-o', first);
    const second = work.path('pcs2.arrow');
    const run = work.run('pca', first, '--exclude', 'id,pc_1,pc_2', '--components', '2', '--backend', 'js', '-o', second, '--json');
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/"pc_1", "pc_2" columns are replaced/);
    const table = arrow.tableFromIPC(readFileSync(second));
    expect(table.schema.fields.filter((f) => f.name.startsWith('pc_')).map((f) => f.name)).toEqual(['pc_1', 'pc_2']);
  });
});

describe('bad input: exit code 2, one clear message, no output file', () => {
  const cases: [string, string, () => string[], RegExp][] = [
    ['prep', 'infinity', () => [work.write('inf.csv', 'a,b\n1,2\n3,inf\n'), '--scale', 'standard'], /column "b", row 2: value is Infinity/],
    ['prep', 'text in a numeric column', () => [work.write('text.csv', 'a,b\n1,2\n3,abc\n'), '--scale', 'standard'], /column "b", row 2: "abc" is not a number/],
    ['prep', 'an unknown column', () => [CENSUS, '--scale', 'standard', '--columns', 'income,incme'], /unknown column "incme"; the table has: area, population/],
    ['prep', 'a text column to scale', () => [CENSUS, '--scale', 'minmax', '--columns', 'region'], /column "region" is not numeric/],
    ['prep', 'one-hot of a numeric column', () => [CENSUS, '--one-hot', 'income'], /column "income" is not text \(Float64\); one-hot encoding takes text columns/],
    ['prep', 'log1p of a text column', () => [CENSUS, '--log1p', 'tenure'], /column "tenure" is not numeric \(Utf8\); log1p needs numbers/],
    ['prep', 'log1p of a value ≤ −1', () => [work.write('neg.csv', 'a,b\n1,2\n-2,3\n'), '--log1p', 'a'], /column "a", row 2: value -2 is ≤ −1; log1p is undefined there/],
    ['prep', 'a column with no values to impute from', () => [work.write('nulls.csv', 'a,b,c\n1,nan,x\n2,,y\n'), '--impute', 'median', '--exclude', 'c'], /column "b" has no values/],
    ['prep', 'a bad --winsorize', () => [CENSUS, '--winsorize', '0.99,0.01'], /--winsorize: expected lower,upper quantiles with 0 ≤ lower ≤ upper ≤ 1 \(e\.g\. 0\.01,0\.99\), got "0\.99,0\.01"/],
    ['prep', 'a non-numeric --winsorize', () => [CENSUS, '--winsorize', 'low,high'], /--winsorize: expected lower,upper quantiles/],
    ['prep', 'a bad --impute', () => [CENSUS, '--impute', 'mode'], /--impute: expected one of median, mean, got "mode"/],
    ['prep', 'a bad --scale', () => [CENSUS, '--scale', 'zscore'], /--scale: expected one of standard, minmax, robust, got "zscore"/],
    ['prep', 'a column named twice', () => [CENSUS, '--one-hot', 'region,region'], /--one-hot: column "region" is named twice/],
    ['prep', 'no step', () => [CENSUS], /option prep: no step given/],
    ['prep', '--columns with --exclude', () => [CENSUS, '--scale', 'robust', '--columns', 'income', '--exclude', 'rooms'], /--exclude: cannot be combined with --columns/],
    ['prep', 'an empty file', () => [work.write('empty.csv', ''), '--scale', 'standard'], /empty\.csv: .*empty/],
    ['prep', 'a missing file', () => [work.path('nope.csv'), '--scale', 'standard'], /nope\.csv: no such file/],
    ['prep', 'an unknown option', () => [CENSUS, '--standardize'], /prep: unknown option '--standardize'/],
    ['prep', 'an unwritable output format', () => [CENSUS, '--scale', 'standard', '-o', work.path('out.xlsx')], /out\.xlsx: "\.xlsx" files cannot be written/],
    ['pca', 'too many components', () => [WINE, '--exclude', 'id', '--components', '20'], /--components: must be between 1 and 13 \(the smaller of 178 rows and 13 features\), got 20/],
    ['pca', 'a missing value', () => [work.write('missing.csv', 'a,b\n1,2\n3,\n4,5\n'), '--components', '1'], /column "b", row 2: missing value/],
    ['pca', 'a bad --scale', () => [WINE, '--exclude', 'id', '--scale', 'log'], /--scale: expected one of none, standard, minmax, robust, got "log"/],
    ['pca', 'a bad --sign', () => [WINE, '--exclude', 'id', '--sign', 'u'], /--sign: expected one of components, scores, got "u"/],
    ['pca', 'one row', () => [work.write('one.csv', 'a,b\n1,2\n')], /PCA needs at least 2 rows/],
    ['pca', 'a text column', () => [WINE, '--columns', 'alcohol,cultivar'], /column "cultivar" is not numeric/],
  ];
  for (const [command, title, args, message] of cases) {
    it(`${command}: ${title}`, () => {
      const out = work.path(`out-${command}-${title.replace(/\W+/g, '-')}.csv`);
      const argv = args();
      const backend = command === 'pca' ? ['--backend', 'js'] : [];
      const run = work.run(command, ...argv, ...backend, ...(argv.includes('-o') ? [] : ['-o', out]), '--json');
      work.expectRejected(run, message, out);
    });
  }
});
