#!/usr/bin/python3
"""Reference fixtures for cluster profiles and group-by aggregation (issue 5, item 7).

How to run (from the repository root; Debian's Python, NumPy only: pandas is not needed):

    /usr/bin/python3 scripts/make_fixtures_profile.py

Deterministic: the synthetic data come from a seeded NumPy Generator, wine from the committed
test/fixtures/wine.json. NumPy 1.24 (Debian) produced the committed files.

Numerics convention (as scripts/make_fixtures.py): inputs are float32 values, written to JSON
as the exact doubles they are; every reference is computed in float64 on those values.
Means are np.mean, medians np.median (mean of the two middle values for an even count),
std is the population std (ddof = 0), max is np.max.

Writes:

  test/fixtures/profile/wine.json
      Profile of raw wine (178 x 13, the data of test/fixtures/wine.json) clustered by that
      file's k-means case with k = 3 ("kmeans"[1]["labels"]).
      { "source", "variables": [13 names, from samples/wine.csv], "k",
        "clusters": [k], "counts": [k],
        "mean" | "median" | "index" | "z": [k*d, row-major by cluster],
        "overall": { "mean": [d], "median": [d], "std": [d] } }

  test/fixtures/profile/edge.json
      A 9-row table with every edge case: a cluster of one row, negative labels, unsorted
      labels, even and odd cluster sizes, a variable with overall mean exactly 0 ("zero_mean"),
      a negative mean ("negative") and a constant ("constant").
      { "variables", "data": [n*d], "labels": [n], then the fields of wine.json;
        index / z values are null where undefined:
          index: null when the overall mean <= 0 or <= 1e-6 * std;  z: null when std == 0 }

  test/fixtures/profile/areas.json
      A synthetic per-area embedding table (CLIP-like workflow): n = 257 rows,
      "area" text keys (10 areas, uneven sizes, one area of a single row, one of two rows),
      "area_id" integer keys (same grouping), an 8-D float32 "embedding", an int "label"
      in 0..5 where category 3 never occurs, and a text "kind" category.
      { "n", "dim", "area": [n], "area_id": [n], "embedding": [n*dim], "label": [n],
        "kind": [n],
        "groups": { "keys": [G, sorted], "ids": [G], "counts": [G],
                    "mean" | "median" | "max": [G*dim] },
        "label_categories": [sorted distinct labels], "label_shares": [G*C],
        "all_label_categories": [0..5], "all_label_shares": [G*6],
        "kind_categories": [sorted], "kind_shares": [G*K] }
"""

import csv

# fixturelib first: it limits OpenMP / BLAS to one thread before NumPy loads.
from fixturelib import FIXTURES, ROOT, f64_list, fixture_data, int_list, load_fixture, nullable_list, write_fixture
import numpy as np

OUT = FIXTURES / "profile"
ZERO_MEAN_STDS = 1e-6  # src/algorithms/profile.ts ZERO_MEAN_STDS


def profile(X, labels):
    """X: float32 n x d, labels: int n. Returns the profile fields."""
    X = np.asarray(X, dtype=np.float32).astype(np.float64)
    labels = np.asarray(labels)
    clusters = np.unique(labels)  # sorted
    overall_mean = X.mean(axis=0)
    overall_std = X.std(axis=0)  # ddof = 0
    overall_median = np.median(X, axis=0)
    index_ok = (overall_mean > 0) & (overall_mean > ZERO_MEAN_STDS * overall_std)
    z_ok = overall_std > 0
    counts, mean, median, index, z = [], [], [], [], []
    for c in clusters:
        rows = X[labels == c]
        m = rows.mean(axis=0)
        counts.append(int(len(rows)))
        mean.append(m)
        median.append(np.median(rows, axis=0))
        with np.errstate(divide="ignore", invalid="ignore"):
            index.append(np.where(index_ok, m / overall_mean * 100, np.nan))
            z.append(np.where(z_ok, (m - overall_mean) / overall_std, np.nan))
    return {
        "k": int(len(clusters)),
        "clusters": int_list(clusters),
        "counts": counts,
        "mean": f64_list(mean),
        "median": f64_list(median),
        "index": nullable_list(index),
        "z": nullable_list(z),
        "overall": {"mean": f64_list(overall_mean), "median": f64_list(overall_median), "std": f64_list(overall_std)},
    }


