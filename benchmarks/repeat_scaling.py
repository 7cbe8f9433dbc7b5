"""Blocks and repeats: analysis time must grow linearly with the number of blocks, and a
repeat whose body keeps its shape must not be unrolled at all.

Prints, for 250 to 4,000 blocks (best of 3, in-process parse + analyse + render):
- a `repeat N` whose body changes the shape every time round (a DenseNet-style concat that
  adds 4 channels), which must be worked out time by time;
- N uses of a ResNet basic block written out one per line (elaboration of N block uses);
and the time for `repeat 1000000000` of the basic block, which is counted without unrolling.
Aim: 1,000 blocks well under a second, time per block flat as N grows.

    python benchmarks/repeat_scaling.py
"""

from __future__ import annotations

import gc
import time

from archcalc.analysis import analyze
from archcalc.parser import parse
from archcalc.render.tables import render_text

BASIC = """input 56x56x64
block basic(c) {
  residual {
    conv 3 p1 c nobias -> bn -> relu
    conv 3 p1 c nobias -> bn
  } -> relu
}
"""
SIZES = (250, 500, 1_000, 2_000, 4_000)


def growing_repeat(n: int) -> str:
    return f"input 8x8x16\nrepeat {n} {{\n  concat {{ identity; conv 3 same 4 }}\n}}\n"


def written_out(n: int) -> str:
    return BASIC + "basic 64\n" * n


def best_of_3(text: str) -> float:
    best = float("inf")
    gc.disable()  # as the command line runs
    for _ in range(3):
        start = time.perf_counter()
        report = analyze(parse(text))
        render_text(report, "hwc", explain=False)
        best = min(best, time.perf_counter() - start)
        assert report.errors == 0
    gc.enable()
    return best


def main() -> None:
    print(f"{'blocks':>7}  {'growing repeat':>14}  {'per block':>9}  {'written out':>11}  "
          f"{'per block':>9}")
    for n in SIZES:
        grow, written = best_of_3(growing_repeat(n)), best_of_3(written_out(n))
        print(f"{n:>7,}  {grow:>12.3f} s  {grow / n * 1e3:>6.2f} ms  {written:>9.3f} s  "
              f"{written / n * 1e3:>6.2f} ms")
    huge = best_of_3(BASIC + "repeat 1000000000 { basic 64 }\n")
    print(f"repeat 1,000,000,000 of a shape-keeping block: {huge * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
