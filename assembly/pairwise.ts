// Pairwise kernels: distance tiles (register-blocked 4 queries × 2 targets), k-NN without
// storing whole rows of distances, silhouette per-cluster distance sums (never N×N),
// inner-product tiles for 'dot', 'cosine' and CLIP similarity, and fast inner-product tiles
// for Gram matrices.
//
// Query matrices are padded to a multiple of 4 rows (the padding rows are read, never
// reported). Euclidean-type values use the direct form Σ(q − t)² in float32 (relative error
// ≤ (dp/4 + 8)·2⁻²⁴); inner products use exact float64 products summed in float64, so they
// agree with the JS reference to about 1e-16.
import { dotExact, hsum, hsum64, madd, madd64, promoteHigh, sqAcc, sqBlock1, sqDist4x1, sqDist4x2, sqDist4x2Interleaved } from './common';

export const MODE_SQ = 0; // out[q·ldo + t] = ‖q − t‖² (float32)
export const MODE_EUCLID = 1; // out[q·ldo + t] = ‖q − t‖ (float32)
export const MODE_KNN = 2; // top-k of ‖q − t‖² or ‖q − t‖ (see `root`)
export const MODE_SIL = 3; // out[q·kc + label[t]] += ‖q − t‖ (float64)

// k-NN state per query row (`stride` bytes): int32 size, pad, then k float64 keys, k int32 ids.
@inline function topPush(state: usize, k: i32, key: f64, id: i32): void {
  const keys = state + 8;
  const ids = keys + (<usize>k << 3);
  let size = load<i32>(state);
  if (size == k && !(key < load<f64>(keys + (<usize>(k - 1) << 3)))) return;
  let i = size < k ? size : k - 1;
  if (size < k) store<i32>(state, size + 1);
  while (i > 0 && load<f64>(keys + (<usize>(i - 1) << 3)) > key) {
    store<f64>(keys + (<usize>i << 3), load<f64>(keys + (<usize>(i - 1) << 3)));
    store<i32>(ids + (<usize>i << 2), load<i32>(ids + (<usize>(i - 1) << 2)));
    i--;
  }
  store<f64>(keys + (<usize>i << 3), key);
  store<i32>(ids + (<usize>i << 2), id);
}

/** Bytes of one query's k-NN state. */
export function topStride(k: i32): i32 {
  return (8 + 12 * k + 7) & ~7;
}

/**
 * Direct-form tile: queries [q0, q1) of `q` against targets [t0, t1) of `t` (both dp wide).
 * MODE_SQ / MODE_EUCLID: out float32 at `out` + ((qi − q0)·ldo + (tj − t0))·4.
 * MODE_KNN: `out` is the k-NN state of query q0 (`ldo` = k, `aux` = id of target t0, `root` 1
 * to rank by ‖q − t‖ rather than its square).
 * MODE_SIL: `out` float64 (q1 − q0) × `ldo` sums, `aux` = pointer to int32 labels of targets
 * (indexed by tj).
 * `tmp`: 32 bytes of scratch.
 */
export function distTile(mode: i32, q: usize, q0: i32, q1: i32, t: usize, t0: i32, t1: i32, dp: i32, out: usize, ldo: i32, aux: i32, root: i32, tmp: usize): void {
  const rs = <usize>dp << 2;
  const stride = <usize>topStride(ldo);
  for (let qi = q0; qi < q1; qi += 4) {
    const m = min(4, q1 - qi);
    const x0 = q + <usize>qi * rs;
    const x1 = x0 + rs;
    const x2 = x1 + rs;
    const x3 = x2 + rs;
    let j = t0;
    for (; j + 2 <= t1; j += 2) {
      const c0 = t + <usize>j * rs;
      const v = sqDist4x2(x0, x1, x2, x3, c0, c0 + rs, rs);
      consume(mode, v, qi, q0, m, j, t0, out, ldo, aux, root, stride, tmp);
      consume(mode, sqBlock1, qi, q0, m, j + 1, t0, out, ldo, aux, root, stride, tmp);
    }
    if (j < t1) {
      consume(mode, sqDist4x1(x0, x1, x2, x3, t + <usize>j * rs, rs), qi, q0, m, j, t0, out, ldo, aux, root, stride, tmp);
    }
  }
}

