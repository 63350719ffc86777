#!/usr/bin/env python3
"""scikit-learn side of bench/sklearn.mjs.

Reads a JSON spec (data, initial centroids and labels as .npy written by the Node side, the
timing plan), measures scikit-learn on exactly those arrays, writes its labelings as .npy for
the Node side to compare, and prints one JSON object on stdout. Progress goes to stderr.

Every figure is measured with float32 and float64 input and the faster one is reported ("give
scikit-learn its best"): float32 iterates faster, float64 seeds k-means++ faster on this
machine. The timing rules mirror bench/lib/timing.mjs: one warm-up, the median of a few
repeats (fewer when a run is slow), per-iteration time as a difference of two fixed-iteration
runs so that per-fit overheads cancel.
"""
import json
import os
import platform
import sys
import warnings

import numpy as np
import scipy
import sklearn
from sklearn.cluster import KMeans, kmeans_plusplus
from sklearn.metrics import silhouette_score
from threadpoolctl import threadpool_info

from peerlib import logger, time_repeated

log = logger("sklearn")

DTYPES = ("float32", "float64")


def fit(x, **params):
    return KMeans(**params).fit(x)


def inertia64(x, model):
    """Inertia in float64 from the fitted labels and centres, whatever dtype the fit used,
    so it compares with clusterkit's (float64 accumulation) on equal terms."""
    centres = model.cluster_centers_.astype(np.float64)
    total = 0.0
    for start in range(0, x.shape[0], 8192):
        rows = x[start:start + 8192].astype(np.float64)
        total += float(((rows - centres[model.labels_[start:start + 8192]]) ** 2).sum())
    return total


def per_iteration_estimate(lo_ms, lo_it, hi_ms, hi_it):
    """As perIterationEstimate in bench/lib/timing.mjs: the difference, or total / iterations
    when the data converged before `lo` or noise swallowed the difference."""
    total = {"ms": hi_ms / hi_it, "method": f"t{hi_it} / {hi_it}", "differential": False}
    if hi_it <= lo_it:
        return {**total, "method": f"{total['method']} (converged within {lo_it} iterations)"}
    ms = (hi_ms - lo_ms) / (hi_it - lo_it)
    if ms <= 0:
        return {**total, "method": f"{total['method']} (difference lost in noise)"}
    return {"ms": ms, "method": f"(t{hi_it} − t{lo_it}) / {hi_it - lo_it}", "differential": True}


def per_iteration(x, init, lo, hi, repeats, budget_ms):
    """ms per Lloyd iteration from the given centroids, tol=0 (only stable labels stop it)."""
    params = dict(n_clusters=init.shape[0], init=init.astype(x.dtype), n_init=1, tol=0.0, algorithm="lloyd")
    fit(x, max_iter=lo, **params)  # warm-up
    low, low_model = time_repeated(lambda: fit(x, max_iter=lo, **params), repeats, budget_ms)
    high, model = time_repeated(lambda: fit(x, max_iter=hi, **params), repeats, budget_ms)
    lo_it, hi_it = int(low_model.n_iter_), int(model.n_iter_)
    return {
        **per_iteration_estimate(low["ms"], lo_it, high["ms"], hi_it),
        "lo": {**low, "iterations": lo_it},
        "hi": {**high, "iterations": hi_it},
    }, [low_model, model]


def init_time(x, k, seed, repeats, budget_ms):
    """Greedy k-means++ alone (the public kmeans_plusplus, which KMeans calls), and k-means++
    plus one Lloyd iteration through KMeans (the 'init plus one iteration' figure of DESIGN.md)."""
    kmeans_plusplus(x, k, random_state=seed)  # warm-up
    seeding, _ = time_repeated(lambda: kmeans_plusplus(x, k, random_state=seed), repeats, budget_ms)
    plus_one = dict(n_clusters=k, init="k-means++", n_init=1, max_iter=1, tol=0.0, algorithm="lloyd", random_state=seed)
    with_iteration, _ = time_repeated(lambda: fit(x, **plus_one), repeats, budget_ms)
    return {**seeding, "initPlusOneMs": with_iteration["ms"]}, []


