#!/usr/bin/python3
"""Reference fixtures for clusterkit's tests, computed with scikit-learn / SciPy.

How to run (from the repository root; Debian's Python, no virtualenv needed):

    /usr/bin/python3 scripts/make_fixtures.py        # or: npm run fixtures

Library versions used to produce the committed files (checked at start-up; a
mismatch only prints a warning, because results may then differ slightly):
    scikit-learn 1.2.1, SciPy 1.10.x, NumPy 1.24.x (Debian packages).

The script is deterministic: every random draw uses a fixed seed, and OpenMP /
BLAS are limited to one thread before NumPy / scikit-learn are imported so that
floating-point summation order does not depend on the machine's core count.

What it writes (all JSON, all small; digits is the largest):

  test/fixtures/{iris,wine,digits,blobs}.json
      {
        "name", "n", "d",
        "data": [n*d, row-major],   # float32 values as doubles (integral ones as ints)
        "kmeans": [                               # several (k, seed) cases
          { "k", "init": [k*d], "seed", "tol", "max_iter",
            "labels": [n], "centroids": [k*d], "inertia", "n_iter" } ],
        "kmeans_empty":   { same fields, + "empty_cluster", "relocated_point" },
                          # init = k-1 k-means++ rows + one row at max(X)+1000;
                          # that cluster is empty after the first E-step
        "kmeans_maxiter": { same fields, max_iter = 2 },  # converges later with 300
        "kmeans_default": { "k", "inertia" },
        "silhouette":     { "labels": [n], "score", "samples": [n] }
      }
  test/fixtures/distances.json
      { "description", "na": 20, "nb": 15, "d": 13, "A": [na*d], "B": [nb*d], "k": 4,
        "metrics": { "sqeuclidean" | "euclidean" | "cosine" | "dot":
                     { "matrix": [na*nb], "knn_indices": [na*k], "knn_values": [na*k],
                       "largest": bool, "min_rank_gap" } },
        "cosine_zero_row": { "description", "A": [3*d], "na": 3, "matrix": [3*nb] } }
      A/B = rows 0..19 / 100..114 of standardized wine; k-NN of each A row among B,
      nearest first (largest first for dot), ties to the lower index.
  test/fixtures/similarity.json
      { "n_images": 40, "n_texts": 5, "d": 16, "seed", "images": [40*16], "texts": [5*16],
        "cases": [ { "logit_scale": 100 | 10, "logits": [40*5], "probs": [40*5],
                     "labels": [40] } ] }
      logits = scale * normalize(images) @ normalize(texts).T,
      probs = scipy.special.softmax(logits, axis=1), labels = argmax.

Numerics convention: every input array is first rounded to float32, the float32
values are written to JSON (as the exact doubles they are, so JS
`Math.fround(v) === v`), and all references are computed in float64 on those
rounded values. Outputs (centroids, inertia, distances, ...) are float64.

k-means references are KMeans(n_clusters=k, init=<init>, n_init=1,
algorithm="lloyd", tol=1e-4, max_iter=...).fit(X). The init centroids come from
sklearn.cluster.kmeans_plusplus(X, k, random_state=seed), i.e. they are rows of X
(exactly float32-representable). Seeds: case i of "kmeans" tries seeds i, i+10,
i+20, ... ("kmeans_empty" 100.., "kmeans_maxiter" 200..) and keeps the first
whose whole trajectory is robust to float32 arithmetic (see is_robust); the seed
kept is written to the fixture, and the run is deterministic. A NumPy
re-implementation of scikit-learn's Lloyd loop (reference_lloyd below) is checked
against every fixture; it documents the semantics the TypeScript implementation
must reproduce.
"""

import warnings

# fixturelib first: it limits OpenMP / BLAS to one thread before NumPy loads.
from fixturelib import FIXTURES, ROOT, as_f32, check_versions, dataset_fields, f32_list, f64_list, int_list, standardized, write_json
import numpy as np
import scipy.special
from scipy.spatial.distance import cdist
from sklearn.cluster import KMeans, kmeans_plusplus
from sklearn.datasets import load_digits, load_iris, load_wine, make_blobs
from sklearn.metrics import silhouette_samples, silhouette_score
from sklearn.metrics.pairwise import cosine_distances

