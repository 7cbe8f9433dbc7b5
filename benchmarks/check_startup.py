"""Whole-process wall time of `archcalc check examples/alexnet.arch`, against `python -c pass`.

Aim: a median of at most 0.15 s. Prints the figures; asserts nothing.

    python benchmarks/check_startup.py [--runs 30]
"""

from __future__ import annotations

import argparse
import compileall
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def wall(command: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=False, stdout=subprocess.DEVNULL, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    # As after `pip install .`, which byte-compiles: a checkout run with
    # PYTHONDONTWRITEBYTECODE set would otherwise compile archcalc's modules on every run.
    compileall.compile_dir(ROOT / "archcalc", quiet=1)
    check = [sys.executable, "-m", "archcalc", "check", "examples/alexnet.arch"]
    wall(check, 2)  # warm the file cache and Lark's grammar cache
    baseline = wall([sys.executable, "-c", "pass"], runs)
    # The floor set by the three libraries the check path must load.
    floor = wall([sys.executable, "-c", "import pydantic.main, lark, tabulate"], runs)
    ours = wall(check, runs)
    base_median, ours_median = statistics.median(baseline), statistics.median(ours)
    print(f"python -c pass:                  median {base_median * 1000:7.1f} ms")
    print(f"import pydantic, lark, tabulate: median {statistics.median(floor) * 1000:7.1f} ms")
    print(f"archcalc check alexnet.arch:     median {ours_median * 1000:7.1f} ms "
          f"(min {min(ours) * 1000:.1f} ms, {runs} runs)")
    print(f"ratio to python -c pass:         {ours_median / base_median:7.1f}x")
    print(f"aim <= 150 ms:                   {'met' if ours_median <= 0.15 else 'not met'}")


if __name__ == "__main__":
    main()
