/**
 * Eigen-decomposition of a real symmetric matrix in float64: Householder reduction to
 * tridiagonal form, then the implicit symmetric QR iteration with Wilkinson shifts (Golub &
 * Van Loan, "Matrix Computations", §8.3). Eigenvectors either accumulate every rotation (all or
 * many of them) or, for a few of the largest, come from inverse iteration on the tridiagonal
 * matrix and are mapped back through the Householder reflections.
 *
 * Used for the d × d covariance and correlation matrices of PCA: d is the number of features
 * (tens to about a thousand), so O(d³) on the host is small next to the O(n·d²) covariance the
 * backend computes.
 */

export interface SymmetricEigen {
  /** Eigenvalues, largest first (all n of them). */
  values: Float64Array;
  /** count × n row-major: row i is the unit eigenvector of values[i]. */
  vectors: Float64Array;
}

/**
 * Below this share of the eigenvectors, they are computed by inverse iteration on the
 * tridiagonal matrix (O(n²) each, LAPACK's stein approach) instead of accumulating every QR
 * rotation (about 6n³ flops): PCA usually wants a few components of many features.
 */
const INVERSE_ITERATION_SHARE = 1 / 4;

/**
 * Eigenvalues and orthonormal eigenvectors of the symmetric n × n row-major matrix `a` (only
 * its lower triangle is read). `a` is not modified. `count` (default n): how many eigenvectors,
 * for the largest eigenvalues, to return; every eigenvalue is returned.
 */
export function symmetricEigen(a: ArrayLike<number>, n: number, count = n): SymmetricEigen {
  if (!Number.isInteger(n) || n < 1 || a.length !== n * n) throw new RangeError(`symmetricEigen: expected ${n} × ${n} values, got ${a.length}`);
  if (!Number.isInteger(count) || count < 0 || count > n) throw new RangeError(`symmetricEigen: count must be 0 … ${n}, got ${count}`);
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const v = a[i * n + j]!;
      if (!Number.isFinite(v)) throw new RangeError(`symmetricEigen: value at (${i}, ${j}) is ${v}`);
      m[i * n + j] = v;
    }
  }
  const diag = new Float64Array(n);
  const off = new Float64Array(n); // off[k] couples k and k + 1
  const reflectors = tridiagonalize(m, n, diag, off);
  const descending = (d: Float64Array) => Array.from({ length: n }, (_, i) => i).sort((p, r) => d[r]! - d[p]! || p - r);

  if (count >= n * INVERSE_ITERATION_SHARE || n < 16) {
    // The QR iteration rotates pairs of columns of Q; it works on Qᵀ, whose rows are contiguous.
    const zt = transposedQ(reflectors, n);
    tridiagonalQr(diag, off, zt, n);
    const order = descending(diag);
    const vectors = new Float64Array(count * n);
    order.slice(0, count).forEach((from, row) => vectors.set(zt.subarray(from * n, (from + 1) * n), row * n));
    return { values: Float64Array.from(order, (i) => diag[i]!), vectors };
  }

  const d = diag.slice();
  const e = off.slice();
  tridiagonalQr(d, e, undefined, n);
  const values = Float64Array.from(descending(d), (i) => d[i]!);
  const vectors = tridiagonalEigenvectors(diag, off, n, values.subarray(0, count));
  for (let i = 0; i < count; i++) applyQ(reflectors, vectors.subarray(i * n, (i + 1) * n), n);
  return { values, vectors };
}

/**
 * Reduces the symmetric `m` (overwritten; its lower triangle is used) to tridiagonal T = Qᵀ M Q
 * by Householder reflections H_k = I − 2 v vᵀ, one per column (v acting on indices k+1..).
 * Fills `diag` / `off` with T and returns the reflection vectors (undefined where none was
 * needed); Q = H₀ H₁ ⋯ H_{n−3}.
 */
