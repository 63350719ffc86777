// Register-blocked tile kernel over (rows of A) × (rows of B), fp32, expanded form
// ‖a‖² − 2a·b + ‖b‖² on column-centred data. A workgroup of WG = (TM/RM)·(TN/RN) invocations
// owns TM rows of A; each invocation keeps an RM × RN block of dot products in registers while
// TK-deep slices of both operands pass through workgroup memory (stored transposed, so the
// inner loop reads vec4s). The epilogue reduces every B tile on the fly — nothing of size
// rows(A) × rows(B) is ever written:
//   ASSIGN  B = the k centroids (centred). Nearest centroid per row (lowest index on ties);
//           with HAMERLY also a lower bound on the distance to the second nearest; with LIST
//           only the rows listed in LIST (Hamerly's rows whose bounds failed).
//   SIL     B = the rows of one cluster (through PERM, rows sorted by label): Σ of Euclidean
//           distances from each A row to that cluster, added into SUMS (df32).
// Template constants: TM TN RM RN TK DP4 (vec4s per row).

#include common

const TM: u32 = {{TM}}u;
const TN: u32 = {{TN}}u;
const RM: u32 = {{RM}}u;
const RN: u32 = {{RN}}u;
const TK: u32 = {{TK}}u;
const DP4: u32 = {{DP4}}u;
const TX: u32 = TN / RN;
const TY: u32 = TM / RM;
const WG: u32 = TX * TY;
const TK4: u32 = TK / 4u;
const TM4: u32 = TM / 4u;
const TN4: u32 = TN / 4u;
const RM4: u32 = RM / 4u;
const RN4: u32 = RN / 4u;

struct Params {
  a_rows: u32,   // rows of A handled by this dispatch (ignored with LIST)
  a_base: u32,   // first of them inside the A buffer
  b_rows: u32,   // rows of B (ASSIGN: k)
  k: u32,        // SIL: clusters (row stride of SUMS)
  out_base: u32, // SIL: output row of the first A row
  a_global: u32, // SIL: global row index of A row a_base (for NORMS)
  b_global: u32, // SIL: global row index of the first row of the B buffer
  q_tiles: u32,  // SIL: workgroups per cluster
  cn_off: u32,   // ASSIGN: where the centroid norms start in AUX
  pad0: u32,
  pad1: u32,
  pad2: u32,
  err: f32,      // HAMERLY: relative error bound of the expanded form
  cmax: f32,     // HAMERLY: largest centred centroid norm
  noise: f32,    // SIL: d² below noise·(‖a‖² + ‖b‖²) is rounding noise, taken as 0
  pad3: f32,
}

@group(0) @binding(0) var<storage, read> A: array<vec4f>;
@group(0) @binding(1) var<storage, read> B: array<vec4f>;
@group(0) @binding(2) var<uniform> P: Params;
@group(0) @binding(3) var<storage, read> AUX: array<f32>; // column means, then (ASSIGN) ‖c'‖²
#if ASSIGN
@group(0) @binding(4) var<storage, read_write> LABELS: array<u32>;
#if HAMERLY
@group(0) @binding(5) var<storage, read_write> LOWER: array<f32>;
@group(0) @binding(6) var<storage, read> XN: array<f32>;
#endif
#if LIST
@group(0) @binding(7) var<storage, read> LIST: array<u32>; // [count, rows...]
#endif
#endif
#if SIL
@group(0) @binding(4) var<storage, read_write> SUMS: array<vec2f>;
@group(0) @binding(5) var<storage, read> PERM: array<u32>;
@group(0) @binding(6) var<storage, read> SEG: array<u32>;
@group(0) @binding(7) var<storage, read> NORMS: array<f32>;
#endif

var<workgroup> As: array<vec4f, TK * TM4>; // As[k * TM4 + m / 4][m % 4]
var<workgroup> Bs: array<vec4f, TK * TN4>;
var<workgroup> red4: array<vec4f, WG>;
var<workgroup> redi: array<u32, WG>;
var<workgroup> w_u: vec2u;
#if SIL
var<workgroup> Bn: array<f32, TN>;
#endif

fn mu4(q: u32) -> vec4f {
  let b = q * 4u;
  return vec4f(AUX[b], AUX[b + 1u], AUX[b + 2u], AUX[b + 3u]);
}

// Row of the A buffer that tile row r stands for.
fn a_src(r: u32) -> u32 {
#if LIST
  return LIST[1u + r];
#else
  return P.a_base + r;
#endif
}

