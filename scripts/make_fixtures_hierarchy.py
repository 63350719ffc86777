#!/usr/bin/python3
"""Reference fixtures for clusterkit's agglomerative clustering and affinity propagation.

How to run (from the repository root; Debian's Python, no virtualenv needed):

    /usr/bin/python3 scripts/make_fixtures_hierarchy.py

Library versions used for the committed files (a mismatch only prints a warning):
    scikit-learn 1.2.1, SciPy 1.10.x, NumPy 1.24.x (Debian packages).

Deterministic: fixed seeds everywhere, BLAS / OpenMP limited to one thread.

Numerics convention (as scripts/make_fixtures.py): every input array is rounded to
float32 and every reference is computed in float64 on those rounded values. To keep
the files small, the data are written as the shortest decimals that round to the same
float32 values: read them with Float32Array.from (rounding to float32) to get the exact
data the references saw.

What it writes, all under test/fixtures/hierarchy/:

  {iris,wine,blobs}.json
      { "name", "n", "d", "data": [n*d],
        "methods": {
          "ward" | "complete" | "average" | "single": {
            "linkage": [(n-1)*4],      # scipy.cluster.hierarchy.linkage(X, method)
            "robust": bool,            # the same merges (ids) under 10 random relative
                                       # perturbations of the distances of up to 1.2e-7
                                       # (one float32 ulp): no near-ties the float32
                                       # distances of the engine's backends could flip
            "n_clusters": k, "labels": [n],     # AgglomerativeClustering(k, linkage=method)
            "distance_threshold": t,            # AgglomerativeClustering(None, ...,
            "threshold_n_clusters": k_t,        #   distance_threshold=t); t lies midway in
            "threshold_labels": [n] } } }       #   a clear gap between two merge heights
      iris: load_iris (150 x 4; many exact and near ties: duplicate rows, one-decimal
            values). wine: standardized wine (StandardScaler on all 178 rows), every
            third row (60 x 13). blobs: make_blobs(120, 4 centers, 5 features, seed 0).

  affinity.json
      { "cases": [ { "name", "n", "d", "data": [n*d],
                     "damping", "preference" (null = default median), "convergence_iter",
                     "max_iter", "median_similarity",
                     "labels": [n], "exemplars": [K], "n_iter", "converged" } ] }
      AffinityPropagation(random_state=0, ...) on small tie-free data sets. Each case is
      checked here against reference_affinity (a NumPy re-implementation of scikit-learn's
      loop WITHOUT the tie-breaking noise) run on similarities rounded to float32 (as the
      engine's backends give them) and perturbed by one float32 ulp: a case is kept only
      when all of them give scikit-learn's labels, exemplars and iteration count.
      Cases: blobs-default (make_blobs 60 x 2, 3 centres, default options), blobs-preference
      (damping 0.7, preference -20), market (60 assets x 40 days of standardized synthetic
      returns, damping 0.9, max_iter 400), blobs-unconverged (max_iter 12: stops unconverged).
        "degenerate": [ { "n", "d", "data", "preference", "labels", "exemplars" } ]
      five identical rows: every row its own exemplar (default preference 0) or one cluster
      (preference -1), as scikit-learn's shortcut for equal similarities.
"""

import warnings

# fixturelib first: it limits OpenMP / BLAS to one thread before NumPy loads.
from fixturelib import FIXTURES, check_versions, dataset_fields, f32_shortest_list, int_list, write_fixture
import numpy as np
from scipy.cluster.hierarchy import linkage
from scipy.spatial.distance import pdist
from sklearn.cluster import AffinityPropagation, AgglomerativeClustering
from sklearn.datasets import load_iris, load_wine, make_blobs
from sklearn.preprocessing import StandardScaler

OUT = FIXTURES / "hierarchy"
METHODS = ["ward", "complete", "average", "single"]


def linkage_list(Z):
    """A linkage matrix's values; the integral ones (ids, sizes) as JSON integers."""
    return [int(v) if float(v).is_integer() and abs(v) < 2**53 else float(v) for v in np.asarray(Z, dtype=np.float64).ravel()]


# ---------------------------------------------------------------------------
# Agglomerative
# ---------------------------------------------------------------------------


def robust_linkage(d, method, Z, trials=10, delta=1.2e-7):
    rng = np.random.default_rng(12345)
    for _ in range(trials):
        Zp = linkage(d * (1 + delta * rng.uniform(-1, 1, d.shape)), method)
        if not np.array_equal(Zp[:, [0, 1, 3]], Z[:, [0, 1, 3]]):
            return False
    return True


