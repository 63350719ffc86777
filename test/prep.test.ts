import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { ClusterkitError } from '../src/errors.js';
import { standardize } from '../src/algorithms/scale.js';
import { Matrix } from '../src/matrix.js';
import {
  columnCorrelation,
  columnVariance,
  compareCodePoints,
  fitImputer,
  fitOneHot,
  fitPrep,
  fitScaler,
  fitWinsorizer,
  log1pColumns,
  medianSorted,
  quantileSorted,
  averageRanks,
  scaleMatrix,
  symmetricEigen,
  type ScaleMethod,
} from '../src/prep/index.js';
import { RankedValues } from '../src/prep/stats.js';
import { Rng } from '../src/rng.js';
import { type CensusFixture, type Cell, loadFixture } from './helpers/fixtures.js';

const census = loadFixture<CensusFixture>('prep/census');
const p = census.numeric.length;

/** The census table as Arrow: numbers as Float64 (null = missing), text as Utf8. */
function censusTable(rows?: number[]): arrow.Table {
  const pick = <T,>(values: T[]) => (rows ? rows.map((i) => values[i]!) : values);
  const columns: Record<string, arrow.Vector> = {};
  for (const name of census.order) {
    const values = pick(census.columns[name]!);
    columns[name] = census.text.includes(name)
      ? arrow.vectorFromArray(values as (string | null)[], new arrow.Utf8())
      : arrow.vectorFromArray(values as (number | null)[], new arrow.Float64());
  }
  return new arrow.Table(columns);
}

/** The same table as several record batches (sliced, so their data have offsets). */
function censusBatches(): arrow.RecordBatch[] {
  const table = censusTable();
  return [table.slice(0, 13), table.slice(13, 14), table.slice(14, 40)].flatMap((t) => t.batches);
}

async function* asyncBatches(batches: arrow.RecordBatch[]): AsyncGenerator<arrow.RecordBatch> {
  for (const batch of batches) yield batch;
}

/** A table's column as numbers, null → NaN. */
function columnValues(table: arrow.Table, name: string): number[] {
  const column = table.getChild(name);
  if (!column) throw new Error(`no column ${name}`);
  return Array.from({ length: table.numRows }, (_, i) => {
    const v = column.get(i) as number | null;
    return v === null ? NaN : v;
  });
}

/** Column j of an n × c row-major fixture array. */
function fixtureColumn(values: Cell[], j: number, c: number): number[] {
  return Array.from({ length: values.length / c }, (_, i) => values[i * c + j] ?? NaN);
}

/** Same missing positions, values within `tol` relative (or absolute below 1). */
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number | null>, tol = 1e-12, label = ''): void {
  expect(actual.length, label).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const e = expected[i] ?? NaN;
    const a = actual[i]!;
    if (Number.isNaN(e)) {
      expect(a, `${label}[${i}] should be missing`).toBeNaN();
    } else {
      expect(Math.abs(a - e) / Math.max(1, Math.abs(e)), `${label}[${i}]: ${a} vs ${e}`).toBeLessThanOrEqual(tol);
    }
  }
}

function expectTableMatches(table: arrow.Table, expected: Cell[], columns = census.numeric, tol = 1e-12): void {
  columns.forEach((name, j) => expectClose(columnValues(table, name), fixtureColumn(expected, j, columns.length), tol, name));
}

function expectError(fn: () => unknown, pattern: RegExp): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ClusterkitError);
  expect((error as Error).message).toMatch(pattern);
}

