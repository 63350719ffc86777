#!/usr/bin/python3
"""Reference fixtures for clusterkit's workflow tests (issue 5: choosing k, top-down
clustering, bisecting k-means, mini-batch k-means), computed with scikit-learn.

Run from the repository root with Debian's Python (no virtualenv, no pip):

    /usr/bin/python3 scripts/make_fixtures_workflows.py

Versions used for the committed files: scikit-learn 1.2.1, NumPy 1.24.x (a mismatch prints a
warning). The script is deterministic: fixed seeds, and OpenMP / BLAS limited to one thread
before NumPy is imported so that summation order does not depend on the machine.

Numerics convention (the same as scripts/make_fixtures.py): every data set is rounded to
float32 first, the float32 values are written (as the exact doubles they are), and every
reference is computed by scikit-learn in float64 on those rounded values.

Files written to test/fixtures/workflows/:

  metrics.json   {"datasets": [{"name", "n", "d", "data": [n*d],
                    "pca": {"mean": [d], "component": [d], "explained_variance",
                            "explained_variance_ratio"},   # PCA(1, svd_solver="full")
                    "cases": [{"k", "init": [k*d], "seed", "robust",
                               "labels": [n], "inertia", "n_iter",
                               "silhouette", "calinski_harabasz", "davies_bouldin",
                               "sizes": [k], "positions": [k]}]}],
                  "edge": {...}}
      Per k: KMeans(k, init=kmeans_plusplus(X, k, random_state=seed), n_init=1, tol=1e-4)
      labels and inertia; silhouette_score, calinski_harabasz_score and davies_bouldin_score
      of those labels; the clustergram data: cluster sizes and PCA(1).transform(cluster means).
      "robust": the whole Lloyd trajectory has clear nearest-centre margins, so float32
      backends reproduce the labels exactly (otherwise only the metrics of the given labels
      are compared). "edge": degenerate label sets for CH / DB.

  bisect.json    {"datasets": [{"name", "n", "d", "data",
                    "cases": [{"k", "strategy", "init": "first_last", "labels": [n],
                               "centers": [k*d], "inertia"}],
                    "defaults": [{"k", "strategy", "seed", "labels", "inertia"}]}]}
      BisectingKMeans(k, n_init=1, bisecting_strategy=...) with its inner init replaced by
      "first_last": the first and the last row of the cluster being split (rows keep their
      order in scikit-learn's tree), so no random draw is involved and the result can be
      matched exactly (see FirstLastBisectingKMeans). A NumPy re-implementation (reference_bisect below)
      reproduces every case: it documents the semantics. "defaults": BisectingKMeans(k,
      random_state=seed) with scikit-learn's defaults (init="random", n_init=1) on
      well-separated blobs, compared up to label permutation and 1% inertia.

  topdown.json   {"name", "n", "d", "data", "k", "sub_k": [lo, hi], "top_labels": [n],
                  "groups": [{"parent", "size", "silhouettes": {k: score}, "k",
                              "labels": [size]}], "labels": [n]}
      Hierarchical blobs (3 far-apart groups of 2, 3 and 4 close blobs). Top split
      KMeans(3, n_init=10, random_state=0); each group sub-clustered with KMeans(j,
      n_init=10, random_state=0) for j in sub_k, j chosen by the highest silhouette_score.

  minibatch.json {"name", "n", "d", "data", "k", "kmeans_inertia",
                  "runs": [{"batch_size", "seed", "inertia", "n_steps", "n_iter"}],
                  "median_inertia": {batch_size: inertia}}
      MiniBatchKMeans(k, batch_size, n_init=3, random_state=seed) with the other defaults
      (max_iter=100, max_no_improvement=10, reassignment_ratio=0.01, tol=0); "inertia" is
      its inertia_ on the full data after fit (compute_labels=True).
"""

import warnings

# fixturelib first: it limits OpenMP / BLAS to one thread before NumPy loads.
from fixturelib import FIXTURES, ROOT, as_f32, check_versions, dataset_fields, f32_list, f64_list, int_list, standardized, write_json
import numpy as np
from sklearn.cluster import BisectingKMeans, KMeans, MiniBatchKMeans, kmeans_plusplus
from sklearn.datasets import load_iris, load_wine, make_blobs
from sklearn.decomposition import PCA
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

