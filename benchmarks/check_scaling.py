"""Check time for generated specs of 100 to 100,000 layers: it must grow linearly.

For each size, prints the in-process time of parse + analyse + render (best of 3) and the
whole-process time of `archcalc check`, and the time per layer. Aim: <= 1 s for 10,000 layers.

    python benchmarks/check_scaling.py
"""

from __future__ import annotations

import gc
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from archcalc.analysis import analyze
from archcalc.parser import parse
from archcalc.render.tables import render_text

SIZES = (100, 1_000, 10_000, 100_000)
PATTERN = ("conv 3 p1 64", "bn", "relu", "dropout 0.1")


def spec(layers: int) -> str:
    lines = ["input 56x56x64"]
    lines += [PATTERN[i % len(PATTERN)] for i in range(layers)]
    return "\n".join(lines) + "\n"


def in_process(text: str) -> float:
    best = float("inf")
    gc.disable()  # as the command line runs
    for _ in range(3):
        start = time.perf_counter()
        render_text(analyze(parse(text)), "hwc", explain=False)
        best = min(best, time.perf_counter() - start)
    gc.enable()
    return best


def whole_process(text: str) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".arch", delete=False) as handle:
        handle.write(text)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "archcalc", "check", handle.name],
                   stdout=subprocess.DEVNULL, check=False)
    elapsed = time.perf_counter() - start
    Path(handle.name).unlink()
    return elapsed


def main() -> None:
    print(f"{'layers':>8}  {'in-process':>11}  {'per layer':>10}  {'whole process':>13}")
    for size in SIZES:
        text = spec(size)
        inner = in_process(text)
        outer = whole_process(text)
        print(f"{size:>8,}  {inner:>9.3f} s  {inner / size * 1e6:>7.1f} µs  {outer:>11.3f} s")


if __name__ == "__main__":
    main()
