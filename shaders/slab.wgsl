// Coalesced reading for kernels that give each of a workgroup's 256 invocations one row.
// Read straight from storage, a row per invocation makes neighbouring invocations touch
// addresses a whole row apart (2 KiB at D = 512): every load wastes most of its memory
// transaction and the rows in flight outgrow the cache. Instead the workgroup stages SLAB
// vec4 columns of its 256 rows at a time: consecutive invocations read consecutive vec4s of
// the same row (SLAB × 16 contiguous bytes), then each reads its own row from workgroup memory.
// The including shader declares X (array<vec4f>) and DP4.

const SLAB: u32 = {{SLAB}}u;

#if STAGED
// One vec4 of padding per row puts consecutive rows in different banks.
const SLAB_STRIDE: u32 = SLAB + 1u;

var<workgroup> slab: array<vec4f, 256u * SLAB_STRIDE>;

// Stages columns [q0, q0 + SLAB) of rows first … first + 255 of X; rows at or past `rows` and
// columns past DP4 read as 0. Every invocation must call it, from uniform control flow.
fn stage_slab(first: u32, rows: u32, q0: u32, lid: u32) {
  workgroupBarrier();
  for (var j = 0u; j < SLAB; j++) {
    let e = j * 256u + lid;
    let r = e / SLAB;
    let c = e % SLAB;
    var v = vec4f(0.0);
    if (first + r < rows && q0 + c < DP4) {
      v = X[(first + r) * DP4 + q0 + c];
    }
    slab[r * SLAB_STRIDE + c] = v;
  }
  workgroupBarrier();
}

// Column q0 + c of row `row` (the invocation's own, clamped to the chunk), after
// stage_slab(…, q0, …).
fn slab_at(row: u32, lid: u32, q0: u32, c: u32) -> vec4f {
  return slab[lid * SLAB_STRIDE + c];
}
#else
// Software adapters pay far more for a barrier than for a scattered read (their "memory" is
// the CPU's cache): there the rows are read directly, SLAB being the whole row.
fn stage_slab(first: u32, rows: u32, q0: u32, lid: u32) {}

fn slab_at(row: u32, lid: u32, q0: u32, c: u32) -> vec4f {
  return X[row * DP4 + q0 + c];
}
#endif

// How many of the staged columns exist (the last slab of a row may be partial).
fn slab_width(q0: u32) -> u32 {
  return min(SLAB, DP4 - q0);
}