def threshold_in_gap(heights, k):
    """A threshold midway between the merge heights that leave k and k - 1 clusters."""
    n1 = len(heights)
    lo, hi = heights[n1 - k], heights[n1 - k + 1]
    assert hi > lo * (1 + 1e-3), (lo, hi)
    return float(np.float32((lo + hi) / 2))


def hierarchy_dataset(name, X32, k, k_threshold):
    X = X32.astype(np.float64)
    d = pdist(X)
    methods = {}
    for method in METHODS:
        Z = linkage(X, method)
        assert np.all(np.diff(Z[:, 2]) >= 0)
        agg = AgglomerativeClustering(n_clusters=k, linkage=method).fit(X)
        t = threshold_in_gap(Z[:, 2], k_threshold)
        agg_t = AgglomerativeClustering(n_clusters=None, distance_threshold=t, linkage=method).fit(X)
        # scikit-learn's heights are SciPy's (it calls SciPy's linkage, or an MST for single).
        assert np.allclose(np.sort(agg_t.distances_), Z[:, 2], rtol=1e-12, atol=0)
        assert agg_t.n_clusters_ == k_threshold, (name, method, agg_t.n_clusters_)
        methods[method] = {
            "linkage": linkage_list(Z),
            "robust": robust_linkage(d, method, Z),
            "n_clusters": k,
            "labels": int_list(agg.labels_),
            "distance_threshold": t,
            "threshold_n_clusters": int(agg_t.n_clusters_),
            "threshold_labels": int_list(agg_t.labels_),
        }
        print(f"  {name} {method}: robust={methods[method]['robust']} top height {Z[-1, 2]:.4f}")
    return {**dataset_fields(name, X32, encode=f32_shortest_list), "methods": methods}


# ---------------------------------------------------------------------------
# Affinity propagation
# ---------------------------------------------------------------------------


def reference_affinity(S, preference, damping, convergence_iter, max_iter):
    """scikit-learn 1.2's _affinity_propagation loop without the random tie-breaking noise.

    S: n x n similarities (off-diagonal used; the diagonal is set to the preference).
    Returns (exemplars, labels, n_iter, converged).
    """
    S = np.array(S, dtype=np.float64)
    n = S.shape[0]
    S.flat[:: n + 1] = preference
    A = np.zeros((n, n))
    R = np.zeros((n, n))
    e = np.zeros((n, convergence_iter))
    ind = np.arange(n)
    converged = False
    for it in range(max_iter):
        tmp = A + S
        I = np.argmax(tmp, axis=1)
        Y = tmp[ind, I]
        tmp[ind, I] = -np.inf
        Y2 = np.max(tmp, axis=1)
        tmp = S - Y[:, None]
        tmp[ind, I] = S[ind, I] - Y2
        R = R * damping + tmp * (1 - damping)
        tmp = np.maximum(R, 0)
        tmp.flat[:: n + 1] = R.flat[:: n + 1]
        tmp -= np.sum(tmp, axis=0)
        dA = np.diag(tmp).copy()
        tmp.clip(0, np.inf, tmp)
        tmp.flat[:: n + 1] = dA
        A = A * damping - tmp * (1 - damping)
        E = (np.diag(A) + np.diag(R)) > 0
        e[:, it % convergence_iter] = E
        K = np.sum(E)
        if it >= convergence_iter:
            se = np.sum(e, axis=1)
            if np.sum((se == convergence_iter) + (se == 0)) == n and K > 0:
                converged = True
                break
    I = np.flatnonzero(E)
    K = I.size
    if K == 0:
        return np.array([], dtype=int), np.full(n, -1), it + 1, converged
    c = np.argmax(S[:, I], axis=1)
    c[I] = np.arange(K)
    for k in range(K):
        ii = np.where(c == k)[0]
        j = np.argmax(np.sum(S[ii[:, None], ii], axis=0))
        I[k] = ii[j]
    c = np.argmax(S[:, I], axis=1)
    c[I] = np.arange(K)
    labels = I[c]
    exemplars = np.unique(labels)
    return exemplars, np.searchsorted(exemplars, labels), it + 1, converged


