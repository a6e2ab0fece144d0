"""A long training loop that checkpoints when it is stopped, and resumes from the checkpoint.

greengate stops a run at its energy or carbon limit with a signal (``--stop-signal INT|TERM``,
then SIGKILL after ``--grace-period``). A training script that saves its state on that
signal loses nothing but the step in progress: the next run, with a new budget, resumes.

    greengate run --stop-at-limit --stop-signal INT --grace-period 30 -- \
        python examples/checkpoint_train.py --steps 500 --checkpoint run.ckpt.json

No dependencies: the "model" is a few weights fitted by gradient descent on synthetic data,
each step burning a fixed amount of CPU. The pattern is the same with PyTorch: set a flag in
the handler, finish the step, then ``torch.save`` and exit.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import time
from pathlib import Path
from types import FrameType

stop_requested: int | None = None  # the signal that asked us to stop, set by the handler


def request_stop(signum: int, frame: FrameType | None) -> None:
    # Only a flag: the step in progress finishes, so the checkpoint is consistent.
    global stop_requested
    stop_requested = signum


def load(path: Path, dim: int) -> tuple[int, list[float]]:
    """The step to resume from and the weights; a fresh start without a checkpoint."""
    if not path.exists():
        return 0, [0.0] * dim
    state = json.loads(path.read_text(encoding="utf-8"))
    return int(state["step"]), [float(w) for w in state["weights"]]


def save(path: Path, step: int, weights: list[float]) -> None:
    """Write the checkpoint atomically: a kill mid-write leaves the previous one intact."""
    part = path.with_name(path.name + ".part")
    part.write_text(json.dumps({"step": step, "weights": weights}), encoding="utf-8")
    os.replace(part, path)


def train_step(weights: list[float], rng: random.Random, cpu_seconds: float) -> float:
    """One step of least squares on fresh samples, for about ``cpu_seconds`` of CPU."""
    target = [0.5, -1.0, 2.0, 0.25][: len(weights)] + [0.0] * max(len(weights) - 4, 0)
    end, loss = time.process_time() + cpu_seconds, 0.0
    while time.process_time() < end:
        x = [rng.gauss(0.0, 1.0) for _ in weights]
        error = sum(w * v for w, v in zip(weights, x, strict=True)) - sum(
            t * v for t, v in zip(target, x, strict=True)
        )
        for i, v in enumerate(x):
            weights[i] -= 0.01 * error * v
        loss = error * error
    return loss


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200, help="steps in the whole training")
    parser.add_argument("--checkpoint", type=Path, default=Path("train.ckpt.json"))
    parser.add_argument("--step-seconds", type=float, default=0.1, help="CPU-s per step")
    parser.add_argument("--dim", type=int, default=4)
    args = parser.parse_args()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    step, weights = load(args.checkpoint, args.dim)
    print(f"starting at step {step} of {args.steps}", flush=True)
    rng = random.Random(step)  # a resumed run draws fresh samples, reproducibly
    while step < args.steps:
        loss = train_step(weights, rng, args.step_seconds)
        step += 1
        if stop_requested is not None:
            save(args.checkpoint, step, weights)
            name = signal.Signals(stop_requested).name
            print(f"{name}: checkpoint at step {step} saved to {args.checkpoint}", flush=True)
            return 128 + stop_requested  # the shell's convention for "ended by signal N"
        if step % 50 == 0:
            save(args.checkpoint, step, weights)  # periodic too: SIGKILL cannot be caught
            print(f"step {step}: loss {loss:.4f}", flush=True)
    save(args.checkpoint, step, weights)
    print(f"done: {step} steps, weights {[round(w, 3) for w in weights]}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