TOL = 1e-4
MAX_ITER = 300


# ---------------------------------------------------------------------------
# Reference Lloyd (NumPy) mirroring scikit-learn 1.2 _kmeans_single_lloyd
# ---------------------------------------------------------------------------


def reference_lloyd(X, init, tol_rel, max_iter):
    """Re-implementation of sklearn's Lloyd loop (unit sample weights, dense X).

    - tol is relative: tol_abs = mean(var(X, axis=0)) * tol_rel (population var).
    - Each iteration i: E-step with the current centers (argmin of squared
      distance, first index wins ties), M-step (means). Empty clusters are
      relocated *before* averaging: for each empty cluster (ascending index) the
      point farthest from its assigned *old* center (largest distances first) is
      moved: its coordinates are subtracted from its old cluster's sum and become
      the new cluster's sum (weight 1). The label array is NOT changed.
      center_shift[j] = ||new_j - old_j||.
    - Convergence: if labels == labels of the previous iteration -> strict
      convergence (never at i == 0); else if sum(center_shift**2) <= tol_abs ->
      stop. n_iter = i + 1.
    - Without strict convergence (tol stop or max_iter reached) a final E-step
      re-labels the points against the final centers (centers are NOT updated).
    - inertia = sum ||x - c_label||^2 with the final centers and labels.

    Also returns diagnostics used to reject fragile fixtures: the smallest gap
    between nearest and second-nearest squared distance over every E-step, the
    closest approach of sum(shift^2) to tol_abs, and the gap that separates the
    relocated points from the rest in the farthest-point ranking.
    """
    X = np.asarray(X, dtype=np.float64)
    centers = np.array(init, dtype=np.float64)
    k = centers.shape[0]
    tol_abs = float(np.mean(np.var(X, axis=0)) * tol_rel) if tol_rel else 0.0
    labels_old = np.full(X.shape[0], -1)
    strict = False
    relocations = []
    diag = {"margin": np.inf, "tol_rel_gap": np.inf, "reloc_gap": np.inf}

    def e_step(c):
        d2 = ((X[:, None, :] - c[None, :, :]) ** 2).sum(axis=2)
        if k > 1:
            s = np.sort(d2, axis=1)
            diag["margin"] = min(diag["margin"], float((s[:, 1] - s[:, 0]).min()))
        return np.argmin(d2, axis=1)

    for i in range(max_iter):
        labels = e_step(centers)
        sums = np.zeros_like(centers)
        np.add.at(sums, labels, X)
        weights = np.bincount(labels, minlength=k).astype(np.float64)
        empty = np.flatnonzero(weights == 0)
        if len(empty):
            dist = ((X - centers[labels]) ** 2).sum(axis=1)
            if dist.max() > 0:
                order = np.argsort(-dist, kind="stable")
                ds = dist[order]
                diag["reloc_gap"] = min(diag["reloc_gap"], float(np.diff(-ds[: len(empty) + 1]).min()))
                for new_id, idx in zip(empty, order[: len(empty)]):
                    old_id = labels[idx]
                    sums[old_id] -= X[idx]
                    sums[new_id] = X[idx]
                    weights[new_id] = 1.0
                    weights[old_id] -= 1.0
                    relocations.append((i, int(new_id), int(idx)))
        # sklearn divides only clusters with weight > 0; a still-empty cluster (only
        # possible when all points coincide with their centers) keeps its zero sum.
        nz = weights > 0
        new_centers = sums.copy()
        new_centers[nz] = sums[nz] / weights[nz, None]
        shift = np.sqrt(((new_centers - centers) ** 2).sum(axis=1))
        centers = new_centers
        if np.array_equal(labels, labels_old):
            strict = True
            break
        shift_tot = float((shift**2).sum())
        if tol_abs > 0:
            diag["tol_rel_gap"] = min(diag["tol_rel_gap"], abs(shift_tot - tol_abs) / tol_abs)
        if shift_tot <= tol_abs:
            break
        labels_old = labels
    if not strict:
        labels = e_step(centers)
    inertia = float(((X - centers[labels]) ** 2).sum())
    return labels, centers, inertia, i + 1, relocations, diag


