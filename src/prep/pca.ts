import { rowBlocks } from '../algorithms/blocks.js';
import { requireChoice, requireInteger } from '../algorithms/validate.js';
import type { Backend } from '../backends/backend.js';
import { inputError, optionError } from '../errors.js';
import { Matrix, MatrixBuilder, type MatrixChunk } from '../matrix.js';
import { symmetricEigen } from './eigen.js';
import { columnMeans } from './column-sums.js';
import { gram } from './gram.js';

/**
 * How the sign of each component is fixed (an eigenvector's sign is arbitrary):
 * - 'components': the largest-magnitude loading of each component is positive — scikit-learn
 *   ≥ 1.5 (`svd_flip(u_based_decision=False)`); needs no pass over the data.
 * - 'scores': the largest-magnitude score of each component over the fitted rows is positive
 *   — scikit-learn ≤ 1.4 (`svd_flip(U, Vt)`, u-based), e.g. Debian's 1.2.
 * A tie in magnitude goes to the first index, as NumPy's argmax.
 */
export type PcaSignFlip = 'components' | 'scores';

export const PCA_SIGN_FLIPS: readonly PcaSignFlip[] = ['components', 'scores'];

export interface PcaOptions {
  /** Components kept, 1 … min(rows, columns); default all of them (scikit-learn's default). */
  components?: number;
  /** Scale the transformed values to unit variance (divide by √explainedVariance). */
  whiten?: boolean;
  /** Default 'components' (current scikit-learn). */
  signFlip?: PcaSignFlip;
}

/** A fitted PCA, as scikit-learn's PCA(svd_solver='full') attributes. */
export interface PcaModel {
  /** k × d: the principal axes, one per row, by decreasing explained variance (components_). */
  components: Matrix;
  /** Variance along each component, ddof 1 (explained_variance_). */
  explainedVariance: Float64Array;
  /** Share of the total variance along each component (explained_variance_ratio_). */
  explainedVarianceRatio: Float64Array;
  /** √(eigenvalue of Xcᵀ Xc): the singular values of the centred data (singular_values_). */
  singularValues: Float64Array;
  /** Column means subtracted before projecting (mean_). */
  mean: Float64Array;
  /** Mean variance of the components left out; 0 when all are kept (noise_variance_). */
  noiseVariance: number;
  /** Rows the model was fitted on. */
  nSamples: number;
  whiten: boolean;
}

/**
 * Principal component analysis of the rows of `x`. The d × d scatter matrix Xcᵀ Xc is computed
 * on the backend (see `gram`), its eigen-decomposition on the host in float64; explained
 * variances are eigenvalues / (n − 1) as for scikit-learn's SVD-based PCA.
 */
export async function fitPca(backend: Backend, x: Matrix, options: PcaOptions = {}): Promise<PcaModel> {
  if (options === null || typeof options !== 'object') throw optionError('components', 'PCA options must be an object');
  const n = x.rows;
  const d = x.cols;
  if (n < 2) throw inputError(`PCA needs at least 2 rows, got ${n}`);
  const maxComponents = Math.min(n, d);
  const k = options.components === undefined ? maxComponents : requireInteger('components', options.components, 1, maxComponents);
  const signFlip = requireChoice('signFlip', options.signFlip ?? 'components', PCA_SIGN_FLIPS);
  const whiten = Boolean(options.whiten);
  x.assertFinite();

  const mean = columnMeans(x);
  const g = await gram(backend, x, mean);
  let trace = 0;
  for (let j = 0; j < d; j++) trace += g[j * d + j]!;
  const { values, vectors } = symmetricEigen(g, d, k);

  const explainedVariance = new Float64Array(maxComponents);
  const singularValues = new Float64Array(maxComponents);
  for (let i = 0; i < maxComponents; i++) {
    const value = Math.max(0, values[i]!);
    explainedVariance[i] = value / (n - 1);
    singularValues[i] = Math.sqrt(value);
  }
  const totalVariance = trace / (n - 1);
  const ratio = Float64Array.from(explainedVariance, (v) => (totalVariance > 0 ? v / totalVariance : 0));
  let noiseVariance = 0;
  if (k < maxComponents) {
    for (let i = k; i < maxComponents; i++) noiseVariance += explainedVariance[i]!;
    noiseVariance /= maxComponents - k;
  }

  const axes = vectors.slice(0, k * d);
  const flips = signFlip === 'components' ? loadingSigns(axes, k, d) : await scoreSigns(backend, x, mean, axes, k);
  for (let c = 0; c < k; c++) {
    if (flips[c]! < 0) for (let j = 0; j < d; j++) axes[c * d + j] = -axes[c * d + j]!;
  }
  return {
    components: Matrix.from(axes, k, d, x.columnNames),
    explainedVariance: explainedVariance.slice(0, k),
    explainedVarianceRatio: ratio.slice(0, k),
    singularValues: singularValues.slice(0, k),
    mean,
    noiseVariance,
    nSamples: n,
    whiten,
  };
}