/** Hands the four query-row values `v` for target j to the consumer of `mode`. */
@inline function consume(mode: i32, v: v128, qi: i32, q0: i32, m: i32, j: i32, t0: i32, out: usize, ldo: i32, aux: i32, root: i32, stride: usize, tmp: usize): void {
  if (mode == MODE_SQ || mode == MODE_EUCLID) {
    if (mode == MODE_EUCLID) v = f32x4.sqrt(v);
    v128.store(tmp, v);
    const base = out + ((<usize>(qi - q0) * <usize>ldo + <usize>(j - t0)) << 2);
    const step = <usize>ldo << 2;
    for (let r = 0; r < m; r++) store<f32>(base + <usize>r * step, load<f32>(tmp + (<usize>r << 2)));
  } else if (mode == MODE_KNN) {
    if (root) v = f32x4.sqrt(v);
    v128.store(tmp, v);
    for (let r = 0; r < m; r++) {
      topPush(out + <usize>(qi - q0 + r) * stride, ldo, <f64>load<f32>(tmp + (<usize>r << 2)), aux + (j - t0));
    }
  } else {
    v128.store(tmp, f32x4.sqrt(v));
    const label = load<i32>(<usize>aux + (<usize>j << 2));
    const base = out + ((<usize>(qi - q0) * <usize>ldo + <usize>label) << 3);
    const step = <usize>ldo << 3;
    for (let r = 0; r < m; r++) {
      const p = base + <usize>r * step;
      store<f64>(p, load<f64>(p) + <f64>load<f32>(tmp + (<usize>r << 2)));
    }
  }
}

/**
 * Silhouette sums over all pairs of n rows, each pair computed once. The rows come sorted by
 * label (so runs of targets share a label, and so do most 4-row blocks) and laid out in
 * 4-row blocks interleaved by vector: vector v of row 4b + r at ((b·dp/4 + v)·4 + r)·16.
 * For the blocks b given to this worker (b mod 2w ∈ {w, 2w − 1 − w}, w = `worker` of
 * `workers`), adds ‖x_i − x_j‖ to out[i·kc + label_j] and to out[j·kc + label_i] for every
 * j > i, i in block b. Sums are float64 (runs of a label gathered in registers). `out`
 * (n × kc float64) is this worker's own; `labels` (sorted) has n + 4 entries, the padding
 * entries −1.
 */
export function silhouetteSym(x: usize, n: i32, dp: i32, labels: usize, kc: i32, out: usize, worker: i32, workers: i32, tmp: usize): void {
  const nv = <usize>dp >> 2;
  const blockBytes = nv << 6;
  const period = 2 * workers;
  const blocks = (n + 3) >> 2;
  for (let b = 0; b < blocks; b++) {
    const phase = b % period;
    if (phase != worker && phase != period - 1 - worker) continue;
    const ib = b << 2;
    const m = min(4, n - ib);
    const xb = x + <usize>b * blockBytes;
    const l0 = load<i32>(labels + (<usize>ib << 2));
    const uniform = m == 4 && load<i32>(labels + (<usize>(ib + 3) << 2)) == l0; // sorted: first = last ⇒ all
    for (let r = 0; r < 4; r++) store<i32>(tmp + 32 + (<usize>r << 2), load<i32>(labels + (<usize>(ib + r) << 2)));
    // Pairs inside the block.
    for (let r = 0; r < m; r++) {
      for (let s = r + 1; s < m; s++) {
        let acc = f32x4.splat(0);
        for (let v: usize = 0; v < nv; v++) {
          acc = sqAcc(v128.load(xb + (v << 6) + (<usize>r << 4)), v128.load(xb + (v << 6) + (<usize>s << 4)), acc);
        }
        const dist = <f64>Mathf.sqrt(hsum(acc));
        addPair(out, kc, ib + r, load<i32>(tmp + 32 + (<usize>s << 2)), dist);
        addPair(out, kc, ib + s, load<i32>(tmp + 32 + (<usize>r << 2)), dist);
      }
    }
    // Targets after the block, in pairs; row sums gathered per run of one label.
    let run = -1;
    let runLo = f64x2.splat(0);
    let runHi = f64x2.splat(0);
    for (let j = ib + 4; j < n; j += 2) {
      const q = x + <usize>(j >> 2) * blockBytes + (<usize>(j & 3) << 4);
      // Rows j and j + 1 (j is even, so the same block) against the block's rows.
      const d0 = sqDist4x2Interleaved(xb, q, blockBytes);
      for (let t = 0; t < 2; t++) {
        const jt = j + t;
        if (jt >= n) break;
        const dv = f32x4.sqrt(t == 0 ? d0 : sqBlock1);
        const lj = load<i32>(labels + (<usize>jt << 2));
        if (lj != run) {
          if (run >= 0) flushRun(out, kc, ib, m, run, runLo, runHi, tmp);
          run = lj;
          runLo = f64x2.splat(0);
          runHi = f64x2.splat(0);
        }
        const lo = f64x2.promote_low_f32x4(dv);
        const hi = promoteHigh(dv);
        runLo = f64x2.add(runLo, lo);
        runHi = f64x2.add(runHi, hi);
        // Column sums: the target's distance to the block rows, by the block rows' labels.
        if (uniform) {
          const p = out + ((<usize>jt * <usize>kc + <usize>l0) << 3);
          store<f64>(p, load<f64>(p) + hsum64(f64x2.add(lo, hi)));
        } else {
          v128.store(tmp, dv);
          for (let r = 0; r < m; r++) addPair(out, kc, jt, load<i32>(tmp + 32 + (<usize>r << 2)), <f64>load<f32>(tmp + (<usize>r << 2)));
        }
      }
    }
    if (run >= 0) flushRun(out, kc, ib, m, run, runLo, runHi, tmp);
  }
}

