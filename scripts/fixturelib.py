"""Helpers shared by the scripts that write clusterkit's reference fixtures and samples.

The scripts import it by name: Python puts a script's own folder (scripts/) first on sys.path,
so `/usr/bin/python3 scripts/<name>.py` from the repository root finds it. Import it before
NumPy: it limits OpenMP / BLAS to one thread first, so that floating-point summation order,
and so the fixtures, do not depend on the machine's core count.

Numerics convention of the fixtures: every input array is rounded to float32 and every
reference is computed in float64 on those rounded values. The float32 values are written
either as the exact doubles they are (f32_list: JS `Math.fround(v) === v`) or, where files
must stay small, as the shortest decimals that round to them (f32_shortest_list: readers
round with Float32Array.from).
"""

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import importlib  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "test" / "fixtures"

# The versions that produced the committed files (Debian packages).
EXPECTED_VERSIONS = {"sklearn": "1.2.1", "scipy": "1.10", "numpy": "1.24"}


def check_versions(expected=EXPECTED_VERSIONS):
    """Warns when a library's version does not start with the expected one (results may then
    differ slightly); returns the versions found, in the order of `expected`."""
    got = {lib: importlib.import_module(lib).__version__ for lib in expected}
    for lib, want in expected.items():
        if not got[lib].startswith(want):
            print(f"WARNING: {lib} {got[lib]} != expected {want}.x; fixtures may differ", file=sys.stderr)
    return got


# ---------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------


def _integral_as_int(values):
    # Integral values (e.g. digits pixels) as JSON integers keep the files small; JSON.parse
    # gives the same number either way.
    return [int(v) if v.is_integer() and abs(v) < 2**24 else v for v in values]


def f32_list(a):
    """float32 array -> list of Python floats (exact doubles of the float32 values)."""
    a = np.asarray(a)
    assert a.dtype == np.float32, a.dtype
    return _integral_as_int(map(float, a.ravel()))


def f32_shortest_list(a):
    """float32 array -> the shortest decimals that round to the same float32 values (small
    files); readers must round them to float32 (Float32Array.from), which gives `a` exactly."""
    a = np.asarray(a)
    assert a.dtype == np.float32, a.dtype
    out = [float(np.format_float_positional(v, unique=True, trim="-")) for v in a.ravel()]
    assert np.array_equal(np.array(out, dtype=np.float32), a.ravel())
    return _integral_as_int(out)


def f64_list(a):
    return [float(v) for v in np.asarray(a, dtype=np.float64).ravel()]


def nullable_list(a):
    """float64 values as JSON numbers; NaN -> null."""
    return [None if np.isnan(v) else float(v) for v in np.asarray(a, dtype=np.float64).ravel()]


def int_list(a):
    return [int(v) for v in np.asarray(a).ravel()]


def dataset_fields(name, X32, encode=f32_list):
    """The "name", "n", "d" and "data" fields that open a data set's fixture."""
    return {"name": name, "n": int(X32.shape[0]), "d": int(X32.shape[1]), "data": encode(X32)}


def write_json(path, obj):
    """Writes compact JSON (NaN refused) and a newline, creating the folder; returns its size in bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (json.dumps(obj, separators=(",", ":"), allow_nan=False, ensure_ascii=False) + "\n").encode("utf-8")
    path.write_bytes(data)
    return len(data)


def write_fixture(path, obj):
    """write_json, and says so."""
    print(f"wrote {path.relative_to(ROOT)} ({write_json(path, obj)} bytes)")


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------


def load_fixture(name):
    """A committed fixture, e.g. "wine" for test/fixtures/wine.json."""
    return json.loads((FIXTURES / f"{name}.json").read_text())


def fixture_data(fixture):
    """A data set fixture's float32 rows (n x d)."""
    return np.asarray(fixture["data"], dtype=np.float32).reshape(fixture["n"], fixture["d"])


def as_f32(X):
    """X rounded to float32 (C order): the data the references are computed on."""
    return np.ascontiguousarray(np.asarray(X, dtype=np.float64).astype(np.float32))


def standardized(X):
    """(X - mean) / std per column, with the population std (ddof = 0)."""
    X = np.asarray(X, dtype=np.float64)
    return (X - X.mean(axis=0)) / X.std(axis=0)
