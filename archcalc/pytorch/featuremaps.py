"""What a trained network sees: the feature maps of every conv layer for one image, and the
first conv layer's filters, as the lecture shows them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from archcalc.pytorch.data import DataError
from archcalc.pytorch.evaluate import _normalise, load_run_report, read_image
from archcalc.torch_map import leaf_calls, module_calls


@dataclass
class LayerMaps:
    path: str  # the conv layer's dotted name
    description: str  # as the spec writes it
    maps: np.ndarray  # C x H x W, the layer's output for the image


@dataclass
class FeatureMaps:
    image: np.ndarray  # H x W x C in [0, 1], as the network was given it (before normalising)
    layers: list[LayerMaps]
    filters: np.ndarray | None  # the first conv's weights: K x C x F x F


def feature_maps(run: Path, image_path: Path) -> FeatureMaps:
    """Run one image through a trained run and keep every conv layer's output."""
    model, saved, report = load_run_report(run)
    if len(saved.input_shape) != 3:
        raise DataError("feature maps need a convolutional network with an image input")
    images = read_image(image_path, saved)
    convs = [(path, call) for path, call in leaf_calls(module_calls(report))
             if call.cls == "Conv2d" and call.layer is not None]
    if not convs:
        raise DataError("the network has no conv layer, so it has no feature maps")
    captured: dict[str, torch.Tensor] = {}

    def keep(path: str) -> Any:
        def hook(module: torch.nn.Module, args: Any, output: torch.Tensor) -> None:
            captured[path] = output.detach()[0]
        return hook

    handles = [model.get_submodule(path).register_forward_hook(keep(path)) for path, _ in convs]
    try:
        with torch.no_grad():
            model(_normalise(images, saved))
    finally:
        for handle in handles:
            handle.remove()
    first = model.get_submodule(convs[0][0])
    weights = first.weight.detach().numpy() if isinstance(first, torch.nn.Conv2d) else None
    layers = [LayerMaps(path, call.layer.description if call.layer else "",
                        captured[path].numpy()) for path, call in convs]
    picture = images[0].permute(1, 2, 0).float().numpy() / 255
    return FeatureMaps(picture, layers, weights)
