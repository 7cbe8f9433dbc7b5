"""The PyTorch backend: every example builds, and PyTorch confirms every static number."""

from __future__ import annotations

import math

import pytest

import archcalc
from archcalc.errors import BackendError
from tests.conftest import EXAMPLES, run_cli

torch = pytest.importorskip("torch")

SPECS = sorted(EXAMPLES.rglob("*.arch"))


@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_every_example_verifies_on_meta(path):
    result = archcalc.verify(path)
    assert result.ok, [layer for layer in result.layers if not layer.ok]
    report = archcalc.check(path)
    assert len(result.layers) == _copies(report.layers)


def _copies(rows) -> int:
    """Leaf layers once a repeat's collapsed rows are written out, as the model has them."""
    return sum(row.count * (1 if row.layer is not None else _copies(row.children))
               for row in rows)


@pytest.mark.parametrize("path", [p for p in SPECS if "vgg16" not in p.stem and
                                  p.parent.name != "torchvision"], ids=lambda p: p.stem)
def test_every_small_example_builds_on_cpu_with_the_static_counts(path):
    model = archcalc.to_torch(path)
    report = archcalc.check(path)
    assert sum(p.numel() for p in model.parameters()) == report.totals.trainable
    statistics = sum(b.numel() for n, b in model.named_buffers()
                     if not n.endswith("num_batches_tracked"))
    assert statistics == report.totals.non_trainable
    assert archcalc.verify(path, device="cpu").ok


@pytest.mark.parametrize(("name", "total"), [
    ("alexnet", 61_100_840), ("vgg16", 138_357_544), ("vgg16_bn", 138_365_992)])
def test_zoo_matches_torchvisions_documented_totals(name, total):
    path = EXAMPLES / "torchvision" / f"{name}.arch"
    with torch.device("meta"):
        model = archcalc.to_torch(path)
    assert sum(p.numel() for p in model.parameters()) == total
    assert archcalc.check(path).totals.trainable == total


def test_submodules_and_state_dict_keys_follow_the_layer_names():
    model = archcalc.to_torch(EXAMPLES / "vgg16_notop.arch")
    assert isinstance(model.block1_conv1, torch.nn.Conv2d)
    keys = list(model.state_dict())
    assert keys[:4] == ["block1_conv1.weight", "block1_conv1.bias", "block1_conv2.weight",
                        "block1_conv2.bias"]
    assert model.block2_conv1.weight.shape == (128, 64, 3, 3)


def test_input_is_nchw_and_a_flat_input_is_n_by_features():
    image = archcalc.to_torch("input 32x16x3\nconv 3 8")
    assert image(torch.zeros(2, 3, 32, 16)).shape == (2, 8, 30, 14)
    flat = archcalc.to_torch("input 784\nfc 10 -> bn")
    assert flat(torch.zeros(2, 784)).shape == (2, 10)
    assert isinstance(flat.bn1, torch.nn.BatchNorm1d)


def test_forward_returns_probabilities_and_logits_the_scores_before():
    torch.manual_seed(0)
    model = archcalc.to_torch("input 8x8x3\nconv 3 4 -> flatten -> fc 5 -> softmax").eval()
    x = torch.randn(3, 3, 8, 8)
    probabilities, logits = model(x), model.logits(x)
    assert torch.allclose(probabilities.sum(dim=1), torch.ones(3))
    assert torch.allclose(probabilities, torch.softmax(logits, dim=1))
    assert not torch.allclose(logits.sum(dim=1), torch.ones(3))
    no_softmax = archcalc.to_torch("input 4\nfc 2")
    assert torch.equal(no_softmax.logits(torch.ones(1, 4)), no_softmax(torch.ones(1, 4)))


@pytest.mark.parametrize("size", [224, 223, 7, 1])
def test_same_with_stride_two_gives_the_promised_shape(size):
    spec = f"input {size}x{size}x3\nconv 7 s2 same 8 -> pool 3 s2 same -> avgpool 2 same"
    report = archcalc.check(spec)
    model = archcalc.to_torch(spec)
    out = model(torch.zeros(1, 3, size, size))
    expected = math.ceil(math.ceil(math.ceil(size / 2) / 2) / 2)
    assert report.output_shape == [expected, expected, 8]
    assert list(out.shape) == [1, 8, expected, expected]


