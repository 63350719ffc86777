// Shared helpers, included by the other shaders.
//
// df32 ("double float"): a value carried as hi + lo, two f32 whose sum is the value to about
// 2^-44 relative. two_sum is Knuth's error-free addition; WGSL does not reassociate float
// arithmetic, so the rounding error it recovers is exact. Accumulating in df32 is how the GPU
// matches the float64 sums of the JS reference without float64 hardware.

const BIG: f32 = 3.0e38;

fn two_sum(a: f32, b: f32) -> vec2f {
  let s = a + b;
  let bb = s - a;
  return vec2f(s, (a - (s - bb)) + (b - bb));
}

// (hi, lo) + b
fn df_add_f(x: vec2f, b: f32) -> vec2f {
  let s = two_sum(x.x, b);
  let lo = s.y + x.y;
  let hi = s.x + lo;
  return vec2f(hi, lo - (hi - s.x));
}

// (hi, lo) + (hi, lo)
fn df_add(x: vec2f, y: vec2f) -> vec2f {
  let s = two_sum(x.x, y.x);
  let lo = s.y + (x.y + y.y);
  let hi = s.x + lo;
  return vec2f(hi, lo - (hi - s.x));
}

// The rounding error of the product p = a·b, exactly: through fma where the device fuses it
// (probed at start-up: Vulkan lets fma be a rounded multiply-add, and SwiftShader's is),
// otherwise by Dekker's splitting of both factors into 12-bit halves.
#if EXACT_FMA
fn prod_err(a: f32, b: f32, p: f32) -> f32 {
  return fma(a, b, -p);
}
fn prod_err4(a: vec4f, b: vec4f, p: vec4f) -> vec4f {
  return fma(a, b, -p);
}
#else
fn prod_err(a: f32, b: f32, p: f32) -> f32 {
  let ca = 4097.0 * a;
  let ah = ca - (ca - a);
  let al = a - ah;
  let cb = 4097.0 * b;
  let bh = cb - (cb - b);
  let bl = b - bh;
  return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}
fn prod_err4(a: vec4f, b: vec4f, p: vec4f) -> vec4f {
  let ca = 4097.0 * a;
  let ah = ca - (ca - a);
  let al = a - ah;
  let cb = 4097.0 * b;
  let bh = cb - (cb - b);
  let bl = b - bh;
  return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}
#endif

// √(hi + lo) as df32: the f32 root plus one Newton correction (exact residual r² − hi).
fn df_sqrt(x: vec2f) -> vec2f {
  let s = x.x + x.y;
  if (s <= 0.0) {
    return vec2f(0.0);
  }
  let r = sqrt(s);
  let p = r * r;
  let e = (p - x.x) + prod_err(r, r, p);
  let d = (x.y - e) / (2.0 * r);
  let hi = r + d;
  return vec2f(hi, d - (hi - r));
}

struct DF4 {
  hi: vec4f,
  lo: vec4f,
}

// Four independent df32 lanes: (hi, lo) + b, component-wise.
fn df4_add_f(x: DF4, b: vec4f) -> DF4 {
  let s = x.hi + b;
  let bb = s - x.hi;
  let err = (x.hi - (s - bb)) + (b - bb);
  let lo = err + x.lo;
  let hi = s + lo;
  return DF4(hi, lo - (hi - s));
}

fn df4_add(x: DF4, y: DF4) -> DF4 {
  let s = x.hi + y.hi;
  let bb = s - x.hi;
  let err = (x.hi - (s - bb)) + (y.hi - bb);
  let lo = err + (x.lo + y.lo);
  let hi = s + lo;
  return DF4(hi, lo - (hi - s));
}

// The four lanes summed into one df32 value.
fn df4_total(x: DF4) -> vec2f {
  var t = vec2f(x.hi.x, x.lo.x);
  t = df_add(t, vec2f(x.hi.y, x.lo.y));
  t = df_add(t, vec2f(x.hi.z, x.lo.z));
  return df_add(t, vec2f(x.hi.w, x.lo.w));
}

// Squares of a − b, as df32 lanes: the difference split exactly (two_sum), the square's
// rounding error recovered exactly.
fn sq_diff4(a: vec4f, b: vec4f) -> DF4 {
  let d = a - b;
  let bb = d - a;
  let e = (a - (d - bb)) + (-b - bb);
  let p = d * d;
  let pe = prod_err4(d, d, p) + 2.0 * d * e;
  return DF4(p, pe);
}

// Products a·b as df32 lanes.
fn prod4(a: vec4f, b: vec4f) -> DF4 {
  let p = a * b;
  return DF4(p, prod_err4(a, b, p));
}

// 2-D dispatch grids (more than 65,535 workgroups) flattened to one index.
fn flat_id(wid: vec3u, nwg: vec3u) -> u32 {
  return wid.x + wid.y * nwg.x;
}
