import { afterAll, describe, expect, it } from 'vitest';
import { ClusterkitError } from '../src/errors.js';
import { Matrix } from '../src/matrix.js';
import { dataset, loadFixture, type PcaCase, type PcaFixture } from './helpers/fixtures.js';
import { describeLanes, openLanes } from './helpers/lanes.js';

const fixture = loadFixture<PcaFixture>('prep/pca');
const lanes = await openLanes();
afterAll(() => lanes.forEach((lane) => lane.engine?.dispose()));

function dataOf(c: PcaCase): Matrix {
  return typeof c.data === 'string' ? dataset(c.data).x : Matrix.from(Float32Array.from(c.data), c.n, c.d);
}

/**
 * Tolerances. The scatter matrix is computed from float32 data with float32 products on the
 * backend (float64 sums of blocks), so eigenvalues carry an error of about 1e-7 of the largest
 * one, and an eigenvector one of about that divided by its relative eigengap. Components are
 * compared where the gap is at least GAP; wine's raw columns span 5 orders of magnitude, so its
 * trailing components (gaps down to 1e-7) are not determined to float32 precision at all.
 */
const GAP = 1e-3;
const VALUE_TOL = 2e-6; // × the largest eigenvalue
const VECTOR_TOL = 2e-4; // absolute, per loading, at gap ≥ GAP

function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]!));
  return m;
}

