#!/usr/bin/env python3
"""Peers for bench/gpu.mjs: the same problems through PyTorch (fp32, TF32 off) and scikit-learn.

Run by bench/gpu.mjs in the same process tree and on the same machine, so the comparison is
side by side. Reads a JSON list of tasks on stdin, prints one JSON object per line on stdout
({"task": name, "peer": "torch"|"sklearn", ...}); progress goes to stderr.

The data are not passed in: both sides regenerate them with the same integer hash (murmur3's
finalizer) and float64 arithmetic that is exact until the final rounding to float32, so every
value is bit-identical to what bench/gpu.mjs generated (a checksum is printed to prove it).
Initial centroids are rows floor(c * n / k) of the data, as on the JS side.
"""

import json
import os
import sys
import time

import numpy as np

M32 = 0xFFFFFFFF


def log(*args):
    print(*args, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# The shared generator (keep in step with bench/gpu.mjs)
# --------------------------------------------------------------------------------------------


def fmix_np(x):
    x = x ^ (x >> np.uint32(16))
    x = x * np.uint32(0x85EBCA6B)
    x = x ^ (x >> np.uint32(13))
    x = x * np.uint32(0xC2B2AE35)
    return x ^ (x >> np.uint32(16))


def centres_np(clusters, d, seed):
    c = np.arange(clusters, dtype=np.uint32)[:, None]
    j = np.arange(d, dtype=np.uint32)[None, :]
    h = fmix_np(c * np.uint32(0x27D4EB2F) + j * np.uint32(0x165667B1) + np.uint32(seed))
    return 8.0 * ((h >> np.uint32(8)).astype(np.float64) / 2.0**24) - 4.0


def rows_np(start, stop, d, clusters, seed, centres):
    i = np.arange(start, stop, dtype=np.uint32)
    key = fmix_np(i * np.uint32(0x9E3779B9) + np.uint32(seed))
    label = fmix_np(key ^ np.uint32(0x68BC21EB)) % np.uint32(clusters)
    j = np.arange(d, dtype=np.uint32)[None, :]
    h = fmix_np(key[:, None] + j * np.uint32(0x9E3779B9))
    noise = (h >> np.uint32(8)).astype(np.float64) / 2.0**24 - 0.5
    return (centres[label] + noise).astype(np.float32), label.astype(np.int64)


def data_np(n, d, clusters, seed):
    centres = centres_np(clusters, d, seed)
    x = np.empty((n, d), dtype=np.float32)
    labels = np.empty(n, dtype=np.int64)
    step = max(1, (1 << 24) // d)
    for s in range(0, n, step):
        x[s : s + step], labels[s : s + step] = rows_np(s, min(n, s + step), d, clusters, seed, centres)
    return x, labels


def checksum(x):
    return float(x[::1009].astype(np.float64).sum())


def init_rows(n, k):
    return np.array([(c * n) // k for c in range(k)], dtype=np.int64)


# --------------------------------------------------------------------------------------------
# PyTorch
# --------------------------------------------------------------------------------------------


def torch_peer():
    import torch

    if not torch.cuda.is_available():
        raise RuntimeError("CUDA is not available to PyTorch")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    return torch


def fmix_t(torch, x):
    x = x ^ (x >> 16)
    x = (x * 0x85EBCA6B) & M32
    x = x ^ (x >> 13)
    x = (x * 0xC2B2AE35) & M32
    return x ^ (x >> 16)


def data_torch(torch, n, d, clusters, seed):
    """The same values generated on the GPU (int64 holding uint32), row block by row block."""
    dev = "cuda"
    c = torch.arange(clusters, device=dev, dtype=torch.int64)[:, None]
    j = torch.arange(d, device=dev, dtype=torch.int64)[None, :]
    h = fmix_t(torch, (c * 0x27D4EB2F + j * 0x165667B1 + seed) & M32)
    centres = 8.0 * ((h >> 8).to(torch.float64) / 2.0**24) - 4.0
    x = torch.empty((n, d), device=dev, dtype=torch.float32)
    step = max(1, (1 << 25) // d)
    for s in range(0, n, step):
        i = torch.arange(s, min(n, s + step), device=dev, dtype=torch.int64)
        key = fmix_t(torch, (i * 0x9E3779B9 + seed) & M32)
        label = fmix_t(torch, key ^ 0x68BC21EB) % clusters
        hh = fmix_t(torch, (key[:, None] + j * 0x9E3779B9) & M32)
        noise = (hh >> 8).to(torch.float64) / 2.0**24 - 0.5
        x[s : s + i.numel()] = (centres[label] + noise).to(torch.float32)
    return x


def timed(torch, fn, warm=2, reps=5):
    for _ in range(warm):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        times.append((time.perf_counter() - t0) * 1000)
    return float(np.median(times))


def torch_assign(torch, x, c, chunk=1 << 17):
    cn = (c * c).sum(1)
    labels = torch.empty(x.shape[0], device=x.device, dtype=torch.int64)
    best = torch.empty(x.shape[0], device=x.device, dtype=torch.float32)
    for s in range(0, x.shape[0], chunk):
        d = torch.addmm(cn[None, :], x[s : s + chunk], c.T, alpha=-2.0)
        v, i = d.min(1)
        labels[s : s + chunk] = i
        best[s : s + chunk] = v
    return labels, best


def torch_iteration(torch, x, c, xn):
    labels, best = torch_assign(torch, x, c)
    k, d = c.shape
    sums = torch.zeros((k, d), device=x.device, dtype=torch.float32).index_add_(0, labels, x)
    counts = torch.bincount(labels, minlength=k).to(torch.float32)
    inertia = (best + xn).clamp_min(0).sum()
    return sums / counts.clamp_min(1)[:, None], inertia


def torch_silhouette(torch, x, labels, k, chunk=4096):
    n = x.shape[0]
    xn = (x * x).sum(1)
    onehot = torch.zeros((n, k), device=x.device, dtype=torch.float32)
    onehot[torch.arange(n, device=x.device), labels] = 1.0
    sizes = onehot.sum(0)
    s = torch.empty(n, device=x.device, dtype=torch.float32)
    for a in range(0, n, chunk):
        d2 = torch.addmm(xn[a : a + chunk, None] + xn[None, :], x[a : a + chunk], x.T, alpha=-2.0).clamp_min_(0).sqrt_()
        sums = d2 @ onehot
        own = labels[a : a + chunk]
        own_sum = sums.gather(1, own[:, None])[:, 0]
        a_ = own_sum / (sizes[own] - 1).clamp_min(1)
        other = sums / sizes[None, :]
        other.scatter_(1, own[:, None], float("inf"))
        b_ = other.min(1).values
        s[a : a + chunk] = torch.where(sizes[own] > 1, (b_ - a_) / torch.maximum(a_, b_), torch.zeros_like(a_))
    return float(s.mean())


def run_torch(task):
    torch = torch_peer()
    n, d, k, seed, clusters = task["n"], task["d"], task["k"], task["seed"], task["clusters"]
    x = data_torch(torch, n, d, clusters, seed)
    out = {"checksum": float(x[::1009].to(torch.float64).sum()), "device": torch.cuda.get_device_name()}
    c0 = x[torch.as_tensor(init_rows(n, k), device="cuda")].clone()
    xn = (x * x).sum(1)
    op = task["op"]
    if op == "assign":
        ms = timed(torch, lambda: torch_assign(torch, x, c0))
        out.update(ms=ms, tflops=2 * n * k * d / ms / 1e9)
    elif op == "iteration":
        out.update(ms=timed(torch, lambda: torch_iteration(torch, x, c0, xn)))
    elif op == "fit":
        iters = task["iters"]

        def fit():
            c = c0
            for _ in range(iters):
                c, _ = torch_iteration(torch, x, c, xn)
            return c

        ms = timed(torch, fit, warm=1, reps=1 if n * k * d > 1e12 else 3)
        out.update(ms=ms, iterations=iters, ms_per_iteration=ms / iters)
    elif op == "silhouette":
        labels = fmix_t(torch, fmix_t(torch, (torch.arange(n, device="cuda") * 0x9E3779B9 + seed) & M32) ^ 0x68BC21EB) % clusters
        score = []
        ms = timed(torch, lambda: score.append(torch_silhouette(torch, x, labels, clusters)), warm=1, reps=3)
        out.update(ms=ms, score=score[-1])
    else:
        raise ValueError(op)
    del x
    torch.cuda.empty_cache()
    return out


# --------------------------------------------------------------------------------------------
# scikit-learn (all cores)
# --------------------------------------------------------------------------------------------


def run_sklearn(task):
    import warnings

    import sklearn
    from sklearn.cluster import KMeans
    from sklearn.metrics import pairwise_distances_argmin, silhouette_score

    n, d, k, seed, clusters = task["n"], task["d"], task["k"], task["seed"], task["clusters"]
    op = task["op"]
    n_used = min(n, task.get("sklearn_rows", n))
    x, labels = data_np(n_used, d, clusters, seed)
    out = {"version": sklearn.__version__, "rows": n_used, "cores": os.cpu_count()}
    if n_used == n:
        out["checksum"] = checksum(x)
    c0 = x[init_rows(n_used, k)]

    def clock(fn, reps=3):
        fn()
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1000)
        return float(np.median(times))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if op == "assign":
            ms = clock(lambda: pairwise_distances_argmin(x, c0))
            out.update(ms=ms, tflops=2 * n_used * k * d / ms / 1e9, how="pairwise_distances_argmin")
        elif op in ("iteration", "fit"):
            # Per Lloyd iteration: (fit with max_iter=3) − (fit with max_iter=1), halved; both
            # include the same set-up and final assignment, which cancel.
            def fit(iters):
                KMeans(n_clusters=k, init=c0, n_init=1, max_iter=iters, tol=0, algorithm="lloyd").fit(x)

            reps = 1 if n_used * k * d > 2e10 else 3
            t1 = clock(lambda: fit(1), reps)
            t3 = clock(lambda: fit(3), reps)
            out.update(ms_per_iteration=(t3 - t1) / 2, how="KMeans(max_iter=3) − KMeans(max_iter=1), halved")
        elif op == "silhouette":
            scores = []
            ms = clock(lambda: scores.append(float(silhouette_score(x, labels))), reps=1)
            out.update(ms=ms, score=scores[-1])
        else:
            raise ValueError(op)
    return out


def main():
    tasks = json.load(sys.stdin)
    peers = {"torch": run_torch, "sklearn": run_sklearn}
    # Every PyTorch task first: they take seconds, scikit-learn's take minutes, and a run cut
    # short by the device's time limit should lose the slow ones.
    for peer, task in [(p, t) for p in peers for t in tasks if p in t.get("peers", list(peers))]:
        t0 = time.perf_counter()
        try:
            result = peers[peer](task)
            result["ok"] = True
        except Exception as error:  # a missing library or GPU is a result too
            result = {"ok": False, "error": f"{type(error).__name__}: {error}".splitlines()[0][:300]}
        log(f"peer {peer} {task['name']}: {time.perf_counter() - t0:.1f} s {'ok' if result['ok'] else result['error']}")
        print(json.dumps({"task": task["name"], "peer": peer, **result}), flush=True)


if __name__ == "__main__":
    main()
