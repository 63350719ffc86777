// Fused Lloyd / Hamerly assignment step: nearest centroid, inertia, per-cluster float64 sums
// and counts, never an N×K matrix.
//
// Fast path: the scores ‖c'‖² − 2 x'·c' on data centred by μ (x' = x − μ, c' = c − μ), in
// float32 SIMD, register-blocked 4 rows × 2 centroids. Each row's label is certified: the
// gap between its best and second-best score must exceed twice a rigorous bound E on the
// score error, else the row is searched again exactly as the JS reference does it (float64,
// sequential), so labels are identical to the reference, exact ties included. The inertia
// uses the direct form ‖x − c‖² (no cancellation).
//
// Hamerly sessions keep, per row, a lower bound on the distance to the second-nearest centroid,
// and per worker the float64 cluster sums and counts of its rows, updated only by the rows
// that change cluster (incremental steps): a row the bounds keep costs one distance (the
// inertia needs it, as in the reference) and no pass adding its values into the sums.
import { addRowF64, madd, sqDistAddRow, sqDistExact, sqDistF32, subRowF64, sum4x4 } from './common';

// Parameter block (byte offsets; mirrored in src/backends/wasm/abi.ts).
const LP_X = 0; // u32: rows of this piece, dp floats each
const LP_DP = 4;
const LP_D = 8;
const LP_K = 12;
const LP_CENT = 16; // u32: k × dp centroids
const LP_CENTC = 20; // u32: k × dp centred centroids c − μ
const LP_CNORM = 24; // u32: k float32 ‖c − μ‖²
const LP_MU = 28; // u32: dp float32 μ
const LP_LABELS = 32; // u32: int32 per row
const LP_LOWER = 36; // u32: float64 per row (Hamerly lower bounds), 0 when none
const LP_HALFGAP = 40; // u32: k float64
const LP_FASTEST = 44; // i32
const LP_FLAGS = 48; // i32: 1 accumulate, 2 bounded step, 4 incremental (sums updated by changes), 8 listed rows
const LP_ESCALE = 56; // f64: score error E = ESCALE · (‖x'‖ + B)²
const LP_B = 64; // f64: ≥ max ‖c − μ‖
const LP_FIRSTMOVE = 72; // f64
const LP_SECONDMOVE = 80; // f64
const LP_TAUD = 88; // f64: relative error bound of sqDistF32
const LP_NORMTAU = 96; // f64: relative error bound of the computed ‖x'‖²


// Result block (float64): inertia, distance evaluations, rows refined exactly, rows kept by
// bounds, rows whose label changed.
const R_INERTIA = 0;
const R_EVALS = 8;
const R_REFINED = 16;
const R_KEPT = 24;
const R_SINK = 32; // keeps the prefetching loads alive
const R_CHANGED = 40;

const MARGIN: f64 = 1e-9;

let exBest: i32 = 0;
/** Sink for the prefetching loads. */
let touched: u32 = 0;
let exFirst: f64 = 0;
let exSecond: f64 = 0;

@inline function addF64(at: usize, value: f64): void {
  store<f64>(at, load<f64>(at) + value);
}

/** Nearest and second-nearest centroid, computed exactly as the JS reference. */
function exactSearch(x: usize, cent: usize, k: i32, d: i32, dp: i32): void {
  const rs = <usize>dp << 2;
  let best = 0;
  let first = Infinity;
  let second = Infinity;
  for (let c = 0; c < k; c++) {
    const dist = sqDistExact(x, cent + <usize>c * rs, d);
    if (dist < first) {
      second = first;
      first = dist;
      best = c;
    } else if (dist < second) {
      second = dist;
    }
  }
  exBest = best;
  exFirst = first;
  exSecond = second;
}

/**
 * One assignment step over rows [r0, r1) of a piece. `sums` (k × dp float64), `counts`
 * (k float64), `clusterInertia` (k float64: each cluster's Σ of squared distances, 0 for none)
 * and `result` (float64s) are added to (the host zeroes them). `rowsBuf` is
 * scratch for 4 centred rows plus 64 bytes; `list` is scratch for r1 − r0 int32.
 * Listed steps (a mini-batch) instead assign the rows list[r0], …, list[r1 − 1] (int32 rows
 * of the piece, repeats allowed) and leave the labels alone.
 */