describe('quantiles, medians and ranks', () => {
  it("quantileSorted is NumPy's default (linear) quantile", () => {
    for (const c of census.quantiles) {
      const sorted = Float64Array.from(c.values).sort();
      expectClose(c.q.map((q) => quantileSorted(sorted, q)), c.expected, 1e-15, String(c.values));
    }
  });

  it('quantiles and medians by selection equal those of the sorted values, read in any order', () => {
    const rng = new Rng(3);
    const shapes = [
      (n: number) => Float64Array.from({ length: n }, () => rng.nextFloat()),
      (n: number) => Float64Array.from({ length: n }, () => Math.floor(rng.nextFloat() * 3) / 7), // ties
      (n: number) => Float64Array.from({ length: n }, (_, i) => (i * 37) % n), // a permutation
    ];
    for (const n of [1, 2, 5, 16, 17, 100, 1001]) {
      for (const shape of shapes) {
        const values = shape(n);
        const sorted = Float64Array.from(values).sort();
        const ranked = new RankedValues(Float64Array.from(values));
        for (const q of [0.99, 0, 0.5, 0.01, 1, 0.25, 0.75, 1 / 3]) {
          expect(ranked.quantile(q)).toBe(quantileSorted(sorted, q));
          expect(new RankedValues(Float64Array.from(values)).quantile(q)).toBe(quantileSorted(sorted, q));
        }
        expect(ranked.median()).toBe(medianSorted(sorted));
        expect(new RankedValues(Float64Array.from(values)).median()).toBe(medianSorted(sorted));
      }
    }
    // Many small arrays: the value next in rank may sit anywhere after a selection.
    for (let trial = 0; trial < 500; trial++) {
      const values = shapes[0]!(18 + (trial % 7));
      const sorted = Float64Array.from(values).sort();
      expect(new RankedValues(values).quantile(0.3)).toBe(quantileSorted(sorted, 0.3));
    }
  });

  it('averageRanks gives ties the mean of their ranks (scipy rankdata)', () => {
    expect(Array.from(averageRanks([10, 20, 10, 30, 20, 20]))).toEqual([1.5, 4, 1.5, 6, 4, 4]);
  });

  it('categories sort by code point, as Python sorts str', () => {
    expect(['🏙 city', '＃hash', 'b', 'B', 'Ölfeld'].sort(compareCodePoints)).toEqual(['B', 'b', 'Ölfeld', '＃hash', '🏙 city']);
  });
});

describe('imputation matches SimpleImputer', () => {
  for (const strategy of ['median', 'mean'] as const) {
    it(`${strategy}: statistics and output; text columns untouched`, () => {
      const imputer = fitImputer(censusTable(), { strategy });
      expectClose(imputer.statistics, census.impute[strategy].statistics, 1e-13, 'statistics');
      const out = imputer.transform(censusTable());
      expectTableMatches(out, census.impute[strategy].output);
      for (const name of census.numeric) {
        const field = out.schema.fields.find((f) => f.name === name)!;
        expect(String(field.type)).toBe('Float64');
        expect(field.nullable).toBe(false);
        expect(out.getChild(name)!.nullCount).toBe(0);
      }
      expect(out.schema.fields.map((f) => f.name)).toEqual(census.order);
      expect(out.getChild('region')!.toArray()).toEqual(censusTable().getChild('region')!.toArray());
    });

    it(`${strategy}: the same fit from sliced record batches, sync and async`, async () => {
      const fromBatches = fitImputer(censusBatches(), { strategy });
      const fromStream = await fitImputer(asyncBatches(censusBatches()), { strategy });
      expectClose(fromBatches.statistics, census.impute[strategy].statistics, 1e-13);
      expectClose(fromStream.statistics, census.impute[strategy].statistics, 1e-13);
      const outBatches: arrow.RecordBatch[] = [];
      for await (const batch of fromStream.transformBatches(asyncBatches(censusBatches()))) outBatches.push(batch);
      expectTableMatches(new arrow.Table(outBatches), census.impute[strategy].output);
    });
  }

  it('imputes only the chosen columns; the others pass through with their nulls', () => {
    const imputer = fitImputer(censusTable(), { strategy: 'median', columns: ['income'] });
    const out = imputer.transform(censusTable());
    expect(out.getChild('income')!.nullCount).toBe(0);
    expect(out.getChild('median_age')!.nullCount).toBe(3);
    expect(imputer.toJSON()).toMatchObject({ step: 'impute', strategy: 'median', columns: ['income'] });
  });
});