function tridiagonalize(m: Float64Array, n: number, diag: Float64Array, off: Float64Array): (Float64Array | undefined)[] {
  const reflectors: (Float64Array | undefined)[] = [];
  const p = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    // x = m[k+1.., k]; reflect it onto α e₁ with α = −sign(x₀)‖x‖ (no cancellation in x₀ − α).
    let scale = 0;
    for (let i = k + 1; i < n; i++) scale = Math.max(scale, Math.abs(m[i * n + k]!));
    if (scale === 0) {
      reflectors.push(undefined);
      continue;
    }
    const size = n - k - 1;
    const v = new Float64Array(size);
    let norm2 = 0;
    for (let i = 0; i < size; i++) {
      const x = m[(k + 1 + i) * n + k]! / scale;
      v[i] = x;
      norm2 += x * x;
    }
    const alpha = (v[0]! >= 0 ? -1 : 1) * Math.sqrt(norm2);
    v[0]! -= alpha;
    let vnorm2 = 0;
    for (let i = 0; i < size; i++) vnorm2 += v[i]! * v[i]!;
    if (vnorm2 === 0) {
      reflectors.push(undefined);
      continue;
    }
    const inv = 1 / Math.sqrt(vnorm2);
    for (let i = 0; i < size; i++) v[i]! *= inv;
    reflectors.push(v);

    // The trailing block B = m[k+1.., k+1..] becomes H B H = B − 2(v qᵀ + q vᵀ), where
    // p = B v and q = p − (vᵀp) v. Only B's lower triangle is read and kept up to date.
    const base = k + 1;
    symmetricProduct(m, n, base, size, v, p);
    let vp = 0;
    for (let i = 0; i < size; i++) vp += v[i]! * p[i]!;
    for (let i = 0; i < size; i++) p[i]! -= vp * v[i]!;
    rank2Update(m, n, base, size, v, p);
    // Column k below the diagonal becomes α e₁ (times the scale factored out above).
    m[base * n + k] = alpha * scale;
    for (let i = base + 1; i < n; i++) m[i * n + k] = 0;
  }
  for (let i = 0; i < n; i++) {
    diag[i] = m[i * n + i]!;
    off[i] = i + 1 < n ? m[(i + 1) * n + i]! : 0;
  }

  return reflectors;
}

// The two O(n²) steps of each reflection, four rows of B at a time: the rows share their loads
// of v and p (in JavaScript the loads and stores, not the arithmetic, bound these loops; about
// 2× faster at n = 512). Every value is still summed in the order of the row-by-row loop, so
// the results are the same to the bit.

/** p = B v for the symmetric B = m[base.., base..] (size × size, lower triangle read). */
function symmetricProduct(m: Float64Array, n: number, base: number, size: number, v: Float64Array, p: Float64Array): void {
  p.fill(0, 0, size);
  let i = 0;
  for (; i + 3 < size; i += 4) {
    const r0 = (base + i) * n + base;
    const r1 = r0 + n;
    const r2 = r1 + n;
    const r3 = r2 + n;
    const v0 = v[i]!;
    const v1 = v[i + 1]!;
    const v2 = v[i + 2]!;
    const v3 = v[i + 3]!;
    let s0 = m[r0 + i]! * v0;
    let s1 = m[r1 + i + 1]! * v1;
    let s2 = m[r2 + i + 2]! * v2;
    let s3 = m[r3 + i + 3]! * v3;
    for (let j = 0; j < i; j++) {
      const a0 = m[r0 + j]!;
      const a1 = m[r1 + j]!;
      const a2 = m[r2 + j]!;
      const a3 = m[r3 + j]!;
      const vj = v[j]!;
      s0 += a0 * vj;
      s1 += a1 * vj;
      s2 += a2 * vj;
      s3 += a3 * vj;
      p[j] = p[j]! + a0 * v0 + a1 * v1 + a2 * v2 + a3 * v3;
    }
    // The block's own triangle, row after row as the one-row loop runs it.
    finishRow(m, r0, i, i, s0, v, p);
    finishRow(m, r1, i, i + 1, s1, v, p);
    finishRow(m, r2, i, i + 2, s2, v, p);
    finishRow(m, r3, i, i + 3, s3, v, p);
  }
  for (; i < size; i++) {
    const row = (base + i) * n + base;
    finishRow(m, row, 0, i, m[row + i]! * v[i]!, v, p);
  }
}

