import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { aggregateGroups, type AggregateResult } from '../src/algorithms/aggregate.js';
import { medianInPlace, selectInPlace } from '../src/algorithms/select.js';
import { profileClusters, type ProfileResult } from '../src/algorithms/profile.js';
import { aggregateGroups as aggregateFromIndex, ClusterkitError, Matrix, profileClusters as profileFromIndex } from '../src/index.js';
import { Rng } from '../src/rng.js';
import { type AreasFixture, expectNullableClose, loadFixture, maxScaledError, type ProfileFixture } from './helpers/fixtures.js';
import { asyncOf, batchOf, embeddingVector } from './io/helpers.js';

interface EdgeFixture extends ProfileFixture {
  n: number;
  d: number;
  data: number[];
  labels: number[];
}

const wineData = loadFixture<{ n: number; d: number; data: number[]; kmeans: { k: number; labels: number[] }[] }>('wine');
const wine = loadFixture<ProfileFixture>('profile/wine');
const edge = loadFixture<EdgeFixture>('profile/edge');
const areas = loadFixture<AreasFixture>('profile/areas');
const wineLabels = Int32Array.from(wineData.kmeans[1]!.labels);
const wineMatrix = Matrix.from(Float32Array.from(wineData.data), wineData.n, wineData.d, wine.variables);

/** A table of `columns` cut into batches of `size` rows (slices of one batch: offsets are exercised). */
function batched(columns: Record<string, arrow.Vector>, size: number): arrow.Table {
  const whole = new arrow.Table(columns);
  const batches: arrow.RecordBatch[] = [];
  for (let start = 0; start < whole.numRows; start += size) batches.push(...whole.slice(start, start + size).batches);
  return new arrow.Table(batches);
}

/** The wine table: one Float64 column per variable, plus a `cluster` Int32 column. */
function wineTable(batchRows: number): arrow.Table {
  const columns: Record<string, arrow.Vector> = {};
  wine.variables.forEach((name, j) => {
    columns[name] = arrow.vectorFromArray(
      Array.from({ length: wineData.n }, (_, i) => wineData.data[i * wineData.d + j]!),
      new arrow.Float64(),
    );
  });
  columns.cluster = arrow.vectorFromArray(Array.from(wineLabels), new arrow.Int32());
  return batched(columns, batchRows);
}

function flat<T>(rows: T[][]): T[] {
  return rows.flat();
}

function expectProfile(result: ProfileResult, fixture: ProfileFixture): void {
  expect(result.variables).toEqual(fixture.variables);
  expect(result.clusters).toEqual(fixture.clusters);
  expect(result.counts).toEqual(fixture.counts);
  expectNullableClose(flat(result.mean), fixture.mean);
  expectNullableClose(flat(result.median), fixture.median);
  expectNullableClose(flat(result.index), fixture.index);
  expectNullableClose(flat(result.z), fixture.z);
  expectNullableClose(result.overall.mean, fixture.overall.mean);
  expectNullableClose(result.overall.median, fixture.overall.median);
  expectNullableClose(result.overall.std, fixture.overall.std);
}

