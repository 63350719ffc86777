#!/usr/bin/python3
"""Reference fixtures for clusterkit's table preparation and PCA (src/prep), computed with
scikit-learn / SciPy / NumPy.

How to run (from the repository root; Debian's Python, no virtualenv, no pip):

    /usr/bin/python3 scripts/make_fixtures_prep.py

Library versions used for the committed files (checked at start-up; a mismatch prints a
warning): scikit-learn 1.2.1, SciPy 1.10.x, NumPy 1.24.x. Deterministic: one seeded
generator, BLAS limited to one thread before NumPy is imported.

What it writes (JSON; NaN never appears: a missing or NaN value is written as null):

  test/fixtures/prep/census.json — a small census-like table and every step's expected output
      "n": rows, "numeric": [names], "text": [names],
      "columns": { name: [n values] }          # numbers or null (missing); text or null
      "impute":    { "median" | "mean": { "statistics": [p], "output": [n*p] } }
                    # SimpleImputer(strategy=...).fit(X) on the numeric columns
      "winsorize": [ { "limits": [lo, hi], "lower": [p], "upper": [p], "output": [n*p] } ]
                    # np.nanquantile(X, lo|hi, axis=0) (linear), np.clip(X, lower, upper)
      "scale":     { "standard": { "center", "scale", "output" },   # StandardScaler: mean_, scale_
                     "minmax":   { "min", "max", "output" },        # MinMaxScaler: data_min_, data_max_
                     "robust":   { "center", "scale", "output" } }  # RobustScaler: center_, scale_
      "log1p":     { "columns": [...], "output": [n*c] }            # np.log1p
      "one_hot":   { "column": "region", "categories": [...], "output": [n*c] }
                    # OneHotEncoder(sparse_output=False); None (null) is its last category
      "pipeline":  { "options", "columns": [output names], "output": { name: [n] } }
                    # median impute -> log1p -> winsorize -> StandardScaler -> one-hot, on the
                    # numeric columns, as `clusterkit prep` does
      "variance":  { "ddof0": [p], "ddof1": [p], "count": [p] }    # np.nanvar
      "correlation": { "columns": [...], "pearson": [c*c], "spearman": [c*c],
                       "with_constant": { "columns", "pearson", "spearman" } }
                    # on the median-imputed table: np.corrcoef(rowvar=False) and
                    # scipy.stats.spearmanr(...).correlation; a constant column gives NaN (null)
      "quantiles": [ { "values": [...], "q": [...], "expected": [...] } ]   # np.quantile

  test/fixtures/prep/pca.json — scikit-learn PCA(svd_solver="full") on float32 data
      "cases": [ { "name", "data": "wine" | "digits" | inline [n*d], "n", "d",
                   "n_components", "whiten",
                   "components": [k*d], "explained_variance": [k], "explained_variance_ratio": [k],
                   "singular_values": [k], "mean": [d], "noise_variance",
                   "transform_rows": r, "transform": [r*k],
                   "signs_components": [k], "relative_gaps": [k] } ]
      "components" follow scikit-learn 1.2's sign rule (svd_flip on U: each component's
      largest |score| is positive). "signs_components" (±1) turn them into the rule of
      scikit-learn >= 1.5 (svd_flip on Vt: each component's largest |loading| is positive);
      the transformed values flip with them. "data": "wine" / "digits" means the float32 data
      of test/fixtures/wine.json / digits.json; "wine_std" is StandardScaler(wine) rounded to
      float32 and written inline.
      "correlation": { "wine" | "digits": { "pearson": [d*d], "spearman": [d*d] } } on the
      same float32 data (digits has constant pixels: their rows and columns are null).
"""

import warnings

# fixturelib first: it limits OpenMP / BLAS to one thread before NumPy loads.
from fixturelib import FIXTURES, check_versions, f32_list, fixture_data, load_fixture, nullable_list, write_fixture
import numpy as np
import scipy.stats
from sklearn.decomposition import PCA
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, RobustScaler, StandardScaler

OUT = FIXTURES / "prep"


# ---------------------------------------------------------------------------
# The census-like table
# ---------------------------------------------------------------------------

REGIONS = ["North", "south", "East", "west", "Ölfeld", "＃hash", "🏙 city"]  # code-point order differs from UTF-16 order
TENURES = ["own", "rent", "social"]