/** Row r of p = B v from column `from` on: its sum (diagonal term and columns < from in `sum`) and its share of p[from..r). */
function finishRow(m: Float64Array, row: number, from: number, r: number, sum: number, v: Float64Array, p: Float64Array): void {
  const vr = v[r]!;
  for (let j = from; j < r; j++) {
    const b = m[row + j]!;
    sum += b * v[j]!;
    p[j]! += b * vr;
  }
  p[r]! += sum;
}

/** B −= 2(v qᵀ + q vᵀ) on the lower triangle, with q in `q`. */
function rank2Update(m: Float64Array, n: number, base: number, size: number, v: Float64Array, q: Float64Array): void {
  let i = 0;
  for (; i + 3 < size; i += 4) {
    const r0 = (base + i) * n + base;
    const r1 = r0 + n;
    const r2 = r1 + n;
    const r3 = r2 + n;
    const a0 = 2 * v[i]!;
    const b0 = 2 * q[i]!;
    const a1 = 2 * v[i + 1]!;
    const b1 = 2 * q[i + 1]!;
    const a2 = 2 * v[i + 2]!;
    const b2 = 2 * q[i + 2]!;
    const a3 = 2 * v[i + 3]!;
    const b3 = 2 * q[i + 3]!;
    for (let j = 0; j <= i; j++) {
      const qj = q[j]!;
      const vj = v[j]!;
      m[r0 + j]! -= a0 * qj + b0 * vj;
      m[r1 + j]! -= a1 * qj + b1 * vj;
      m[r2 + j]! -= a2 * qj + b2 * vj;
      m[r3 + j]! -= a3 * qj + b3 * vj;
    }
    updateRow(m, r1, i + 1, i + 1, a1, b1, v, q);
    updateRow(m, r2, i + 1, i + 2, a2, b2, v, q);
    updateRow(m, r3, i + 1, i + 3, a3, b3, v, q);
  }
  for (; i < size; i++) updateRow(m, (base + i) * n + base, 0, i, 2 * v[i]!, 2 * q[i]!, v, q);
}

/** Columns from..r (inclusive) of row r of the rank-2 update. */
function updateRow(m: Float64Array, row: number, from: number, r: number, a: number, b: number, v: Float64Array, q: Float64Array): void {
  for (let j = from; j <= r; j++) m[row + j]! -= a * q[j]! + b * v[j]!;
}

/**
 * Qᵀ for Q = H₀ H₁ ⋯ H_{n−3}: Qᵀ = H_{n−3} ⋯ H₀ (each H is symmetric), built as
 * ((I H_{n−3}) H_{n−4}) ⋯ H₀; right-multiplying by H_k changes columns k+1.. of rows k+1..
 * only, row by row (a dot product and an axpy on contiguous memory).
 */
function transposedQ(reflectors: readonly (Float64Array | undefined)[], n: number): Float64Array {
  const qt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) qt[i * n + i] = 1;
  for (let k = reflectors.length - 1; k >= 0; k--) {
    const v = reflectors[k];
    if (!v) continue;
    const base = k + 1;
    const size = n - base;
    for (let r = base; r < n; r++) {
      const row = r * n + base;
      let w = 0;
      for (let j = 0; j < size; j++) w += qt[row + j]! * v[j]!;
      w *= 2;
      for (let j = 0; j < size; j++) qt[row + j]! -= w * v[j]!;
    }
  }
  return qt;
}

/** y ← Q y = H₀ H₁ ⋯ H_{n−3} y (the last reflection first). */
function applyQ(reflectors: readonly (Float64Array | undefined)[], y: Float64Array, n: number): void {
  for (let k = reflectors.length - 1; k >= 0; k--) {
    const v = reflectors[k];
    if (!v) continue;
    const base = k + 1;
    const size = n - base;
    let w = 0;
    for (let j = 0; j < size; j++) w += v[j]! * y[base + j]!;
    w *= 2;
    for (let j = 0; j < size; j++) y[base + j]! -= w * v[j]!;
  }
}

