// Mini-batch gather: copies listed rows of one resident chunk into one chunk of a batch matrix,
// one vec4 per invocation. PAIRS[P.first + e] = (batch row, source row), both chunk-local; the
// host groups a list by (batch chunk, source chunk) and dispatches once per group.

#include common

const DP4: u32 = {{DP4}}u;

struct Params {
  first: u32,
  count: u32,
  pad0: u32,
  pad1: u32,
}

@group(0) @binding(0) var<storage, read> SRC: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> DST: array<vec4f>;
@group(0) @binding(2) var<storage, read> PAIRS: array<vec2u>;
@group(0) @binding(3) var<uniform> P: Params;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let i = flat_id(wid, nwg) * 256u + lid;
  let e = i / DP4;
  if (e >= P.count) {
    return;
  }
  let pair = PAIRS[P.first + e];
  let v = i - e * DP4;
  DST[pair.x * DP4 + v] = SRC[pair.y * DP4 + v];
}
