// Pairwise kernel in df32 arithmetic, one (A row, B row) pair per invocation on 16 × 16 tiles:
// the difference of two float32 values is split exactly, squares and products keep their
// rounding error (through fma), and sums are carried as hi + lo. Results agree with the
// float64 JS reference to float32 rounding of the final value. Used where the output is what
// the user reads (distance tiles, k-NN, similarity) and for silhouette on small data.
//   DIST  METRIC 0 sqeuclidean, 1 euclidean, 2 cosine distance, 3 dot, 4 logit (scale × cosine
//         similarity); writes OUT[(out_base + i) * out_stride + col_base + j].
//   SIL   B = rows of one cluster (through PERM); Σ of Euclidean distances into SUMS (df32).

#include common

const DP4: u32 = {{DP4}}u;
const T: u32 = 16u;
const TK4: u32 = 4u;

struct Params {
  a_rows: u32,
  a_base: u32,
  b_rows: u32,     // DIST: rows of B in this dispatch
  b_base: u32,     // DIST: first of them inside the B buffer
  out_base: u32,
  out_stride: u32, // DIST: row stride of OUT
  col_base: u32,   // DIST: output column of B row b_base
  k: u32,          // SIL: clusters
  q_tiles: u32,    // SIL: workgroups per cluster
  a_global: u32,   // DIST cosine/logit: global index of A row a_base (norms)
  b_global: u32,   // DIST cosine/logit: global index of B row b_base (norms)
  pad0: u32,
  scale: f32,      // DIST logit scale
  pad1: f32,
  pad2: f32,
  pad3: f32,
}

@group(0) @binding(0) var<storage, read> A: array<vec4f>;
@group(0) @binding(1) var<storage, read> B: array<vec4f>;
@group(0) @binding(2) var<uniform> P: Params;
#if DIST
@group(0) @binding(3) var<storage, read_write> OUT: array<f32>;
#if NORMED
@group(0) @binding(4) var<storage, read> NA: array<f32>;
@group(0) @binding(5) var<storage, read> NB: array<f32>;
#endif
#endif
#if SIL
@group(0) @binding(3) var<storage, read_write> SUMS: array<vec2f>;
@group(0) @binding(4) var<storage, read> PERM: array<u32>;
@group(0) @binding(5) var<storage, read> SEG: array<u32>;
#endif

var<workgroup> As: array<vec4f, T * TK4>;
var<workgroup> Bs: array<vec4f, T * TK4>;
var<workgroup> red: array<vec2f, 256>;
var<workgroup> w_u: vec2u;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let wg = flat_id(wid, nwg);
  let tx = lid % T;
  let ty = lid / T;
#if SIL
  let cluster = wg / P.q_tiles;
  if (cluster >= P.k) {
    return;
  }
  let row0 = (wg % P.q_tiles) * T;
  if (lid == 0u) {
    w_u = vec2u(SEG[cluster], SEG[cluster + 1u]);
  }
  let seg = workgroupUniformLoad(&w_u);
  let n_begin = seg.x;
  let n_end = seg.y;
  var total = vec2f(0.0);
#else
  let col_tiles = (P.b_rows + T - 1u) / T;
  let row0 = (wg / col_tiles) * T;
  let n_begin = (wg % col_tiles) * T;
  let n_end = min(n_begin + T, P.b_rows);
#endif
  if (row0 >= P.a_rows) {
    return;
  }
  let row = row0 + ty;

  for (var n0 = n_begin; n0 < n_end; n0 += T) {
    var acc = DF4(vec4f(0.0), vec4f(0.0));
    for (var k0 = 0u; k0 < DP4; k0 += TK4) {
      if (lid < T * TK4) {
        let m = lid / TK4;
        let kq = k0 + lid % TK4;
        var v = vec4f(0.0);
        if (row0 + m < P.a_rows && kq < DP4) {
          v = A[(P.a_base + row0 + m) * DP4 + kq];
        }
        As[lid] = v;
      } else if (lid < 2u * T * TK4) {
        let t = lid - T * TK4;
        let n = t / TK4;
        let kq = k0 + t % TK4;
        var v = vec4f(0.0);
        if (n0 + n < n_end && kq < DP4) {
#if SIL
          v = B[PERM[n0 + n] * DP4 + kq];
#else
          v = B[(P.b_base + n0 + n) * DP4 + kq];
#endif
        }
        Bs[t] = v;
      }
      workgroupBarrier();
      for (var q = 0u; q < TK4; q++) {
        let a = As[ty * TK4 + q];
        let b = Bs[tx * TK4 + q];
#if DIRECT
        acc = df4_add(acc, sq_diff4(a, b));
#else
        acc = df4_add(acc, prod4(a, b));
#endif
      }
      workgroupBarrier();
    }
    let s2 = df4_total(acc);
    let s = s2.x + s2.y;
    let col = n0 + tx;
#if SIL
    if (col < n_end) {
      total = df_add(total, df_sqrt(s2));
    }
#else
    if (row < P.a_rows && col < n_end) {
      var v = s;
#if METRIC_EUCLIDEAN
      let r = df_sqrt(s2);
      v = r.x + r.y;
#endif
#if NORMED
      let na = NA[P.a_global + row];
      let nb = NB[P.b_global + col];
      let cs = select(0.0, s / (na * nb), na > 0.0 && nb > 0.0);
#if METRIC_COSINE
      v = clamp(1.0 - cs, 0.0, 2.0);
#else
      v = P.scale * cs;
#endif
#endif
      OUT[(P.out_base + row) * P.out_stride + P.col_base + col] = v;
    }
#endif
  }

#if SIL
  red[lid] = total;
  workgroupBarrier();
  if (tx == 0u && row < P.a_rows) {
    var s = red[lid];
    for (var j = 1u; j < T; j++) {
      s = df_add(s, red[lid + j]);
    }
    let o = (P.out_base + row) * P.k + cluster;
    SUMS[o] = df_add(SUMS[o], s);
  }
#endif
}
