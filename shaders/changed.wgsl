// Rows whose label differs from the previous step's: counted per workgroup, then one atomic
// add per workgroup into COUNT[0]. Lets a k-means loop test convergence without reading the
// labels back.

#include common

struct Params {
  rows: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
}

@group(0) @binding(0) var<storage, read> LABELS: array<u32>;
@group(0) @binding(1) var<storage, read> PREVIOUS: array<u32>;
@group(0) @binding(2) var<uniform> P: Params;
@group(0) @binding(3) var<storage, read_write> COUNT: array<atomic<u32>>;

var<workgroup> changed: atomic<u32>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let i = flat_id(wid, nwg) * 256u + lid;
  if (i < P.rows && LABELS[i] != PREVIOUS[i]) {
    atomicAdd(&changed, 1u);
  }
  workgroupBarrier();
  if (lid == 0u) {
    let n = atomicLoad(&changed);
    if (n > 0u) {
      atomicAdd(&COUNT[0], n);
    }
  }
}
