"""Forward + backward step time of `to_torch(spec)` against the same network written by hand.

The lecture CNN (examples/lecture_cnn.arch) at batch 64, cross-entropy on the logits, SGD step.
The two models are timed in alternation, so that drifts in machine load hit both alike; prints
the medians and their ratio (aim: <= 1.05, the compiled model adds no overhead).

    python benchmarks/step_overhead.py [--steps 200]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch
from torch import nn

import archcalc

ROOT = Path(__file__).resolve().parent.parent


class HandWritten(nn.Module):
    """examples/lecture_cnn.arch, as a person would write it."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 5, padding=2)
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(32, 64, 5, padding=2)
        self.pool2 = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(7 * 7 * 64, 1024)
        self.fc2 = nn.Linear(1024, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool1(torch.relu(self.conv1(x)))
        x = self.pool2(torch.relu(self.conv2(x)))
        x = torch.relu(self.fc1(torch.flatten(x, 1)))
        return self.fc2(x)  # logits; softmax is inside the loss


def step(model: nn.Module, logits, optimiser: torch.optim.Optimizer, x: torch.Tensor,
         y: torch.Tensor) -> float:
    start = time.perf_counter()
    optimiser.zero_grad(set_to_none=True)
    loss = nn.functional.cross_entropy(logits(x), y)
    loss.backward()
    optimiser.step()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    steps = parser.parse_args().steps
    torch.manual_seed(0)
    ours = archcalc.to_torch(ROOT / "examples" / "lecture_cnn.arch")
    hand = HandWritten()
    hand.load_state_dict({k: v for k, v in ours.state_dict().items()})  # same weights
    x, y = torch.randn(64, 3, 28, 28), torch.randint(0, 10, (64,))
    runs = {"to_torch": (ours, ours.logits), "hand-written": (hand, hand.forward)}
    optimisers = {name: torch.optim.SGD(model.parameters(), lr=0.01)
                  for name, (model, _) in runs.items()}
    times: dict[str, list[float]] = {name: [] for name in runs}
    for i in range(steps + 10):
        for name, (model, logits) in runs.items():
            elapsed = step(model, logits, optimisers[name], x, y)
            if i >= 10:  # warm-up
                times[name].append(elapsed)
    medians = {name: statistics.median(t) for name, t in times.items()}
    for name, median in medians.items():
        print(f"{name:>13}: median step {median * 1000:7.2f} ms over {steps} steps")
    ratio = medians["to_torch"] / medians["hand-written"]
    print(f"ratio to_torch / hand-written: {ratio:.3f} (aim <= 1.05: "
          f"{'met' if ratio <= 1.05 else 'not met'})")


if __name__ == "__main__":
    main()