OUT = FIXTURES / "workflows"
TOL = 1e-4
MAX_ITER = 300
# Clear-margin rule for "robust" k-means trajectories: nearest vs second-nearest squared
# distance gap ≥ MARGIN * max ‖x‖², and the centre shift never within 0.1% of the tolerance.
MARGIN = 1e-5


def write(name, obj):
    path = OUT / name
    print(f"{path.relative_to(ROOT)}: {write_json(path, obj) / 1024:.1f} KiB")


# ---------------------------------------------------------------------------------------------
# Data sets (float32-rounded)


def iris():
    return as_f32(load_iris().data)


def wine_standardized():
    return as_f32(standardized(load_wine().data))


def blobs_overlapping():
    X, _ = make_blobs(n_samples=500, centers=5, n_features=6, cluster_std=1.8, random_state=21)
    return as_f32(X)


def blobs_separated():
    X, _ = make_blobs(n_samples=400, centers=6, n_features=5, cluster_std=0.6, center_box=(-12, 12), random_state=3)
    return as_f32(X)


def blobs_hierarchical():
    rng = np.random.RandomState(5)
    tops = np.array([[0, 0, 0, 0], [40, 0, 0, 0], [0, 40, 0, 0]], dtype=np.float64)
    subs = [2, 3, 4]
    rows = []
    for top, count in zip(tops, subs):
        offsets = rng.normal(scale=5.0, size=(count, 4))
        for off in offsets:
            rows.append(top + off + rng.normal(scale=0.6, size=(50, 4)))
    X = np.vstack(rows)
    X = X[rng.permutation(len(X))]
    return as_f32(X)


def blobs_minibatch():
    X, _ = make_blobs(n_samples=5000, centers=6, n_features=4, cluster_std=1.0, center_box=(-8, 8), random_state=11)
    return as_f32(X)


# ---------------------------------------------------------------------------------------------
# k-means from a given init, with a robustness check of the trajectory


def lloyd_margins(X, init, tol_abs):
    """Lloyd as scikit-learn 1.2 runs it (no empty clusters expected here); returns labels and
    the smallest nearest/second-nearest gap and relative distance of the shift to tol."""
    centers = init.copy()
    previous = None
    margin = np.inf
    tol_gap = np.inf
    strict = False

    def assign(c):
        nonlocal margin
        d2 = ((X[:, None, :] - c[None, :, :]) ** 2).sum(axis=2)
        if c.shape[0] > 1:
            s = np.sort(d2, axis=1)
            margin = min(margin, float((s[:, 1] - s[:, 0]).min()))
        return np.argmin(d2, axis=1)

    for _ in range(MAX_ITER):
        labels = assign(centers)
        counts = np.bincount(labels, minlength=len(centers))
        if (counts == 0).any():
            return None, 0.0, 0.0  # relocation: not used for these fixtures
        new = np.vstack([X[labels == c].mean(axis=0) for c in range(len(centers))])
        shift = float(((new - centers) ** 2).sum())
        centers = new
        if previous is not None and np.array_equal(labels, previous):
            strict = True
            break
        if tol_abs > 0:
            tol_gap = min(tol_gap, abs(shift - tol_abs) / tol_abs)
        if shift <= tol_abs:
            break
        previous = labels
    if not strict:
        labels = assign(centers)
    return labels, margin, tol_gap


def kmeans_case(X32, k, seed):
    X = X32.astype(np.float64)
    init, _ = kmeans_plusplus(X, k, random_state=seed)
    km = KMeans(n_clusters=k, init=init, n_init=1, algorithm="lloyd", tol=TOL, max_iter=MAX_ITER).fit(X)
    tol_abs = float(np.mean(np.var(X, axis=0)) * TOL)
    labels, margin, tol_gap = lloyd_margins(X, init, tol_abs)
    robust = (
        labels is not None
        and np.array_equal(labels, km.labels_)
        and margin >= MARGIN * float((X**2).sum(axis=1).max())
        and tol_gap >= 1e-3
    )
    return init, km, robust


