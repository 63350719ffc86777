/**
 * Turns raw measurements into the JSON-able summary: speed-ups against scikit-learn (its time
 * divided by ours: > 1 means clusterkit is faster), GFLOP/s, and result quality (inertia
 * ratio, adjusted Rand index between the labelings).
 */
import { readNpy } from './npy.mjs';
import { adjustedRandIndex } from './quality.mjs';
import { lloydGflops } from './timing.mjs';

const speedup = (sklearnMs, ourMs) => (sklearnMs === undefined || !ourMs ? null : sklearnMs / ourMs);

/** scikit-learn's fit of a figure (the last one: for Lloyd, the longer fixed-iteration run). */
export const sklearnFit = (figure) => figure?.fits.at(-1);

/** scikit-learn's fixed-iteration fit that ran exactly `iterations`, if there is one. */
export const sklearnFitAfter = (figure, iterations) => figure?.fits.find((f) => f.iterations === iterations);

/** ARI of a labeling against one scikit-learn fit (none: null). */
const ariWith = (labels, skFit) => (skFit ? adjustedRandIndex(labels, readNpy(skFit.labels).data) : null);

/** Inertia ratio (ours / theirs) and ARI of a fit against one scikit-learn fit (none: nulls). */
function agreement(fit, skFit) {
  return { inertiaRatio: skFit ? fit.inertia / skFit.inertia : null, ari: ariWith(fit.labels, skFit) };
}

function fitSummary(fit) {
  return { inertia: fit.inertia, iterations: fit.iterations, converged: fit.converged, distanceEvaluations: fit.distanceEvaluations };
}

function perIterationSummary(shape, timing, sklearnMs) {
  const { fit, ...rest } = timing;
  return { ...rest, gflops: lloydGflops(shape, timing.msPerIteration), speedup: speedup(sklearnMs, timing.msPerIteration), fit: fitSummary(fit) };
}

/** One backend on one k-means shape, against scikit-learn's figures `sk` (may be undefined). */
export function compareKMeans(shape, measured, sk) {
  const { lloyd, hamerly, init, fitOneInit } = measured;
  return {
    // Same centroids and the same number of iterations: labels should agree up to float ties.
    lloyd: { ...perIterationSummary(shape, lloyd, sk?.lloyd.ms), sameInit: agreement(lloyd.fit, sklearnFitAfter(sk?.lloyd, lloyd.fit.iterations)) },
    hamerly: { ...perIterationSummary(shape, hamerly, sk?.lloyd.ms), distanceFraction: hamerly.distanceFraction },
    init: { ...init, speedup: speedup(sk?.init.ms, init.ms), initPlusOneSpeedup: speedup(sk?.init.byDtype[sk.init.best].initPlusOneMs, init.initPlusOneMs) },
    fitOneInit: {
      ms: fitOneInit.ms,
      samples: fitOneInit.samples,
      ...fitSummary(fitOneInit.fit),
      speedupVsOneInit: speedup(sk?.fitOneInit.ms, fitOneInit.ms),
      speedupVsDefaults: speedup(sk?.fitDefaults.ms, fitOneInit.ms),
      vsOneInit: agreement(fitOneInit.fit, sklearnFit(sk?.fitOneInit)),
      vsDefaults: agreement(fitOneInit.fit, sklearnFit(sk?.fitDefaults)),
    },
  };
}

export function compareSilhouette(measured, sk) {
  return { ...measured, speedup: speedup(sk?.ms, measured.ms), scoreDifference: sk ? Math.abs(measured.score - sk.score) : null };
}

/** The JS libraries: ms per iteration, and how many times faster each clusterkit backend is. */
export function comparePeers(shape, peers, clusterkitLloyd, sk) {
  return Object.fromEntries(
    Object.entries(peers).map(([name, { labels, ...timing }]) => [
      name,
      {
        ...timing,
        gflops: lloydGflops(shape, timing.msPerIteration),
        clusterkitSpeedup: Object.fromEntries(Object.entries(clusterkitLloyd).map(([backend, ms]) => [backend, timing.msPerIteration / ms])),
        // Same init and iterations as one of scikit-learn's fixed-iteration runs: should be ~1.
        ariVsSklearn: ariWith(labels, sklearnFitAfter(sk?.lloyd, timing.hi.iterations)),
      },
    ]),
  );
}
