"""The cost of the figures beyond shapes and parameters: MACs, FLOPs, receptive fields,
memory and lints, against the plain shape and parameter check, on the largest zoo specs.

Prints, best of 7 in-process runs (parse, analyse, render the text table):
- plain: the static pass without costs (shapes, parameters, answers, diagnostics);
- full: the same with costs, the memory estimate, the lints and the --metrics table.
Aim: full within 2x of plain.

    python benchmarks/metrics_overhead.py
"""

from __future__ import annotations

import gc
import time
from pathlib import Path

from archcalc.analysis import _Analysis, analyze
from archcalc.lints import lint
from archcalc.metrics import memory_estimate
from archcalc.parser import parse
from archcalc.render.tables import render_text

ZOO = Path(__file__).resolve().parent.parent / "examples" / "torchvision"
SPECS = ("resnet50", "googlenet", "mobilenet_v2", "vgg16")


def plain(text: str) -> None:
    render_text(_Analysis(parse(text)).run(), "hwc", explain=False)


def full(text: str) -> None:
    report = analyze(parse(text))
    report.memory = memory_estimate(report, 32, "float32", "adam")
    report.diagnostics += lint(report)
    render_text(report, "hwc", explain=False)


def best(function, text: str, runs: int = 7) -> float:  # type: ignore[no-untyped-def]
    fastest = float("inf")
    gc.disable()
    for _ in range(runs):
        start = time.perf_counter()
        function(text)
        fastest = min(fastest, time.perf_counter() - start)
    gc.enable()
    return fastest


def main() -> None:
    print(f"{'spec':<14} {'plain':>9} {'full':>9} {'ratio':>6}")
    for name in SPECS:
        text = (ZOO / f"{name}.arch").read_text()
        base, everything = best(plain, text), best(full, text)
        print(f"{name:<14} {base * 1e3:>6.1f} ms {everything * 1e3:>6.1f} ms "
              f"{everything / base:>5.2f}x")


if __name__ == "__main__":
    main()
