// The Lloyd update without float atomics: rows are sorted by label (counting sort with integer
// atomics), then each cluster's rows are summed as contiguous segments, piece by piece, in df32.
//   HIST     COUNTS[label] += 1 (per-workgroup histogram first when LOCAL)
//   SCAN     one workgroup: OFFS = exclusive scan of COUNTS, PSTART = exclusive scan of the
//            pieces per cluster (PIECE rows each), TOTAL += COUNTS; zeroes COUNTS and CURSOR
//   SCATTER  PERM[OFFS[label] + rank] = row
//   SEGSUM   one workgroup per (piece, block of CT column quads): df32 sums of the piece's rows
//            and of their squared distances to the centroid (the inertia), per column quad,
//            into PART / PIN
//   REDUCE   one invocation per (cluster, column quad): SUMS += Σ pieces (df32); INERT too

#include common

const DP4: u32 = {{DP4}}u;
const LK: u32 = {{LK}}u;
const CT: u32 = {{CT}}u;
const RL: u32 = 256u / CT;

struct Params {
  rows: u32,
  k: u32,
  piece: u32,
  colblocks: u32,
}

#if HIST
@group(0) @binding(0) var<storage, read> LABELS: array<u32>;
@group(0) @binding(1) var<storage, read_write> COUNTS: array<atomic<u32>>;
@group(0) @binding(2) var<uniform> P: Params;
#endif
#if SCAN
@group(0) @binding(0) var<storage, read_write> COUNTS: array<u32>;
@group(0) @binding(1) var<storage, read_write> OFFS: array<u32>;
@group(0) @binding(2) var<uniform> P: Params;
@group(0) @binding(3) var<storage, read_write> PSTART: array<u32>;
@group(0) @binding(4) var<storage, read_write> CURSOR: array<u32>;
@group(0) @binding(5) var<storage, read_write> TOTAL: array<u32>;
#endif
#if SCATTER
@group(0) @binding(0) var<storage, read> LABELS: array<u32>;
@group(0) @binding(1) var<storage, read> OFFS: array<u32>;
@group(0) @binding(2) var<uniform> P: Params;
@group(0) @binding(3) var<storage, read_write> CURSOR: array<atomic<u32>>;
@group(0) @binding(4) var<storage, read_write> PERM: array<u32>;
#endif
#if SEGSUM
@group(0) @binding(0) var<storage, read> X: array<vec4f>;
@group(0) @binding(1) var<storage, read> OFFS: array<u32>;
@group(0) @binding(2) var<uniform> P: Params;
@group(0) @binding(3) var<storage, read> PSTART: array<u32>;
@group(0) @binding(4) var<storage, read> PERM: array<u32>;
@group(0) @binding(5) var<storage, read> C: array<vec4f>;
@group(0) @binding(6) var<storage, read_write> PART: array<vec4f>;
@group(0) @binding(7) var<storage, read_write> PIN: array<vec2f>;
#endif
#if REDUCE
@group(0) @binding(0) var<storage, read> PART: array<vec4f>;
@group(0) @binding(1) var<storage, read> PIN: array<vec2f>;
@group(0) @binding(2) var<uniform> P: Params;
@group(0) @binding(3) var<storage, read> PSTART: array<u32>;
@group(0) @binding(4) var<storage, read_write> SUMS: array<vec4f>;
@group(0) @binding(5) var<storage, read_write> INERT: array<vec2f>;
#endif

#if LOCAL
var<workgroup> hist: array<atomic<u32>, LK>;
#endif
var<workgroup> scan_a: array<u32, 256>;
var<workgroup> scan_b: array<u32, 256>;
var<workgroup> w_u: vec2u;
var<workgroup> seg: array<DF4, 256>;
var<workgroup> segi: array<vec2f, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let wg = flat_id(wid, nwg);

#if HIST
  if (wg * 256u >= P.rows) {
    return;
  }
  let i = wg * 256u + lid;
#if LOCAL
  for (var c = lid; c < P.k; c += 256u) {
    atomicStore(&hist[c], 0u);
  }
  workgroupBarrier();
  if (i < P.rows) {
    atomicAdd(&hist[LABELS[i]], 1u);
  }
  workgroupBarrier();
  for (var c = lid; c < P.k; c += 256u) {
    let n = atomicLoad(&hist[c]);
    if (n > 0u) {
      atomicAdd(&COUNTS[c], n);
    }
  }
#else
  if (i < P.rows) {
    atomicAdd(&COUNTS[LABELS[i]], 1u);
  }
#endif
#endif

#if SCAN
  let per = (P.k + 255u) / 256u;
  let c0 = min(lid * per, P.k);
  let c1 = min(c0 + per, P.k);
  var a = 0u;
  var b = 0u;
  for (var c = c0; c < c1; c++) {
    let n = COUNTS[c];
    a += n;
    b += (n + P.piece - 1u) / P.piece;
  }
  scan_a[lid] = a;
  scan_b[lid] = b;
  workgroupBarrier();
  for (var off = 1u; off < 256u; off <<= 1u) {
    var xa = 0u;
    var xb = 0u;
    if (lid >= off) {
      xa = scan_a[lid - off];
      xb = scan_b[lid - off];
    }
    workgroupBarrier();
    scan_a[lid] += xa;
    scan_b[lid] += xb;
    workgroupBarrier();
  }
  var ea = scan_a[lid] - a;
  var eb = scan_b[lid] - b;
  for (var c = c0; c < c1; c++) {
    let n = COUNTS[c];
    OFFS[c] = ea;
    PSTART[c] = eb;
    ea += n;
    eb += (n + P.piece - 1u) / P.piece;
    TOTAL[c] += n;
    COUNTS[c] = 0u;
    CURSOR[c] = 0u;
  }
  if (lid == 255u) {
    OFFS[P.k] = scan_a[255];
    PSTART[P.k] = scan_b[255];
  }
