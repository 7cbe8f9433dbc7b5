"""Training throughput (images/s) of `archcalc train` against a hand-written PyTorch loop doing
the same work: the lecture CNN, batch 64, flip + crop augmentation, Adam, a validation pass each
epoch, on 2,000 generated shapes. Runs alternate, so that load drifts hit both; prints the
medians, their ratio (aim >= 0.95) and the peak resident memory.

    python benchmarks/train_throughput.py [--epochs 3] [--repeats 3]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

import archcalc
from archcalc.pytorch.augment import augment
from archcalc.pytorch.data import channel_statistics, load_data, stratified_split
from archcalc.pytorch.train import train
from archcalc.train_config import TrainConfig

ROOT = Path(__file__).resolve().parent.parent
SPEC = (ROOT / "examples" / "lecture_cnn.arch").read_text(encoding="utf-8")
AUGMENT = ["flip", "crop"]


def by_hand(epochs: int, batch: int) -> float:
    """The same training, written out as a plain loop; returns images per second."""
    data = load_data("shapes", [28, 28, 3], samples=2000, seed=0)
    train_index, val_index, _ = stratified_split(data.labels, (0.7, 0.15, 0.15), 0)
    mean, std = (torch.tensor(v).view(1, -1, 1, 1)
                 for v in channel_statistics(data.images[train_index]))
    torch.manual_seed(0)
    model = archcalc.to_torch(SPEC)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(0)
    start = time.perf_counter()
    for _ in range(epochs):
        model.train()
        order = train_index[torch.randperm(len(train_index), generator=generator)]
        for i in range(0, len(order), batch):
            index = order[i:i + batch]
            x = augment(data.images[index].float() / 255, AUGMENT, generator)
            loss = F.cross_entropy(model.logits((x - mean) / std), data.labels[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            for i in range(0, len(val_index), batch):
                index = val_index[i:i + batch]
                x = (data.images[index].float() / 255 - mean) / std
                F.cross_entropy(model.logits(x), data.labels[index])
    return epochs * len(train_index) / (time.perf_counter() - start)


def with_archcalc(epochs: int, batch: int) -> float:
    config = TrainConfig(data="shapes", samples=2000, epochs=epochs, batch_size=batch,
                         augment=AUGMENT, patience=epochs)
    with tempfile.TemporaryDirectory() as folder:
        result = train(SPEC, config, Path(folder) / "run", echo=lambda *a: None)
    seconds = sum(row["seconds"] for row in result.history)
    train_images = round(2000 * 0.7)
    return epochs * train_images / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    options = parser.parse_args()
    ours, theirs = [], []
    for _ in range(options.repeats):
        ours.append(with_archcalc(options.epochs, 64))
        theirs.append(by_hand(options.epochs, 64))
    mine, hand = statistics.median(ours), statistics.median(theirs)
    print(f"archcalc train: {mine:8.0f} images/s (median of {options.repeats})")
    print(f"hand-written:   {hand:8.0f} images/s")
    verdict = "met" if mine / hand >= 0.95 else "not met"
    print(f"ratio:          {mine / hand:8.3f} (aim >= 0.95: {verdict})")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of this process: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