describe('winsorizing matches np.nanquantile + np.clip', () => {
  for (const c of census.winsorize) {
    it(`limits ${c.limits.join(', ')}`, () => {
      const w = fitWinsorizer(censusBatches(), { limits: c.limits });
      expectClose(w.lower, c.lower, 1e-14, 'lower');
      expectClose(w.upper, c.upper, 1e-14, 'upper');
      expectTableMatches(w.transform(censusTable()), c.output);
    });
  }
});

describe('scaling matches StandardScaler, MinMaxScaler and RobustScaler (missing values stay missing)', () => {
  const expected = census.scale;
  it('standard', () => {
    const scaler = fitScaler(censusTable(), { method: 'standard' });
    expectClose(scaler.center, expected.standard.center, 1e-13, 'mean');
    expectClose(scaler.scale, expected.standard.scale, 1e-13, 'scale');
    expect(scaler.scale[census.numeric.indexOf('constant')]).toBe(1);
    const out = scaler.transform(censusTable());
    expectTableMatches(out, expected.standard.output);
    expect(out.getChild('median_age')!.nullCount).toBe(3);
  });
  it('minmax', () => {
    const scaler = fitScaler(censusBatches(), { method: 'minmax' });
    expectClose(scaler.center, expected.minmax.min, 0, 'min');
    expectClose(
      Array.from(scaler.scale, (s, j) => (expected.minmax.max[j]! === expected.minmax.min[j]! ? s : scaler.center[j]! + s)),
      expected.minmax.max.map((m, j) => (m === expected.minmax.min[j] ? 1 : m)),
      1e-15,
      'max',
    );
    expectTableMatches(scaler.transform(censusTable()), expected.minmax.output);
  });
  it('robust', () => {
    const scaler = fitScaler(censusTable(), { method: 'robust' });
    expectClose(scaler.center, expected.robust.center, 1e-14, 'center');
    expectClose(scaler.scale, expected.robust.scale, 1e-14, 'scale');
    expectTableMatches(scaler.transform(censusTable()), expected.robust.output);
  });
  it('a fitted scaler applies to other tables (here: the first 10 rows)', () => {
    const scaler = fitScaler(censusTable(), { method: 'robust' });
    const rows = Array.from({ length: 10 }, (_, i) => i);
    const out = scaler.transform(censusTable(rows));
    const full = expected.robust.output.slice(0, 10 * p);
    expectTableMatches(out, full);
  });
  it('scaleMatrix and standardize scale a Matrix the same way (float32)', () => {
    const imputed = census.impute.median.output as number[];
    const x = Matrix.from(Float32Array.from(imputed), census.n, p);
    for (const method of ['standard', 'minmax', 'robust'] as ScaleMethod[]) {
      const table = fitScaler(
        new arrow.Table(Object.fromEntries(census.numeric.map((name, j) => [name, arrow.vectorFromArray(Array.from(x.toFloat32Array().filter((_, i) => i % p === j)), new arrow.Float64())]))),
        { method },
      );
      const scaled = scaleMatrix(x, method);
      expectClose(scaled.center, table.center, 1e-15, `${method} center`);
      expectClose(scaled.scale, table.scale, 1e-15, `${method} scale`);
    }
    const z = standardize(x).toFloat32Array();
    expect(z[census.numeric.indexOf('constant')]).toBe(0);
  });
});