def affinity_case(name, X32, damping=0.5, preference=None, convergence_iter=15, max_iter=200):
    X = X32.astype(np.float64)
    n = X.shape[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ap = AffinityPropagation(
            damping=damping, preference=preference, convergence_iter=convergence_iter, max_iter=max_iter, random_state=0
        ).fit(X)
    converged = ap.n_iter_ < max_iter or False
    # Exact squared distances (what the engine's js backend computes, then rounds to float32).
    sq = ((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=2)
    median = float(np.median(-sq))
    pref = median if preference is None else preference
    rng = np.random.default_rng(7)
    variants = [-sq, -sq.astype(np.float32).astype(np.float64)]
    for _ in range(4):
        s32 = sq.astype(np.float32)
        bumped = np.nextafter(s32, np.where(rng.uniform(size=s32.shape) < 0.5, np.float32(np.inf), np.float32(0)))
        variants.append(-np.where(rng.uniform(size=s32.shape) < 0.3, bumped, s32).astype(np.float64))
    for v in variants:
        v = (v + v.T) / 2  # symmetric, like the engine's distances
        ex, lab, it, conv = reference_affinity(v, pref, damping, convergence_iter, max_iter)
        if not (np.array_equal(ex, ap.cluster_centers_indices_) and np.array_equal(lab, ap.labels_) and it == ap.n_iter_):
            raise SystemExit(f"affinity case {name}: not robust to float32 similarities ({it} vs {ap.n_iter_} iterations)")
        converged = conv
    print(f"  affinity {name}: n={n} K={len(ap.cluster_centers_indices_)} n_iter={ap.n_iter_} converged={converged}")
    return {
        **dataset_fields(name, X32, encode=f32_shortest_list),
        "damping": damping,
        "preference": preference,
        "convergence_iter": convergence_iter,
        "max_iter": max_iter,
        "median_similarity": median,
        "labels": int_list(ap.labels_),
        "exemplars": int_list(ap.cluster_centers_indices_),
        "n_iter": int(ap.n_iter_),
        "converged": bool(converged),
    }


def market_returns(assets=60, days=40, sectors=4, seed=3):
    """Daily returns of assets driven by a market factor and one sector factor each,
    standardized per asset (the usual input for grouping a crypto market)."""
    rng = np.random.default_rng(seed)
    market = rng.standard_normal(days) * 0.02
    factors = rng.standard_normal((sectors, days)) * 0.03
    sector = np.arange(assets) % sectors
    beta = rng.uniform(0.5, 1.5, assets)
    r = beta[:, None] * market + factors[sector] + rng.standard_normal((assets, days)) * 0.02
    r = (r - r.mean(axis=1, keepdims=True)) / r.std(axis=1, keepdims=True)
    return np.round(r, 3)


def main():
    versions = check_versions()
    print(f"versions: {versions}")
    iris = load_iris().data.astype(np.float32)
    wine = StandardScaler().fit_transform(load_wine().data)[::3].astype(np.float32)
    blobs, _ = make_blobs(n_samples=120, centers=4, n_features=5, random_state=0)
    blobs = blobs.astype(np.float32)
    for name, X, k, kt in [("iris", iris, 3, 4), ("wine", wine, 3, 4), ("blobs", blobs, 4, 3)]:
        write_fixture(OUT / f"{name}.json", hierarchy_dataset(name, X, k, kt))

    ap_blobs, _ = make_blobs(n_samples=60, centers=3, n_features=2, cluster_std=0.6, random_state=1)
    market = market_returns().astype(np.float32)
    cases = [
        affinity_case("blobs-default", ap_blobs.astype(np.float32)),
        affinity_case("blobs-preference", ap_blobs.astype(np.float32), damping=0.7, preference=-20.0),
        affinity_case("market", market, damping=0.9, max_iter=400),
        affinity_case("blobs-unconverged", ap_blobs.astype(np.float32), max_iter=12),
    ]
    # Degenerate input (all similarities equal): scikit-learn returns without iterating.
    degenerate = []
    same = np.ones((5, 2), dtype=np.float32)
    for preference in [None, -1.0]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ap = AffinityPropagation(preference=preference, random_state=0).fit(same.astype(np.float64))
        degenerate.append({"n": 5, "d": 2, "data": f32_shortest_list(same), "preference": preference,
                           "labels": int_list(ap.labels_), "exemplars": int_list(ap.cluster_centers_indices_)})
    write_fixture(OUT / "affinity.json", {"versions": versions, "cases": cases, "degenerate": degenerate})


if __name__ == "__main__":
    main()
