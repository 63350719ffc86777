// Shared SIMD helpers for the clusterkit kernels.
//
// Conventions (every kernel): rows are float32, row-major, padded with zeros to `dp` floats
// (a multiple of 4), so one row is `dp / 4` v128 vectors and no kernel needs a scalar tail.
// `d` is the true width: the exact float64 paths loop over it, in the same order as the JS
// reference, so that they round exactly as it does.

/** a·b + c: fused (one rounding) where relaxed SIMD is compiled in, else multiply then add. */
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** The same for float64 lanes. */
@inline export function madd64(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f64x2.relaxed_madd(a, b, c);
  return f64x2.add(f64x2.mul(a, b), c);
}

/** Lane sums of four vectors: [Σa, Σb, Σc, Σd] (pairwise: two roundings per sum). */
@inline export function sum4x4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = f32x4.add(v128.shuffle<f32>(a, b, 0, 1, 4, 5), v128.shuffle<f32>(a, b, 2, 3, 6, 7));
  const cd = f32x4.add(v128.shuffle<f32>(c, d, 0, 1, 4, 5), v128.shuffle<f32>(c, d, 2, 3, 6, 7));
  return f32x4.add(v128.shuffle<f32>(ab, cd, 0, 2, 4, 6), v128.shuffle<f32>(ab, cd, 1, 3, 5, 7));
}

// Register-blocked squared distances (direct form, float32) of 4 rows x_r to 2 centres c_s (or
// 1): per row and centre, madd(e, e, ·) of e = x − c vector by vector, then sum4x4's lane sums.
// Shared by distTile, seedTrial and silhouetteSym, so their values agree.

/** a + (v − w)², lane by lane (one madd). */
@inline export function sqAcc(v: v128, w: v128, a: v128): v128 {
  const e = f32x4.sub(v, w);
  return madd(e, e, a);
}

/**
 * The second result of sqDist4x2 and sqDist4x2Interleaved: lane r holds ‖x_r − c_1‖². A global,
 * so per instance, so per thread.
 */
export let sqBlock1: v128 = i32x4(0, 0, 0, 0);

/**
 * ‖x_r − c_s‖² for rows r < 4 and centres s < 2, rows and centres `bytes` long: returns s = 0's
 * four, leaves s = 1's in sqBlock1.
 */
@inline export function sqDist4x2(x0: usize, x1: usize, x2: usize, x3: usize, c0: usize, c1: usize, bytes: usize): v128 {
  return sqBlock4x2(x0, x1, x2, x3, c0, c1, bytes, false);
}

/**
 * The same for 4 rows interleaved by vector (vector v of row r at xb + 64v + 16r, `bytes` in
 * all) and 2 centres interleaved alike (at c + 64v + 16s): one pointer each, rows at load offsets.
 */
@inline export function sqDist4x2Interleaved(xb: usize, c: usize, bytes: usize): v128 {
  return sqBlock4x2(xb, 0, 0, 0, c, 0, bytes, true);
}

@inline function sqBlock4x2(x0: usize, x1: usize, x2: usize, x3: usize, c0: usize, c1: usize, bytes: usize, interleaved: bool): v128 {
  let a00 = f32x4.splat(0);
  let a10 = f32x4.splat(0);
  let a20 = f32x4.splat(0);
  let a30 = f32x4.splat(0);
  let a01 = f32x4.splat(0);
  let a11 = f32x4.splat(0);
  let a21 = f32x4.splat(0);
  let a31 = f32x4.splat(0);
  for (let o: usize = 0; o < bytes; o += interleaved ? 64 : 16) {
    const v0 = v128.load(x0 + o);
    const v1 = interleaved ? v128.load(x0 + o, 16) : v128.load(x1 + o);
    const v2 = interleaved ? v128.load(x0 + o, 32) : v128.load(x2 + o);
    const v3 = interleaved ? v128.load(x0 + o, 48) : v128.load(x3 + o);
    const w0 = v128.load(c0 + o);
    a00 = sqAcc(v0, w0, a00);
    a10 = sqAcc(v1, w0, a10);
    a20 = sqAcc(v2, w0, a20);
    a30 = sqAcc(v3, w0, a30);
    const w1 = interleaved ? v128.load(c0 + o, 16) : v128.load(c1 + o);
    a01 = sqAcc(v0, w1, a01);
    a11 = sqAcc(v1, w1, a11);
    a21 = sqAcc(v2, w1, a21);
    a31 = sqAcc(v3, w1, a31);
  }
  sqBlock1 = sum4x4(a01, a11, a21, a31);
  return sum4x4(a00, a10, a20, a30);
}

/** [‖x_r − c_0‖²]_r for rows r < 4 (as sqDist4x2's result). */
@inline export function sqDist4x1(x0: usize, x1: usize, x2: usize, x3: usize, c0: usize, bytes: usize): v128 {
  let a00 = f32x4.splat(0);
  let a10 = f32x4.splat(0);
  let a20 = f32x4.splat(0);
  let a30 = f32x4.splat(0);
  for (let o: usize = 0; o < bytes; o += 16) {
    const w0 = v128.load(c0 + o);
    a00 = sqAcc(v128.load(x0 + o), w0, a00);
    a10 = sqAcc(v128.load(x1 + o), w0, a10);
    a20 = sqAcc(v128.load(x2 + o), w0, a20);
    a30 = sqAcc(v128.load(x3 + o), w0, a30);
  }
  return sum4x4(a00, a10, a20, a30);
}