describe('profileClusters', () => {
  it('matches NumPy on wine clustered by k-means (Matrix + labels)', async () => {
    const result = await profileClusters(wineMatrix, wineLabels);
    expectProfile(result, wine);
    expect(result.rows).toBe(178);
    expect(result.notes).toEqual([]);
    // The plain objects say the same, by variable name.
    const first = result.profiles[0]!;
    expect(first.cluster).toBe(wine.clusters[0]);
    expect(first.count).toBe(wine.counts[0]);
    expect(first.index.proline).toBeCloseTo(wine.index[12]!, 9);
    expect(first.z.alcohol).toBeCloseTo(wine.z[0]!, 9);
    expect(first.median.hue).toBe(wine.median[10]);
  });

  it('builds the profile table: cluster, count, then mean / median / index / z blocks', async () => {
    const { table } = await profileClusters(wineMatrix, wineLabels);
    const d = wine.variables.length;
    expect(table.numRows).toBe(3);
    expect(table.schema.fields.map((f) => f.name)).toEqual([
      'cluster',
      'count',
      ...['mean', 'median', 'index', 'z'].flatMap((stat) => wine.variables.map((v) => `${v}_${stat}`)),
    ]);
    expect(String(table.schema.fields[0]!.type)).toBe('Int32');
    expect(String(table.schema.fields[1]!.type)).toBe('Int32');
    expect(table.schema.fields.slice(2).every((f) => String(f.type) === 'Float64')).toBe(true);
    expect([...table.getChild('cluster')!]).toEqual(wine.clusters);
    expect([...table.getChild('count')!]).toEqual(wine.counts);
    for (const [stat, expected] of [['mean', wine.mean], ['median', wine.median], ['index', wine.index], ['z', wine.z]] as const) {
      wine.variables.forEach((name, j) => {
        const column = [...table.getChild(`${name}_${stat}`)!] as number[];
        expect(maxScaledError(column, wine.clusters.map((_, c) => expected[c * d + j]!))).toBeLessThan(1e-10);
      });
    }
  });

  it('reads a table in several batches, labels by column name, in one streamed pass', async () => {
    const reference = await profileClusters(wineMatrix, wineLabels);
    for (const batchRows of [178, 50, 7, 1]) {
      const table = wineTable(batchRows);
      expect(table.batches.length).toBe(Math.ceil(178 / batchRows));
      const fromTable = await profileClusters(table, 'cluster');
      expectProfile(fromTable, wine);
      // A one-shot async stream of the same batches.
      const fromStream = await profileClusters(asyncOf(table.batches), 'cluster');
      expect(fromStream.profiles).toEqual(reference.profiles);
      expect(fromStream.table.schema.fields.map(String)).toEqual(reference.table.schema.fields.map(String));
    }
    // Labels given as an array with a table; --columns and --exclude choose the variables.
    const picked = await profileClusters(wineTable(60), wineLabels, { columns: ['proline', 'alcohol'] });
    expect(picked.variables).toEqual(['proline', 'alcohol']);
    expect(picked.mean.map((row) => row[1])).toEqual(reference.mean.map((row) => row[0]));
    const excluded = await profileClusters(wineTable(60), 'cluster', { exclude: ['proline'] });
    expect(excluded.variables).toEqual(wine.variables.slice(0, 12));
  });

  it('edge cases: one-row clusters, negative labels, overall mean 0 or negative, a constant', async () => {
    const columns: Record<string, arrow.Vector> = {};
    edge.variables.forEach((name, j) => {
      columns[name] = arrow.vectorFromArray(Array.from({ length: edge.n }, (_, i) => edge.data[i * edge.d + j]!), new arrow.Float32());
    });
    columns.segment = arrow.vectorFromArray(edge.labels, new arrow.Int16());
    const result = await profileClusters(batched(columns, 4), 'segment');
    expectProfile(result, edge);
    expect(result.clusters).toEqual([-1, 2, 5, 7]);
    expect(result.counts).toEqual([1, 3, 4, 1]);
    // A cluster of one row: its mean and median are that row.
    const single = result.profiles[0]!;
    expect(single.mean).toEqual({ pos: 2, zero_mean: 3, negative: -2, constant: 5 });
    expect(single.median).toEqual(single.mean);
    // Overall mean 0 and negative: no index; constant: index 100, no z.
    for (const profile of result.profiles) {
      expect(profile.index.zero_mean).toBeNull();
      expect(profile.index.negative).toBeNull();
      expect(profile.index.constant).toBe(100);
      expect(profile.z.constant).toBeNull();
      expect(profile.z.zero_mean).not.toBeNull();
    }
    expect(result.notes).toEqual([
      'index scores are null for "zero_mean", "negative": the overall mean is zero or negative (index scores need a positive mean; see the z profile)',
      'z-scores are null for "constant": the variable is constant (standard deviation 0)',
    ]);
    // The table keeps the nulls.
    expect(result.table.schema.fields.find((f) => f.name === 'zero_mean_index')!.nullable).toBe(true);
    expect([...result.table.getChild('zero_mean_index')!]).toEqual([null, null, null, null]);
    expect([...result.table.getChild('constant_z')!]).toEqual([null, null, null, null]);
    expect([...result.table.getChild('pos_index')!].every((v) => typeof v === 'number')).toBe(true);
  });

  it('treats a mean that is zero to float32 precision (centred data) as zero', async () => {
    // A positive mean of 2^-22 against a std of about 1: centred data, not a positive variable.
    const x = Matrix.fromRows([[1], [-1], [1], [-1 + 2 ** -20]], ['centred']);
    expect((await profileClusters(x, [0, 0, 0, 0])).overall.mean[0]).toBe(2 ** -22);
    const exact = Matrix.fromRows([[2], [0], [2], [0]], ['positive']);
    const labels = [0, 0, 1, 1];
    expect((await profileClusters(x, labels)).index).toEqual([[null], [null]]);
    expect((await profileClusters(exact, labels)).index).toEqual([[100], [100]]);
  });

  it('is exported from the package index', async () => {
    expect((await profileFromIndex(wineMatrix, wineLabels)).counts).toEqual(wine.counts);
  });

  it('rejects bad labels and options with messages naming them', async () => {
    const error = (promise: Promise<unknown>) => expect(promise).rejects.toThrow(ClusterkitError);
    await error(profileClusters(wineMatrix, [0, 1]));
    await expect(profileClusters(wineMatrix, [0, 1])).rejects.toThrow('2 labels for 178 rows');
    await expect(profileClusters(wineMatrix, 'cluster')).rejects.toThrow('option labels: give one label per row when the data is a Matrix');
    const fractional = Float64Array.from(wineLabels, (v, i) => (i === 5 ? 0.5 : v));
    await expect(profileClusters(wineMatrix, fractional)).rejects.toThrow('labels[5] 0.5 is not an integer');
    await expect(profileClusters(wineTable(50), 'alcohol')).rejects.toThrow('column "alcohol", row 1: label 14.229999542236328 is not an integer');
    const float32 = new arrow.Table({ x: arrow.vectorFromArray([1, 2], new arrow.Float64()), c: arrow.vectorFromArray([1, 0.1], new arrow.Float32()) });
    await expect(profileClusters(float32, 'c')).rejects.toThrow('column "c", row 2: label 0.1 is not an integer');
    await expect(profileClusters(wineTable(50), 'clusters')).rejects.toThrow(/unknown column "clusters" \(option labels\); the table has: alcohol, /);
    await expect(profileClusters(wineTable(50), 'cluster', { columns: ['cluster', 'alcohol'] })).rejects.toThrow(
      'option columns: the labels column "cluster" cannot also be a variable',
    );
    const text = new arrow.Table({ x: arrow.vectorFromArray([1, 2], new arrow.Float64()), c: arrow.vectorFromArray(['a', 'b'], new arrow.Utf8()) });
    await expect(profileClusters(text, 'c')).rejects.toThrow('column "c" (Utf8) cannot be the label column: it must hold integers');
    const withNull = new arrow.Table({ x: arrow.vectorFromArray([1, 2, 3], new arrow.Float64()), c: arrow.vectorFromArray([0, null, 1], new arrow.Int32()) });
    await expect(profileClusters(withNull, 'c')).rejects.toThrow('column "c", row 2: missing label');
    const nan = new arrow.Table({ x: arrow.vectorFromArray([1, NaN, 3], new arrow.Float64()), c: arrow.vectorFromArray([0, 1, 1], new arrow.Int32()) });
    await expect(profileClusters(nan, 'c')).rejects.toThrow('column "x", row 2: value is NaN');
    await expect(profileClusters(asyncOf([]), [1])).rejects.toThrow('the table has no rows');
  });
});

