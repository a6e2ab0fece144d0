"""The HTML trend report and the badge from a ledger of 100,000 runs: time and size.

    python bench/report.py [--records 100000] [--rounds 5] [--ledger PATH|postgresql://...]
                           [--no-fill]

Target (issue 13): ``greengate report --html`` from 100,000 runs in <= 2 s and <= 1.5 MB.
The ledger is bench/ledger.py's (a year of runs every 5 minutes, 5 repositories, 20 jobs,
main and 50 feature branches) with its policy's windows and regression rule. Each figure
is the median of the rounds; the command is timed whole (start-up, queries, SVG, write).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from common import GREENGATE, timed
from ledger import NOW, POLICY, fill

from greengate.ledger.interface import open_ledger
from greengate.ledger.records import RecordFilter
from greengate.ledger.sql import SqlLedger
from greengate.policy.loader import load_policy_text
from greengate.report.build import build_report
from greengate.report.html import render_html


def in_process(location: str, rounds: int) -> None:
    """The queries and the rendering apart, in this process (no start-up)."""
    policy = load_policy_text(POLICY, "bench.yml")
    queries, rendering = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        with open_ledger(location) as ledger:
            assert isinstance(ledger, SqlLedger)
            report = build_report(ledger, RecordFilter(), policy, datetime.now(timezone.utc))
        built = time.perf_counter()
        html = render_html(report)
        queries.append(built - started)
        rendering.append(time.perf_counter() - built)
    marks = html.count('class="mark"')
    print(
        f"in process: queries median {statistics.median(queries):.3f} s, rendering "
        f"{statistics.median(rendering):.3f} s; {report.totals.runs} runs drawn as {marks} "
        f"marks, {report.timeline.step}ly over {len(report.timeline.buckets)} buckets"
    )


def command(location: str, rounds: int, work: Path) -> None:
    """``greengate report --html`` and ``greengate badge``, start-up included."""
    (work / "bench.yml").write_text(POLICY)
    out = work / "report.html"
    for name, argv in (
        ("report --html", ["report", "--html", str(out)]),
        ("badge", ["badge", "-o", str(work / "badge.svg")]),
    ):
        full = [GREENGATE, *argv, "--ledger", location, "--policy", str(work / "bench.yml")]
        runs = [timed(full, work) for _ in range(rounds)]
        if any(rc for _, _, rc in runs):
            sys.exit(f"{' '.join(full)} failed")
        walls, cpus = [w for w, _, _ in runs], [c for _, c, _ in runs]
        target = " (target <= 2 s)" if name == "report --html" else ""
        print(
            f"greengate {name}: median {statistics.median(walls):.2f} s "
            f"(min {min(walls):.2f}), CPU {statistics.median(cpus):.2f} s, of {rounds}{target}"
        )
    size = out.stat().st_size
    print(f"report size: {size / 1e6:.3f} MB ({size} bytes; target <= 1.5 MB)")
    # The largest page: a full quarter is drawn per day (92 slots a series), not per week.
    quarter = f"{NOW.year - 1}-Q4" if NOW.month < 4 else f"{NOW.year}-Q{(NOW.month - 1) // 3}"
    full = [GREENGATE, "report", "--html", str(out), "--ledger", location, "--period", quarter]
    full += ["--policy", str(work / "bench.yml")]
    runs = [timed(full, work) for _ in range(rounds)]
    size = out.stat().st_size
    print(
        f"greengate report --html --period {quarter} (daily): median "
        f"{statistics.median(w for w, _, _ in runs):.2f} s, CPU "
        f"{statistics.median(c for _, c, _ in runs):.2f} s, {size / 1e6:.3f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--ledger", help="default: a fresh SQLite file in a temp dir")
    parser.add_argument("--no-fill", action="store_true", help="use an already filled ledger")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="greengate-bench-report-"))
    location = args.ledger or os.path.join(work, "ledger.db")
    if not args.no_fill:
        started = time.perf_counter()
        fill(location, args.records)
        print(f"filled {args.records} records in {time.perf_counter() - started:.1f} s")
    in_process(location, args.rounds)
    command(location, args.rounds, work)


if __name__ == "__main__":
    main()