def census_table():
    rng = np.random.default_rng(20240501)
    n = 40
    population = rng.integers(800, 3000, n).astype(np.float64)
    population[7] = 25000.0  # an outlier
    median_age = np.round(rng.normal(40.0, 8.0, n), 1)
    median_age[[3, 18, 31]] = np.nan
    income = np.round(np.exp(rng.normal(10.3, 0.5, n)), 0)
    income[[2, 11, 25, 36]] = np.nan
    income[20] = 450000.0  # an outlier
    unemployment = np.round(rng.uniform(0.02, 0.15, n), 4)
    unemployment[[5, 33]] = np.nan
    households = rng.integers(0, 1200, n).astype(np.float64)
    households[[4, 12]] = 0.0
    households[29] = np.nan
    rooms = rng.integers(2, 6, n).astype(np.float64)  # many ties (Spearman, medians)
    constant = np.full(n, 5.0)
    numeric = {
        "population": population,
        "median_age": median_age,
        "income": income,
        "unemployment": unemployment,
        "households": households,
        "rooms": rooms,
        "constant": constant,
    }
    region = [REGIONS[i % len(REGIONS)] for i in rng.permutation(n)]
    for i in (6, 23):
        region[i] = None
    tenure = [TENURES[i] for i in rng.integers(0, 3, n)]
    area = [f"E0{1000 + i}" for i in range(n)]
    return n, area, numeric, region, tenure