// ---------------------------------------------------------------------------------------------

function areasTable(batchRows: number, options: { embeddingColumns?: boolean; withLabel?: boolean } = {}): arrow.Table {
  const { n, dim } = areas;
  const columns: Record<string, arrow.Vector> = {
    area: arrow.vectorFromArray(areas.area, new arrow.Utf8()),
    area_id: arrow.vectorFromArray(areas.area_id, new arrow.Int32()),
  };
  const embedding = Float32Array.from(areas.embedding);
  if (options.embeddingColumns) {
    for (let j = 0; j < dim; j++) columns[`e${j}`] = arrow.vectorFromArray(Array.from({ length: n }, (_, i) => embedding[i * dim + j]!), new arrow.Float32());
  } else {
    columns.embedding = embeddingVector(embedding, dim);
  }
  if (options.withLabel !== false) columns.label = arrow.vectorFromArray(areas.label, new arrow.Int32());
  columns.kind = arrow.vectorFromArray(areas.kind, new arrow.Utf8());
  return batched(columns, batchRows);
}

function expectAreas(result: AggregateResult): void {
  const g = areas.groups;
  expect(result.rows).toBe(areas.n);
  expect(Array.from(result.counts)).toEqual(g.counts);
  expect(maxScaledError(result.mean!, g.mean)).toBeLessThan(1e-12);
  expect(Array.from(result.median!)).toEqual(g.median); // exact: middle values of float32 data
  expect(Array.from(result.max!)).toEqual(g.max);
}