def test_same_max_pooling_never_pools_padding():
    model = archcalc.to_torch("input 4x4x1\npool 3 s2 same")
    out = model(-torch.ones(1, 1, 4, 4) * 5)
    assert torch.all(out == -5)  # zero padding would have won the max


def test_layer_names_that_cannot_be_attributes_are_refused():
    with pytest.raises(BackendError, match=r"nn\.Module attribute"):
        archcalc.to_torch("input 4\nforward: fc 2")
    with pytest.raises(BackendError, match="Python keyword"):
        archcalc.to_torch("input 4\nfor: fc 2")


def test_a_spec_with_errors_is_refused_but_wrong_answers_are_not():
    with pytest.raises(BackendError, match="1 error"):
        archcalc.to_torch("input 4x4x3\nfc 2")
    model = archcalc.to_torch("input 4\nfc 2 expect params 8")  # the answer is wrong: 10
    assert sum(p.numel() for p in model.parameters()) == 10


def test_cli_verify_prints_the_comparison(capsys):
    status, out, _ = run_cli(capsys, "verify", str(EXAMPLES / "lenet5.arch"))
    assert status == 0
    assert "all 12 layers match PyTorch" in out
    assert "conv1     conv 5 6   28x28x6         28x28x6          156        156  ✓" in out


def test_cli_verify_json(capsys):
    import json

    status, out, _ = run_cli(capsys, "verify", "--format", "json", str(EXAMPLES / "lenet5.arch"))
    data = json.loads(out)
    assert status == 0 and data[0]["torch_total"] == 61_706


def test_cli_verify_refuses_a_broken_spec(capsys, tmp_path):
    broken = tmp_path / "broken.arch"
    broken.write_text("input 4x4x3\nfc 2\n")
    status, out, err = run_cli(capsys, "verify", str(broken))
    assert status == 1
    assert "error[E302]" in out
    assert err == f"archcalc: error: {broken} has errors; fix them first\n"


def test_verify_reports_a_mismatch():
    # A wrong static count (as a bug would give) must come out as a failed layer.
    report = archcalc.check("input 4\nfc 2")
    report.layers[0].trainable = 9
    result = archcalc.verify(report)
    assert not result.ok and not result.layers[0].ok


@pytest.mark.parametrize("text", [
    "input 8x8x3\n", "input 64\n", "input 64\nsoftmax\n", "input 4x4x2\nrelu -> dropout 0.5\n",
    "input 4x4x2\ngap\n", "input 5x5x1\npool 2 ceil -> flatten -> bn\n"])
def test_odd_but_valid_specs_verify_and_export(text, tmp_path, capsys):
    spec = tmp_path / "odd.arch"
    spec.write_text(text)
    status, out, err = run_cli(capsys, "verify", str(spec))
    assert status == 0 and "internal error" not in err, err
    status, out, err = run_cli(capsys, "export", str(spec))
    assert status == 0 and out.startswith('"""Odd: generated by archcalc'), err
    namespace: dict = {}
    exec(compile(out, "odd.py", "exec"), namespace)
    model = namespace["Odd"]()
    report = archcalc.check(text)
    shape = report.input_shape
    x = torch.zeros(1, shape[2], shape[0], shape[1]) if len(shape) == 3 else torch.zeros(2, *shape)
    assert list(model.eval()(x).shape[1:]) == list(archcalc.to_torch(text).eval()(x).shape[1:])


def test_a_frozen_block_freezes_every_layer_in_it_and_only_those():
    spec = ("input 8x8x3\nblock unit(c) { conv 3 p1 c nobias -> bn -> relu }\n"
            "stem: unit 4 frozen\nbody: residual { unit 4 } -> gap -> flatten -> fc 2")
    report = archcalc.check(spec)
    stem = report.layers[0]
    assert stem.trainable == 0 and stem.non_trainable == 3 * 3 * 3 * 4 + 4 * 4
    model = archcalc.to_torch(report)
    frozen = {name for name, p in model.named_parameters() if not p.requires_grad}
    assert frozen == {"stem.conv1.weight", "stem.bn1.weight", "stem.bn1.bias"}
    model.train()
    assert not model.get_submodule("stem.bn1").training
    assert model.get_submodule("body.body.unit1.bn1").training
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == \
        report.totals.trainable
