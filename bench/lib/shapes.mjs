/**
 * Benchmark shapes: what is clustered, how big, and how many iterations each side is timed for.
 */

/** The shapes of issue 2 (item 8) and issue 3's targets. */
export const FULL_SHAPES = 'kmeans:100000x64:16,kmeans:100000x512:64,silhouette:10000x64:16';
/** Small enough that the whole command, scikit-learn included, runs in well under a minute. */
export const QUICK_SHAPES = 'kmeans:20000x32:16,silhouette:2000x16:8';

/**
 * Fixed-iteration windows for "ms per iteration": time a run of `hi` and of `lo` iterations and
 * divide the difference (see timing.mjs). `fitMaxIter` caps end-to-end fits (300 = scikit-learn's
 * default, i.e. no cap).
 */
export const FULL_PLAN = { lo: 2, hi: 12, repeats: 3, budgetMs: 20_000, fitMaxIter: 300, warmup: true };
export const QUICK_PLAN = { lo: 2, hi: 8, repeats: 3, budgetMs: 2_000, fitMaxIter: 300, warmup: true };
/**
 * For a backend whose iteration on a shape is estimated above SLOW_ITERATION_MS (the JS
 * reference on 100k×512): one repeat, runs of 1 and 2 iterations, and end-to-end fits capped, so
 * the whole run stays near ten minutes for that backend. Marked "capped" in the output. `hi` is
 * the full plan's `lo`, so scikit-learn has a fit of that many iterations to compare labels with.
 */
export const SLOW_ITERATION_MS = 3_000;
export const CAPPED_PLAN = { lo: 1, hi: FULL_PLAN.lo, repeats: 1, budgetMs: 0, fitMaxIter: 5, warmup: false };

/** A bad command-line option: reported as one line, without a stack. */
export class OptionError extends Error {}

/** A command-line integer ≥ `min`, or an error naming the option. */
export function positiveInteger(option, text, min = 1) {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new OptionError(`${option}: expected an integer ≥ ${min}, got "${text}"`);
  return value;
}

/** "100k" → 100000, "2m" → 2000000. */
function count(text) {
  const match = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(text);
  if (!match) throw new OptionError(`bad count "${text}"`);
  return Math.round(Number(match[1]) * { '': 1, k: 1e3, m: 1e6 }[match[2].toLowerCase()]);
}

/** A readable name: "100k×64 K=16". */
function shapeName(n, d, k) {
  const rows = n >= 1e6 && n % 1e6 === 0 ? `${n / 1e6}M` : n >= 1e3 && n % 1e3 === 0 ? `${n / 1e3}k` : `${n}`;
  return `${rows}×${d} K=${k}`;
}

/**
 * Parses "kind:NxD:K,…" (kind kmeans or silhouette; silhouette labels come from a K-means fit).
 * Each shape gets its own data seed derived from `seed`, so adding a shape changes no other.
 */
export function parseShapes(text, seed) {
  return text.split(',').map((spec, index) => {
    const match = /^(kmeans|silhouette):([\d.]+[km]?)x(\d+):(\d+)$/i.exec(spec.trim());
    if (!match) throw new OptionError(`--shapes: "${spec}" is not kind:NxD:K (kind kmeans or silhouette), e.g. kmeans:100kx64:16`);
    const [, kind, rows, cols, clusters] = match;
    const n = count(rows);
    const d = Number(cols);
    const k = Number(clusters);
    if (k < 2 || k >= n) throw new OptionError(`--shapes: "${spec}" needs 2 ≤ K < N`);
    const id = `${kind.toLowerCase()}-n${n}-d${d}-k${k}`;
    return { kind: kind.toLowerCase(), n, d, k, id, name: shapeName(n, d, k), seed: seed + index };
  });
}

/** "NxD:K" (rows × columns, clusters), or `fallback` when `text` is not given. */
export function shapeOf(text, fallback) {
  const match = /^(\d+)x(\d+):(\d+)$/.exec(text ?? fallback);
  if (!match) throw new Error(`bad shape "${text}", expected NxD:K`);
  return { n: Number(match[1]), d: Number(match[2]), k: Number(match[3]) };
}
