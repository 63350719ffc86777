#if SUBGROUPS
enable subgroups;
#endif
// k-NN selection: one workgroup per row of a distance block D (rows × m), the k smallest keys
// (key = sign × value, so −1 ranks the largest inner products first), lower index first on ties.
//   SMALL  (k ≤ KL): every invocation keeps a sorted list of its best k over a strided share of
//          the row; k rounds of a workgroup argmin over the list heads merge them.
//   else   k rounds, each the workgroup argmin over all pairs after the previous winner.
// The argmin uses subgroup minimums where the device has subgroups.

#include common
#include reduce

const KL: u32 = {{KL}}u;
const MAXF: f32 = 0x1.fffffep+127f;

struct Params {
  rows: u32,
  m: u32,
  k: u32,
  pad: u32,
  sign: f32,
  pad1: f32,
  pad2: f32,
  pad3: f32,
}

@group(0) @binding(0) var<storage, read> D: array<f32>;
@group(0) @binding(1) var<storage, read_write> IDX: array<u32>;
@group(0) @binding(2) var<uniform> P: Params;
@group(0) @binding(3) var<storage, read_write> VAL: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let row = flat_id(wid, nwg);
  if (row >= P.rows) {
    return;
  }
  let base = row * P.m;
#if SMALL
  var keys: array<f32, KL>;
  var ids: array<u32, KL>;
  var n = 0u;
  for (var j = lid; j < P.m; j += 256u) {
    let key = P.sign * D[base + j];
    if (n < P.k || key < keys[P.k - 1u]) {
      var pos = min(n, P.k - 1u);
      if (n < P.k) {
        n++;
      }
      while (pos > 0u && keys[pos - 1u] > key) {
        keys[pos] = keys[pos - 1u];
        ids[pos] = ids[pos - 1u];
        pos--;
      }
      keys[pos] = key;
      ids[pos] = j;
    }
  }
  var h = 0u;
  for (var o = 0u; o < P.k; o++) {
    var key = MAXF;
    var id = 0xffffffffu;
    if (h < n) {
      key = keys[h];
      id = ids[h];
    }
    let w = wg_argmin(key, id, lid);
    if (h < n && id == w.y) {
      h++;
    }
    if (lid == 0u) {
      IDX[row * P.k + o] = w.y;
      VAL[row * P.k + o] = P.sign * bitcast<f32>(w.x);
    }
  }
#else
  var last_key = -MAXF;
  var last_id = 0u;
  for (var o = 0u; o < P.k; o++) {
    var bk = MAXF;
    var bi = 0xffffffffu;
    for (var j = lid; j < P.m; j += 256u) {
      let key = P.sign * D[base + j];
      let after = o == 0u || key > last_key || (key == last_key && j > last_id);
      if (after && (key < bk || (key == bk && j < bi))) {
        bk = key;
        bi = j;
      }
    }
    let w = wg_argmin(bk, bi, lid);
    last_key = bitcast<f32>(w.x);
    last_id = w.y;
    if (lid == 0u) {
      IDX[row * P.k + o] = w.y;
      VAL[row * P.k + o] = P.sign * last_key;
    }
  }
#endif
}