/**
 * Unit eigenvectors of the symmetric tridiagonal (diag, off) for the given eigenvalues (in
 * decreasing order), by inverse iteration: solve (T − λI) y = x by Gaussian elimination with
 * partial pivoting a few times from a fixed pseudo-random start. Eigenvalues closer than
 * 10⁻³‖T‖ form a cluster whose vectors are kept orthogonal by modified Gram–Schmidt at every
 * iteration, and equal ones are separated by a tiny shift (as LAPACK's stein does).
 */
function tridiagonalEigenvectors(diag: Float64Array, off: Float64Array, n: number, values: Float64Array): Float64Array {
  let norm = 0;
  for (let i = 0; i < n; i++) norm = Math.max(norm, Math.abs(diag[i]!) + Math.abs(off[i]!) + (i > 0 ? Math.abs(off[i - 1]!) : 0));
  // A zero pivot becomes `tiny` (for T = 0 every pivot is, and y keeps its start direction).
  const tiny = norm > 0 ? norm * Number.EPSILON : 1;
  const clusterGap = 1e-3 * norm;
  const shiftStep = 10 * Number.EPSILON * norm;
  const count = values.length;
  const out = new Float64Array(count * n);
  // LU of T − λI: pivot rows (u0, u1, u2 on the diagonal and two superdiagonals), multipliers
  // and row swaps.
  const u0 = new Float64Array(n);
  const u1 = new Float64Array(n);
  const u2 = new Float64Array(n);
  const mult = new Float64Array(n);
  const swapped = new Uint8Array(n);
  let clusterStart = 0;
  let previous = NaN;
  for (let c = 0; c < count; c++) {
    let lambda = values[c]!;
    if (c > 0 && previous - lambda > clusterGap) clusterStart = c;
    if (c > 0 && previous - lambda < shiftStep) lambda = previous - shiftStep;
    previous = lambda;

    // Factor.
    let p0 = diag[0]! - lambda;
    let p1 = n > 1 ? off[0]! : 0;
    let p2 = 0;
    for (let i = 0; i < n - 1; i++) {
      const c0 = off[i]!;
      const c1 = diag[i + 1]! - lambda;
      const c2 = i + 2 < n ? off[i + 1]! : 0;
      const swap = Math.abs(c0) > Math.abs(p0);
      swapped[i] = swap ? 1 : 0;
      let a0 = swap ? c0 : p0;
      const a1 = swap ? c1 : p1;
      const a2 = swap ? c2 : p2;
      const b0 = swap ? p0 : c0;
      const b1 = swap ? p1 : c1;
      const b2 = swap ? p2 : c2;
      if (a0 === 0) a0 = tiny;
      const f = b0 / a0;
      mult[i] = f;
      u0[i] = a0;
      u1[i] = a1;
      u2[i] = a2;
      p0 = b1 - f * a1;
      p1 = b2 - f * a2;
      p2 = 0;
    }
    u0[n - 1] = p0 === 0 ? tiny : p0;

    const y = out.subarray(c * n, (c + 1) * n);
    let seed = 0x9e3779b9 ^ (c * 2654435761);
    for (let i = 0; i < n; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) | 0;
      y[i] = ((seed >>> 8) / 16777216) * 2 - 1;
    }
    for (let iteration = 0; iteration < 4; iteration++) {
      // Solve: the row operations on y, then back substitution.
      for (let i = 0; i < n - 1; i++) {
        if (swapped[i]) {
          const t = y[i]!;
          y[i] = y[i + 1]!;
          y[i + 1] = t;
        }
        y[i + 1]! -= mult[i]! * y[i]!;
      }
      for (let i = n - 1; i >= 0; i--) {
        let v = y[i]!;
        if (i + 1 < n) v -= u1[i]! * y[i + 1]!;
        if (i + 2 < n) v -= u2[i]! * y[i + 2]!;
        y[i] = v / u0[i]!;
      }
      // Orthogonal to the cluster's earlier vectors, then unit length.
      for (let o = clusterStart; o < c; o++) {
        const other = out.subarray(o * n, (o + 1) * n);
        let dot = 0;
        for (let i = 0; i < n; i++) dot += y[i]! * other[i]!;
        for (let i = 0; i < n; i++) y[i]! -= dot * other[i]!;
      }
      let scale = 0;
      for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(y[i]!));
      if (scale === 0) {
        y.fill(0);
        y[c % n] = 1; // degenerate start: try a unit vector
        continue;
      }
      let norm2 = 0;
      for (let i = 0; i < n; i++) {
        y[i]! /= scale;
        norm2 += y[i]! * y[i]!;
      }
      const inv = 1 / Math.sqrt(norm2);
      for (let i = 0; i < n; i++) y[i]! *= inv;
    }
  }
  return out;
}

