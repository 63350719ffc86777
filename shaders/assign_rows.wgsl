// Row-wise fused assignment: one invocation per row, the row held in registers (CACHE_ROW),
// every centroid read in turn (the same address across the workgroup: a broadcast). No
// workgroup memory and no barriers: for few, narrow centroids (K ≤ 16, D ≤ 128) this reads
// each row exactly once, and it is the kernel that runs fast on software adapters. Same
// bindings, parameters and outputs as pairs.wgsl in ASSIGN mode (HAMERLY, LIST included).

#include common

const DP4: u32 = {{DP4}}u;

struct Params {
  a_rows: u32,
  a_base: u32,
  b_rows: u32,
  k: u32,
  out_base: u32,
  a_global: u32,
  b_global: u32,
  q_tiles: u32,
  cn_off: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
  err: f32,
  cmax: f32,
  noise: f32,
  pad3: f32,
}

@group(0) @binding(0) var<storage, read> A: array<vec4f>;
@group(0) @binding(1) var<storage, read> B: array<vec4f>;
@group(0) @binding(2) var<uniform> P: Params;
@group(0) @binding(3) var<storage, read> AUX: array<f32>;
@group(0) @binding(4) var<storage, read_write> LABELS: array<u32>;
#if HAMERLY
@group(0) @binding(5) var<storage, read_write> LOWER: array<f32>;
@group(0) @binding(6) var<storage, read> XN: array<f32>;
#endif
#if LIST
@group(0) @binding(7) var<storage, read> LIST: array<u32>;
#endif

fn mu4(q: u32) -> vec4f {
  let b = q * 4u;
  return vec4f(AUX[b], AUX[b + 1u], AUX[b + 2u], AUX[b + 3u]);
}

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let r = flat_id(wid, nwg) * 256u + lid;
#if LIST
  let rows = LIST[0];
  if (r >= rows) {
    return;
  }
  let src = LIST[1u + r];
#else
  if (r >= P.a_rows) {
    return;
  }
  let src = P.a_base + r;
#endif
  let base = src * DP4;
#if CACHE_ROW
  var x: array<vec4f, DP4>;
  for (var q = 0u; q < DP4; q++) {
    x[q] = A[base + q] - mu4(q);
  }
#endif
  var best = BIG;
  var second = BIG;
  var bi = 0u;
  for (var c = 0u; c < P.b_rows; c++) {
    var acc = vec4f(0.0);
    for (var q = 0u; q < DP4; q++) {
#if CACHE_ROW
      acc = fma(x[q], B[c * DP4 + q], acc);
#else
      acc = fma(A[base + q] - mu4(q), B[c * DP4 + q], acc);
#endif
    }
    let v = AUX[P.cn_off + c] - 2.0 * ((acc.x + acc.y) + (acc.z + acc.w));
    if (v < best) {
      second = best;
      best = v;
      bi = c;
    } else if (v < second) {
      second = v;
    }
  }
  LABELS[src] = bi;
#if HAMERLY
  let xn = XN[src];
  let e = P.err * (xn + 2.0 * sqrt(xn) * P.cmax + P.cmax * P.cmax);
  LOWER[src] = sqrt(max(0.0, xn + second - e)) * 0.999999;
#endif
}
