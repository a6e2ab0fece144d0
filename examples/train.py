"""A small CPU training-like workload for trying greengate: no downloads, no dependencies.

Trains a logistic-regression classifier on synthetic data with data-parallel workers
(multiprocessing), so the work happens in a process tree, as it does in a real CI job.

    greengate run --policy examples/greengate.yml -- python examples/train.py
"""

from __future__ import annotations

import argparse
import math
import random
from multiprocessing import Pool


def make_data(n: int, dim: int, seed: int) -> list[tuple[list[float], int]]:
    rng = random.Random(seed)
    true_w = [rng.uniform(-1, 1) for _ in range(dim)]
    data = []
    for _ in range(n):
        x = [rng.gauss(0, 1) for _ in range(dim)]
        score = sum(w * v for w, v in zip(true_w, x, strict=True))
        data.append((x, 1 if score + rng.gauss(0, 0.3) > 0 else 0))
    return data


def gradient(args: tuple[list[float], list[tuple[list[float], int]]]) -> list[float]:
    w, shard = args
    g = [0.0] * len(w)
    for x, y in shard:
        z = sum(wi * xi for wi, xi in zip(w, x, strict=True))
        p = 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))
        for i, xi in enumerate(x):
            g[i] += (p - y) * xi
    return g


def accuracy(w: list[float], data: list[tuple[list[float], int]]) -> float:
    hits = sum((sum(wi * xi for wi, xi in zip(w, x, strict=True)) > 0) == bool(y) for x, y in data)
    return hits / len(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--samples", type=int, default=4000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    data = make_data(args.samples, dim=32, seed=42)
    w = [0.0] * 32
    shards = [data[i :: args.workers] for i in range(args.workers)]
    with Pool(args.workers) as pool:
        for epoch in range(1, args.epochs + 1):
            grads = pool.map(gradient, [(w, s) for s in shards])
            w = [wi - 0.5 * sum(g[i] for g in grads) / len(data) for i, wi in enumerate(w)]
            print(f"epoch {epoch:2d}  accuracy {accuracy(w, data):.3f}", flush=True)


if __name__ == "__main__":
    main()
