"""The zoo of published networks: each spec's static total is the published parameter count,
the model built from it has exactly that many parameters, and `verify` agrees layer by layer.
(With torchvision installed, tests/test_torchvision.py compares them with torchvision's own
models leaf by leaf.)"""

from __future__ import annotations

import pytest

import archcalc
from tests.conftest import EXAMPLES

torch = pytest.importorskip("torch")

# torchvision's documented parameter counts (weights=None; GoogLeNet without aux heads).
PUBLISHED = {
    "alexnet": 61_100_840, "vgg16": 138_357_544, "vgg16_bn": 138_365_992,
    "resnet18": 11_689_512, "resnet50": 25_557_032, "mobilenet_v2": 3_504_872,
    "squeezenet1_0": 1_248_424, "googlenet": 6_624_904,
}


@pytest.mark.parametrize(("name", "total"), PUBLISHED.items(), ids=list(PUBLISHED))
def test_zoo_spec_has_the_published_parameter_count(name, total):
    report = archcalc.check(EXAMPLES / "torchvision" / f"{name}.arch")
    assert report.errors == 0
    assert report.totals.trainable == total
    assert report.output_shape == [1000]
    with torch.device("meta"):
        model = archcalc.to_torch(report)
    assert sum(p.numel() for p in model.parameters()) == total
    result = archcalc.verify(report)
    assert result.ok, [layer for layer in result.layers if not layer.ok]


def test_resnet50_stage_subtotals_are_the_published_stage_sizes():
    # Per-stage counts of torchvision's resnet50 (sum of p.numel() over model.layerN).
    report = archcalc.check(EXAMPLES / "torchvision" / "resnet50.arch")
    stages = {row.name: row.trainable for row in report.layers if row.name.startswith("layer")}
    assert stages == {"layer1": 215_808, "layer2": 1_219_584, "layer3": 7_098_368,
                      "layer4": 14_964_736}
