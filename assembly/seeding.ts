// Greedy k-means++: the D² update for several candidate centres in one pass over the data.
import { sqBlock1, sqDist4x1, sqDist4x2, sqDistF32 } from './common';

/**
 * For rows [r0, r1) of a piece and `t` candidate rows (t × dp float32 at `cands`):
 * out_c[i] = min(closest[i], ‖x_i − cand_c‖²) (float32; no min when `closest` is 0), with
 * `outs` a table of t pointers to float32 arrays. Adds Σ_i out_c[i] (float64) to sums[c].
 * Distances are float32 SIMD in the direct form (relative error ≤ (dp/4 + 8)·2⁻²⁴).
 */
export function seedTrial(x: usize, dp: i32, r0: i32, r1: i32, cands: usize, t: i32, closest: usize, outs: usize, sums: usize): void {
  const rs = <usize>dp << 2;
  let i = r0;
  for (; i + 4 <= r1; i += 4) {
    const x0 = x + <usize>i * rs;
    const x1 = x0 + rs;
    const x2 = x1 + rs;
    const x3 = x2 + rs;
    const bound = closest ? v128.load(closest + (<usize>i << 2)) : f32x4.splat(Infinity);
    // This pass is bound by memory: touch the next block's rows while computing this one
    // (WebAssembly has no prefetch instruction).
    let pf = x3 + rs;
    const pfEnd = i + 8 <= r1 ? pf + (rs << 2) : pf;
    const pfStep = ((rs << 2) / <usize>((t + 1) >> 1) + 63) & ~63;
    // Candidates in pairs. A pair's second result comes back through a global (sqBlock1) and is
    // emitted one pair later, which keeps that reload off the critical path (emitting it at once
    // is ~4% slower). Each candidate's sum still takes the rows in order.
    let c = 0;
    let late = f32x4.splat(0);
    for (; c + 2 <= t; c += 2) {
      for (const stop = min(pf + pfStep, pfEnd); pf < stop; pf += 64) touched += load<u8>(pf);
      const c0 = cands + <usize>c * rs;
      const first = sqDist4x2(x0, x1, x2, x3, c0, c0 + rs, rs);
      emit(f32x4.min(bound, first), outs, c, i, sums);
      if (c > 0) emit(f32x4.min(bound, late), outs, c - 1, i, sums);
      late = sqBlock1;
    }
    if (c > 0) emit(f32x4.min(bound, late), outs, c - 1, i, sums);
    if (c < t) {
      for (; pf < pfEnd; pf += 64) touched += load<u8>(pf);
      emit(f32x4.min(bound, sqDist4x1(x0, x1, x2, x3, cands + <usize>c * rs, rs)), outs, c, i, sums);
    }
  }
  for (; i < r1; i++) {
    const xi = x + <usize>i * rs;
    for (let c = 0; c < t; c++) {
      let v = sqDistF32(xi, cands + <usize>c * rs, dp);
      if (closest) v = min(v, load<f32>(closest + (<usize>i << 2)));
      store<f32>(<usize>load<u32>(outs + (<usize>c << 2)) + (<usize>i << 2), v);
      const sp = sums + (<usize>c << 3);
      store<f64>(sp, load<f64>(sp) + <f64>v);
    }
  }
}

/** Sink for the prefetching loads (read by nobody; keeps them from being optimized away). */
let touched: u32 = 0;

export function seedSink(): u32 {
  return touched;
}

@inline function emit(v: v128, outs: usize, c: i32, i: i32, sums: usize): void {
  v128.store(<usize>load<u32>(outs + (<usize>c << 2)) + (<usize>i << 2), v);
  const sp = sums + (<usize>c << 3);
  const lo = f64x2.promote_low_f32x4(v);
  const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
  // Σ in row order, as the reference would add these four values.
  store<f64>(
    sp,
    load<f64>(sp) + f64x2.extract_lane(lo, 0) + f64x2.extract_lane(lo, 1) + f64x2.extract_lane(hi, 0) + f64x2.extract_lane(hi, 1),
  );
}