# ---------------------------------------------------------------------------------------------
# metrics.json


def metrics_dataset(name, X32, ks):
    X = X32.astype(np.float64)
    pca = PCA(n_components=1, svd_solver="full").fit(X)
    cases = []
    for k in ks:
        # The first seed (k, k + 100, ...) whose trajectory is robust; else the first one.
        chosen = None
        for seed in range(k, k + 2000, 100):
            init, km, robust = kmeans_case(X32, k, seed)
            if chosen is None:
                chosen = (seed, init, km, robust)
            if robust:
                chosen = (seed, init, km, robust)
                break
        seed, init, km, robust = chosen
        labels = km.labels_
        sizes = np.bincount(labels, minlength=k)
        means = np.vstack([X[labels == c].mean(axis=0) for c in range(k)])
        cases.append(
            {
                "k": k,
                "seed": seed,
                "robust": bool(robust),
                "init": f32_list(init.astype(np.float32)),
                "labels": int_list(labels),
                "inertia": float(km.inertia_),
                "n_iter": int(km.n_iter_),
                "silhouette": float(silhouette_score(X, labels)),
                "calinski_harabasz": float(calinski_harabasz_score(X, labels)),
                "davies_bouldin": float(davies_bouldin_score(X, labels)),
                "sizes": int_list(sizes),
                "positions": f64_list(pca.transform(means)[:, 0]),
            }
        )
        print(f"  {name} k={k}: seed {seed} robust={robust} inertia={km.inertia_:.6g}")
    return {
        **dataset_fields(name, X32),
        "pca": {
            "mean": f64_list(pca.mean_),
            "component": f64_list(pca.components_[0]),
            "explained_variance": float(pca.explained_variance_[0]),
            "explained_variance_ratio": float(pca.explained_variance_ratio_[0]),
        },
        "cases": cases,
    }


def metrics_edge_cases():
    """Degenerate label sets: CH with zero within-cluster dispersion is 1.0; DB with every
    point on its centroid is 0.0; DB with two coinciding centroids skips that pair."""
    same = as_f32([[0, 0], [0, 0], [3, 4], [3, 4]])
    coinciding = as_f32([[-1, 0], [1, 0], [0, -1], [0, 1], [5, 5], [6, 5]])
    out = []
    for name, X32, labels in [
        ("points on their centroids", same, [0, 0, 1, 1]),
        ("two clusters with the same centroid", coinciding, [0, 0, 1, 1, 2, 2]),
        ("labels not 0..k-1", as_f32(blobs_overlapping()[:40]), [7 if i % 3 else -2 for i in range(40)]),
    ]:
        X = X32.astype(np.float64)
        out.append(
            {
                **dataset_fields(name, X32),
                "labels": labels,
                "calinski_harabasz": float(calinski_harabasz_score(X, labels)),
                "davies_bouldin": float(davies_bouldin_score(X, labels)),
            }
        )
    return out


# ---------------------------------------------------------------------------------------------
# bisect.json


def first_last(X, n_clusters, random_state=None):
    """Deterministic init for the bisection: the first and last row of the cluster split."""
    assert n_clusters == 2
    return X[[0, X.shape[0] - 1]]


class FirstLastBisectingKMeans(BisectingKMeans):
    """BisectingKMeans whose inner k-means starts from `first_last`.

    scikit-learn 1.2 accepts a callable `init` but then checks the callable's 2 centres
    against n_clusters and fails for n_clusters > 2, so the init hook is overridden instead;
    everything else (tree, strategy, inner Lloyd, labels) is scikit-learn's own code.
    """

    def _init_centroids(self, X, x_squared_norms, init, random_state, init_size=None, n_centroids=None):
        return first_last(X, n_centroids)


