#!/usr/bin/env python3
"""scikit-learn side of bench/hierarchy.mjs.

Reads a JSON spec (the data as .npy written by the Node side, the workloads and the timing
plan), times scikit-learn on exactly those float32 arrays (as float64, what scikit-learn's
agglomerative code and AffinityPropagation compute in) and prints one JSON object on stdout;
progress goes to stderr. Timing rules as bench/lib/timing.mjs: one warm-up run on a small head
of the data, then the median of up to `repeats` runs, fewer once `budget_ms` has been spent.

Workloads:
  agglomerative  AgglomerativeClustering(n_clusters=k, linkage=m, compute_distances=True).fit(X)
                 for each linkage m (SciPy's linkage underneath; an MST for single).
  affinity       AffinityPropagation(damping, random_state=0).fit(X) with its other defaults.
  big            one AgglomerativeClustering fit (no repeats), with the process's peak RSS.
"""
import json
import resource
import sys
import time
import warnings

import numpy as np
import scipy
import sklearn
from sklearn.cluster import AffinityPropagation, AgglomerativeClustering
from threadpoolctl import threadpool_info

from peerlib import logger, time_repeated

log = logger("sklearn")


def agglomerative(X, k, linkage):
    return AgglomerativeClustering(n_clusters=k, linkage=linkage, compute_distances=True).fit(X)


def main():
    spec = json.load(open(sys.argv[1]))
    plan = spec.get("plan", {})
    repeats, budget = plan.get("repeats", 3), plan.get("budget_ms", 20_000)
    out = {
        "versions": {"sklearn": sklearn.__version__, "scipy": scipy.__version__, "numpy": np.__version__},
        "blas": [{k: v for k, v in info.items() if k in ("internal_api", "num_threads", "version", "architecture")} for info in threadpool_info()],
    }
    if "agglomerative" in spec:
        w = spec["agglomerative"]
        X = np.load(w["data"]).astype(np.float64)
        out["agglomerative"] = {}
        for linkage in w["linkages"]:
            log(f"AgglomerativeClustering {X.shape[0]}x{X.shape[1]} {linkage}")
            agglomerative(X[:500], w["k"], linkage)  # warm-up
            timing, model = time_repeated(lambda: agglomerative(X, w["k"], linkage), repeats, budget)
            out["agglomerative"][linkage] = {
                **timing,
                "labels": [int(v) for v in model.labels_],
                "top_heights": [float(v) for v in np.sort(model.distances_)[::-1][:10]],
            }
    if "affinity" in spec:
        w = spec["affinity"]
        X = np.load(w["data"]).astype(np.float64)
        log(f"AffinityPropagation {X.shape[0]}x{X.shape[1]}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            AffinityPropagation(damping=w["damping"], random_state=0).fit(X[:200])  # warm-up
            timing, model = time_repeated(lambda: AffinityPropagation(damping=w["damping"], random_state=0).fit(X), repeats, budget)
        out["affinity"] = {
            **timing,
            "labels": [int(v) for v in model.labels_],
            "exemplars": [int(v) for v in model.cluster_centers_indices_],
            "iterations": int(model.n_iter_),
        }
    if "big" in spec:
        w = spec["big"]
        X = np.load(w["data"]).astype(np.float64)
        log(f"AgglomerativeClustering {X.shape[0]}x{X.shape[1]} {w['linkage']} (once)")
        start = time.perf_counter()
        model = agglomerative(X, w["k"], w["linkage"])
        out["big"] = {
            "ms": (time.perf_counter() - start) * 1e3,
            "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
            "labels": [int(v) for v in model.labels_],
        }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