def wine_fixture():
    wine = load_fixture("wine")
    X = fixture_data(wine)
    case = wine["kmeans"][1]
    assert case["k"] == 3
    labels = np.array(case["labels"])
    with open(ROOT / "samples" / "wine.csv", newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    variables = header[1:-1]  # drop id and cultivar
    assert len(variables) == wine["d"]
    # samples/wine.csv holds the same values (read as float32 by clusterkit).
    from_csv = np.array([[float(v) for v in r[1:-1]] for r in rows[1:]], dtype=np.float32)
    assert np.array_equal(from_csv, X), "samples/wine.csv and test/fixtures/wine.json differ"
    return {
        "source": "test/fixtures/wine.json data, labels = its kmeans[1] case (k = 3)",
        "variables": variables,
        **profile(X, labels),
    }


def edge_fixture():
    variables = ["pos", "zero_mean", "negative", "constant"]
    data = np.array(
        [
            [1.5, -4, -1, 5],
            [2.0, 3, -2, 5],
            [0.25, 0, -3, 5],
            [8.0, 1, -4, 5],
            [3.0, -2, 0.5, 5],
            [4.5, 2, -6, 5],
            [6.0, -1, -7, 5],
            [7.0, 4, -8, 5],
            [9.0, -3, 2, 5],
        ],
        dtype=np.float32,
    )
    labels = np.array([5, -1, 2, 2, 5, 2, 5, 5, 7])
    assert data[:, 1].astype(np.float64).sum() == 0
    fixture = profile(data, labels)
    assert fixture["counts"] == [1, 3, 4, 1]
    return {"variables": variables, "n": len(labels), "d": len(variables), "data": f64_list(data), "labels": int_list(labels), **fixture}


def areas_fixture():
    rng = np.random.default_rng(20240605)
    n, dim = 257, 8
    names = [f"area_{i:02d}" for i in range(10)]
    ids = [1000 + 7 * i for i in range(10)]  # integer keys with gaps, same grouping
    sizes = [40, 1, 35, 2, 30, 33, 28, 31, 27, 30]
    assert sum(sizes) == n
    area_index = np.repeat(np.arange(10), sizes)
    rng.shuffle(area_index)
    centres = rng.normal(0.0, 1.0, size=(10, dim))
    embedding = (centres[area_index] + rng.normal(0.0, 0.5, size=(n, dim))).astype(np.float32)
    # Labels 0..5 with per-area preferences; 3 never occurs.
    prefs = rng.dirichlet(np.ones(5), size=10)
    label_values = np.array([0, 1, 2, 4, 5])
    label = np.array([label_values[rng.choice(5, p=prefs[a])] for a in area_index])
    kinds = np.array(["street", "park", "shop"])
    kind = kinds[rng.integers(0, 3, size=n)]

    E = embedding.astype(np.float64)
    order = np.argsort(names)  # already sorted; keys sort by text
    keys, gids, counts, mean, median, mx = [], [], [], [], [], []
    label_categories = sorted(set(int(v) for v in label))
    all_label_categories = [0, 1, 2, 3, 4, 5]
    kind_categories = sorted(set(str(v) for v in kind))
    label_shares, all_label_shares, kind_shares = [], [], []
    for a in order:
        rows = area_index == a
        g = E[rows]
        keys.append(names[a])
        gids.append(ids[a])
        counts.append(int(rows.sum()))
        mean.append(g.mean(axis=0))
        median.append(np.median(g, axis=0))
        mx.append(g.max(axis=0))
        label_shares.append([float(np.mean(label[rows] == c)) for c in label_categories])
        all_label_shares.append([float(np.mean(label[rows] == c)) for c in all_label_categories])
        kind_shares.append([float(np.mean(kind[rows] == c)) for c in kind_categories])
    assert 3 not in label_categories
    return {
        "n": n,
        "dim": dim,
        "area": [names[a] for a in area_index],
        "area_id": [ids[a] for a in area_index],
        "embedding": f64_list(embedding),
        "label": int_list(label),
        "kind": [str(v) for v in kind],
        "groups": {
            "keys": keys,
            "ids": gids,
            "counts": counts,
            "mean": f64_list(mean),
            "median": f64_list(median),
            "max": f64_list(mx),
        },
        "label_categories": label_categories,
        "label_shares": f64_list(label_shares),
        "all_label_categories": all_label_categories,
        "all_label_shares": f64_list(all_label_shares),
        "kind_categories": kind_categories,
        "kind_shares": f64_list(kind_shares),
    }


def main():
    print(f"NumPy {np.__version__}")
    write_fixture(OUT / "wine.json", wine_fixture())
    write_fixture(OUT / "edge.json", edge_fixture())
    write_fixture(OUT / "areas.json", areas_fixture())


if __name__ == "__main__":
    main()