/**
 * Projects the rows of `y` on the model's components: (y − mean) · componentsᵀ, divided by
 * √explainedVariance when the model whitens (a component of zero variance is left unscaled).
 * The products run on the backend as dot-product tiles. Columns are named pc_1 … pc_k.
 */
export async function pcaTransform(backend: Backend, model: PcaModel, y: Matrix): Promise<Matrix> {
  const d = model.components.cols;
  if (y.cols !== d) throw inputError(`PCA was fitted on ${d} columns; the data to transform has ${y.cols}`);
  y.assertFinite();
  const k = model.components.rows;
  const names = Array.from({ length: k }, (_, c) => `pc_${c + 1}`);
  const scores = await project(backend, y, model.mean, model.components);
  if (model.whiten) {
    const factor = Float64Array.from(model.explainedVariance, (v) => (v > 0 ? 1 / Math.sqrt(v) : 1));
    for (const chunk of scores.chunks) {
      for (let i = 0; i < chunk.data.length; i++) chunk.data[i] = chunk.data[i]! * factor[i % k]!;
    }
  }
  return new Matrix(scores.rows, k, scores.chunks, names);
}

/** (y − mean) · axesᵀ on the backend: the centred rows are uploaded, then dot tiles per block. */
async function project(backend: Backend, y: Matrix, mean: Float64Array, axes: Matrix | Float64Array): Promise<Matrix> {
  const d = y.cols;
  const centred = new MatrixBuilder(d);
  for (const chunk of y.chunks) {
    const out = centred.reserveRows(chunk.rows);
    for (let i = 0; i < chunk.data.length; i++) out[i] = chunk.data[i]! - mean[i % d]!;
  }
  const axesMatrix = axes instanceof Matrix ? axes : Matrix.from(axes, axes.length / d, d);
  const ry = await backend.upload(centred.build({ finite: true }));
  try {
    const ra = await backend.upload(axesMatrix);
    try {
      const chunks: MatrixChunk[] = [];
      for (const [start, end] of rowBlocks(ry.rows, ra.rows)) {
        chunks.push({ rowStart: start, rows: end - start, data: await backend.distances(ry, ra, 'dot', start, end) });
      }
      return new Matrix(y.rows, axesMatrix.rows, chunks, undefined, true);
    } finally {
      ra.dispose();
    }
  } finally {
    ry.dispose();
  }
}

/** +1 / −1 per component so that its largest-magnitude loading is positive. */
function loadingSigns(axes: Float64Array, k: number, d: number): Int8Array {
  const signs = new Int8Array(k);
  for (let c = 0; c < k; c++) {
    let best = 0;
    for (let j = 1; j < d; j++) if (Math.abs(axes[c * d + j]!) > Math.abs(axes[c * d + best]!)) best = j;
    signs[c] = axes[c * d + best]! < 0 ? -1 : 1;
  }
  return signs;
}

/** +1 / −1 per component so that its largest-magnitude score over the rows of x is positive. */
async function scoreSigns(backend: Backend, x: Matrix, mean: Float64Array, axes: Float64Array, k: number): Promise<Int8Array> {
  const scores = await project(backend, x, mean, axes);
  const best = new Float64Array(k); // |score| so far
  const signs = new Int8Array(k).fill(1);
  for (const chunk of scores.chunks) {
    const { data } = chunk;
    for (let i = 0; i < data.length; i++) {
      const c = i % k;
      const magnitude = Math.abs(data[i]!);
      if (magnitude > best[c]!) {
        best[c] = magnitude;
        signs[c] = data[i]! < 0 ? -1 : 1;
      }
    }
  }
  return signs;
}