describe('log1p and one-hot encoding', () => {
  it('log1p matches np.log1p', () => {
    const out = log1pColumns(census.log1p.columns).transform(censusTable());
    expectTableMatches(out, census.log1p.output, census.log1p.columns, 1e-15);
    expect(columnValues(out, 'population')).toEqual(columnValues(censusTable(), 'population'));
  });

  it('one-hot matches OneHotEncoder: sorted categories, null last, columns in place', () => {
    const encoder = fitOneHot(censusBatches(), { columns: ['region'] });
    expect(encoder.categories[0]).toEqual(census.one_hot.categories);
    const names = encoder.outputNames('region');
    expect(names.at(-1)).toBe('region=null');
    const out = encoder.transform(censusTable());
    const fields = out.schema.fields.map((f) => f.name);
    const at = census.order.indexOf('region');
    expect(fields.slice(at, at + names.length)).toEqual(names);
    expect(fields.length).toBe(census.order.length - 1 + names.length);
    names.forEach((name, k) => expectClose(columnValues(out, name), fixtureColumn(census.one_hot.output, k, names.length), 0, name));
    expect(String(out.schema.fields[at]!.type)).toBe('Float64');
  });

  it("nulls: 'zeros' gives an all-zero row, 'error' names the row", () => {
    const zeros = fitOneHot(censusTable(), { columns: ['region'], nulls: 'zeros' });
    expect(zeros.categories[0]).not.toContain(null);
    const out = zeros.transform(censusTable());
    const row6 = zeros.outputNames('region').map((name) => columnValues(out, name)[6]);
    expect(row6.every((v) => v === 0)).toBe(true);
    expectError(() => fitOneHot(censusTable(), { columns: ['region'], nulls: 'error' }), /column "region", row 7: missing value/);
  });

  it("unknown categories: an error by default, zeros with unknown: 'ignore'", () => {
    const rows = Array.from({ length: 10 }, (_, i) => i);
    const table = censusTable(rows);
    const strict = fitOneHot(table, { columns: ['tenure', 'region'] });
    const full = censusTable();
    expectError(() => strict.transform(full), /column "(tenure|region)", row \d+: category ".*" was not seen when fitting/);
    const lenient = fitOneHot(table, { columns: ['region'], unknown: 'ignore' });
    const out = lenient.transform(full);
    const sums = Array.from({ length: full.numRows }, (_, i) => lenient.outputNames('region').reduce((s, name) => s + columnValues(out, name)[i]!, 0));
    expect(sums.every((s) => s === 0 || s === 1)).toBe(true);
    expect(sums.some((s) => s === 0)).toBe(true);
  });

  it('dictionary-encoded text is encoded too', () => {
    const values = ['b', 'a', null, 'b'];
    const dictionary = arrow.vectorFromArray(values, new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()));
    const table = new arrow.Table({ cat: dictionary });
    const out = fitOneHot(table, { columns: ['cat'] }).transform(table);
    expect(out.schema.fields.map((f) => f.name)).toEqual(['cat=a', 'cat=b', 'cat=null']);
    expect(columnValues(out, 'cat=b')).toEqual([1, 0, 0, 1]);
  });
});

describe('the whole preparation (fixed order) matches the scikit-learn pipeline', () => {
  const options = census.pipeline.options as { impute: 'median'; log1p: string[]; winsorize: [number, number]; scale: 'standard'; oneHot: string[] };
  it('output columns and values', async () => {
    // Options in a different order than they run: the order is fixed.
    const prep = fitPrep(censusTable(), { oneHot: options.oneHot, scale: options.scale, winsorize: options.winsorize, log1p: options.log1p, impute: options.impute });
    expect(prep.steps.map((s) => s.toJSON().step)).toEqual(['impute', 'log1p', 'winsorize', 'scale', 'one-hot']);
    const out = prep.transform(censusTable());
    expect(out.schema.fields.map((f) => f.name)).toEqual(census.pipeline.columns);
    for (const name of census.pipeline.columns) {
      const expected = census.pipeline.output[name]!;
      if (typeof expected.find((v) => v !== null) === 'string') {
        expect(out.getChild(name)!.toArray()).toEqual(expected);
      } else {
        expectClose(columnValues(out, name), expected as Cell[], 1e-12, name);
      }
    }
    // Fitted from a stream of sliced batches: the same up to the rounding of merged sums.
    const again = await fitPrep(asyncBatches(censusBatches()), options);
    const streamed = again.transform(censusTable());
    for (const name of census.numeric) expectClose(columnValues(streamed, name), columnValues(out, name), 1e-13, name);
  });
});

