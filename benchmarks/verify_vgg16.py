"""Whole-process wall time of `archcalc verify examples/torchvision/vgg16.arch`, beside the same
job done by torchinfo: `summary(torchvision.models.vgg16(), (1, 3, 224, 224))`.

torchinfo and torchvision are optional (`pip install torchinfo torchvision`); without
torchvision, torchinfo summarises `archcalc.to_torch` of the same spec instead, which builds
the same layers. Prints the medians and their ratio.

    python benchmarks/verify_vgg16.py [--runs 5]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = "examples/torchvision/vgg16.arch"

TORCHINFO_TORCHVISION = """
import torchvision
from torchinfo import summary
summary(torchvision.models.vgg16(), (1, 3, 224, 224), verbose=0)
"""
TORCHINFO_ARCHCALC = f"""
import archcalc
from torchinfo import summary
summary(archcalc.to_torch({SPEC!r}), (1, 3, 224, 224), verbose=0)
"""


def wall(command: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        times.append(time.perf_counter() - start)
        if done.returncode:
            raise SystemExit(f"{' '.join(command[:3])} failed:\n{done.stderr}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    ours = wall([sys.executable, "-m", "archcalc", "verify", SPEC], runs)
    print(f"archcalc verify vgg16 (meta):    median {statistics.median(ours):6.2f} s "
          f"(min {min(ours):.2f} s, {runs} runs)")
    torch_only = wall([sys.executable, "-c", "import torch"], runs)
    print(f"python -c 'import torch':        median {statistics.median(torch_only):6.2f} s")
    if importlib.util.find_spec("torchinfo") is None:
        print("torchinfo is not installed: pip install torchinfo (and torchvision) to compare")
        return
    with_torchvision = importlib.util.find_spec("torchvision") is not None
    code = TORCHINFO_TORCHVISION if with_torchvision else TORCHINFO_ARCHCALC
    theirs = wall([sys.executable, "-c", code], runs)
    what = "torchvision.models.vgg16()" if with_torchvision else "to_torch(vgg16.arch)"
    print(f"torchinfo summary({what}): median {statistics.median(theirs):6.2f} s")
    print(f"ratio archcalc / torchinfo:      "
          f"{statistics.median(ours) / statistics.median(theirs):6.2f}")


if __name__ == "__main__":
    main()
