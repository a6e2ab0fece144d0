"""The training-like GPU load bench/gpu.py measures: full load, the GPU idle, then CPU only.

    python bench/gpu_workload.py [--load 60] [--idle 20] [--cpu 10] [--size 8192]

Phase 1 multiplies two bf16 matrices on ``cuda:0`` back to back (PyTorch) for ``--load``
seconds; phase 2 keeps the CUDA context and the tensors but gives the GPU nothing to do;
phase 3 is a CPU-only loop in the same process. Each phase's start and end go to stdout as
one JSON line (``time.time()`` seconds), so the bench can cut its own power samples per phase.
"""

from __future__ import annotations

import argparse
import json
import time


def phase(name: str, start: float, end: float, **extra: float) -> None:
    """One line the bench parses: the phase, its start and end, and anything measured in it."""
    print(json.dumps({"phase": name, "start": start, "end": end, **extra}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--load", type=float, default=60.0)
    parser.add_argument("--idle", type=float, default=20.0)
    parser.add_argument("--cpu", type=float, default=10.0)
    parser.add_argument("--size", type=int, default=8192)
    args = parser.parse_args()

    import torch  # here, so that --help works without PyTorch

    device = torch.device("cuda:0")
    a = torch.randn(args.size, args.size, device=device, dtype=torch.bfloat16)
    b = torch.randn(args.size, args.size, device=device, dtype=torch.bfloat16)
    for _ in range(3):  # warm-up: cuBLAS picks its kernel
        a @ b
    torch.cuda.synchronize()

    start = time.time()
    products = 0
    while time.time() - start < args.load:
        for _ in range(20):
            a @ b
        torch.cuda.synchronize()
        products += 20
    end = time.time()
    tflops = products * 2 * args.size**3 / (end - start) / 1e12
    phase("load", start, end, products=products, tflops=round(tflops, 1))

    start = time.time()
    time.sleep(args.idle)  # the context and the tensors stay: the GPU is held, not busy
    phase("idle", start, time.time())

    start = time.time()
    x = 0
    while time.time() - start < args.cpu:
        for i in range(100_000):
            x ^= i
    phase("cpu", start, time.time())


if __name__ == "__main__":
    main()