def census_fixture():
    n, area, numeric, region, tenure = census_table()
    names = list(numeric)
    X = np.column_stack([numeric[c] for c in names])
    out = {
        "n": n,
        "numeric": names,
        "text": ["area", "region", "tenure"],
        "order": ["area"] + names[:4] + ["region"] + names[4:] + ["tenure"],
        "columns": {"area": area, **{c: nullable_list(numeric[c]) for c in names}, "region": region, "tenure": tenure},
    }

    out["impute"] = {}
    for strategy in ("median", "mean"):
        imputer = SimpleImputer(strategy=strategy).fit(X)
        out["impute"][strategy] = {"statistics": nullable_list(imputer.statistics_), "output": nullable_list(imputer.transform(X))}

    out["winsorize"] = []
    for limits in ([0.05, 0.95], [0.01, 0.99], [0.0, 0.9]):
        lower = np.nanquantile(X, limits[0], axis=0)
        upper = np.nanquantile(X, limits[1], axis=0)
        out["winsorize"].append(
            {"limits": limits, "lower": nullable_list(lower), "upper": nullable_list(upper), "output": nullable_list(np.clip(X, lower, upper))}
        )

    standard = StandardScaler().fit(X)
    minmax = MinMaxScaler().fit(X)
    robust = RobustScaler().fit(X)
    out["scale"] = {
        "standard": {"center": nullable_list(standard.mean_), "scale": nullable_list(standard.scale_), "output": nullable_list(standard.transform(X))},
        "minmax": {"min": nullable_list(minmax.data_min_), "max": nullable_list(minmax.data_max_), "output": nullable_list(minmax.transform(X))},
        "robust": {"center": nullable_list(robust.center_), "scale": nullable_list(robust.scale_), "output": nullable_list(robust.transform(X))},
    }

    log_columns = ["income", "households"]
    out["log1p"] = {"columns": log_columns, "output": nullable_list(np.log1p(np.column_stack([numeric[c] for c in log_columns])))}

    encoder = OneHotEncoder(sparse_output=False).fit(np.array(region, dtype=object).reshape(-1, 1))
    categories = [None if c is None else str(c) for c in encoder.categories_[0]]
    out["one_hot"] = {
        "column": "region",
        "categories": categories,
        "output": nullable_list(encoder.transform(np.array(region, dtype=object).reshape(-1, 1))),
    }

    # The pipeline `clusterkit prep --impute median --log1p income,households
    # --winsorize 0.05,0.95 --scale standard --one-hot region` runs.
    P = SimpleImputer(strategy="median").fit_transform(X)
    for c in log_columns:
        j = names.index(c)
        P[:, j] = np.log1p(P[:, j])
    P = np.clip(P, np.quantile(P, 0.05, axis=0), np.quantile(P, 0.95, axis=0))
    P = StandardScaler().fit_transform(P)
    hot = encoder.transform(np.array(region, dtype=object).reshape(-1, 1))
    hot_names = [f"region={'null' if c is None else c}" for c in categories]
    columns = {}
    for name in out["order"]:
        if name == "region":
            for k, hot_name in enumerate(hot_names):
                columns[hot_name] = nullable_list(hot[:, k])
        elif name in names:
            columns[name] = nullable_list(P[:, names.index(name)])
        else:
            columns[name] = area if name == "area" else tenure
    out["pipeline"] = {
        "options": {"impute": "median", "log1p": log_columns, "winsorize": [0.05, 0.95], "scale": "standard", "oneHot": ["region"]},
        "columns": list(columns),
        "output": columns,
    }

    out["variance"] = {
        "ddof0": nullable_list(np.nanvar(X, axis=0)),
        "ddof1": nullable_list(np.nanvar(X, axis=0, ddof=1)),
        "count": nullable_list(np.sum(~np.isnan(X), axis=0)),
    }

    imputed = SimpleImputer(strategy="median").fit_transform(X)
    keep = [j for j, c in enumerate(names) if c != "constant"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the constant column's NaN row
        out["correlation"] = {
            "columns": [names[j] for j in keep],
            "pearson": nullable_list(np.corrcoef(imputed[:, keep], rowvar=False)),
            "spearman": nullable_list(scipy.stats.spearmanr(imputed[:, keep]).correlation),
            "with_constant": {
                "columns": names,
                "pearson": nullable_list(np.corrcoef(imputed, rowvar=False)),
                "spearman": nullable_list(scipy.stats.spearmanr(imputed).correlation),
            },
        }

    qs = [0.0, 0.01, 0.05, 0.25, 1 / 3, 0.5, 0.75, 0.95, 0.99, 1.0]
    rng = np.random.default_rng(7)
    arrays = [[4.0], [1.0, 2.0], [3.0, 1.0, 2.0, 10.0], list(np.round(rng.normal(0, 100, 17), 3)), [1.0, 1.0, 1.0, 2.0, 2.0, 9.0]]
    out["quantiles"] = [{"values": a, "q": qs, "expected": nullable_list(np.quantile(np.array(a), qs))} for a in arrays]
    return out


# ---------------------------------------------------------------------------
# PCA
# ---------------------------------------------------------------------------


def pca_case(name, X32, n_components, whiten=False, transform_rows=None, inline=False):
    X = X32.astype(np.float64)
    pca = PCA(n_components=n_components, svd_solver="full", whiten=whiten).fit(X)
    rows = X.shape[0] if transform_rows is None else transform_rows
    transformed = pca.transform(X[:rows])
    components = pca.components_
    signs = np.sign(components[np.arange(components.shape[0]), np.argmax(np.abs(components), axis=1)])
    ev = pca.explained_variance_
    # Relative eigengap of each component (its direction is only as well determined as this);
    # a zero eigenvalue shares a null space of dimension d - rank and gets gap 0.
    gaps = [
        0.0 if ev[i] < 1e-10 * ev[0] else float(min([abs(ev[i] - ev[j]) for j in (i - 1, i + 1) if 0 <= j < len(ev)] or [np.inf]) / ev[0])
        for i in range(len(ev))
    ]
    case = {
        "name": name,
        "data": f32_list(X32) if inline else name.split(":")[0],
        "n": int(X.shape[0]),
        "d": int(X.shape[1]),
        "n_components": None if n_components is None else int(n_components),
        "whiten": whiten,
        "components": nullable_list(components),
        "explained_variance": nullable_list(pca.explained_variance_),
        "explained_variance_ratio": nullable_list(pca.explained_variance_ratio_),
        "singular_values": nullable_list(pca.singular_values_),
        "mean": nullable_list(pca.mean_),
        "noise_variance": float(pca.noise_variance_),
        "transform_rows": int(rows),
        "transform": nullable_list(transformed),
        "signs_components": [int(s) for s in signs],
        "relative_gaps": gaps,
    }
    print(f"  {name}: k={components.shape[0]}, smallest relative eigengap {min(gaps):.2e}")
    return case


def pca_fixture():
    wine = fixture_data(load_fixture("wine"))
    digits = fixture_data(load_fixture("digits"))
    wine_std = StandardScaler().fit_transform(wine.astype(np.float64)).astype(np.float32)
    rng = np.random.default_rng(11)
    wide = rng.normal(0, 1, (6, 10)).astype(np.float32)
    cases = [
        pca_case("wine", wine, None),
        pca_case("wine_std", wine_std, None, inline=True),
        pca_case("wine_std:whiten", wine_std, 5, whiten=True, inline=True),
        pca_case("digits", digits, 10, transform_rows=200),
        pca_case("wide", wide, None, inline=True),
    ]
    correlation = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # digits' constant pixels
        for name, X32 in (("wine", wine), ("digits", digits)):
            X = X32.astype(np.float64)
            correlation[name] = {
                "pearson": nullable_list(np.corrcoef(X, rowvar=False)),
                "spearman": nullable_list(scipy.stats.spearmanr(X).correlation),
            }
    return {"cases": cases, "correlation": correlation}


def main():
    versions = check_versions()
    census = census_fixture()
    census["versions"] = versions
    write_fixture(OUT / "census.json", census)
    pca = pca_fixture()
    pca["versions"] = versions
    write_fixture(OUT / "pca.json", pca)


if __name__ == "__main__":
    main()
