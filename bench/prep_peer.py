#!/usr/bin/env python3
"""scikit-learn / NumPy / SciPy side of bench/prep.mjs.

Reads a JSON spec (the cases, each naming a float32 .npy written by the Node side, and the
timing plan), times the reference implementation of each on exactly that array, and prints one
JSON object on stdout (progress on stderr). Results the Node side compares against (explained
variance ratios and components, correlation matrices) are written as .npy beside the data.

Timing rules as bench/lib/timing.mjs: one warm-up, then the median of up to `repeats` runs
(fewer once `budget_ms` is spent). Where the dtype matters the run is made with float32 and
float64 input and the faster is reported ("give scikit-learn its best").

Cases (kind):
  pca          sklearn PCA(n_components=k, svd_solver="full") - exact, like clusterkit's;
               also PCA(n_components=k) with the default solver (randomized for small k on
               these shapes, approximate) and NumPy's covariance + eigh (clusterkit's own
               algorithm, on OpenBLAS / LAPACK), each reported separately.
  standardize  StandardScaler().fit_transform(X)
  pearson      np.corrcoef(X, rowvar=False)
  spearman     scipy.stats.spearmanr(X).correlation
"""
import json
import platform
import sys
import warnings

import numpy as np
import scipy
import scipy.stats
import sklearn
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info

from peerlib import logger, time_repeated

log = logger("python")


def best_of_dtypes(fn, x32, repeats, budget_ms):
    """Times fn(x) on float32 and float64 copies; returns the faster figure and its result."""
    figures = {}
    results = {}
    for dtype in ("float32", "float64"):
        x = x32 if dtype == "float32" else x32.astype(np.float64)
        figures[dtype], results[dtype] = time_repeated(lambda: fn(x), repeats, budget_ms, warmup=True)
    best = min(figures, key=lambda d: figures[d]["ms"])
    return {**figures[best], "best": best, "by_dtype": {d: f["ms"] for d, f in figures.items()}}, results[best]


def covariance_eigh(x, k):
    mean = x.mean(axis=0)
    xc = x - mean
    cov = xc.T @ xc / (x.shape[0] - 1)
    values, vectors = np.linalg.eigh(cov)
    return values[::-1][:k], vectors[:, ::-1][:, :k].T


def run_case(case, spec):
    x = np.load(case["file"])
    assert x.dtype == np.float32, x.dtype
    repeats, budget = spec["repeats"], spec["budget_ms"]
    kind = case["kind"]
    out = {"id": case["id"], "kind": kind}
    if kind == "pca":
        k = case["components"]
        full, model = best_of_dtypes(lambda a: PCA(n_components=k, svd_solver="full").fit(a), x, repeats, budget)
        out["full"] = full
        default, dmodel = best_of_dtypes(lambda a: PCA(n_components=k, random_state=0).fit(a), x, repeats, budget)
        out["default"] = {**default, "solver": dmodel._fit_svd_solver}
        eigh, _ = best_of_dtypes(lambda a: covariance_eigh(a, k), x, repeats, budget)
        out["eigh"] = eigh
        # The reference result: exact, in float64.
        ref = PCA(n_components=k, svd_solver="full").fit(x.astype(np.float64))
        np.save(case["file"].replace(".npy", "-ratio.npy"), ref.explained_variance_ratio_)
        np.save(case["file"].replace(".npy", "-components.npy"), ref.components_)
    elif kind == "standardize":
        out["time"], _ = best_of_dtypes(lambda a: StandardScaler().fit_transform(a), x, repeats, budget)
    elif kind == "pearson":
        out["time"], _ = best_of_dtypes(lambda a: np.corrcoef(a, rowvar=False), x, repeats, budget)
        np.save(case["file"].replace(".npy", "-pearson.npy"), np.corrcoef(x.astype(np.float64), rowvar=False))
    elif kind == "spearman":
        out["time"], _ = best_of_dtypes(lambda a: scipy.stats.spearmanr(a).correlation, x, repeats, budget)
        np.save(case["file"].replace(".npy", "-spearman.npy"), scipy.stats.spearmanr(x.astype(np.float64)).correlation)
    else:
        raise ValueError(f"unknown case kind {kind}")
    return out


def main():
    spec = json.loads(open(sys.argv[1]).read())
    warnings.simplefilter("ignore")
    results = {}
    for case in spec["cases"]:
        log(f"{case['id']}")
        results[case["id"]] = run_case(case, spec)
    blas = [{k: info.get(k) for k in ("internal_api", "version", "num_threads", "architecture")} for info in threadpool_info()]
    print(
        json.dumps(
            {
                "versions": {"python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__, "sklearn": sklearn.__version__},
                "threadpools": blas,
                "results": results,
            }
        )
    )


if __name__ == "__main__":
    main()
