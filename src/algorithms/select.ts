// Quickselect, and medians by it: shared by aggregate, profile and prep's medians and
// quantiles, affinity propagation's median preference and k-means' farthest-row search. O(n)
// on average instead of a full sort.

/**
 * Reorders a[lo..hi] (inclusive) so that a[k] holds the value of its rank there, with no larger
 * value before it and no smaller one after it.
 */
export function selectInPlace(a: Float32Array | Float64Array, lo: number, hi: number, k: number): void {
  let rounds = 2 * Math.ceil(Math.log2(hi - lo + 2)) + 8;
  while (hi - lo >= 16) {
    if (rounds-- === 0) {
      a.subarray(lo, hi + 1).sort();
      return;
    }
    const mid = lo + ((hi - lo) >> 1);
    const x = a[lo]!;
    const y = a[mid]!;
    const z = a[hi]!;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    // Three-way partition in two sweeps without data-dependent branches (a branch on each
    // comparison with the pivot is mispredicted half the time on unordered data: twice as slow).
    // First the values below the pivot to the front, then those above it to the back.
    let less = lo;
    for (let i = lo; i <= hi; i++) {
      const v = a[i]!;
      a[i] = a[less]!;
      a[less] = v;
      less += bit(v < pivot);
    }
    let more = hi;
    for (let i = hi; i >= less; i--) {
      const v = a[i]!;
      a[i] = a[more]!;
      a[more] = v;
      more -= bit(v > pivot);
    }
    // Now a[lo..less − 1] < pivot = a[less..more] < a[more + 1..hi].
    if (k < less) hi = less - 1;
    else if (k > more) lo = more + 1;
    else return;
  }
  for (let i = lo + 1; i <= hi; i++) {
    const v = a[i]!;
    let j = i - 1;
    while (j >= lo && a[j]! > v) {
      a[j + 1] = a[j]!;
      j--;
    }
    a[j + 1] = v;
  }
}

/**
 * The median of the `n` values of `a` from `start` (reordering them): the middle value, or the
 * mean of the two middle values for even `n` (NumPy's convention). Quickselect with a
 * median-of-three pivot, O(n) on average; after 2·log2(n) + 8 partitioning rounds without
 * finishing (an adversarial order) the remaining range is sorted instead, so the worst case is
 * O(n log n). Ranges of up to 16 values are insertion-sorted. NaN if n is 0.
 */
export function medianInPlace(a: Float32Array | Float64Array, n: number, start = 0): number {
  if (n === 0) return NaN;
  const k = start + (n >> 1);
  selectInPlace(a, start, start + n - 1, k);
  const upper = a[k]!;
  if (n % 2 === 1) return upper;
  let lower = -Infinity;
  for (let i = start; i < k; i++) if (a[i]! > lower) lower = a[i]!;
  return (lower + upper) / 2;
}

/** 1 for true, 0 for false: V8 compiles `boolean | 0` to a set-on-condition, not a branch. */
function bit(condition: boolean): number {
  return (condition as unknown as number) | 0;
}
