"""Using a trained run: accuracy and a confusion matrix on data, and the top classes of an
image, with the run's own preprocessing (its spec, input size and normalisation)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tabulate import tabulate

from archcalc.pytorch.data import DataError, _fit, image_size, load_data
from archcalc.pytorch.model import ArchModel, report_of, to_torch
from archcalc.pytorch.runs import RunError, SavedModel
from archcalc.report import SpecReport


def load_run(run: Path) -> tuple[ArchModel, SavedModel]:
    """The trained model of a run folder (or of a model.safetensors), ready for inference."""
    model, saved, _ = load_run_report(run)
    return model, saved


def load_run_report(run: Path) -> tuple[ArchModel, SavedModel, SpecReport]:
    """As load_run, with the static report of the run's spec that the model was built from."""
    saved = SavedModel.load(run)
    report = report_of(saved.spec)
    model = to_torch(report)
    try:
        model.load_state_dict(saved.weights)
    except RuntimeError as exc:
        raise RunError(f"the weights in {run} do not fit its spec: {exc}") from None
    return model.eval(), saved, report


def _normalise(images: torch.Tensor, saved: SavedModel) -> torch.Tensor:
    shape = (1, -1, 1, 1) if images.dim() == 4 else (1, -1)
    mean = torch.tensor(saved.mean).view(shape)
    std = torch.tensor(saved.std).view(shape)
    return (images.float() / 255 - mean) / std


@dataclass
class Evaluation:
    accuracy: float
    matrix: list[list[int]]
    class_names: list[str]
    count: int

    def render(self) -> str:
        rows = [[name, *row, f"{row[i] / max(1, sum(row)):.1%}"]
                for i, (name, row) in enumerate(zip(self.class_names, self.matrix, strict=True))]
        table = tabulate(rows, ["true \\ predicted", *self.class_names, "recall"],
                         tablefmt="simple", disable_numparse=True)
        return f"accuracy: {self.accuracy:.2%} of {self.count} images\n\n{table}"


def evaluate(run: Path, data_source: str, *, samples: int = 2000, seed: int = 1,
             batch_size: int = 256) -> Evaluation:
    """Accuracy and confusion matrix of a run's model on a whole data set."""
    model, saved = load_run(run)
    data = load_data(data_source, saved.input_shape, samples=samples, seed=seed)
    if data.class_names != saved.class_names:
        raise DataError(f"the data's classes ({', '.join(data.class_names)}) are not the ones "
                        f"the model was trained on ({', '.join(saved.class_names)})")
    k = len(saved.class_names)
    matrix = torch.zeros(k, k, dtype=torch.long)
    with torch.no_grad():
        for start in range(0, len(data), batch_size):
            images = _normalise(data.images[start:start + batch_size], saved)
            predicted = model.logits(images).argmax(dim=1)
            truth = data.labels[start:start + batch_size]
            matrix += torch.bincount(truth * k + predicted, minlength=k * k).view(k, k)
    correct = int(matrix.diag().sum())
    return Evaluation(correct / len(data), matrix.tolist(), saved.class_names, len(data))


def read_image(path: Path, saved: SavedModel) -> torch.Tensor:
    """An image file as the run's input: 1 x C x H x W uint8 at the spec's size (1 x N for a
    flat input of N = s·s values)."""
    from PIL import Image, UnidentifiedImageError

    height, width, channels, flat = image_size(saved.input_shape)
    try:
        with Image.open(path) as image:
            array = np.asarray(image.convert("L" if channels == 1 else "RGB"), dtype=np.float32)
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise DataError(f"cannot read the image {path}: {exc}") from None
    array = array[None, ..., None] if array.ndim == 2 else array[None]
    images = _fit(array, height, width, channels)
    return images.flatten(1) if flat else images


def predict(run: Path, image_path: Path, top: int = 5) -> list[tuple[str, float]]:
    """The most probable classes of one image, with their softmax probabilities."""
    model, saved = load_run(run)
    images = read_image(image_path, saved)
    with torch.no_grad():
        probabilities = torch.softmax(model.logits(_normalise(images, saved)), dim=1)[0]
    best = probabilities.topk(min(top, len(probabilities)))
    return [(saved.class_names[i], float(p)) for p, i in zip(best.values, best.indices,
                                                             strict=True)]
