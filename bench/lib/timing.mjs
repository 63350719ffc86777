/**
 * Timing rules shared by every measured side (clusterkit backends and the JS peers here, the
 * same rules re-stated in sklearn_peer.py): warm up once, then the median of a few repeats,
 * with fewer repeats when one run is slow so the whole benchmark stays within minutes.
 */
import { performance } from 'node:perf_hooks';

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Runs `fn` `repeats` times, or fewer once the runs so far took `budgetMs` (at least one).
 * Returns the median wall time in ms, every sample, and the last run's result.
 */
export async function timeRepeated(fn, { repeats, budgetMs }) {
  const samples = [];
  let result;
  let spent = 0;
  while (samples.length < repeats && (samples.length === 0 || spent < budgetMs)) {
    const start = performance.now();
    result = await fn();
    const ms = performance.now() - start;
    samples.push(ms);
    spent += ms;
  }
  return { ms: median(samples), samples, result };
}

/**
 * Milliseconds per Lloyd iteration of `run(maxIter)` (which returns `{ iterations }`), as the
 * difference between a run of `hi` and a run of `lo` iterations divided by the iterations in
 * between. The difference cancels what every fit pays once (upload, validation, the tolerance
 * scan, the last assignment), so backends with different fixed costs compare per iteration.
 * See perIterationEstimate for when it falls back to total / iterations.
 */
export async function timePerIteration(run, { lo, hi, repeats, budgetMs, warmup = true }) {
  if (warmup) await run(lo); // JIT, worker start-up, caches
  const low = await timeRepeated(() => run(lo), { repeats, budgetMs });
  const high = await timeRepeated(() => run(hi), { repeats, budgetMs });
  const loIterations = low.result.iterations;
  const hiIterations = high.result.iterations;
  return {
    ...perIterationEstimate(low.ms, loIterations, high.ms, hiIterations),
    lo: { maxIter: lo, iterations: loIterations, ms: low.ms, samples: low.samples },
    hi: { maxIter: hi, iterations: hiIterations, ms: high.ms, samples: high.samples },
    result: high.result,
  };
}

/**
 * The differential estimate, or total / iterations (an overestimate: it includes the fixed
 * costs) when it cannot be had: the data converged before `lo` iterations, or timing noise
 * exceeded the difference (tiny shapes on a busy machine). The method says which.
 */
export function perIterationEstimate(loMs, loIterations, hiMs, hiIterations) {
  const total = { msPerIteration: hiMs / hiIterations, method: `t${hiIterations} / ${hiIterations}`, differential: false };
  if (hiIterations <= loIterations) return { ...total, method: `${total.method} (converged within ${loIterations} iterations)` };
  const msPerIteration = (hiMs - loMs) / (hiIterations - loIterations);
  if (msPerIteration <= 0) return { ...total, method: `${total.method} (difference lost in noise)` };
  return { msPerIteration, method: `(t${hiIterations} − t${loIterations}) / ${hiIterations - loIterations}`, differential: true };
}

/** GFLOP/s of a Lloyd iteration: 2·n·k·d flops (the distance or GEMM work) per iteration. */
export function lloydGflops(shape, msPerIteration) {
  return (2 * shape.n * shape.k * shape.d) / (msPerIteration * 1e6);
}