def end_to_end(x, k, seed, n_init, repeats, budget_ms):
    """A whole fit with scikit-learn's defaults (k-means++, tol 1e-4, max_iter 300) and n_init."""
    timing, model = time_repeated(lambda: fit(x, n_clusters=k, n_init=n_init, random_state=seed), repeats, budget_ms)
    return timing, [model]


def pick_best(by_dtype):
    """The faster dtype's figure, with both kept for the record."""
    best = min(by_dtype, key=lambda dtype: by_dtype[dtype][0]["ms"])
    return best, {"best": best, "ms": by_dtype[best][0]["ms"], "byDtype": {d: r[0] for d, r in by_dtype.items()}}


def describe_fits(models, x32, out_dir, name):
    """Iterations, float64 inertia and a labels file (for the Node side's ARI) per fitted model."""
    fits = []
    for model in models:
        path = os.path.join(out_dir, f"sklearn-{name}-it{model.n_iter_}.npy")
        np.save(path, model.labels_.astype(np.int32))
        fits.append({"iterations": int(model.n_iter_), "inertia": inertia64(x32, model), "labels": path})
    return fits


def kmeans_task(task, plan, out_dir):
    x32 = np.load(task["data"])
    init = np.load(task["init"])
    inputs = {"float32": x32, "float64": x32.astype(np.float64)}
    k, seed, tag = task["k"], task["seed"], task["id"]
    repeats, budget = plan["repeats"], plan["budgetMs"]
    result = {}

    def measure(figure, run):
        by_dtype = {}
        for dtype in DTYPES:
            log(f"{task['name']}: {figure} ({dtype})")
            by_dtype[dtype] = run(inputs[dtype])
        best, summary = pick_best(by_dtype)
        summary["fits"] = describe_fits(by_dtype[best][1], x32, out_dir, f"{tag}-{figure}")
        result[figure] = summary

    # Both fixed-iteration fits are kept: a backend on a capped plan stops at `lo` iterations.
    measure("lloyd", lambda x: per_iteration(x, init, task["lo"], task["hi"], repeats, budget))
    measure("init", lambda x: init_time(x, k, seed, repeats, budget))
    measure("fitOneInit", lambda x: end_to_end(x, k, seed, 1, repeats, budget))
    measure("fitDefaults", lambda x: end_to_end(x, k, seed, 10, repeats, budget))
    return result


def silhouette_task(task, plan):
    x32 = np.load(task["data"])
    labels = np.load(task["labels"])
    by_dtype = {}
    for dtype in DTYPES:
        log(f"{task['name']}: silhouette ({dtype})")
        x = x32.astype(dtype)
        silhouette_score(x[:2000], labels[:2000])  # warm-up
        timing, score = time_repeated(lambda: silhouette_score(x, labels), plan["repeats"], plan["budgetMs"])
        timing["score"] = float(score)
        by_dtype[dtype] = (timing, [])
    best, summary = pick_best(by_dtype)
    summary["score"] = by_dtype[best][0]["score"]
    return summary


def machine():
    pools = threadpool_info()
    return {
        "python": platform.python_version(),
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "threadpools": [
            {key: pool.get(key) for key in ("user_api", "internal_api", "version", "architecture", "threading_layer", "num_threads")}
            for pool in pools
        ],
        "threads": max((pool["num_threads"] for pool in pools), default=1),
        "openblasEnv": {key: os.environ.get(key) for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")},
    }


def main():
    with open(sys.argv[1]) as handle:
        spec = json.load(handle)
    # scikit-learn 1.2 warns that n_init's default will change; n_init is passed explicitly.
    warnings.simplefilter("ignore", FutureWarning)
    result = {"machine": machine(), "kmeans": {}, "silhouette": {}}
    for task in spec["kmeans"]:
        result["kmeans"][task["id"]] = kmeans_task(task, spec["plan"], spec["outDir"])
    for task in spec["silhouette"]:
        result["silhouette"][task["id"]] = silhouette_task(task, spec["plan"])
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
