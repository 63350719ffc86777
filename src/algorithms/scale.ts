import type { Matrix } from '../matrix.js';
import { scaleMatrix } from '../prep/matrix-scale.js';

/**
 * Z-scores every column (population standard deviation, as scikit-learn's StandardScaler);
 * a constant column is centred and left unscaled. The same scaling as the table step
 * `fitScaler(…, { method: 'standard' })` (src/prep).
 */
export function standardize(x: Matrix): Matrix {
  return scaleMatrix(x, 'standard').matrix;
}
