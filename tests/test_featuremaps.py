"""`archcalc featuremaps`: a trained run's conv outputs for one image, as PyTorch computes
them, drawn as a grid with the first layer's filters."""

from __future__ import annotations

import pytest

from tests.conftest import run_cli

torch = pytest.importorskip("torch")
pytest.importorskip("matplotlib")
from PIL import Image, ImageDraw  # noqa: E402

from archcalc.pytorch.evaluate import _normalise, load_run, read_image  # noqa: E402
from archcalc.pytorch.featuremaps import feature_maps  # noqa: E402
from archcalc.pytorch.train import train  # noqa: E402
from archcalc.train_config import TrainConfig  # noqa: E402

SPEC = ("input 12x12x3\nconv 3 same 8 -> bn -> relu -> pool 2\nconv 3 same 6 -> relu\n"
        "flatten\nfc 10\n")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("maps")
    train(SPEC, TrainConfig(data="shapes", epochs=1, samples=100), folder / "run",
          echo=lambda *a: None)
    picture = Image.new("RGB", (40, 30), "white")
    ImageDraw.Draw(picture).ellipse((5, 5, 30, 25), fill="red")
    picture.save(folder / "circle.png")
    return folder


def test_the_maps_are_what_the_model_computes(run):
    result = feature_maps(run / "run", run / "circle.png")
    assert [(layer.path, layer.maps.shape) for layer in result.layers] == [
        ("conv1", (8, 12, 12)), ("conv2", (6, 6, 6))]
    model, saved = load_run(run / "run")
    x = _normalise(read_image(run / "circle.png", saved), saved)
    with torch.no_grad():
        expected = model.conv1(x)[0].numpy()
    assert abs(result.layers[0].maps - expected).max() < 1e-5
    assert result.filters.shape == (8, 3, 3, 3)
    assert result.image.shape == (12, 12, 3) and 0 <= result.image.min() <= result.image.max() <= 1


def test_featuremaps_command(run, capsys):
    target = run / "maps.png"
    status, out, _ = run_cli(capsys, "featuremaps", str(run / "run"), str(run / "circle.png"),
                             "-o", str(target), "--channels", "4")
    assert status == 0 and "conv1: 12x12x8\nconv2: 6x6x6\n" in out
    with Image.open(target) as picture:
        assert picture.size[0] > 400 and picture.size[1] > 300
    (run / "bad.png").write_bytes(b"not an image")
    status, _, err = run_cli(capsys, "featuremaps", str(run / "run"), str(run / "bad.png"))
    assert status == 1 and "cannot read the image" in err
