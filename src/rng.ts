/**
 * Seeded pseudo-random numbers (xoshiro128**, seeded through splitmix32).
 *
 * Every random choice an algorithm makes (k-means++ samples, random init rows, silhouette
 * samples) is drawn here on the host, never inside a backend, so one seed gives one result on
 * js, wasm and webgpu alike.
 */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    let x = seed >>> 0;
    const next = (): number => {
      // splitmix32: spreads a small seed over the whole 128-bit state
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
      return (z ^ (z >>> 15)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n). */
  nextInt(n: number): number {
    return Math.floor(this.nextFloat() * n);
  }

  /** `count` distinct integers from [0, n), in random order (partial Fisher-Yates). */
  sampleWithoutReplacement(n: number, count: number): Int32Array {
    if (count > n) throw new RangeError(`cannot draw ${count} distinct values from ${n}`);
    // For a small sample of a large range, a hash map of swapped slots avoids an O(n) array.
    const swapped = new Map<number, number>();
    const out = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const j = i + this.nextInt(n - i);
      const atJ = swapped.get(j) ?? j;
      const atI = swapped.get(i) ?? i;
      out[i] = atJ;
      swapped.set(j, atI);
    }
    return out;
  }

  /** A 32-bit seed for a child stream (one per k-means init, say). */
  fork(): Rng {
    return new Rng(this.nextUint32());
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
