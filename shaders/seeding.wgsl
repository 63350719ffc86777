// Greedy k-means++ on the device, one invocation per row (read through the workgroup's slab,
// see slab.wgsl), NT candidate centres at once (each row is read once for all of them):
//   FIRST   CLOSEST = ‖x − c‖² to the first centre.
//   else    TRIAL[t * rows + i] = min(CLOSEST[i], ‖x_i − c_t‖²) for every candidate t.
// Either way PART[t * nblocks + block0 + wg] gets the workgroup's sum (pairwise), so the host
// has the potential per candidate and per-block sums for sampling.

#include common
#include reduce
#include slab

const DP4: u32 = {{DP4}}u;
const NT: u32 = {{NT}}u;

struct Params {
  rows: u32,
  block0: u32,
  nblocks: u32,
  pad: u32,
}

@group(0) @binding(0) var<storage, read> X: array<vec4f>;
@group(0) @binding(1) var<uniform> P: Params;
@group(0) @binding(2) var<storage, read> CAND: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> CLOSEST: array<f32>;
#if !FIRST
@group(0) @binding(4) var<storage, read_write> TRIAL: array<f32>;
#endif
@group(0) @binding(5) var<storage, read_write> PART: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let wg = flat_id(wid, nwg);
  if (wg * 256u >= P.rows) {
    return;
  }
  let i = wg * 256u + lid;
  let valid = i < P.rows;
  let row = min(i, P.rows - 1u);
  var acc = array<vec4f, NT>();
  for (var q0 = 0u; q0 < DP4; q0 += SLAB) {
    stage_slab(wg * 256u, P.rows, q0, lid);
    for (var c = 0u; c < slab_width(q0); c++) {
      let x = slab_at(row, lid, q0, c);
      for (var t = 0u; t < NT; t++) {
        let v = x - CAND[t * DP4 + q0 + c];
        acc[t] = fma(v, v, acc[t]);
      }
    }
  }
  var bound = BIG;
#if !FIRST
  if (valid) {
    bound = CLOSEST[i];
  }
#endif
  for (var t = 0u; t < NT; t++) {
    var d = 0.0;
    if (valid) {
      d = min(bound, acc[t].x + acc[t].y + acc[t].z + acc[t].w);
#if FIRST
      CLOSEST[i] = d;
#else
      TRIAL[t * P.rows + i] = d;
#endif
    }
    let s = wg_sum_f(d, lid);
    if (lid == 0u) {
      PART[t * P.nblocks + P.block0 + wg] = s;
    }
  }
}
