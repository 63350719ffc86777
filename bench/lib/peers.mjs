/**
 * The JavaScript k-means libraries users would otherwise reach for, timed per iteration from
 * the same initial centroids as everyone else, so the gap to clusterkit is like for like.
 */
import { kmeans as mlKMeans } from 'ml-kmeans';
import skmeans from 'skmeans';
import { timePerIteration } from './timing.mjs';

/** Row arrays of plain numbers: the input both libraries document. */
function toRows(matrix) {
  return Array.from({ length: matrix.rows }, (_, i) => Array.from(matrix.row(i)));
}

const PEERS = {
  // tolerance −1: never "converged", so maxIterations is exactly the iterations run.
  'ml-kmeans': (rows, k, freshInit) => (maxIter) => {
    const fit = mlKMeans(rows, k, { initialization: freshInit(), maxIterations: maxIter, tolerance: -1 });
    return { iterations: fit.iterations, labels: Int32Array.from(fit.clusters) };
  },
  // skmeans stops early only when no centroid moves at all.
  skmeans: (rows, k, freshInit) => (maxIter) => {
    const fit = skmeans(rows, k, freshInit(), maxIter);
    return { iterations: fit.it, labels: Int32Array.from(fit.idxs) };
  },
};

export const PEER_NAMES = Object.keys(PEERS);

/** ms per iteration of each JS library on `x` from centroids `init`, with its last labels. */
export async function measurePeers(x, init, plan, log) {
  const rows = toRows(x);
  const results = {};
  for (const [name, make] of Object.entries(PEERS)) {
    log(`${name}: per iteration`);
    // Fresh centroid rows for every fit: skmeans overwrites the array it is given.
    const timing = await timePerIteration(make(rows, init.rows, () => toRows(init)), plan);
    const { result, ...rest } = timing;
    results[name] = { ...rest, labels: result.labels };
  }
  return results;
}