export function lloydStep(p: usize, r0: i32, r1: i32, sums: usize, counts: usize, clusterInertia: usize, result: usize, rowsBuf: usize, list: usize): void {
  const x = <usize>load<u32>(p, LP_X);
  const dp = load<i32>(p, LP_DP);
  const d = load<i32>(p, LP_D);
  const k = load<i32>(p, LP_K);
  const cent = <usize>load<u32>(p, LP_CENT);
  const centc = <usize>load<u32>(p, LP_CENTC);
  const cnorm = <usize>load<u32>(p, LP_CNORM);
  const mu = <usize>load<u32>(p, LP_MU);
  const labels = <usize>load<u32>(p, LP_LABELS);
  const lower = <usize>load<u32>(p, LP_LOWER);
  const halfGap = <usize>load<u32>(p, LP_HALFGAP);
  const fastest = load<i32>(p, LP_FASTEST);
  const flags = load<i32>(p, LP_FLAGS);
  const escale = load<f64>(p, LP_ESCALE);
  const bigB = load<f64>(p, LP_B);
  const firstMove = load<f64>(p, LP_FIRSTMOVE);
  const secondMove = load<f64>(p, LP_SECONDMOVE);
  const taud = load<f64>(p, LP_TAUD);
  const normtau = load<f64>(p, LP_NORMTAU);
  const accumulate = (flags & 1) != 0;
  const bounded = (flags & 2) != 0;
  const incremental = (flags & 4) != 0;
  const listed = (flags & 8) != 0;
  const rs = <usize>dp << 2;
  const srs = <usize>dp << 3; // bytes of one float64 sums row

  let inertia: f64 = 0;
  let evals: f64 = 0;
  let refined: f64 = 0;
  let kept: f64 = 0;
  let changed: f64 = 0;

  // Hamerly (bounded steps are always incremental): a row whose distance to its centroid is
  // below both its lower bound and half its centroid's gap to the nearest other centroid keeps
  // its label; the others get a full search (gathered into `list`).
  let total = r1 - r0;
  // The rows searched in full: r0, r0 + 1, … or, from a list, rowList[0], rowList[1], …
  const fromList = bounded || listed;
  const rowList = listed ? list + (<usize>r0 << 2) : list;
  if (bounded) {
    let n = 0;
    for (let i = r0; i < r1; i++) {
      const label = load<i32>(labels + (<usize>i << 2));
      const l = load<f64>(lower + (<usize>i << 3)) - (label == fastest ? secondMove : firstMove);
      store<f64>(lower + (<usize>i << 3), l);
      const dist = <f64>sqDistF32(x + <usize>i * rs, cent + <usize>label * rs, dp);
      evals += 1;
      const upper = Math.sqrt(dist * (1 + 2 * taud)) * (1 + MARGIN);
      if (upper < Math.max(load<f64>(halfGap + (<usize>label << 3)), l) * (1 - MARGIN)) {
        inertia += dist;
        if (clusterInertia) addF64(clusterInertia + (<usize>label << 3), dist);
        kept += 1;
      } else {
        store<i32>(list + (<usize>n << 2), i);
        n++;
      }
    }
    total = n;
  }

  // rowsBuf: the (up to) four centred rows interleaved by vector — vector v of row r at
  // (4v + r)·16 — so one pointer walks all four; then 64 bytes of per-row results.
  const tmp = rowsBuf + (rs << 2); // 4 × f32 first, 4 × f32 second, 4 × i32 best, 4 × f32 ‖x'‖²
  const blockEnd = rowsBuf + (rs << 2);
  for (let b = 0; b < total; b += 4) {
    const m = min(4, total - b);
    // Centred copies of the rows, and their squared norms.
    for (let r = 0; r < m; r++) {
      const i = fromList ? load<i32>(rowList + (<usize>(b + r) << 2)) : r0 + b + r;
      const src = x + <usize>i * rs;
      let dst = rowsBuf + (<usize>r << 4);
      let acc = f32x4.splat(0);
      for (let o: usize = 0; o < rs; o += 16) {
        const w = f32x4.sub(v128.load(src + o), v128.load(mu + o));
        v128.store(dst, w);
        dst += 64;
        acc = madd(w, w, acc);
      }
      const s = f32x4.add(acc, v128.shuffle<f32>(acc, acc, 2, 3, 0, 1));
      store<f32>(tmp + 48 + (<usize>r << 2), f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1));
    }

    let first = f32x4.splat(Infinity);
    let second = f32x4.splat(Infinity);
    let best = i32x4.splat(0);
    // Touch the next block's rows a few cache lines per centroid pair, so they stream in from
    // memory while this block computes (WebAssembly has no prefetch instruction).
    let pf: usize = 0;
    let pfEnd: usize = 0;
    if (!fromList && b + 4 < total) {
      pf = x + <usize>(r0 + b + 4) * rs;
      pfEnd = pf + <usize>min(4, total - b - 4) * rs;
    }
    const pfStep = ((rs << 2) / <usize>((k + 1) >> 1) + 63) & ~63;
    // Centred centroids come in pairs, interleaved by vector (pair p, vector v, member s at
    // ((p·dp/4 + v)·2 + s)·16); an odd k has a last pseudo-centroid of infinite norm.
    for (let j = 0; j < k; j += 2) {
      for (const stop = min(pf + pfStep, pfEnd); pf < stop; pf += 64) touched += load<u8>(pf);
      let q = centc + <usize>j * rs;
      let a00 = f32x4.splat(0);
      let a10 = f32x4.splat(0);
      let a20 = f32x4.splat(0);
      let a30 = f32x4.splat(0);
      let a01 = f32x4.splat(0);
      let a11 = f32x4.splat(0);
      let a21 = f32x4.splat(0);
      let a31 = f32x4.splat(0);
      for (let p = rowsBuf; p < blockEnd; p += 64) {
        const v0 = v128.load(p);
        const v1 = v128.load(p, 16);
        const v2 = v128.load(p, 32);
        const v3 = v128.load(p, 48);
        const w0 = v128.load(q);
        a00 = madd(v0, w0, a00);
        a10 = madd(v1, w0, a10);
        a20 = madd(v2, w0, a20);
        a30 = madd(v3, w0, a30);
        const w1 = v128.load(q, 16);
        a01 = madd(v0, w1, a01);
        a11 = madd(v1, w1, a11);
        a21 = madd(v2, w1, a21);
        a31 = madd(v3, w1, a31);
        q += 32;
      }
      const dot0 = sum4x4(a00, a10, a20, a30);
      const dot1 = sum4x4(a01, a11, a21, a31);
      let sc = f32x4.sub(f32x4.splat(load<f32>(cnorm + (<usize>j << 2))), f32x4.add(dot0, dot0));
      let lt = f32x4.lt(sc, first);
      second = v128.bitselect(first, f32x4.min(second, sc), lt);
      first = v128.bitselect(sc, first, lt);
      best = v128.bitselect(i32x4.splat(j), best, lt);
      sc = f32x4.sub(f32x4.splat(load<f32>(cnorm + (<usize>(j + 1) << 2))), f32x4.add(dot1, dot1));
      lt = f32x4.lt(sc, first);
      second = v128.bitselect(first, f32x4.min(second, sc), lt);
      first = v128.bitselect(sc, first, lt);
      best = v128.bitselect(i32x4.splat(j + 1), best, lt);
    }
    v128.store(tmp, first);
    v128.store(tmp, second, 16);
    v128.store(tmp, best, 32);

    for (let r = 0; r < m; r++) {
      const i = fromList ? load<i32>(rowList + (<usize>(b + r) << 2)) : r0 + b + r;
      const xi = x + <usize>i * rs;
      const f = <f64>load<f32>(tmp + (<usize>r << 2));
      const sec = <f64>load<f32>(tmp + 16 + (<usize>r << 2));
      const nx = <f64>load<f32>(tmp + 48 + (<usize>r << 2));
      // (‖x'‖ + B)² ≤ 2(‖x'‖² + B²): a bound without a square root, at most twice as loose.
      const e = 2 * escale * (nx + bigB * bigB) + 1e-30;
      let label: i32;
      let dist: f64;
      let low: f64 = 0;
      if (!(sec - f > 2 * e)) {
        // Too close to call in float32 (or overflowed): search exactly as the reference.
        exactSearch(xi, cent, k, d, dp);
        label = exBest;
        dist = exFirst;
        low = Math.sqrt(exSecond) * (1 - MARGIN);
        refined += 1;
        if (accumulate && !incremental) {
          addRowF64(sums + <usize>label * srs, xi, dp);
          const cp = counts + (<usize>label << 3);
          store<f64>(cp, load<f64>(cp) + 1);
        }
      } else {
        label = load<i32>(tmp + 32 + (<usize>r << 2));
        if (accumulate && !incremental) {
          dist = <f64>sqDistAddRow(xi, cent + <usize>label * rs, sums + <usize>label * srs, dp);
          const cp = counts + (<usize>label << 3);
          store<f64>(cp, load<f64>(cp) + 1);
        } else {
          dist = <f64>sqDistF32(xi, cent + <usize>label * rs, dp);
        }
        // Every other centroid scores ≥ sec − e, and ‖x − c‖² = score + ‖x'‖².
        if (lower) {
          const lb = sec - e + nx * (1 - normtau);
          low = lb > 0 ? Math.sqrt(lb) * (1 - MARGIN) : 0;
        }
      }
      if (lower) store<f64>(lower + (<usize>i << 3), low);
      inertia += dist;
      if (clusterInertia) addF64(clusterInertia + (<usize>label << 3), dist);
      evals += <f64>k;
      if (listed) continue;
      const previous = load<i32>(labels + (<usize>i << 2));
      store<i32>(labels + (<usize>i << 2), label);
      if (label == previous) continue;
      changed += 1;
      if (incremental) {
        // The row moves between clusters: its values and count follow it.
        subRowF64(sums + <usize>previous * srs, xi, dp);
        addRowF64(sums + <usize>label * srs, xi, dp);
        const co = counts + (<usize>previous << 3);
        store<f64>(co, load<f64>(co) - 1);
        const cn = counts + (<usize>label << 3);
        store<f64>(cn, load<f64>(cn) + 1);
      }
    }
  }

  store<f64>(result + R_INERTIA, load<f64>(result + R_INERTIA) + inertia);
  store<f64>(result + R_EVALS, load<f64>(result + R_EVALS) + evals);
  store<f64>(result + R_REFINED, load<f64>(result + R_REFINED) + refined);
  store<f64>(result + R_KEPT, load<f64>(result + R_KEPT) + kept);
  store<u32>(result + R_SINK, touched);
  store<f64>(result + R_CHANGED, load<f64>(result + R_CHANGED) + changed);
}