describe('variance and correlation', () => {
  it('variance matches np.nanvar (ddof 0 and 1)', () => {
    const v0 = columnVariance(censusBatches());
    expect(v0.columns).toEqual(census.numeric);
    expectClose(v0.variance, census.variance.ddof0, 1e-13);
    expectClose(v0.count, census.variance.count, 0);
    expectClose(columnVariance(censusTable(), { ddof: 1 }).variance, census.variance.ddof1, 1e-13);
  });

  it('Pearson and Spearman match np.corrcoef and scipy.stats.spearmanr', () => {
    const imputed = fitImputer(censusTable(), { strategy: 'median' }).transform(censusTable());
    for (const method of ['pearson', 'spearman'] as const) {
      const result = columnCorrelation(imputed, { method, exclude: ['constant'] });
      expect(result.columns).toEqual(census.correlation.columns);
      expectClose(result.matrix, census.correlation[method], 1e-12, method);
      const withConstant = columnCorrelation(imputed, { method });
      expectClose(withConstant.matrix, census.correlation.with_constant[method], 1e-12, `${method} with a constant column`);
    }
  });

  it('a missing value is an error naming it', () => {
    expectError(() => columnCorrelation(censusTable()), /column "median_age", row 4: missing value; correlation needs complete columns/);
  });
});

describe('bad input names the column, row or option', () => {
  const withValue = (name: string, row: number, value: number) => {
    const columns = { ...census.columns, [name]: census.columns[name]!.map((v, i) => (i === row ? value : v)) };
    return new arrow.Table({ [name]: arrow.vectorFromArray(columns[name] as (number | null)[], new arrow.Float64()) });
  };
  it('infinity', () => {
    expectError(() => fitScaler(withValue('income', 9, Infinity)), /column "income", row 10: value is Infinity/);
  });
  it('log1p of a value ≤ −1', () => {
    expectError(() => log1pColumns(['income']).transform(withValue('income', 4, -3)), /column "income", row 5: value -3 is ≤ −1/);
  });
  it('a column with no values', () => {
    const empty = new arrow.Table({ a: arrow.vectorFromArray([null, null], new arrow.Float64()), b: arrow.vectorFromArray([1, 2], new arrow.Float64()) });
    expectError(() => fitImputer(empty, { strategy: 'median' }), /column "a" has no values/);
  });
  it('unknown, text and repeated columns; bad options', () => {
    expectError(() => fitScaler(censusTable(), { columns: ['incme'] }), /unknown column "incme"; the table has: area, population/);
    expectError(() => fitScaler(censusTable(), { columns: ['region'] }), /column "region" is not numeric/);
    expectError(() => fitOneHot(censusTable(), { columns: ['income'] }), /column "income" is not text/);
    expectError(() => fitWinsorizer(censusTable(), { limits: [0.9, 0.1] }), /option limits: expected \[lower, upper\] quantiles/);
    expectError(() => fitScaler(censusTable(), { method: 'zscore' as ScaleMethod }), /option method: expected one of standard, minmax, robust/);
    expectError(() => fitPrep(censusTable(), {}), /option prep: no step asked for/);
    expectError(() => fitPrep(censusTable(), { log1p: ['income', 'income'] }), /option log1p: column "income" is named twice/);
  });
});