// Each invocation's share of one TK-deep stage, held in registers: the next stage is fetched
// from global memory before the current one is computed, so the loads are in flight during
// the FMAs instead of stalling every stage (register double buffering).
const A_PER: u32 = (TM * TK4 + WG - 1u) / WG;
const B_PER: u32 = (TN * TK4 + WG - 1u) / WG;

fn fetch_a(row0: u32, rows: u32, k0: u32, lid: u32) -> array<vec4f, A_PER> {
  var v: array<vec4f, A_PER>;
  for (var i = 0u; i < A_PER; i++) {
    let t = lid + i * WG;
    let r = row0 + t / TK4;
    let kq = k0 + t % TK4;
    var x = vec4f(0.0);
    if (t < TM * TK4 && r < rows && kq < DP4) {
      x = A[a_src(r) * DP4 + kq] - mu4(kq);
    }
    v[i] = x;
  }
  return v;
}

fn fetch_b(n0: u32, n_end: u32, k0: u32, lid: u32) -> array<vec4f, B_PER> {
  var v: array<vec4f, B_PER>;
  for (var i = 0u; i < B_PER; i++) {
    let t = lid + i * WG;
    let j = n0 + t / TK4;
    let kq = k0 + t % TK4;
    var x = vec4f(0.0);
    if (t < TN * TK4 && j < n_end && kq < DP4) {
#if SIL
      x = B[PERM[j] * DP4 + kq] - mu4(kq);
#else
      x = B[j * DP4 + kq];
#endif
    }
    v[i] = x;
  }
  return v;
}

// Stores a fetched stage transposed (As[k][m]), so the inner loop reads vec4s along m.
fn store_a(v: array<vec4f, A_PER>, lid: u32) {
  for (var i = 0u; i < A_PER; i++) {
    let t = lid + i * WG;
    if (t < TM * TK4) {
      let m = t / TK4;
      let base = (t % TK4) * 4u * TM4 + m / 4u;
      let c = m % 4u;
      As[base][c] = v[i].x;
      As[base + TM4][c] = v[i].y;
      As[base + 2u * TM4][c] = v[i].z;
      As[base + 3u * TM4][c] = v[i].w;
    }
  }
}