/**
 * Diagonalises the symmetric tridiagonal (diag, off) in place by implicit QR steps with the
 * Wilkinson shift, deflating from the bottom; each Givens rotation is also applied to the rows
 * of `zt` (= Zᵀ, the accumulated transformation transposed), so zt ends holding the
 * eigenvectors as rows. Without `zt`, eigenvalues only (O(n²)).
 */
function tridiagonalQr(diag: Float64Array, off: Float64Array, zt: Float64Array | undefined, n: number): void {
  let norm = 0;
  for (let i = 0; i < n; i++) norm = Math.max(norm, Math.abs(diag[i]!) + Math.abs(off[i]!) + (i > 0 ? Math.abs(off[i - 1]!) : 0));
  const tiny = Number.MIN_VALUE / Number.EPSILON;
  const negligible = (k: number): boolean => {
    const e = Math.abs(off[k]!);
    return e <= Number.EPSILON * (Math.abs(diag[k]!) + Math.abs(diag[k + 1]!)) || e <= Number.EPSILON * 1e-3 * norm || e <= tiny;
  };

  let q = n - 1;
  let steps = 0;
  const maxSteps = 60 * n;
  while (q > 0) {
    if (negligible(q - 1)) {
      off[q - 1] = 0;
      q--;
      continue;
    }
    let p = q - 1;
    while (p > 0 && !negligible(p - 1)) p--;
    if (p > 0) off[p - 1] = 0;
    if (++steps > maxSteps) throw new Error('symmetricEigen: the QR iteration did not converge');

    // Wilkinson shift: the eigenvalue of the trailing 2 × 2 block nearer its last diagonal entry.
    const d = (diag[q - 1]! - diag[q]!) / 2;
    const b = off[q - 1]!;
    const mu = diag[q]! - (b * b) / (d + (d >= 0 ? 1 : -1) * Math.hypot(d, b));

    let x = diag[p]! - mu;
    let y = off[p]!;
    for (let k = p; k < q; k++) {
      // Rotation R = [[c, s], [−s, c]] on rows/columns k, k+1, chosen to zero y (the bulge at
      // (k+1, k−1), or for k = p to start the shifted step).
      const r = Math.hypot(x, y);
      const c = r === 0 ? 1 : x / r;
      const s = r === 0 ? 0 : y / r;
      if (k > p) off[k - 1] = r;
      const a0 = diag[k]!;
      const a1 = diag[k + 1]!;
      const e = off[k]!;
      diag[k] = c * c * a0 + 2 * c * s * e + s * s * a1;
      diag[k + 1] = s * s * a0 - 2 * c * s * e + c * c * a1;
      off[k] = c * s * (a1 - a0) + (c * c - s * s) * e;
      if (k + 1 < q) {
        y = s * off[k + 1]!; // the new bulge at (k+2, k)
        off[k + 1] = c * off[k + 1]!;
        x = off[k]!;
      }
      if (!zt) continue;
      const rk = k * n;
      const rk1 = rk + n;
      for (let j = 0; j < n; j++) {
        const zk = zt[rk + j]!;
        const zk1 = zt[rk1 + j]!;
        zt[rk + j] = c * zk + s * zk1;
        zt[rk1 + j] = c * zk1 - s * zk;
      }
    }
  }
}