/** Adds the gathered run sums (rows ib..ib+m−1, label `run`) to out. */
function flushRun(out: usize, kc: i32, ib: i32, m: i32, run: i32, lo: v128, hi: v128, tmp: usize): void {
  v128.store(tmp, lo);
  v128.store(tmp, hi, 16);
  for (let r = 0; r < m; r++) addPair(out, kc, ib + r, run, load<f64>(tmp + (<usize>r << 3)));
}

@inline function addPair(out: usize, kc: i32, row: i32, label: i32, dist: f64): void {
  const p = out + ((<usize>row * <usize>kc + <usize>label) << 3);
  store<f64>(p, load<f64>(p) + dist);
}

export const DOT_DOT = 0; // out float32 q·t
export const DOT_COSINE = 1; // out float32 min(2, max(0, 1 − cos))
export const DOT_KNN_DOT = 2; // top-k by −q·t
export const DOT_KNN_COSINE = 3; // top-k by cosine distance
export const DOT_LOGITS = 4; // out float64 scale · cos

/**
 * Inner-product tile, 2 queries × 2 targets, float64 accumulation of exact products.
 * `qn`, `tn`: float64 norms of the queries (indexed from q0) and targets (indexed by tj), for
 * the cosine modes. Output addressing as distTile (float64 for DOT_LOGITS); `scale` multiplies
 * the logits.
 */
export function dotTile(mode: i32, q: usize, q0: i32, q1: i32, t: usize, t0: i32, t1: i32, dp: i32, out: usize, ldo: i32, aux: i32, qn: usize, tn: usize, scale: f64): void {
  const rs = <usize>dp << 2;
  const stride = <usize>topStride(ldo);
  for (let qi = q0; qi < q1; qi += 2) {
    const x0 = q + <usize>qi * rs;
    const x1 = x0 + rs;
    const two = qi + 1 < q1;
    for (let j = t0; j < t1; j += 2) {
      const c0 = t + <usize>j * rs;
      const c1 = j + 1 < t1 ? c0 + rs : c0;
      let a00 = f64x2.splat(0);
      let a01 = f64x2.splat(0);
      let a10 = f64x2.splat(0);
      let a11 = f64x2.splat(0);
      for (let o: usize = 0; o < rs; o += 16) {
        const v0 = v128.load(x0 + o);
        const v1 = v128.load(x1 + o);
        const w0 = v128.load(c0 + o);
        const w1 = v128.load(c1 + o);
        const v0l = f64x2.promote_low_f32x4(v0);
        const v0h = promoteHigh(v0);
        const v1l = f64x2.promote_low_f32x4(v1);
        const v1h = promoteHigh(v1);
        const w0l = f64x2.promote_low_f32x4(w0);
        const w0h = promoteHigh(w0);
        a00 = madd64(v0l, w0l, a00);
        a10 = madd64(v1l, w0l, a10);
        a00 = madd64(v0h, w0h, a00);
        a10 = madd64(v1h, w0h, a10);
        const w1l = f64x2.promote_low_f32x4(w1);
        const w1h = promoteHigh(w1);
        a01 = madd64(v0l, w1l, a01);
        a11 = madd64(v1l, w1l, a11);
        a01 = madd64(v0h, w1h, a01);
        a11 = madd64(v1h, w1h, a11);
      }
      dotConsume(mode, hsum64(a00), qi, q0, j, t0, out, ldo, aux, qn, tn, scale, stride);
      if (j + 1 < t1) dotConsume(mode, hsum64(a01), qi, q0, j + 1, t0, out, ldo, aux, qn, tn, scale, stride);
      if (two) {
        dotConsume(mode, hsum64(a10), qi + 1, q0, j, t0, out, ldo, aux, qn, tn, scale, stride);
        if (j + 1 < t1) dotConsume(mode, hsum64(a11), qi + 1, q0, j + 1, t0, out, ldo, aux, qn, tn, scale, stride);
      }
    }
  }
}

