// Workgroup-wide reductions over the 256 invocations of a workgroup. Every invocation must call
// them, from uniform control flow; the result is returned to every invocation.

var<workgroup> red_df: array<vec2f, 256>;
var<workgroup> red_key: array<f32, 256>;
var<workgroup> red_idx: array<u32, 256>;
var<workgroup> red_res: vec2u;

// Sum of one df32 value per invocation, deterministic: sixteen invocations each add sixteen
// values, then one adds the sixteen partial sums (three barriers rather than a tree's nine —
// barriers are what software adapters pay for most).
fn wg_sum_df(v: vec2f, lid: u32) -> vec2f {
  red_df[lid] = v;
  workgroupBarrier();
  if (lid < 16u) {
    var s = red_df[lid * 16u];
    for (var j = 1u; j < 16u; j++) {
      s = df_add(s, red_df[lid * 16u + j]);
    }
    red_df[lid * 16u] = s;
  }
  workgroupBarrier();
  if (lid == 0u) {
    var s = red_df[0];
    for (var j = 1u; j < 16u; j++) {
      s = df_add(s, red_df[j * 16u]);
    }
    red_df[0] = s;
  }
  workgroupBarrier();
  let r = red_df[0];
  workgroupBarrier();
  return r;
}

// Sum of one f32 per invocation, pairwise (deterministic).
fn wg_sum_f(v: f32, lid: u32) -> f32 {
  return wg_sum_df(vec2f(v, 0.0), lid).x;
}

// Lexicographic minimum of (key, index) pairs: the smallest key, the lowest index among equal
// keys. The result does not depend on the order of combination, so the subgroup path may
// gather partial results in any order.
#if SUBGROUPS
var<workgroup> red_n: atomic<u32>;

fn wg_argmin(key: f32, idx: u32, lid: u32) -> vec2u {
  let m = subgroupMin(key);
  let i = subgroupMin(select(0xffffffffu, idx, key == m));
  if (subgroupElect()) {
    let slot = atomicAdd(&red_n, 1u);
    red_key[slot] = m;
    red_idx[slot] = i;
  }
  workgroupBarrier();
  if (lid == 0u) {
    let n = atomicLoad(&red_n);
    var bk = red_key[0];
    var bi = red_idx[0];
    for (var s = 1u; s < n; s++) {
      let k = red_key[s];
      let j = red_idx[s];
      if (k < bk || (k == bk && j < bi)) {
        bk = k;
        bi = j;
      }
    }
    red_res = vec2u(bitcast<u32>(bk), bi);
    atomicStore(&red_n, 0u);
  }
  workgroupBarrier();
  return red_res;
}
#else
fn wg_argmin(key: f32, idx: u32, lid: u32) -> vec2u {
  red_key[lid] = key;
  red_idx[lid] = idx;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (lid < s) {
      let k = red_key[lid + s];
      let j = red_idx[lid + s];
      if (k < red_key[lid] || (k == red_key[lid] && j < red_idx[lid])) {
        red_key[lid] = k;
        red_idx[lid] = j;
      }
    }
    workgroupBarrier();
  }
  let r = vec2u(bitcast<u32>(red_key[0]), red_idx[0]);
  workgroupBarrier();
  return r;
}
#endif
