#!/usr/bin/env python3
"""scikit-learn side of bench/workflows.mjs.

Reads a JSON spec (the data as .npy written by the Node side, the workload parameters and the
timing plan), times scikit-learn on exactly those float32 arrays and prints one JSON object on
stdout; progress goes to stderr. The timing rules are bench/lib/timing.mjs's: one warm-up run
(on a small head of the data), then the median of up to `repeats` runs, fewer once `budget_ms`
has been spent.

Workloads:
  sweep      for k in ks: KMeans(k, n_init, random_state=seed).fit(X); silhouette_score(X,
             labels, sample_size, random_state=seed); calinski_harabasz_score;
             davies_bouldin_score; plus the clustergram data (PCA(1) of X and the cluster means
             projected on it), i.e. what clusterkit's sweep computes.
  minibatch  MiniBatchKMeans(k, batch_size, n_init, random_state=seed).fit(X) with its other
             defaults; inertia_ is the full-data inertia after fit.
  bisect     BisectingKMeans(k, random_state=seed).fit(X) with its defaults.

Each workload is timed with scikit-learn's default thread pools (OpenMP and BLAS on every core)
and with both limited to one thread, and the faster is reported ("give scikit-learn its best"):
on a busy 2-core machine OpenMP's spinning threads can make the default many times slower.
"""
import json
import sys
import warnings

import numpy as np
import sklearn
from sklearn.cluster import BisectingKMeans, KMeans, MiniBatchKMeans
from sklearn.decomposition import PCA
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score
from threadpoolctl import threadpool_info, threadpool_limits

from peerlib import logger, time_repeated

log = logger("sklearn")


def sweep(X, ks, n_init, sample_size, seed):
    entries = []
    pca = PCA(n_components=1).fit(X)
    for k in ks:
        model = KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(X)
        labels = model.labels_
        entries.append(
            {
                "k": k,
                "inertia": float(model.inertia_),
                "silhouette": float(silhouette_score(X, labels, sample_size=sample_size, random_state=seed)),
                "calinski_harabasz": float(calinski_harabasz_score(X, labels)),
                "davies_bouldin": float(davies_bouldin_score(X, labels)),
                "positions": [float(v) for v in pca.transform(model.cluster_centers_)[:, 0]],
            }
        )
    return entries


def minibatch(X, k, batch_size, n_init, seed):
    model = MiniBatchKMeans(n_clusters=k, batch_size=batch_size, n_init=n_init, random_state=seed).fit(X)
    return {"inertia": float(model.inertia_), "steps": int(model.n_steps_), "epochs": int(model.n_iter_)}


def bisect(X, k, seed):
    model = BisectingKMeans(n_clusters=k, random_state=seed).fit(X)
    return {"inertia": float(model.inertia_)}


def best_of_threads(plan, warm, run, key):
    """Times `run` with the default thread pools and with one thread; reports the faster."""
    by_threads = {}
    for label, limit in (("default", None), ("1", 1)):
        with threadpool_limits(limits=limit):
            if plan["warmup"]:
                warm()
            timing, result = time_repeated(run, plan["repeats"], plan["budget_ms"])
        log(f"  threads {label}: {timing['ms']:.0f} ms")
        by_threads[label] = {**timing, **({key: result} if key else result)}
    best = min(by_threads, key=lambda label: by_threads[label]["ms"])
    return {**by_threads[best], "threads": best, "ms_by_threads": {label: t["ms"] for label, t in by_threads.items()}}


# Per workload: what the log says, a warm-up on a head of the data, the timed run, and the key
# the run's result is kept under (None: its fields go into the timing object).
WORKLOADS = {
    "sweep": (
        lambda s: f"sweep k={s['ks'][0]}..{s['ks'][-1]}",
        lambda s, X: sweep(X[:2000], s["ks"][:2], 1, min(s["sample_size"], 1000), s["seed"]),
        lambda s, X: sweep(X, s["ks"], s["n_init"], s["sample_size"], s["seed"]),
        "entries",
    ),
    "minibatch": (
        lambda m: f"MiniBatchKMeans k={m['k']} batch={m['batch_size']}",
        lambda m, X: minibatch(X[:5000], m["k"], m["batch_size"], 1, m["seed"]),
        lambda m, X: minibatch(X, m["k"], m["batch_size"], m["n_init"], m["seed"]),
        None,
    ),
    "bisect": (
        lambda b: f"BisectingKMeans k={b['k']}",
        lambda b, X: bisect(X[:5000], b["k"], b["seed"]),
        lambda b, X: bisect(X, b["k"], b["seed"]),
        None,
    ),
}


def main():
    spec = json.load(open(sys.argv[1]))
    warnings.simplefilter("ignore")
    plan = spec["plan"]
    out = {
        "versions": {"sklearn": sklearn.__version__, "numpy": np.__version__},
        "threadpools": [{k: p.get(k) for k in ("user_api", "internal_api", "num_threads", "version")} for p in threadpool_info()],
    }
    for name, (describe, warm, run, key) in WORKLOADS.items():
        if name not in spec:
            continue
        w = spec[name]
        X = np.load(w["data"]).astype(np.float32, copy=False)
        log(f"{describe(w)} on {X.shape[0]}x{X.shape[1]}")
        out[name] = best_of_threads(plan, lambda: warm(w, X), lambda: run(w, X), key)
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