def reference_bisect(X, k, strategy):
    """BisectingKMeans(init=first_last, n_init=1) re-stated in NumPy: scikit-learn's rules.

    - The tree starts as one leaf holding every row (score 0).
    - k - 1 times: the leaf with the highest score is split, leaves visited depth first
      (left before right) and the first of equal scores kept.
    - A split runs Lloyd with k = 2 on the leaf's rows (in ascending row order), with the
      tolerance passed as given: an absolute bound on the summed squared centre shift, not
      scaled by the data's variance as KMeans does.
    - Label 0 of the inner k-means becomes the left child, label 1 the right one. The
      children's scores are their inertias (biggest_inertia) or sizes (largest_cluster).
    - Final labels number the leaves depth first; the centres are the inner k-means centres
      (not recomputed); inertia is Σ‖x − centre of its leaf‖².
    """
    leaves = [(np.arange(X.shape[0]), X.mean(axis=0), 0.0)]
    tree = {0: None}  # id -> (left, right)
    nodes = {0: leaves[0]}
    next_id = 1

    def ordered_leaves(node=0):
        if tree[node] is None:
            return [node]
        left, right = tree[node]
        return ordered_leaves(left) + ordered_leaves(right)

    for _ in range(k - 1):
        best = None
        for leaf in ordered_leaves():
            if best is None or nodes[leaf][2] > nodes[best][2]:
                best = leaf
        rows = nodes[best][0]
        sub = X[rows]
        init = first_last(sub, 2)
        labels, centers = lloyd_absolute(sub, init, TOL)
        children = []
        for c in range(2):
            member = rows[labels == c]
            if strategy == "biggest_inertia":
                score = float(((X[member] - centers[c]) ** 2).sum())
            else:
                score = float(len(member))
            nodes[next_id] = (member, centers[c], score)
            tree[next_id] = None
            children.append(next_id)
            next_id += 1
        tree[best] = tuple(children)
    labels = np.full(X.shape[0], -1)
    centers = []
    for i, leaf in enumerate(ordered_leaves()):
        labels[nodes[leaf][0]] = i
        centers.append(nodes[leaf][1])
    centers = np.vstack(centers)
    inertia = float(((X - centers[labels]) ** 2).sum())
    return labels, centers, inertia


