// One invocation per row of a matrix chunk, the rows read through the workgroup's slab
// (slab.wgsl):
//   NORMS    FAST: ‖x − μ‖² accumulated in exactly the order the pairs kernel accumulates a dot
//            product, so a row's norm and its dot product with itself round identically;
//            otherwise ‖x‖ (Euclidean norm, df32). Into OUT[global + i].
//   INERTIA  Σ over the workgroup's rows of ‖x − c_label‖² (df32) into PART[block0 + wg].
//   BOUNDS   Hamerly's test: shrink the lower bound by how far the other centroids moved; a
//            row whose exact distance to its centroid stays below max(lower bound, half the
//            gap to the nearest other centroid) keeps its label, any other row is appended
//            to LIST for a full search.

#include common
#include reduce
#include slab

const DP4: u32 = {{DP4}}u;

struct Params {
  rows: u32,
  global: u32,
  block0: u32,
  fastest: u32,
  first_move: f32,
  second_move: f32,
  err: f32,
  pad: f32,
}

@group(0) @binding(0) var<storage, read> X: array<vec4f>;
@group(0) @binding(1) var<uniform> P: Params;
#if NORMS
#if FAST
@group(0) @binding(2) var<storage, read> AUX: array<f32>;
#endif
@group(0) @binding(3) var<storage, read_write> OUT: array<f32>;
#endif
#if INERTIA
@group(0) @binding(2) var<storage, read> C: array<vec4f>;
@group(0) @binding(3) var<storage, read> LABELS: array<u32>;
@group(0) @binding(4) var<storage, read_write> PART: array<vec2f>;
#endif
#if BOUNDS
@group(0) @binding(2) var<storage, read> C: array<vec4f>;
@group(0) @binding(3) var<storage, read> LABELS: array<u32>;
@group(0) @binding(4) var<storage, read_write> LOWER: array<f32>;
@group(0) @binding(5) var<storage, read> HALF: array<f32>;
@group(0) @binding(6) var<storage, read_write> LIST: array<atomic<u32>>;
#endif

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let wg = flat_id(wid, nwg);
  if (wg * 256u >= P.rows) {
    return;
  }
  let first = wg * 256u;
  let i = first + lid;
  let valid = i < P.rows;
  let row = min(i, P.rows - 1u);

#if NORMS
#if FAST
  var s = 0.0;
  for (var q0 = 0u; q0 < DP4; q0 += SLAB) {
    stage_slab(first, P.rows, q0, lid);
    for (var c = 0u; c < slab_width(q0); c++) {
      let b = (q0 + c) * 4u;
      let v = slab_at(row, lid, q0, c) - vec4f(AUX[b], AUX[b + 1u], AUX[b + 2u], AUX[b + 3u]);
      s = fma(v.x, v.x, s);
      s = fma(v.y, v.y, s);
      s = fma(v.z, v.z, s);
      s = fma(v.w, v.w, s);
    }
  }
  if (valid) {
    OUT[P.global + i] = s;
  }
#else
  var acc = DF4(vec4f(0.0), vec4f(0.0));
  for (var q0 = 0u; q0 < DP4; q0 += SLAB) {
    stage_slab(first, P.rows, q0, lid);
    for (var c = 0u; c < slab_width(q0); c++) {
      let v = slab_at(row, lid, q0, c);
      acc = df4_add(acc, prod4(v, v));
    }
  }
  if (valid) {
    let t = df4_total(acc);
    OUT[P.global + i] = sqrt(t.x + t.y);
  }
#endif
#endif

#if INERTIA
  let centre = LABELS[row] * DP4;
  var acc = DF4(vec4f(0.0), vec4f(0.0));
  for (var q0 = 0u; q0 < DP4; q0 += SLAB) {
    stage_slab(first, P.rows, q0, lid);
    for (var c = 0u; c < slab_width(q0); c++) {
      acc = df4_add(acc, sq_diff4(slab_at(row, lid, q0, c), C[centre + q0 + c]));
    }
  }
  var d = vec2f(0.0);
  if (valid) {
    d = df4_total(acc);
  }
  let total = wg_sum_df(d, lid);
  if (lid == 0u) {
    PART[P.block0 + wg] = total;
  }
#endif

#if BOUNDS
  let label = LABELS[row];
  let centre = label * DP4;
  var acc = vec4f(0.0);
  for (var q0 = 0u; q0 < DP4; q0 += SLAB) {
    stage_slab(first, P.rows, q0, lid);
    for (var c = 0u; c < slab_width(q0); c++) {
      let v = slab_at(row, lid, q0, c) - C[centre + q0 + c];
      acc = fma(v, v, acc);
    }
  }
  if (valid) {
    let lower = LOWER[i] - select(P.first_move, P.second_move, label == P.fastest);
    LOWER[i] = lower;
    let upper = sqrt(acc.x + acc.y + acc.z + acc.w) * (1.0 + P.err);
    if (!(upper < max(0.5 * HALF[label], lower) * 0.999999)) {
      let slot = atomicAdd(&LIST[0], 1u);
      atomicStore(&LIST[1u + slot], i);
    }
  }
#endif
}
