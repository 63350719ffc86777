/** Agreement between two clusterings. */

/** Maps arbitrary integer labels to 0..m−1; returns the dense labels and m. */
function densify(labels) {
  const ids = new Map();
  const dense = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    let id = ids.get(labels[i]);
    if (id === undefined) ids.set(labels[i], (id = ids.size));
    dense[i] = id;
  }
  return { dense, count: ids.size };
}

const pairs = (m) => (m * (m - 1)) / 2;

/**
 * Adjusted Rand index (Hubert & Arabie 1985): 1 for identical partitions up to renaming, about
 * 0 for independent ones. Computed from the contingency table, as scikit-learn does.
 */
export function adjustedRandIndex(a, b) {
  if (a.length !== b.length) throw new RangeError(`ARI: ${a.length} vs ${b.length} labels`);
  const A = densify(a);
  const B = densify(b);
  const table = new Float64Array(A.count * B.count);
  for (let i = 0; i < a.length; i++) table[A.dense[i] * B.count + B.dense[i]] += 1;
  const rowSums = new Float64Array(A.count);
  const colSums = new Float64Array(B.count);
  let index = 0;
  for (let r = 0; r < A.count; r++) {
    for (let c = 0; c < B.count; c++) {
      const m = table[r * B.count + c];
      index += pairs(m);
      rowSums[r] += m;
      colSums[c] += m;
    }
  }
  const sumRows = rowSums.reduce((s, m) => s + pairs(m), 0);
  const sumCols = colSums.reduce((s, m) => s + pairs(m), 0);
  const expected = (sumRows * sumCols) / pairs(a.length);
  const max = (sumRows + sumCols) / 2;
  return max === expected ? 1 : (index - expected) / (max - expected);
}