describe('aggregateGroups', () => {
  it('matches NumPy per area: count, mean / median / max embedding, label shares (multi-batch)', async () => {
    for (const batchRows of [257, 64, 10]) {
      const table = areasTable(batchRows);
      const result = await aggregateGroups(table, { by: 'area', embedding: 'embedding', category: 'label' });
      expect(result.keys).toEqual(areas.groups.keys);
      expect(result.stats).toEqual(['mean', 'median', 'max']);
      expect(result.variables).toEqual(Array.from({ length: 8 }, (_, k) => `embedding[${k}]`));
      expectAreas(result);
      expect(result.categories).toEqual(areas.label_categories);
      expect(maxScaledError(result.shares!, areas.label_shares)).toBeLessThan(1e-15);
      // The plain objects are views of the same numbers.
      const single = result.groups[1]!;
      expect(single).toMatchObject({ key: 'area_01', count: 1 });
      expect(Array.from(single.median!)).toEqual(Array.from(single.max!));
      expect(Object.keys(result.groups[0]!.shares!)).toEqual(['0', '1', '2', '4', '5']);
    }
  });

  it('streams a one-shot async iterable of batches and gives the same result', async () => {
    const reference = await aggregateGroups(areasTable(257), { by: 'area', embedding: 'embedding', category: 'kind' });
    const streamed = await aggregateGroups(asyncOf(areasTable(16).batches), { by: 'area', embedding: 'embedding', category: 'kind' });
    expect(streamed.keys).toEqual(reference.keys);
    expect(streamed.mean).toEqual(reference.mean);
    expect(streamed.median).toEqual(reference.median);
    expect(streamed.categories).toEqual(areas.kind_categories);
    expect(maxScaledError(streamed.shares!, areas.kind_shares)).toBeLessThan(1e-15);
  });

  it('writes FixedSizeList<Float32> stat columns and share_<category> columns', async () => {
    const { table } = await aggregateGroups(areasTable(50), { by: 'area', embedding: 'embedding', category: 'label', stats: ['max', 'mean'] });
    expect(table.schema.fields.map(String)).toEqual([
      'area: Utf8',
      'count: Int32',
      'embedding_mean: FixedSizeList[8]<Float32>',
      'embedding_max: FixedSizeList[8]<Float32>',
      'share_0: Float64',
      'share_1: Float64',
      'share_2: Float64',
      'share_4: Float64',
      'share_5: Float64',
    ]);
    expect(table.numRows).toBe(10);
    const means = table.getChild('embedding_mean')!.data[0]!.children[0]!.values as Float32Array;
    expect(maxScaledError(means, areas.groups.mean)).toBeLessThan(1e-6);
    expect([...table.getChild('share_4')!]).toEqual(areas.groups.keys.map((_, i) => areas.label_shares[i * 5 + 3]));
  });

  it('groups by an integer key, numeric columns instead of an embedding, listed categories', async () => {
    const result = await aggregateGroups(areasTable(40, { embeddingColumns: true }), {
      by: 'area_id',
      columns: Array.from({ length: 8 }, (_, j) => `e${j}`),
      category: 'label',
      categories: [0, 1, 2, 3, 4, 5],
    });
    expect(result.keys).toEqual(areas.groups.ids);
    expectAreas(result);
    expect(result.categories).toEqual([0, 1, 2, 3, 4, 5]);
    expect(maxScaledError(result.shares!, areas.all_label_shares)).toBeLessThan(1e-15);
    const names = result.table.schema.fields.map((f) => f.name);
    expect(names.slice(0, 4)).toEqual(['area_id', 'count', 'e0_mean', 'e1_mean']);
    expect(names).toContain('e7_median');
    expect(names).toContain('share_3');
    expect(String(result.table.schema.fields[0]!.type)).toBe('Int32');
    expect(String(result.table.schema.fields[2]!.type)).toBe('Float64');
    expect([...result.table.getChild('share_3')!]).toEqual(new Array(10).fill(0));
    expect([...result.table.getChild('e3_max')!]).toEqual(areas.groups.ids.map((_, i) => areas.groups.max[i * 8 + 3]));
  });

  it('takes the categories as one value per row (e.g. labels from engine.similarity)', async () => {
    const result = await aggregateFromIndex(areasTable(100, { withLabel: false }), {
      by: 'area',
      category: Int32Array.from(areas.label),
      stats: undefined,
    });
    expect(result.stats).toEqual([]);
    expect(result.mean).toBeUndefined();
    expect(maxScaledError(result.shares!, areas.label_shares)).toBeLessThan(1e-15);
    expect(result.table.schema.fields.map((f) => f.name)).toEqual(['area', 'count', 'share_0', 'share_1', 'share_2', 'share_4', 'share_5']);
    await expect(aggregateGroups(areasTable(100), { by: 'area', category: areas.label.slice(1) })).rejects.toThrow(
      'option category: 256 values given for a table of more rows (one per row expected)',
    );
    const fractional = Float64Array.from(areas.label, (v, i) => (i === 7 ? 1.5 : v));
    await expect(aggregateGroups(areasTable(100), { by: 'area', category: fractional })).rejects.toThrow(
      'option category: the value for row 8: category 1.5 is not an integer',
    );
    await expect(aggregateGroups(areasTable(300), { by: 'area', category: [...areas.label, 1] })).rejects.toThrow(
      'option category: 258 values given for a table of 257 rows',
    );
  });

  it('reads dictionary-encoded text keys and 64-bit integer keys', async () => {
    const dictionary = arrow.vectorFromArray(['b', 'a', 'b', 'c', 'a', 'b'], new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()));
    const ids = arrow.makeVector(BigInt64Array.from([7n, 3n, 7n, 9n, 3n, 7n]));
    const x = arrow.vectorFromArray([1, 2, 3, 4, 5, 6], new arrow.Float64());
    const table = new arrow.Table({ key: dictionary, id: ids, x });
    const byText = await aggregateGroups(table, { by: 'key', columns: ['x'] });
    expect(byText.keys).toEqual(['a', 'b', 'c']);
    expect(Array.from(byText.mean!)).toEqual([3.5, 10 / 3, 4]);
    expect(Array.from(byText.median!)).toEqual([3.5, 3, 4]);
    expect(String(byText.table.schema.fields[0]!.type)).toBe('Utf8');
    const byId = await aggregateGroups(table, { by: 'id', columns: ['x'], stats: ['max'] });
    expect(byId.keys).toEqual([3, 7, 9]);
    expect(Array.from(byId.max!)).toEqual([5, 6, 4]);
    expect(String(byId.table.schema.fields[0]!.type)).toBe('Int64');
    expect([...byId.table.getChild('id')!]).toEqual([3n, 7n, 9n]);
  });

  it('rejects bad keys, categories, values and options with messages naming column and row', async () => {
    const table = areasTable(100);
    await expect(aggregateGroups(table, { by: 'district' })).rejects.toThrow(
      'unknown column "district" (option by); the table has: area, area_id, embedding, label, kind',
    );
    await expect(aggregateGroups(table, { by: 'embedding' })).rejects.toThrow(
      'column "embedding" (FixedSizeList[8]<Float32>) cannot be the key column: it must hold text or integers',
    );
    const missing = batchOf({
      area: arrow.vectorFromArray(['a', 'b', null, 'a'], new arrow.Utf8()),
      x: arrow.vectorFromArray([1, 2, 3, 4], new arrow.Float64()),
    });
    await expect(aggregateGroups([missing], { by: 'area' })).rejects.toThrow('column "area", row 3: missing key');
    const fractional = new arrow.Table({ k: arrow.vectorFromArray([1, 2.5], new arrow.Float64()) });
    await expect(aggregateGroups(fractional, { by: 'k' })).rejects.toThrow('column "k", row 2: key 2.5 is not an integer');
    // A later batch's row numbers continue the table's.
    const later = batched({ k: arrow.vectorFromArray([1, 2, 3, 4, 5], new arrow.Int32()), c: arrow.vectorFromArray(['x', 'y', 'z', null, 'x'], new arrow.Utf8()) }, 2);
    await expect(aggregateGroups(later, { by: 'k', category: 'c' })).rejects.toThrow('column "c", row 4: missing category');
    const unlisted = batched({ k: arrow.vectorFromArray([1, 2, 3, 4], new arrow.Int32()), c: arrow.vectorFromArray(['x', 'y', 'z', 'x'], new arrow.Utf8()) }, 2);
    await expect(aggregateGroups(unlisted, { by: 'k', category: 'c', categories: ['x', 'y'] })).rejects.toThrow(
      'column "c", row 3: category "z" is not one of the categories listed (x, y)',
    );
    const nan = new arrow.Table({ k: arrow.vectorFromArray([1, 1], new arrow.Int32()), x: arrow.vectorFromArray([1, NaN], new arrow.Float64()) });
    await expect(aggregateGroups(nan, { by: 'k', columns: ['x'] })).rejects.toThrow('column "x", row 2: value is NaN');
    await expect(aggregateGroups(table, { by: 'area', stats: ['mean'] })).rejects.toThrow('option stats: needs an embedding or columns to aggregate');
    await expect(aggregateGroups(table, { by: 'area', embedding: 'embedding', stats: ['min' as 'max'] })).rejects.toThrow(
      'option stats: expected some of mean, median, max, got "min"',
    );
    await expect(aggregateGroups(table, { by: 'area', embedding: 'area' })).rejects.toThrow('column "area" is not an embedding (Utf8)');
    await expect(aggregateGroups(table, { by: 'area', categories: [1] })).rejects.toThrow('option categories: needs a category column');
    const clash = new arrow.Table({ count: arrow.vectorFromArray([1, 2], new arrow.Int32()) });
    await expect(aggregateGroups(clash, { by: 'count' })).rejects.toThrow('the output would have two columns named "count"');
  });
});

