"""What reading the trusted policy afresh costs (issue 10: the caches are bypassed for it).

    python bench/trusted_policy.py [--rounds 15]

A policy read with ``--policy-from REF`` is parsed with PyYAML and validated with
jsonschema on every run, never taken from ~/.cache/greengate, because code of the pull
request that ran earlier in the job can write that cache. Interleaved in the same rounds,
in a throw-away git repository with warm caches:

- ``run``: ``greengate run --quiet -- true`` (the policy from the working tree, cached);
- ``run --policy-from main``: the same, the policy read from main's tree (git objects),
  parsed and validated afresh; the working tree's copy (the PR's proposal) still cached;
- ``load cached`` / ``load trusted``: a fresh interpreter that only imports the loader and
  reads the policy text, through the warm cache or as a trusted read: the cache bypass
  alone, without git;
- ``python -c pass``: the interpreter's own start-up, the yardstick.

Prints medians and two differences: the whole price of ``--policy-from`` over a plain run
(git look-ups and the uncached parse), and the bypass alone.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from common import GREENGATE, cleanup, median, timed, workdir


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    repo = workdir()
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    ident = ["-c", "user.name=b", "-c", "user.email=b@example.com"]
    for argv in (["init", "-q", "-b", "main"], ["add", "greengate.yml"]):
        subprocess.run(["git", *argv], cwd=repo, env=env, check=True)
    subprocess.run(["git", *ident, "commit", "-qm", "p"], cwd=repo, env=env, check=True)
    base = [GREENGATE, "run", "--quiet", "--intensity", "100", "--verdict", "v.json"]
    load = (
        "from greengate.policy.loader import load_policy_text; "
        "load_policy_text(open('greengate.yml').read(), 'greengate.yml', trusted={})"
    )
    cases = {
        "run": [*base, "--", "true"],
        "load cached": [sys.executable, "-c", load.format(False)],
        "load trusted": [sys.executable, "-c", load.format(True)],
        "run --policy-from main": [*base, "--policy-from", "main", "--", "true"],
        "python -c pass": [sys.executable, "-c", "pass"],
    }
    for argv in cases.values():  # warm every cache once
        timed(argv, repo, env)
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.rounds):
        for name, argv in cases.items():
            wall, _, code = timed(argv, repo, env)
            if code != 0:
                raise SystemExit(f"{name} exited {code}")
            times[name].append(wall)
    for name, walls in times.items():
        print(f"{name:<24} median {median(walls) * 1000:7.1f} ms  ({args.rounds} rounds)")
    extra = median(times["run --policy-from main"]) - median(times["run"])
    print(f"--policy-from costs      {extra * 1000:7.1f} ms per run (git + uncached parse)")
    bypass = median(times["load trusted"]) - median(times["load cached"])
    print(f"cache bypass alone       {bypass * 1000:7.1f} ms per run (PyYAML + jsonschema)")
    cleanup(repo)


if __name__ == "__main__":
    main()
