"""Where torchvision is installed, the zoo is compared with it directly, leaf by leaf: the
same sequence of layers, each with the same output shape and parameter count. Skipped (never
failed) without torchvision."""

from __future__ import annotations

import pytest

import archcalc
from tests.conftest import EXAMPLES

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")

LEAVES = (torch.nn.Conv2d, torch.nn.BatchNorm2d, torch.nn.ReLU, torch.nn.MaxPool2d,
          torch.nn.AdaptiveAvgPool2d, torch.nn.Dropout, torch.nn.Linear)


def leaf_trace(model: torch.nn.Module) -> list[tuple[str, list[int], int]]:
    """(layer type, channels-last output shape, parameters) of each leaf, in forward order."""
    trace: list[tuple[str, list[int], int]] = []

    def hook(module, args, output):
        shape = list(output.shape)
        shape = [shape[2], shape[3], shape[1]] if len(shape) == 4 else shape[1:]
        trace.append((type(module).__name__, shape, sum(p.numel() for p in module.parameters())))

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, LEAVES)]
    with torch.no_grad():
        model.eval()(torch.zeros(1, 3, 224, 224, device="meta"))
    for handle in handles:
        handle.remove()
    return trace


@pytest.mark.parametrize(("name", "total"), [
    ("alexnet", 61_100_840), ("vgg16", 138_357_544), ("vgg16_bn", 138_365_992)])
def test_zoo_spec_equals_torchvision_leaf_by_leaf(name, total):
    with torch.device("meta"):
        theirs = getattr(torchvision.models, name)(weights=None)
        ours = archcalc.to_torch(EXAMPLES / "torchvision" / f"{name}.arch")
    assert sum(p.numel() for p in theirs.parameters()) == total
    assert sum(p.numel() for p in ours.parameters()) == total
    assert leaf_trace(ours) == leaf_trace(theirs)
