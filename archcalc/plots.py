"""Pictures of a run: learning curves with the early-stopping point, and a confusion matrix.
matplotlib is imported here only, on first use, with its non-interactive backend."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(figure: Any, path: Path) -> None:
    temporary = path.with_name(f".{path.name}.tmp.png")
    figure.savefig(temporary, dpi=120, bbox_inches="tight")
    os.replace(temporary, path)


def learning_curves(history: list[dict[str, float]], best_epoch: int, stopped_epoch: int | None,
                    path: Path) -> None:
    """Loss and accuracy per epoch for training and validation; the best epoch and the
    early stop marked."""
    plt = _pyplot()
    epochs = [int(row["epoch"]) for row in history]
    figure, (loss, accuracy) = plt.subplots(1, 2, figsize=(10, 4))
    for axes, metric, title in ((loss, "loss", "Cross-entropy loss"),
                                (accuracy, "accuracy", "Accuracy")):
        axes.plot(epochs, [row[f"train_{metric}"] for row in history], marker="o", ms=3,
                  label="training")
        axes.plot(epochs, [row[f"val_{metric}"] for row in history], marker="o", ms=3,
                  label="validation")
        axes.axvline(best_epoch, color="green", linestyle="--", linewidth=1,
                     label=f"best (epoch {best_epoch}), weights kept")
        if stopped_epoch is not None:
            axes.axvline(stopped_epoch, color="red", linestyle=":", linewidth=1,
                         label=f"early stop (epoch {stopped_epoch})")
        axes.set_xlabel("epoch")
        axes.set_title(title)
        axes.grid(alpha=0.3)
    accuracy.set_ylim(0, 1)
    loss.legend(fontsize=8)
    _save(figure, path)
    plt.close(figure)


def confusion_matrix(matrix: list[list[int]], names: list[str], path: Path) -> None:
    """Rows are the true classes, columns the predicted ones; counts written in the cells."""
    plt = _pyplot()
    size = max(4.0, 0.5 * len(names) + 2)
    figure, axes = plt.subplots(figsize=(size, size))
    axes.imshow(matrix, cmap="Blues")
    axes.set_xticks(range(len(names)), names, rotation=45, ha="right")
    axes.set_yticks(range(len(names)), names)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    peak = max(max(row) for row in matrix) or 1
    for i, row in enumerate(matrix):
        for j, count in enumerate(row):
            axes.text(j, i, str(count), ha="center", va="center", fontsize=8,
                      color="white" if count > peak / 2 else "black")
    _save(figure, path)
    plt.close(figure)