# ---------------------------------------------------------------------------
# k-means cases
# ---------------------------------------------------------------------------

# A fixture is only kept if it is robust to the float32 arithmetic of the
# TypeScript backends: every nearest/second-nearest squared-distance gap along the
# whole trajectory must exceed MARGIN_REL * max ||x||^2, the relocation ranking
# must be just as clear, and sum(shift^2) must never be within TOL_GAP (relative)
# of the tolerance. Otherwise the next seed is tried (the seed used is recorded).
MARGIN_REL = 1e-5
TOL_GAP = 1e-3


def is_robust(diag, X64):
    thr = MARGIN_REL * float((X64**2).sum(axis=1).max())
    return diag["margin"] >= thr and diag["reloc_gap"] >= thr and diag["tol_rel_gap"] >= TOL_GAP


def pp_init(X64, k, seed):
    centers, _ = kmeans_plusplus(X64, k, random_state=seed)
    c32 = centers.astype(np.float32)
    assert np.array_equal(c32.astype(np.float64), centers)  # rows of X: exact in float32
    return c32


def run_kmeans(X64, init32, seed, max_iter=MAX_ITER):
    """sklearn KMeans on a given init, cross-checked against reference_lloyd."""
    init64 = init32.astype(np.float64)
    labels, centers, inertia, n_iter, relocations, diag = reference_lloyd(X64, init64, TOL, max_iter)
    km = KMeans(
        n_clusters=init32.shape[0],
        init=init64,
        n_init=1,
        algorithm="lloyd",
        tol=TOL,
        max_iter=max_iter,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        km.fit(X64)
    case = {
        "k": int(init32.shape[0]),
        "init": f32_list(init32),
        "seed": seed,
        "tol": TOL,
        "max_iter": max_iter,
        "labels": int_list(km.labels_),
        "centroids": f64_list(km.cluster_centers_),
        "inertia": float(km.inertia_),
        "n_iter": int(km.n_iter_),
    }
    robust = is_robust(diag, X64)
    if robust:
        # Our description of sklearn's semantics must reproduce it exactly.
        assert n_iter == km.n_iter_, (n_iter, km.n_iter_)
        assert np.array_equal(labels, km.labels_)
        assert np.allclose(centers, km.cluster_centers_, rtol=1e-9, atol=1e-9)
        assert abs(inertia - km.inertia_) <= 1e-9 * max(1.0, abs(inertia))
    return case, robust, diag, relocations


def find_case(X64, seeds, make_init, max_iter=MAX_ITER, accept=lambda case, reloc: True):
    tried = 0
    for seed in seeds:
        tried += 1
        init = make_init(seed)
        if init is None:
            continue
        case, robust, diag, reloc = run_kmeans(X64, init, seed, max_iter)
        if robust and accept(case, reloc):
            return case, diag, reloc, tried
    raise RuntimeError("no robust k-means case found")


def kmeans_block(name, X32, ks, default_k):
    X64 = X32.astype(np.float64)
    summary = []
    cases = []
    margins = []
    for ci, k in enumerate(ks):
        # seeds ci, ci+10, ci+20, ... (first robust one)
        case, diag, _, tried = find_case(X64, range(ci, ci + 10000, 10), lambda s, k=k: pp_init(X64, k, s))
        cases.append(case)
        margins.append(diag["margin"])
        summary.append(
            f"k={k} seed={case['seed']} n_iter={case['n_iter']} inertia={case['inertia']:.6g}"
            + (f" ({tried - 1} fragile seeds skipped)" if tried > 1 else "")
        )

    # --- empty cluster on the first iteration -----------------------------------
    # k-1 k-means++ centroids plus one centroid at max(X) + 1000 in every coordinate.
    k_e = 3 if ks[0] < 3 else ks[0]
    far = (X32.max(axis=0) + np.float32(1000)).astype(np.float32)

    def empty_init(seed):
        init = np.vstack([pp_init(X64, k_e - 1, seed), far[None, :]]).astype(np.float32)
        d2 = ((X64[:, None, :] - init.astype(np.float64)[None]) ** 2).sum(axis=2)
        assert not np.any(np.argmin(d2, axis=1) == k_e - 1), "far centroid must start empty"
        return init

    case_e, diag_e, reloc, _ = find_case(
        X64,
        range(100, 1100),
        empty_init,
        accept=lambda case, reloc: len(set(case["labels"])) == case["k"],
    )
    assert reloc and reloc[0][0] == 0 and reloc[0][1] == k_e - 1, reloc
    case_e["empty_cluster"] = k_e - 1
    case_e["relocated_point"] = reloc[0][2]
    margins.append(diag_e["margin"])
    summary.append(
        f"empty: k={k_e} seed={case_e['seed']}: point {reloc[0][2]} relocated into cluster {k_e - 1} "
        f"at iteration 0; n_iter={case_e['n_iter']}; relocations={len(reloc)}"
    )

    # --- stopped by max_iter ----------------------------------------------------
    k_m = ks[-1]

    def slow_init(seed):
        init = pp_init(X64, k_m, seed)
        full, robust, _, _ = run_kmeans(X64, init, seed)
        return init if robust and full["n_iter"] > 3 else None

    case_m, diag_m, _, _ = find_case(X64, range(200, 1200), slow_init, max_iter=2)
    assert case_m["n_iter"] == 2
    full, _, _, _ = run_kmeans(X64, np.array(case_m["init"], np.float32).reshape(k_m, -1), case_m["seed"])
    assert full["inertia"] < case_m["inertia"] and full["n_iter"] > 3
    margins.append(diag_m["margin"])
    summary.append(
        f"maxiter: k={k_m} seed={case_m['seed']} (converges in {full['n_iter']}) "
        f"inertia@2={case_m['inertia']:.6g}"
    )

    # --- sklearn defaults (k-means++ with n_init=10, random_state=0) --------------
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kd = KMeans(n_clusters=default_k, n_init=10, random_state=0).fit(X64)
    default = {"k": default_k, "inertia": float(kd.inertia_)}
    summary.append(f"default: k={default_k} inertia={kd.inertia_:.6g}")

    # --- silhouette on the first case's labels ----------------------------------
    lab = np.array(cases[0]["labels"])
    sil = {
        "labels": int_list(lab),
        "score": float(silhouette_score(X64, lab, metric="euclidean")),
        "samples": f64_list(silhouette_samples(X64, lab, metric="euclidean")),
    }
    summary.append(f"silhouette(k={cases[0]['k']})={sil['score']:.6f}")

    obj = {
        **dataset_fields(name, X32),
        "kmeans": cases,
        "kmeans_empty": case_e,
        "kmeans_maxiter": case_m,
        "kmeans_default": default,
        "silhouette": sil,
    }
    thr = MARGIN_REL * float((X64**2).sum(axis=1).max())
    summary.append(f"min assignment margin (d2 gap) = {min(margins):.3g} (threshold {thr:.3g})")
    return obj, summary


def datasets():
    iris = load_iris().data
    wine = load_wine().data
    digits = load_digits().data
    blobs, _ = make_blobs(n_samples=600, centers=5, n_features=8, cluster_std=1.5, random_state=7)
    return [
        ("iris", iris, [2, 3, 5], 3),
        ("wine", wine, [2, 3, 5], 3),
        ("digits", digits, [10, 16], 10),
        ("blobs", blobs, [2, 3, 5], 5),
    ]


# ---------------------------------------------------------------------------
# distances / k-NN
# ---------------------------------------------------------------------------


def knn(M, k, largest):
    order = np.argsort(-M if largest else M, axis=1, kind="stable")[:, :k]
    vals = np.take_along_axis(M, order, axis=1)
    return order, vals


def min_rank_gap(M, k, largest):
    """Smallest gap between consecutive values among the first k+1 ranks (tie fragility)."""
    s = np.sort(-M if largest else M, axis=1)[:, : k + 1]
    return float(np.diff(s, axis=1).min())


def distances_fixture():
    wine = load_wine().data
    Z32 = as_f32(standardized(wine))
    A32 = Z32[:20]
    B32 = Z32[100:115]
    A = A32.astype(np.float64)
    B = B32.astype(np.float64)
    K = 4
    mats = {
        "sqeuclidean": (cdist(A, B, "sqeuclidean"), False),
        "euclidean": (cdist(A, B, "euclidean"), False),
        "cosine": (cosine_distances(A, B), False),
        "dot": (A @ B.T, True),
    }
    out = {
        "description": "A = rows 0..19, B = rows 100..114 of standardized wine (mean/pop-std over all 178 rows), float32",
        "na": 20,
        "nb": 15,
        "d": int(A.shape[1]),
        "A": f32_list(A32),
        "B": f32_list(B32),
        "k": K,
        "metrics": {},
    }
    gaps = {}
    for name, (M, largest) in mats.items():
        idx, vals = knn(M, K, largest)
        out["metrics"][name] = {
            "matrix": f64_list(M),
            "knn_indices": int_list(idx),
            "knn_values": f64_list(vals),
            "largest": largest,
            # smallest gap between consecutive sorted values among ranks 0..k
            # (per row); tells a test how fragile index order is under float32
            "min_rank_gap": min_rank_gap(M, K, largest),
        }
        gaps[name] = min_rank_gap(M, K, largest)

    # Zero vector: sklearn's cosine_distances treats it as similarity 0 -> distance 1.
    A0_32 = np.vstack([A32[:2], np.zeros((1, A32.shape[1]), np.float32)])
    C0 = cosine_distances(A0_32.astype(np.float64), B)
    assert np.allclose(C0[2], 1.0)
    out["cosine_zero_row"] = {
        "description": "A0 = A rows 0,1 plus an all-zero row; B as above; cosine_distances gives 1 for the zero row",
        "A": f32_list(A0_32),
        "na": 3,
        "matrix": f64_list(C0),
    }
    return out, gaps


# ---------------------------------------------------------------------------
# CLIP-style similarity
# ---------------------------------------------------------------------------


def similarity_fixture():
    rng = np.random.default_rng(20240517)
    img32 = rng.standard_normal((40, 16)).astype(np.float32)
    txt32 = rng.standard_normal((5, 16)).astype(np.float32)
    img = img32.astype(np.float64)
    txt = txt32.astype(np.float64)
    img_n = img / np.linalg.norm(img, axis=1, keepdims=True)
    txt_n = txt / np.linalg.norm(txt, axis=1, keepdims=True)
    cos = img_n @ txt_n.T
    out = {
        "n_images": 40,
        "n_texts": 5,
        "d": 16,
        "seed": 20240517,
        "images": f32_list(img32),
        "texts": f32_list(txt32),
        "cases": [],
    }
    s = np.sort(cos, axis=1)
    margin = float((s[:, -1] - s[:, -2]).min())
    for scale in (100.0, 10.0):
        logits = scale * cos
        probs = scipy.special.softmax(logits, axis=1)
        labels = np.argmax(probs, axis=1)
        out["cases"].append(
            {
                "logit_scale": scale,
                "logits": f64_list(logits),
                "probs": f64_list(probs),
                "labels": int_list(labels),
            }
        )
    return out, margin


def main():
    got = check_versions()
    print(f"clusterkit fixtures: sklearn {got['sklearn']}, scipy {got['scipy']}, numpy {got['numpy']}")
    for name, X, ks, default_k in datasets():
        obj, summary = kmeans_block(name, as_f32(X), ks, default_k)
        path = FIXTURES / f"{name}.json"
        size = write_json(path, obj)
        print(f"{path.relative_to(ROOT)}  n={obj['n']} d={obj['d']}  {size / 1024:.1f} KiB")
        for line in summary:
            print("    " + line)
    dist, gaps = distances_fixture()
    path = FIXTURES / "distances.json"
    size = write_json(path, dist)
    print(f"{path.relative_to(ROOT)}  {size / 1024:.1f} KiB  min k-NN rank gaps: "
          + ", ".join(f"{m}={g:.3g}" for m, g in gaps.items()))
    sim, margin = similarity_fixture()
    path = FIXTURES / "similarity.json"
    size = write_json(path, sim)
    print(f"{path.relative_to(ROOT)}  {size / 1024:.1f} KiB  min top-2 cosine margin={margin:.3g}")


if __name__ == "__main__":
    main()