/** Vectors of depth each float32 lane accumulates before it is added into float64. */
const INNER_RUN: usize = 32;
/** Bytes of target rows innerTile keeps in cache while every query passes over them. */
const INNER_TARGET_BYTES: usize = 128 << 10;

/**
 * Inner-product tile for Gram and covariance blocks, 4 queries × 2 targets: float32 products
 * accumulated in float32 runs of INNER_RUN terms per lane, each run then added in float64 (error
 * ≤ about INNER_RUN · 2⁻²⁴ · Σ|q_j t_j| per entry, against 2⁻²⁴ · |q · t| for dotTile's exact
 * products — and about four times dotTile's speed). out[(qi − q0)·ldo + (j − t0)] = q · t (float32).
 */
export function innerTile(q: usize, q0: i32, q1: i32, t: usize, t0: i32, t1: i32, dp: i32, out: usize, ldo: i32): void {
  const rs = <usize>dp << 2;
  const run = INNER_RUN << 4;
  // Targets in blocks of about INNER_TARGET_BYTES, every query passing over one block before
  // the next: the block stays in the core's cache instead of all targets streaming from memory
  // once per four queries.
  const block = max(2, <i32>(INNER_TARGET_BYTES / rs) & ~1);
  for (let jb = t0; jb < t1; jb += block) {
    const jEnd = min(t1, jb + block);
    for (let qi = q0; qi < q1; qi += 4) {
      const x0 = q + <usize>qi * rs;
      for (let j = jb; j < jEnd; j += 2) {
        const c0 = t + <usize>j * rs;
        const c1 = j + 1 < jEnd ? c0 + rs : c0;
        let s00 = f64x2.splat(0);
        let s10 = f64x2.splat(0);
        let s20 = f64x2.splat(0);
        let s30 = f64x2.splat(0);
        let s01 = f64x2.splat(0);
        let s11 = f64x2.splat(0);
        let s21 = f64x2.splat(0);
        let s31 = f64x2.splat(0);
        for (let o0: usize = 0; o0 < rs; o0 += run) {
          let a00 = f32x4.splat(0);
          let a10 = f32x4.splat(0);
          let a20 = f32x4.splat(0);
          let a30 = f32x4.splat(0);
          let a01 = f32x4.splat(0);
          let a11 = f32x4.splat(0);
          let a21 = f32x4.splat(0);
          let a31 = f32x4.splat(0);
          const end = min(o0 + run, rs);
          for (let o = o0; o < end; o += 16) {
            const w0 = v128.load(c0 + o);
            const w1 = v128.load(c1 + o);
            const v0 = v128.load(x0 + o);
            a00 = madd(v0, w0, a00);
            a01 = madd(v0, w1, a01);
            const v1 = v128.load(x0 + rs + o);
            a10 = madd(v1, w0, a10);
            a11 = madd(v1, w1, a11);
            const v2 = v128.load(x0 + 2 * rs + o);
            a20 = madd(v2, w0, a20);
            a21 = madd(v2, w1, a21);
            const v3 = v128.load(x0 + 3 * rs + o);
            a30 = madd(v3, w0, a30);
            a31 = madd(v3, w1, a31);
          }
          s00 = addRun(s00, a00);
          s10 = addRun(s10, a10);
          s20 = addRun(s20, a20);
          s30 = addRun(s30, a30);
          s01 = addRun(s01, a01);
          s11 = addRun(s11, a11);
          s21 = addRun(s21, a21);
          s31 = addRun(s31, a31);
        }
        const rows = min(4, q1 - qi);
        const at = out + ((<usize>(qi - q0) * <usize>ldo + <usize>(j - t0)) << 2);
        const next = <usize>ldo << 2;
        const two = j + 1 < jEnd;
        store<f32>(at, <f32>hsum64(s00));
        if (two) store<f32>(at, <f32>hsum64(s01), 4);
        if (rows > 1) {
          store<f32>(at + next, <f32>hsum64(s10));
          if (two) store<f32>(at + next, <f32>hsum64(s11), 4);
        }
        if (rows > 2) {
          store<f32>(at + 2 * next, <f32>hsum64(s20));
          if (two) store<f32>(at + 2 * next, <f32>hsum64(s21), 4);
        }
        if (rows > 3) {
          store<f32>(at + 3 * next, <f32>hsum64(s30));
          if (two) store<f32>(at + 3 * next, <f32>hsum64(s31), 4);
        }
      }
    }
  }
}