describe('medianInPlace (quickselect)', () => {
  it('equals the sorted middle on random, sorted, reversed, constant and organ-pipe arrays', () => {
    const rng = new Rng(5);
    const reference = (values: Float64Array): number => {
      const sorted = Float64Array.from(values).sort();
      const n = sorted.length;
      return n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
    };
    const shapes: ((n: number) => Float64Array)[] = [
      (n) => Float64Array.from({ length: n }, () => rng.nextFloat()),
      (n) => Float64Array.from({ length: n }, () => Math.floor(rng.nextFloat() * 4)), // many ties
      (n) => Float64Array.from({ length: n }, (_, i) => i),
      (n) => Float64Array.from({ length: n }, (_, i) => n - i),
      (n) => new Float64Array(n).fill(3),
      (n) => Float64Array.from({ length: n }, (_, i) => Math.min(i, n - 1 - i)),
    ];
    for (const shape of shapes) {
      for (const n of [1, 2, 3, 4, 5, 10, 16, 17, 31, 33, 101, 1000, 4096]) {
        const values = shape(n);
        const expected = reference(values);
        expect(medianInPlace(Float64Array.from(values), n)).toBe(expected);
        expect(medianInPlace(Float32Array.from(values), n)).toBe(reference(Float64Array.from(Float32Array.from(values))));
        // A range inside a larger array: the values around it are left alone.
        const padded = new Float64Array(n + 6).fill(-1e9);
        padded.set(values, 3);
        padded.fill(1e9, n + 3);
        expect(medianInPlace(padded, n, 3)).toBe(expected);
        expect([...padded.subarray(0, 3), ...padded.subarray(n + 3)]).toEqual([-1e9, -1e9, -1e9, 1e9, 1e9, 1e9]);
        expect([...padded.subarray(3, n + 3)].sort((a, b) => a - b)).toEqual([...values].sort((a, b) => a - b));
      }
    }
    expect(medianInPlace(new Float32Array(0), 0)).toBeNaN();
  });

  it('selectInPlace puts any rank in place, nothing larger before it and nothing smaller after', () => {
    const rng = new Rng(8);
    for (const distinct of [1e9, 5]) {
      for (const n of [17, 100, 1000]) {
        const values = Float64Array.from({ length: n }, () => Math.floor(rng.nextFloat() * distinct));
        const sorted = Float64Array.from(values).sort();
        for (const k of [0, 1, n >> 2, n >> 1, n - 2, n - 1]) {
          const a = Float64Array.from(values);
          selectInPlace(a, 0, n - 1, k);
          expect(a[k]).toBe(sorted[k]);
          expect(Math.max(...a.subarray(0, k))).toBeLessThanOrEqual(a[k]!);
          expect(Math.min(...a.subarray(k + 1))).toBeGreaterThanOrEqual(a[k]!);
        }
      }
    }
  });
});