/** Σ of the four lanes. */
@inline export function hsum(v: v128): f32 {
  const s = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

/** Σ of the two float64 lanes. */
@inline export function hsum64(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

/** The high two float32 lanes of v, promoted to float64. */
@inline export function promoteHigh(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
}

/** ‖a − b‖² in float32 SIMD (direct form: no cancellation). */
export function sqDistF32(a: usize, b: usize, dp: i32): f32 {
  const bytes = <usize>dp << 2;
  let s0 = f32x4.splat(0);
  let s1 = f32x4.splat(0);
  let o: usize = 0;
  for (; o + 32 <= bytes; o += 32) {
    const t0 = f32x4.sub(v128.load(a + o), v128.load(b + o));
    const t1 = f32x4.sub(v128.load(a + o, 16), v128.load(b + o, 16));
    s0 = madd(t0, t0, s0);
    s1 = madd(t1, t1, s1);
  }
  if (o < bytes) {
    const t0 = f32x4.sub(v128.load(a + o), v128.load(b + o));
    s0 = madd(t0, t0, s0);
  }
  return hsum(f32x4.add(s0, s1));
}

/**
 * ‖a − b‖² exactly as the JS reference computes it: float64, sequential over the d true
 * columns, (a_j − b_j)² summed in order. Used wherever float32 cannot certify a result.
 */
export function sqDistExact(a: usize, b: usize, d: i32): f64 {
  let sum: f64 = 0;
  for (let j = 0; j < d; j++) {
    const diff = <f64>load<f32>(a + (<usize>j << 2)) - <f64>load<f32>(b + (<usize>j << 2));
    sum += diff * diff;
  }
  return sum;
}

/** a·b exactly as the JS reference: float64, sequential over the d true columns. */
export function dotExact(a: usize, b: usize, d: i32): f64 {
  let sum: f64 = 0;
  for (let j = 0; j < d; j++) {
    sum += <f64>load<f32>(a + (<usize>j << 2)) * <f64>load<f32>(b + (<usize>j << 2));
  }
  return sum;
}

/** a·b with float32 products summed in float64 (error ≤ 2⁻²⁴ Σ|a_j b_j|). */
export function dotF64(a: usize, b: usize, dp: i32): f64 {
  const bytes = <usize>dp << 2;
  let s0 = f64x2.splat(0);
  let s1 = f64x2.splat(0);
  for (let o: usize = 0; o < bytes; o += 16) {
    const p = f32x4.mul(v128.load(a + o), v128.load(b + o));
    s0 = f64x2.add(s0, f64x2.promote_low_f32x4(p));
    s1 = f64x2.add(s1, promoteHigh(p));
  }
  return hsum64(f64x2.add(s0, s1));
}

/** Adds row `x` (float32, dp wide) into `sums` (float64, dp wide). */
export function addRowF64(sums: usize, x: usize, dp: i32): void {
  accumulateRowF64(sums, x, dp, false);
}

/** Subtracts row `x` (float32) from the float64 `sums` row. */
export function subRowF64(sums: usize, x: usize, dp: i32): void {
  accumulateRowF64(sums, x, dp, true);
}

@inline function accumulateRowF64(sums: usize, x: usize, dp: i32, subtract: bool): void {
  const bytes = <usize>dp << 2;
  for (let o: usize = 0; o < bytes; o += 16) {
    const v = v128.load(x + o);
    const s = sums + (o << 1);
    v128.store(s, addOrSub64(v128.load(s), f64x2.promote_low_f32x4(v), subtract));
    v128.store(s, addOrSub64(v128.load(s, 16), promoteHigh(v), subtract), 16);
  }
}

@inline function addOrSub64(a: v128, b: v128, subtract: bool): v128 {
  return subtract ? f64x2.sub(a, b) : f64x2.add(a, b);
}

/** ‖x − c‖² (as sqDistF32) while adding row x into the float64 `sums` row: one pass over x. */
export function sqDistAddRow(x: usize, c: usize, sums: usize, dp: i32): f32 {
  const bytes = <usize>dp << 2;
  let s0 = f32x4.splat(0);
  let s1 = f32x4.splat(0);
  let o: usize = 0;
  for (; o + 32 <= bytes; o += 32) {
    const v0 = v128.load(x + o);
    const v1 = v128.load(x + o, 16);
    const t0 = f32x4.sub(v0, v128.load(c + o));
    const t1 = f32x4.sub(v1, v128.load(c + o, 16));
    s0 = madd(t0, t0, s0);
    s1 = madd(t1, t1, s1);
    const p = sums + (o << 1);
    v128.store(p, f64x2.add(v128.load(p), f64x2.promote_low_f32x4(v0)));
    v128.store(p, f64x2.add(v128.load(p, 16), promoteHigh(v0)), 16);
    v128.store(p, f64x2.add(v128.load(p, 32), f64x2.promote_low_f32x4(v1)), 32);
    v128.store(p, f64x2.add(v128.load(p, 48), promoteHigh(v1)), 48);
  }
  if (o < bytes) {
    const v0 = v128.load(x + o);
    const t0 = f32x4.sub(v0, v128.load(c + o));
    s0 = madd(t0, t0, s0);
    const p = sums + (o << 1);
    v128.store(p, f64x2.add(v128.load(p), f64x2.promote_low_f32x4(v0)));
    v128.store(p, f64x2.add(v128.load(p, 16), promoteHigh(v0)), 16);
  }
  return hsum(f32x4.add(s0, s1));
}

/** Fills `count` float64 values at `p` with v. */
export function fillF64(p: usize, count: i32, v: f64): void {
  for (let i = 0; i < count; i++) store<f64>(p + (<usize>i << 3), v);
}
