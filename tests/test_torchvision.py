"""Where torchvision is installed, the zoo is compared with it directly, leaf by leaf: the
same sequence of layers, each with the same output shape and parameter count. Skipped (never
failed) without torchvision."""

from __future__ import annotations

import pytest

import archcalc
from tests.conftest import EXAMPLES

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")

LEAVES = (torch.nn.Conv2d, torch.nn.BatchNorm2d, torch.nn.ReLU, torch.nn.ReLU6,
          torch.nn.MaxPool2d, torch.nn.AdaptiveAvgPool2d, torch.nn.Dropout, torch.nn.Linear)


def leaf_trace(model: torch.nn.Module,
               leaves: tuple[type, ...] = LEAVES) -> list[tuple[str, list[int], int]]:
    """(layer type, channels-last output shape, parameters) of each leaf, in forward order."""
    trace: list[tuple[str, list[int], int]] = []

    def hook(module, args, output):
        shape = list(output.shape)
        shape = [shape[2], shape[3], shape[1]] if len(shape) == 4 else shape[1:]
        trace.append((type(module).__name__, shape, sum(p.numel() for p in module.parameters())))

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, leaves)]
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


# torchvision calls some layers as functions, which no hook sees: GoogLeNet's ReLUs
# (F.relu in BasicConv2d) and MobileNetV2's final pooling (F.adaptive_avg_pool2d). Those
# kinds are left out of both traces for that network; every other leaf is compared.
FUNCTIONAL = {"googlenet": (torch.nn.ReLU,), "mobilenet_v2": (torch.nn.AdaptiveAvgPool2d,)}
OPTIONS = {"googlenet": {"aux_logits": False, "init_weights": False}}


@pytest.mark.parametrize(("name", "total"), [
    ("resnet18", 11_689_512), ("resnet50", 25_557_032), ("mobilenet_v2", 3_504_872),
    ("squeezenet1_0", 1_248_424), ("googlenet", 6_624_904)])
def test_networks_with_blocks_equal_torchvision_leaf_by_leaf(name, total):
    with torch.device("meta"):
        theirs = getattr(torchvision.models, name)(weights=None, **OPTIONS.get(name, {}))
        ours = archcalc.to_torch(EXAMPLES / "torchvision" / f"{name}.arch")
    trainable = sum(p.numel() for p in ours.parameters())
    assert sum(p.numel() for p in theirs.parameters()) == total == trainable
    leaves = tuple(kind for kind in LEAVES if kind not in FUNCTIONAL.get(name, ()))
    ours_trace, theirs_trace = leaf_trace(ours, leaves), leaf_trace(theirs, leaves)
    assert len(ours_trace) == len(theirs_trace)
    for position, (mine, reference) in enumerate(zip(ours_trace, theirs_trace, strict=True)):
        assert mine == reference, f"leaf {position}: {mine} != torchvision's {reference}"
