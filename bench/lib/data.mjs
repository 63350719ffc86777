/**
 * Deterministic benchmark data: seeded Gaussian blobs in float32.
 *
 * Generated in Node (with the library's own seeded RNG, so a seed means the same data on every
 * machine) and handed to Python as .npy, so both sides cluster identical float32 values.
 */
import { Rng } from '../../dist/index.js';

/**
 * Expected distance between two blob centres, in units of the blobs' standard deviation.
 * Overlapping blobs on purpose: well-separated blobs converge in 2–3 Lloyd iterations, which
 * leaves nothing to time per iteration; at this separation Lloyd from k-means++ takes tens of
 * iterations, closer to real embeddings and census tables.
 */
export const DEFAULT_SEPARATION = 6;

/** Standard normal pairs by the Box–Muller transform over the seeded uniform stream. */
function normalSource(rng) {
  let spare;
  return () => {
    if (spare !== undefined) {
      const value = spare;
      spare = undefined;
      return value;
    }
    const u = 1 - rng.nextFloat(); // (0, 1]: keeps log finite
    const angle = 2 * Math.PI * rng.nextFloat();
    const radius = Math.sqrt(-2 * Math.log(u));
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
}

/**
 * `n` rows of `d` features from `blobs` isotropic unit-variance Gaussians of equal weight, the
 * centres drawn from N(0, separation² / (2d)) per coordinate so that two centres lie about
 * `separation` apart whatever `d` is. Returns row-major float32.
 */
export function gaussianBlobs({ n, d, blobs, seed, separation = DEFAULT_SEPARATION }) {
  const rng = new Rng(seed);
  const normal = normalSource(rng);
  const spread = separation / Math.sqrt(2 * d);
  const centres = Float64Array.from({ length: blobs * d }, () => spread * normal());
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const base = rng.nextInt(blobs) * d;
    for (let j = 0; j < d; j++) x[i * d + j] = centres[base + j] + normal();
  }
  return x;
}