/** sum + the four float32 lanes of `run`, in float64. */
@inline function addRun(sum: v128, run: v128): v128 {
  return f64x2.add(sum, f64x2.add(f64x2.promote_low_f32x4(run), promoteHigh(run)));
}

@inline function dotConsume(mode: i32, dot: f64, qi: i32, q0: i32, j: i32, t0: i32, out: usize, ldo: i32, aux: i32, qn: usize, tn: usize, scale: f64, stride: usize): void {
  if (mode == DOT_DOT) {
    store<f32>(out + ((<usize>(qi - q0) * <usize>ldo + <usize>(j - t0)) << 2), <f32>dot);
  } else if (mode == DOT_KNN_DOT) {
    topPush(out + <usize>(qi - q0) * stride, ldo, -dot, aux + (j - t0));
  } else {
    const a = load<f64>(qn + (<usize>(qi - q0) << 3));
    const b = load<f64>(tn + (<usize>j << 3));
    const cos = a == 0 || b == 0 ? 0 : dot / (a * b);
    if (mode == DOT_LOGITS) {
      store<f64>(out + ((<usize>(qi - q0) * <usize>ldo + <usize>(j - t0)) << 3), scale * cos);
    } else {
      const dist = Math.min(2, Math.max(0, 1 - cos));
      if (mode == DOT_COSINE) store<f32>(out + ((<usize>(qi - q0) * <usize>ldo + <usize>(j - t0)) << 2), <f32>dist);
      else topPush(out + <usize>(qi - q0) * stride, ldo, dist, aux + (j - t0));
    }
  }
}

/** norms[i − r0] = √(x_i · x_i) for rows [r0, r1), exactly as the JS reference. */
export function rowNorms(x: usize, r0: i32, r1: i32, d: i32, dp: i32, norms: usize): void {
  const rs = <usize>dp << 2;
  for (let i = r0; i < r1; i++) {
    const xi = x + <usize>i * rs;
    store<f64>(norms + (<usize>(i - r0) << 3), Math.sqrt(dotExact(xi, xi, d)));
  }
}

/**
 * Softmax (or copy) of float64 logits rows [r0, r1) (`t` wide) into float32 scores, and the
 * first index of the largest logit per row into labels (indexed from r0).
 */
export function softmaxRows(logits: usize, r0: i32, r1: i32, t: i32, softmax: i32, scores: usize, labels: usize): void {
  for (let i = r0; i < r1; i++) {
    const row = logits + (<usize>i * <usize>t << 3);
    const outRow = scores + (<usize>i * <usize>t << 2);
    let best = 0;
    for (let j = 1; j < t; j++) if (load<f64>(row + (<usize>j << 3)) > load<f64>(row + (<usize>best << 3))) best = j;
    store<i32>(labels + (<usize>i << 2), best);
    if (softmax) {
      const top = load<f64>(row + (<usize>best << 3));
      let total: f64 = 0;
      for (let j = 0; j < t; j++) total += Math.exp(load<f64>(row + (<usize>j << 3)) - top);
      for (let j = 0; j < t; j++) store<f32>(outRow + (<usize>j << 2), <f32>(Math.exp(load<f64>(row + (<usize>j << 3)) - top) / total));
    } else {
      for (let j = 0; j < t; j++) store<f32>(outRow + (<usize>j << 2), <f32>load<f64>(row + (<usize>j << 3)));
    }
  }
}
