#!/usr/bin/python3
"""Bundled sample data for clusterkit (README demo command, CLI tests).

How to run (from the repository root; Debian's Python, no virtualenv needed):

    /usr/bin/python3 scripts/make_samples.py

Needs NumPy (1.24) and scikit-learn (1.2.1, only for its bundled wine data set);
no network. Deterministic (fixed seed), so re-running reproduces the committed
files byte for byte. The whole samples/ folder stays well under 1 MB.

What it writes:

  samples/wine.csv
      scikit-learn's wine recognition data (178 rows). Header:
      id,<the 13 feature_names of load_wine()>,cultivar
      `id` is an integer 1..178, the features are written with the dataset's own
      decimals (shortest round-trip form, e.g. 14.23, 1065), and `cultivar` is the
      text class name ("class_0", "class_1", "class_2").

  samples/street-images.npy
      float32, shape (2000, 64), C order, little-endian (.npy format 1.0).
      Synthetic stand-in for CLIP image embeddings of street-level photos:
      unit-length rows drawn around 6 cluster directions on the unit sphere
      (unequal cluster sizes, rows shuffled). Two of the six directions are
      correlated (cosine about 0.5); rows have cosine ~0.55 to their own direction
      and nearest-prompt (zero-shot) accuracy is ~99%, not 100%.

  samples/street-texts.npy
      float32, shape (6, 64): unit-length "prompt embeddings", each a noisy copy
      of one cluster direction, in the order of street-prompts.txt.

  samples/street-prompts.txt
      6 lines, one text prompt per line (UTF-8, '\n' line ends).

(An Arrow IPC version of the embeddings would need pyarrow, which is not
installed here; the .npy files carry the same data.)
"""

# fixturelib first: it limits OpenMP / BLAS to one thread before NumPy loads.
from fixturelib import ROOT
import numpy as np
from sklearn.datasets import load_wine

OUT = ROOT / "samples"

SEED = 20240601
N_IMAGES = 2000
DIM = 64

PROMPTS = [
    "a photo of a tree-lined street",
    "a photo of a busy shopping street",
    "a photo of a highway with heavy traffic",
    "a photo of a quiet residential street with houses",
    "a photo of an industrial area with warehouses",
    "a photo of a street with graffiti on the walls",
]
# share of images per category (sums to 1)
SHARES = [0.22, 0.20, 0.12, 0.26, 0.08, 0.12]


def fmt(v):
    return np.format_float_positional(float(v), trim="-")


def write_wine():
    ds = load_wine()
    names = list(ds.feature_names)
    lines = [",".join(["id"] + names + ["cultivar"])]
    for i, (row, t) in enumerate(zip(ds.data, ds.target)):
        lines.append(",".join([str(i + 1)] + [fmt(v) for v in row] + [str(ds.target_names[t])]))
    path = OUT / "wine.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def unit(a):
    return a / np.linalg.norm(a, axis=-1, keepdims=True)


def write_street():
    rng = np.random.default_rng(SEED)
    k = len(PROMPTS)
    dirs = unit(rng.standard_normal((k, DIM)))
    # make "busy shopping street" (1) and "graffiti" (5) related: cosine ~0.5
    dirs[5] = unit(0.5 * dirs[1] + np.sqrt(0.75) * unit(dirs[5] - (dirs[5] @ dirs[1]) * dirs[1]))

    counts = np.floor(np.array(SHARES) * N_IMAGES).astype(int)
    counts[np.argmax(counts)] += N_IMAGES - counts.sum()
    labels = np.repeat(np.arange(k), counts)
    labels = labels[rng.permutation(N_IMAGES)]

    # noise of norm ~1.5 around the direction -> cosine to own direction ~0.55,
    # zero-shot argmax accuracy ~99% (a few images fall nearer another prompt)
    noise = rng.standard_normal((N_IMAGES, DIM)) * (1.5 / np.sqrt(DIM))
    images = unit(dirs[labels] + noise).astype(np.float32)
    texts = unit(dirs + rng.standard_normal((k, DIM)) * (0.5 / np.sqrt(DIM))).astype(np.float32)

    np.save(OUT / "street-images.npy", np.ascontiguousarray(images, dtype="<f4"))
    np.save(OUT / "street-texts.npy", np.ascontiguousarray(texts, dtype="<f4"))
    (OUT / "street-prompts.txt").write_text("\n".join(PROMPTS) + "\n")

    sims = images.astype(np.float64) @ texts.astype(np.float64).T
    acc = float((sims.argmax(axis=1) == labels).mean())
    own = float(np.mean(np.sum(images * dirs[labels], axis=1)))
    return counts, acc, own


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    wine = write_wine()
    counts, acc, own = write_street()
    print(f"{wine.relative_to(ROOT)}: 178 rows")
    print(f"samples/street-images.npy: {N_IMAGES} x {DIM} float32, cluster sizes {counts.tolist()}")
    print(f"samples/street-texts.npy: {len(PROMPTS)} x {DIM} float32")
    print(f"samples/street-prompts.txt: {len(PROMPTS)} prompts")
    print(f"mean cosine image/own direction {own:.3f}; zero-shot argmax accuracy {acc:.3f}")
    total = sum(p.stat().st_size for p in OUT.iterdir() if p.is_file())
    print(f"samples/ total {total / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