describe('symmetric eigen-decomposition', () => {
  function check(a: Float64Array, n: number, count = n): void {
    const { values, vectors } = symmetricEigen(a, n, count);
    expect(values.length).toBe(n);
    expect(vectors.length).toBe(count * n);
    let scale = 1e-300;
    for (const v of a) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < n; i++) if (i > 0) expect(values[i]!).toBeLessThanOrEqual(values[i - 1]!);
    for (let i = 0; i < count; i++) {
      for (let r = 0; r < n; r++) {
        let av = 0;
        for (let c = 0; c < n; c++) av += a[r * n + c]! * vectors[i * n + c]!;
        expect(Math.abs(av - values[i]! * vectors[i * n + r]!)).toBeLessThan(1e-12 * scale * n);
      }
      for (let j = 0; j <= i; j++) {
        let dot = 0;
        for (let c = 0; c < n; c++) dot += vectors[i * n + c]! * vectors[j * n + c]!;
        expect(Math.abs(dot - (i === j ? 1 : 0))).toBeLessThan(1e-12 * n);
      }
    }
  }
  function random(n: number, seed: number): Float64Array {
    let s = seed;
    const next = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = next();
    return a;
  }
  it('random symmetric matrices of several sizes: A v = λ v, orthonormal vectors', () => {
    for (const n of [1, 2, 3, 7, 40, 97]) check(random(n, n), n);
  });
  it('a few leading eigenvectors (inverse iteration) agree with the full decomposition', () => {
    for (const n of [16, 40, 97]) {
      const a = random(n, n + 1);
      for (const count of [1, 3, Math.floor(n / 5)]) check(a, n, count);
      const full = symmetricEigen(a, n);
      const some = symmetricEigen(a, n, 3);
      expect(Array.from(some.values)).toEqual(Array.from(full.values));
      for (let i = 0; i < 3; i++) {
        let dot = 0;
        for (let c = 0; c < n; c++) dot += some.vectors[i * n + c]! * full.vectors[i * n + c]!;
        expect(Math.abs(Math.abs(dot) - 1)).toBeLessThan(1e-10);
      }
    }
  });
  it('clusters and repeated eigenvalues by inverse iteration stay orthonormal', () => {
    const n = 40;
    const diag = new Float64Array(n * n);
    for (let i = 0; i < n; i++) diag[i * n + i] = i < 5 ? 7 : i < 8 ? 7 - 1e-9 * i : (i % 3) - 1;
    check(diag, n, 8);
    // The same spectrum rotated by a Householder reflection (a dense matrix).
    const v = Float64Array.from({ length: n }, (_, i) => Math.sin(i + 1));
    const norm2 = v.reduce((s, x) => s + x * x, 0);
    const q = (i: number, j: number) => (i === j ? 1 : 0) - (2 * v[i]! * v[j]!) / norm2;
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) a[i * n + j]! += q(i, k) * diag[k * n + k]! * q(j, k);
    check(a, n, 8);
    check(new Float64Array(n * n), n, 4);
  });
  it('repeated, zero and widely spread eigenvalues', () => {
    const n = 6;
    const diag = new Float64Array(n * n);
    [3, 3, 3, 0, 0, -1].forEach((v, i) => (diag[i * n + i] = v));
    check(diag, n);
    check(new Float64Array(n * n), n);
    // Q diag(1e6 … 1e-6) Qᵀ from a Householder reflection.
    const v = Float64Array.from({ length: n }, (_, i) => i + 1);
    const norm = Math.hypot(...v);
    const q = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) q[i * n + j] = (i === j ? 1 : 0) - (2 * v[i]! * v[j]!) / norm ** 2;
    const lambda = [1e6, 1e4, 1e2, 1, 1e-2, 1e-6];
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) a[i * n + j]! += q[i * n + k]! * lambda[k]! * q[j * n + k]!;
    check(a, n);
    const { values } = symmetricEigen(a, n);
    lambda.forEach((l, i) => expect(Math.abs(values[i]! - l)).toBeLessThan(1e-9));
  });
});