describeLanes('PCA matches scikit-learn PCA(svd_solver="full")', lanes, (engine) => {
  for (const c of fixture.cases) {
    // The largest case, digits (1797 × 64), takes about 8 s on SwiftShader's webgpu lane.
    it(`${c.name}: ${c.n} × ${c.d}, ${c.n_components ?? 'all'} components${c.whiten ? ', whitened' : ''}`, async () => {
      const x = dataOf(c);
      const k = c.components.length / c.d;
      const model = await engine.pca(x, { components: c.n_components ?? undefined, whiten: c.whiten, signFlip: 'scores' });
      expect([model.components.rows, model.components.cols]).toEqual([k, c.d]);
      const top = c.explained_variance[0]!;
      for (let i = 0; i < k; i++) {
        expect(Math.abs(model.explainedVariance[i]! - c.explained_variance[i]!) / top, `explained variance ${i}`).toBeLessThan(VALUE_TOL);
        expect(Math.abs(model.explainedVarianceRatio[i]! - c.explained_variance_ratio[i]!), `ratio ${i}`).toBeLessThan(VALUE_TOL);
        expect(Math.abs(model.singularValues[i]! ** 2 - c.singular_values[i]! ** 2) / c.singular_values[0]! ** 2, `singular value ${i}`).toBeLessThan(VALUE_TOL);
      }
      expect(Math.abs(model.noiseVariance - c.noise_variance) / top).toBeLessThan(VALUE_TOL);
      for (let j = 0; j < c.d; j++) expect(Math.abs(model.mean[j]! - c.mean[j]!)).toBeLessThan(1e-6 * Math.max(1, Math.abs(c.mean[j]!)));

      const compared = c.relative_gaps.map((gap, i) => (gap >= GAP ? i : -1)).filter((i) => i >= 0);
      expect(compared.length).toBeGreaterThan(0);
      const components = model.components.toFloat32Array();
      const rows = c.transform_rows;
      const scores = (await model.transform(rows === c.n ? x : x.selectRows(Array.from({ length: rows }, (_, i) => i)))).toFloat32Array();
      expect(scores.length).toBe(rows * k);
      for (const i of compared) {
        for (let j = 0; j < c.d; j++) {
          expect(Math.abs(components[i * c.d + j]! - c.components[i * c.d + j]!), `component ${i}, loading ${j}`).toBeLessThan(VECTOR_TOL);
        }
        const expected = Array.from({ length: rows }, (_, r) => c.transform[r * k + i]!);
        const scale = maxAbs(expected);
        for (let r = 0; r < rows; r++) {
          expect(Math.abs(scores[r * k + i]! - expected[r]!) / scale, `score of row ${r} on component ${i}`).toBeLessThan(VECTOR_TOL);
        }
      }

      // The current scikit-learn sign rule (largest |loading| positive) is the default.
      const current = await engine.pca(x, { components: c.n_components ?? undefined, whiten: c.whiten });
      const flipped = current.components.toFloat32Array();
      for (const i of compared) {
        for (let j = 0; j < c.d; j++) {
          expect(Math.abs(flipped[i * c.d + j]! - c.signs_components[i]! * c.components[i * c.d + j]!)).toBeLessThan(VECTOR_TOL);
        }
      }
    });
  }

  for (const name of ['wine', 'digits'] as const) {
    for (const method of ['pearson', 'spearman'] as const) {
      it(`${method} correlation of ${name} matches ${method === 'pearson' ? 'np.corrcoef' : 'scipy.stats.spearmanr'}`, async () => {
        const { x } = dataset(name);
        const result = await engine.correlation(x, { method });
        const expected = fixture.correlation[name][method];
        expect([result.rows, result.cols]).toEqual([x.cols, x.cols]);
        const values = result.toFloat32Array();
        for (let i = 0; i < expected.length; i++) {
          const e = expected[i];
          if (e === null) expect(values[i], `entry ${i} (a constant column)`).toBeNaN();
          else expect(Math.abs(values[i]! - e), `entry ${i}`).toBeLessThan(2e-6);
        }
      });
    }
  }

  it('many columns (the split scatter-matrix path, d ≥ 128): correlation and PCA match float64 on the host', async () => {
    const n = 300;
    const d = 150;
    let seed = 12345;
    const uniform = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
    const latent = Array.from({ length: n * 5 }, uniform);
    const loadings = Array.from({ length: 5 * d }, uniform);
    const data = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) {
        let v = 0.3 * uniform() + (j % 7);
        for (let f = 0; f < 5; f++) v += latent[i * 5 + f]! * loadings[f * d + j]!;
        data[i * d + j] = v;
      }
    }
    const x = Matrix.from(data, n, d);
    // Reference: float64 covariance and correlation of the same float32 values.
    const mean = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += data[i * d + j]! / n;
    const cov = new Float64Array(d * d);
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < d; a++) {
        const za = data[i * d + a]! - mean[a]!;
        for (let b = 0; b < d; b++) cov[a * d + b]! += (za * (data[i * d + b]! - mean[b]!)) / (n - 1);
      }
    }
    const corr = await engine.correlation(x);
    const values = corr.toFloat32Array();
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < d; b++) {
        const expected = cov[a * d + b]! / Math.sqrt(cov[a * d + a]! * cov[b * d + b]!);
        expect(Math.abs(values[a * d + b]! - expected), `(${a}, ${b})`).toBeLessThan(2e-6);
      }
    }
    const model = await engine.pca(x, { components: 3 });
    let trace = 0;
    for (let j = 0; j < d; j++) trace += cov[j * d + j]!;
    const { symmetricEigen } = await import('../src/prep/eigen.js');
    const reference = symmetricEigen(cov, d, 3);
    for (let c = 0; c < 3; c++) {
      expect(Math.abs(model.explainedVariance[c]! - reference.values[c]!) / reference.values[0]!).toBeLessThan(VALUE_TOL);
      expect(Math.abs(model.explainedVarianceRatio[c]! - reference.values[c]! / trace)).toBeLessThan(VALUE_TOL);
      let dot = 0;
      for (let j = 0; j < d; j++) dot += model.components.row(c)[j]! * reference.vectors[c * d + j]!;
      expect(Math.abs(Math.abs(dot) - 1)).toBeLessThan(1e-5);
    }
  });

  it('bad options and shapes name the problem', async () => {
    const { x } = dataset('wine');
    await expect(engine.pca(x, { components: 14 })).rejects.toThrow(/option components: must be between 1 and 13, got 14/);
    await expect(engine.pca(x, { signFlip: 'u' as 'scores' })).rejects.toThrow(/option signFlip: expected one of components, scores/);
    await expect(engine.pca(Matrix.from([1, 2, 3], 1, 3))).rejects.toThrow(/PCA needs at least 2 rows/);
    const model = await engine.pca(x, { components: 2 });
    await expect(model.transform(Matrix.from([1, 2, 3], 1, 3))).rejects.toThrow(ClusterkitError);
    await expect(model.transform(Matrix.from([1, 2, 3], 1, 3))).rejects.toThrow(/fitted on 13 columns; the data to transform has 3/);
    await expect(engine.correlation(x, { method: 'kendall' as 'pearson' })).rejects.toThrow(/option method: expected one of pearson, spearman/);
  });
});

describe('PCA transform names its columns', () => {
  it('pc_1 … pc_k', async () => {
    const lane = lanes.find((l) => l.engine);
    if (!lane?.engine) return;
    const model = await lane.engine.pca(dataset('iris').x, { components: 2 });
    expect((await model.transform(dataset('iris').x)).columnNames).toEqual(['pc_1', 'pc_2']);
  });
});
