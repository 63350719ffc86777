// CLIP scoring epilogue, one invocation per row of logits (rows × t): the index of the largest
// logit (the first on ties) and, with SOFTMAX, the probabilities exp(l − max) / Σ exp(l − max)
// in place (the sum in df32).

#include common

struct Params {
  rows: u32,
  t: u32,
  pad0: u32,
  pad1: u32,
}

@group(0) @binding(0) var<storage, read_write> S: array<f32>;
@group(0) @binding(1) var<storage, read_write> LABELS: array<u32>;
@group(0) @binding(2) var<uniform> P: Params;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let i = flat_id(wid, nwg) * 256u + lid;
  if (i >= P.rows) {
    return;
  }
  let base = i * P.t;
  var best = 0u;
  var m = S[base];
  for (var j = 1u; j < P.t; j++) {
    let v = S[base + j];
    if (v > m) {
      m = v;
      best = j;
    }
  }
  LABELS[i] = best;
#if SOFTMAX
  var s = vec2f(0.0);
  for (var j = 0u; j < P.t; j++) {
    s = df_add_f(s, exp(S[base + j] - m));
  }
  let total = s.x + s.y;
  for (var j = 0u; j < P.t; j++) {
    S[base + j] = exp(S[base + j] - m) / total;
  }
#endif
}