def lloyd_absolute(X, init, tol_abs):
    centers = np.array(init, dtype=np.float64)
    previous = None
    strict = False
    for _ in range(MAX_ITER):
        d2 = ((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
        labels = np.argmin(d2, axis=1)
        counts = np.bincount(labels, minlength=2)
        if (counts == 0).any():
            raise RuntimeError("empty cluster in the reference bisection")
        new = np.vstack([X[labels == c].mean(axis=0) for c in range(2)])
        shift = float(((new - centers) ** 2).sum())
        centers = new
        if previous is not None and np.array_equal(labels, previous):
            strict = True
            break
        if shift <= tol_abs:
            break
        previous = labels
    if not strict:
        labels = np.argmin(((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2), axis=1)
    return labels, centers


def bisect_dataset(name, X32, ks, default_ks):
    X = X32.astype(np.float64)
    cases = []
    for strategy in ["biggest_inertia", "largest_cluster"]:
        for k in ks:
            model = FirstLastBisectingKMeans(
                n_clusters=k, n_init=1, bisecting_strategy=strategy, tol=TOL, max_iter=MAX_ITER
            ).fit(X)
            labels, centers, inertia = reference_bisect(X, k, strategy)
            assert np.array_equal(labels, model.labels_), (name, strategy, k)
            assert np.allclose(centers, model.cluster_centers_, rtol=1e-9, atol=1e-9)
            assert abs(inertia - model.inertia_) <= 1e-9 * inertia
            cases.append(
                {
                    "k": k,
                    "strategy": strategy,
                    "init": "first_last",
                    "labels": int_list(model.labels_),
                    "centers": f64_list(model.cluster_centers_),
                    "inertia": float(model.inertia_),
                    "sizes": int_list(np.bincount(model.labels_, minlength=k)),
                }
            )
            print(f"  {name} {strategy} k={k}: inertia={model.inertia_:.6g}")
    defaults = []
    for strategy in ["biggest_inertia", "largest_cluster"]:
        for k in default_ks:
            model = BisectingKMeans(n_clusters=k, bisecting_strategy=strategy, random_state=0).fit(X)
            defaults.append(
                {"k": k, "strategy": strategy, "seed": 0, "labels": int_list(model.labels_), "inertia": float(model.inertia_)}
            )
    return {**dataset_fields(name, X32), "cases": cases, "defaults": defaults}


# ---------------------------------------------------------------------------------------------
# topdown.json


def topdown_fixture():
    X32 = blobs_hierarchical()
    X = X32.astype(np.float64)
    k, lo, hi = 3, 2, 6
    top = KMeans(n_clusters=k, n_init=10, random_state=0).fit(X).labels_
    flat = np.full(X.shape[0], -1)
    groups = []
    next_label = 0
    for parent in range(k):
        rows = np.flatnonzero(top == parent)
        sub = X[rows]
        scores = {}
        fits = {}
        for j in range(lo, min(hi, len(rows) - 1) + 1):
            labels = KMeans(n_clusters=j, n_init=10, random_state=0).fit(sub).labels_
            scores[j] = float(silhouette_score(sub, labels))
            fits[j] = labels
        best = max(scores, key=lambda j: (scores[j], -j))
        flat[rows] = next_label + fits[best]
        next_label += best
        groups.append({"parent": parent, "size": int(len(rows)), "silhouettes": scores, "k": best, "labels": int_list(fits[best])})
        print(f"  topdown group {parent}: {len(rows)} rows, k={best} ({scores[best]:.4f})")
    return {
        **dataset_fields("hierarchical blobs", X32),
        "k": k,
        "sub_k": [lo, hi],
        "top_labels": int_list(top),
        "groups": groups,
        "labels": int_list(flat),
    }


# ---------------------------------------------------------------------------------------------
# minibatch.json


def minibatch_fixture():
    X32 = blobs_minibatch()
    X = X32.astype(np.float64)
    k = 6
    kmeans = KMeans(n_clusters=k, n_init=10, random_state=0).fit(X)
    runs = []
    medians = {}
    for batch_size in [256, 1024]:
        values = []
        for seed in range(5):
            model = MiniBatchKMeans(n_clusters=k, batch_size=batch_size, n_init=3, random_state=seed).fit(X)
            runs.append(
                {
                    "batch_size": batch_size,
                    "seed": seed,
                    "inertia": float(model.inertia_),
                    "n_steps": int(model.n_steps_),
                    "n_iter": int(model.n_iter_),
                }
            )
            values.append(float(model.inertia_))
        medians[str(batch_size)] = float(np.median(values))
        print(f"  minibatch batch_size={batch_size}: inertia {min(values):.6g}..{max(values):.6g}, KMeans {kmeans.inertia_:.6g}")
    return {
        **dataset_fields("blobs 5000x4, 6 centres", X32),
        "k": k,
        "kmeans_inertia": float(kmeans.inertia_),
        "runs": runs,
        "median_inertia": medians,
    }


def main():
    check_versions({"sklearn": "1.2", "numpy": "1.24"})
    warnings.simplefilter("ignore")  # FutureWarning about n_init defaults
    print("metrics.json")
    write(
        "metrics.json",
        {
            "datasets": [
                metrics_dataset("iris", iris(), [2, 3, 4, 5, 6]),
                metrics_dataset("wine (standardized)", wine_standardized(), [2, 3, 4, 5]),
                metrics_dataset("overlapping blobs", blobs_overlapping(), [2, 3, 5, 7]),
            ],
            "edge": metrics_edge_cases(),
        },
    )
    print("bisect.json")
    write(
        "bisect.json",
        {
            "datasets": [
                bisect_dataset("iris", iris(), [3, 5], []),
                bisect_dataset("wine (standardized)", wine_standardized(), [2, 4, 6], []),
                bisect_dataset("separated blobs", blobs_separated(), [3, 6, 8], [6]),
            ]
        },
    )
    print("topdown.json")
    write("topdown.json", topdown_fixture())
    print("minibatch.json")
    write("minibatch.json", minibatch_fixture())


if __name__ == "__main__":
    main()
