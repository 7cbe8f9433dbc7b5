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


def _tile(array: Any) -> Any:
    """One map scaled to [0, 1] on its own range (a constant map is mid-grey)."""
    low, high = float(array.min()), float(array.max())
    return (array - low) / (high - low) if high > low else array * 0 + 0.5


def _mosaic(tiles: list[Any], columns: int) -> Any:
    """Equal-sized tiles in rows of `columns`, a one-pixel gap between them."""
    import numpy as np

    height, width = tiles[0].shape[:2]
    rows = -(-len(tiles) // columns)
    shape = (rows * (height + 1) - 1, columns * (width + 1) - 1, *tiles[0].shape[2:])
    canvas = np.ones(shape)
    for index, tile in enumerate(tiles):
        row, column = divmod(index, columns)
        canvas[row * (height + 1):row * (height + 1) + height,
               column * (width + 1):column * (width + 1) + width] = tile
    return canvas


def feature_map_grid(image: Any, layers: list[tuple[str, Any]], filters: Any, limit: int,
                     path: Path) -> None:
    """The input, the first conv layer's filters (as colour tiles when the input has three
    channels), and for each conv layer a grid of its feature maps, one tile per channel (up
    to `limit`), each labelled with the layer and its shape."""
    import numpy as np

    plt = _pyplot()
    rows = 1 + len(layers)
    figure, axes = plt.subplots(rows, 2, figsize=(12, 2.6 * rows),
                                gridspec_kw={"width_ratios": [1, 4]}, squeeze=False)
    axes[0][0].imshow(image if image.shape[2] == 3 else image[..., 0], cmap="gray")
    axes[0][0].set_title("input", fontsize=9)
    if filters is not None:
        kernels = [_tile(np.moveaxis(f, 0, -1)) if f.shape[0] == 3 else _tile(f.mean(axis=0))
                   for f in filters[:limit]]
        colour = filters.shape[1] == 3
        axes[0][1].imshow(_mosaic(kernels, min(8, len(kernels))),
                          cmap=None if colour else "gray", interpolation="nearest")
        axes[0][1].set_title(f"{layers[0][0].split(':')[0]}: the first {len(kernels)} of "
                             f"{filters.shape[0]} filters, {filters.shape[2]}x{filters.shape[3]}"
                             + (" (RGB)" if colour else " (mean over input channels)"),
                             fontsize=9)
    for row, (title, maps) in enumerate(layers, start=1):
        shown = [_tile(m) for m in maps[:limit]]
        axes[row][1].imshow(_mosaic(shown, min(8, len(shown))), cmap="viridis",
                            interpolation="nearest")
        axes[row][1].set_title(f"{title}: {maps.shape[1]}x{maps.shape[2]}x{maps.shape[0]}"
                               + (f", the first {len(shown)} channels"
                                  if len(shown) < maps.shape[0] else ""), fontsize=9)
        axes[row][0].axis("off")
    for row in axes:
        for ax in row:
            ax.set_xticks([])
            ax.set_yticks([])
    figure.tight_layout()
    _save(figure, path)
    plt.close(figure)