fn store_b(v: array<vec4f, B_PER>, lid: u32) {
  for (var i = 0u; i < B_PER; i++) {
    let t = lid + i * WG;
    if (t < TN * TK4) {
      let n = t / TK4;
      let base = (t % TK4) * 4u * TN4 + n / 4u;
      let c = n % 4u;
      Bs[base][c] = v[i].x;
      Bs[base + TN4][c] = v[i].y;
      Bs[base + 2u * TN4][c] = v[i].z;
      Bs[base + 3u * TN4][c] = v[i].w;
    }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let wg = flat_id(wid, nwg);
  let tx = lid % TX;
  let ty = lid / TX;
#if SIL
  let cluster = wg / P.q_tiles;
  if (cluster >= P.k) {
    return;
  }
  let row0 = (wg % P.q_tiles) * TM;
  let rows = P.a_rows;
  if (lid == 0u) {
    w_u = vec2u(SEG[cluster], SEG[cluster + 1u]);
  }
  let seg = workgroupUniformLoad(&w_u);
  let n_begin = seg.x;
  let n_end = seg.y;
  var an: array<f32, RM>;
  var sum = array<vec2f, RM>();
  for (var r = 0u; r < RM; r++) {
    let row = row0 + ty * RM + r;
    an[r] = select(0.0, NORMS[P.a_global + min(row, rows - 1u)], row < rows);
  }
#else
  let row0 = wg * TM;
#if LIST
  if (lid == 0u) {
    w_u = vec2u(LIST[0], 0u);
  }
  let rows = workgroupUniformLoad(&w_u).x;
#else
  let rows = P.a_rows;
#endif
  let n_begin = 0u;
  let n_end = P.b_rows;
  var best: array<f32, RM>;
  var second: array<f32, RM>;
  var bidx = array<u32, RM>();
  for (var r = 0u; r < RM; r++) {
    best[r] = BIG;
    second[r] = BIG;
  }
#endif
  if (row0 >= rows) {
    return;
  }

  for (var n0 = n_begin; n0 < n_end; n0 += TN) {
    // Explicitly zeroed: a declaration without initializer inside a loop was seen to keep the
    // previous iteration's values (Dawn + SwiftShader).
    var acc = array<vec4f, RM * RN4>();
    var next_a = fetch_a(row0, rows, 0u, lid);
    var next_b = fetch_b(n0, n_end, 0u, lid);
    for (var k0 = 0u; k0 < DP4; k0 += TK4) {
      store_a(next_a, lid);
      store_b(next_b, lid);
#if SIL
      if (k0 == 0u) {
        for (var t = lid; t < TN; t += WG) {
          let j = n0 + t;
          Bn[t] = select(0.0, NORMS[P.b_global + PERM[min(j, n_end - 1u)]], j < n_end);
        }
      }
#endif
      workgroupBarrier();
      if (k0 + TK4 < DP4) {
        next_a = fetch_a(row0, rows, k0 + TK4, lid);
        next_b = fetch_b(n0, n_end, k0 + TK4, lid);
      }
      for (var kk = 0u; kk < TK; kk++) {
        var a: array<vec4f, RM4>;
        var b: array<vec4f, RN4>;
        for (var q = 0u; q < RM4; q++) {
          a[q] = As[kk * TM4 + ty * RM4 + q];
        }
        for (var q = 0u; q < RN4; q++) {
          b[q] = Bs[kk * TN4 + tx * RN4 + q];
        }
        for (var r = 0u; r < RM; r++) {
          let ar = vec4f(a[r / 4u][r % 4u]);
          for (var q = 0u; q < RN4; q++) {
            acc[r * RN4 + q] = fma(ar, b[q], acc[r * RN4 + q]);
          }
        }
      }
      workgroupBarrier();
    }

    // Epilogue for this B tile.
#if SIL
    for (var r = 0u; r < RM; r++) {
      var t = 0.0;
      for (var q = 0u; q < RN4; q++) {
        let v4 = acc[r * RN4 + q];
        for (var c = 0u; c < 4u; c++) {
          let jl = tx * RN + q * 4u + c;
          if (n0 + jl < n_end) {
            let bn = Bn[jl];
            let norms = an[r] + bn;
            let d2 = norms - 2.0 * v4[c];
            t += select(sqrt(max(d2, 0.0)), 0.0, d2 <= P.noise * norms);
          }
        }
      }
      sum[r] = df_add_f(sum[r], t);
    }
    workgroupBarrier(); // Bn is rewritten by the next tile
#else
    var cn: array<f32, RN>;
    for (var c = 0u; c < RN; c++) {
      let col = n0 + tx * RN + c;
      cn[c] = select(BIG, AUX[P.cn_off + min(col, n_end - 1u)], col < n_end);
    }
    for (var r = 0u; r < RM; r++) {
      for (var q = 0u; q < RN4; q++) {
        let v4 = acc[r * RN4 + q];
        for (var c = 0u; c < 4u; c++) {
          let col = n0 + tx * RN + q * 4u + c;
          if (col < n_end) {
            let v = cn[q * 4u + c] - 2.0 * v4[c];
            if (v < best[r]) {
              second[r] = best[r];
              best[r] = v;
              bidx[r] = col;
            } else if (v < second[r]) {
              second[r] = v;
            }
          }
        }
      }
    }
#endif
  }

  // Combine the TX invocations that share each row.
  for (var r = 0u; r < RM; r++) {
#if SIL
    red4[lid] = vec4f(sum[r], 0.0, 0.0);
#else
    red4[lid] = vec4f(best[r], second[r], 0.0, 0.0);
    redi[lid] = bidx[r];
#endif
    workgroupBarrier();
    let row = row0 + ty * RM + r;
    if (tx == 0u && row < rows) {
#if SIL
      var s = red4[lid].xy;
      for (var j = 1u; j < TX; j++) {
        s = df_add(s, red4[lid + j].xy);
      }
      let o = (P.out_base + row) * P.k + cluster;
      SUMS[o] = df_add(SUMS[o], s);
#else
      var b = red4[lid].x;
      var s = red4[lid].y;
      var bi = redi[lid];
      for (var j = 1u; j < TX; j++) {
        let e = red4[lid + j];
        let ei = redi[lid + j];
        if (e.x < b || (e.x == b && ei < bi)) {
          s = min(b, e.y);
          b = e.x;
          bi = ei;
        } else {
          s = min(s, e.x);
        }
      }
      let dst = a_src(row);
      LABELS[dst] = bi;
#if HAMERLY
      // True second-nearest squared distance ≥ ‖x'‖² + s − (error bound of the expanded form).
      let xn = XN[dst];
      let e = P.err * (xn + 2.0 * sqrt(xn) * P.cmax + P.cmax * P.cmax);
      LOWER[dst] = sqrt(max(0.0, xn + s - e)) * 0.999999;
#endif
#endif
    }
    workgroupBarrier();
  }
}
