"""Grading a class of 1,000 submissions against a key: the time on one core and on all.

Each submission is the lecture-sized AlexNet homework with answers drawn at random from the
right value and the common slips, so that right, wrong and missing answers all occur.
Aim: seconds, not minutes.

    python benchmarks/grade_class.py
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from pathlib import Path

from archcalc.grading import Key, grade

KEY = """input 224x224x3
conv 11 s4 96 expect 54x54x96 params 34944
relu
pool 3 s2 expect 26x26x96
conv 5 p2 256 expect 26x26x256 params 614656
relu
pool 3 s2 expect 12x12x256
conv 3 p1 384 expect 12x12x384 params 885120
"""
CHOICES = {"54x54x96": ["55x55x96", "54x54x96"], "34944": ["34848", "34944", ""],
           "26x26x96": ["27x27x96", "26x26x96"], "614656": ["614400", "614656"],
           "12x12x256": ["13x13x256", "12x12x256"], "885120": ["884736", "885120"]}


def write_class(folder: Path, size: int, seed: int = 0) -> list[Path]:
    rng = random.Random(seed)
    paths = []
    for number in range(size):
        text = KEY
        for right, answers in CHOICES.items():
            text = text.replace(right, rng.choice(answers), 1)
        path = folder / f"student{number:04d}.arch"
        path.write_text(text.replace(" params \n", "\n"))
        paths.append(path)
    return paths


def main() -> None:
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        (folder / "key.arch").write_text(KEY)
        key = Key(folder / "key.arch")
        paths = write_class(folder, 1000)
        for workers in (1, os.cpu_count() or 1):
            start = time.perf_counter()
            report = grade(paths, key, workers=workers)
            elapsed = time.perf_counter() - start
            print(f"1,000 submissions on {workers} core{'s' * (workers != 1)}: {elapsed:.2f} s "
                  f"(mean score {report.mean:.1%})")


if __name__ == "__main__":
    main()