#endif

#if SCATTER
  if (wg * 256u >= P.rows) {
    return;
  }
  let i = wg * 256u + lid;
  let valid = i < P.rows;
  var label = 0u;
  if (valid) {
    label = LABELS[i];
  }
#if LOCAL
  for (var c = lid; c < P.k; c += 256u) {
    atomicStore(&hist[c], 0u);
  }
  workgroupBarrier();
  var rank = 0u;
  if (valid) {
    rank = atomicAdd(&hist[label], 1u);
  }
  workgroupBarrier();
  for (var c = lid; c < P.k; c += 256u) {
    let n = atomicLoad(&hist[c]);
    if (n > 0u) {
      atomicStore(&hist[c], atomicAdd(&CURSOR[c], n));
    }
  }
  workgroupBarrier();
  if (valid) {
    PERM[OFFS[label] + atomicLoad(&hist[label]) + rank] = i;
  }
#else
  if (valid) {
    PERM[OFFS[label] + atomicAdd(&CURSOR[label], 1u)] = i;
  }
#endif
#endif

#if SEGSUM
  let piece = wg / P.colblocks;
  let cb = wg % P.colblocks;
  if (lid == 0u) {
    let pieces = PSTART[P.k];
    var c = 0u;
    if (piece < pieces) {
      // The cluster of this piece: the largest c with PSTART[c] <= piece.
      var lo = 0u;
      var hi = P.k - 1u;
      while (lo < hi) {
        let mid = (lo + hi + 1u) / 2u;
        if (PSTART[mid] <= piece) {
          lo = mid;
        } else {
          hi = mid - 1u;
        }
      }
      c = lo;
    }
    w_u = vec2u(select(0u, 1u, piece < pieces), c);
  }
  let info = workgroupUniformLoad(&w_u);
  if (info.x == 0u) {
    return;
  }
  let c = info.y;
  let begin = OFFS[c] + (piece - PSTART[c]) * P.piece;
  let end = min(begin + P.piece, OFFS[c + 1u]);
  let quad = cb * CT + lid % CT;
  let lane = lid / CT;
  var s = DF4(vec4f(0.0), vec4f(0.0));
  var e = DF4(vec4f(0.0), vec4f(0.0));
  if (quad < DP4) {
    let centre = C[c * DP4 + quad];
    for (var j = begin + lane; j < end; j += RL) {
      let x = X[PERM[j] * DP4 + quad];
      s = df4_add_f(s, x);
      e = df4_add(e, sq_diff4(x, centre));
    }
  }
  // Combine the RL lanes of each column quad: up to sixteen lanes each add every sixteenth
  // lane, then lane 0 adds those (deterministic, two barriers).
  seg[lid] = s;
  segi[lid] = df4_total(e);
  workgroupBarrier();
  const L1: u32 = min(RL, 16u);
  if (lane < L1) {
    var t = seg[lid];
    var u = segi[lid];
    for (var l = lane + L1; l < RL; l += L1) {
      t = df4_add(t, seg[l * CT + lid % CT]);
      u = df_add(u, segi[l * CT + lid % CT]);
    }
    seg[lid] = t;
    segi[lid] = u;
  }
  workgroupBarrier();
  if (lane == 0u && quad < DP4) {
    var t = seg[lid];
    var u = segi[lid];
    for (var l = 1u; l < L1; l++) {
      t = df4_add(t, seg[l * CT + lid]);
      u = df_add(u, segi[l * CT + lid]);
    }
    let o = (piece * DP4 + quad) * 2u;
    PART[o] = t.hi;
    PART[o + 1u] = t.lo;
    PIN[piece * DP4 + quad] = u;
  }
#endif

#if REDUCE
  let g = wg * 256u + lid;
  let c = g / DP4;
  let quad = g % DP4;
  if (c < P.k) {
    var s = DF4(vec4f(0.0), vec4f(0.0));
    let p0 = PSTART[c];
    let p1 = PSTART[c + 1u];
    for (var p = p0; p < p1; p++) {
      let o = (p * DP4 + quad) * 2u;
      s = df4_add(s, DF4(PART[o], PART[o + 1u]));
    }
    let o = (c * DP4 + quad) * 2u;
    let r = df4_add(DF4(SUMS[o], SUMS[o + 1u]), s);
    SUMS[o] = r.hi;
    SUMS[o + 1u] = r.lo;
    if (quad == 0u) {
      var t = INERT[c];
      for (var p = p0; p < p1; p++) {
        for (var q = 0u; q < DP4; q++) {
          t = df_add(t, PIN[p * DP4 + q]);
        }
      }
      INERT[c] = t;
    }
  }
#endif
}
