"""What the Python peers of the benchmarks share: the timing rules of bench/lib/timing.mjs and
progress lines on stderr (stdout carries the JSON result)."""

import sys
import time

import numpy as np


def logger(prefix):
    def log(message):
        print(f"[{prefix}] {message}", file=sys.stderr, flush=True)

    return log


def time_repeated(fn, repeats, budget_ms, warmup=False):
    """Median ms of up to `repeats` runs (fewer once `budget_ms` is spent) and the last result;
    with `warmup`, one untimed run first."""
    if warmup:
        fn()
    samples, result, spent = [], None, 0.0
    while len(samples) < repeats and (not samples or spent < budget_ms):
        start = time.perf_counter()
        result = fn()
        ms = (time.perf_counter() - start) * 1e3
        samples.append(ms)
        spent += ms
    return {"ms": float(np.median(samples)), "samples": samples}, result
