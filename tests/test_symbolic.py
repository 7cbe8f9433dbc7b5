"""`input HxWx3`: every size as a formula in H and W, checked against the ordinary static pass
at many numeric sizes; the fit conditions checked against `solve`."""

from __future__ import annotations

import math
import re
from fractions import Fraction

import pytest

import archcalc
from archcalc.solve import solve_axes
from tests.conftest import EXAMPLES, run_cli


def evaluate(formula: str, h: int, w: int) -> int:
    value = eval(formula.replace("·", "*"), {"floor": math.floor, "H": Fraction(h),
                                             "W": Fraction(w)})
    assert value == int(value)
    return int(value)


def open_sized(name: str) -> str:
    return re.sub(r"input \d+x\d+x", "input HxWx", (EXAMPLES / f"{name}.arch").read_text(),
                  count=1)


def at(text: str, h: int, w: int) -> archcalc.SpecReport:
    return archcalc.check(text.replace("input HxWx", f"input {h}x{w}x", 1))


@pytest.mark.parametrize("name", ["alexnet224", "lenet5", "cifar_resnet", "torchvision/resnet18",
                                  "torchvision/googlenet", "torchvision/mobilenet_v2",
                                  "torchvision/squeezenet1_0", "vgg16_notop"])
def test_formulas_equal_the_numeric_pass_at_many_sizes(name):
    text = open_sized(name)
    report = archcalc.check(text)
    assert report.errors == 0, report.diagnostics
    rows = {row.path: row for row in report.rows()}
    (bound,) = {int(c.split("≥ ")[1].replace(",", "")) for c in report.conditions}
    for h, w in [(bound, bound), (bound + 1, bound + 7), (224, 300), (bound + 33, 512)]:
        numeric = at(text, h, w)
        for row in numeric.rows():
            formula = rows[row.path].shape_formula
            assert [evaluate(part, h, w) for part in formula] == row.output_shape, row.path
            if rows[row.path].params_formula and rows[row.path].layer is not None:
                assert evaluate(rows[row.path].params_formula, h, w) == row.params


@pytest.mark.parametrize("name", ["alexnet224", "lenet5", "torchvision/googlenet",
                                  "torchvision/squeezenet1_0"])
def test_the_fit_condition_is_the_smallest_size_solve_accepts(name):
    text = open_sized(name)
    report = archcalc.check(text)
    (solution,) = solve_axes(archcalc.parse(text), 400)
    assert report.conditions == [f"H ≥ {solution.accepted[0]}", f"W ≥ {solution.accepted[0]}"]
    assert at(text, solution.accepted[0] - 1, 300).network_errors > 0


def test_alexnet_formulas_read_as_the_lecture_writes_them():
    report = archcalc.check("input HxWx3\nconv 11 s4 96 -> pool 3 s2 -> flatten -> fc 10")
    conv, pool, _, fc = report.layers
    assert conv.shape_formula == ["floor((H - 11)/4) + 1", "floor((W - 11)/4) + 1", "96"]
    # ⌊(⌊(H − 11)/4⌋ + 1 − 3)/2⌋ + 1 = ⌊(H − 19)/8⌋ + 1
    assert pool.shape_formula[0] == "floor((H - 19)/8) + 1"
    assert fc.params_formula == "(96·(floor((H - 19)/8) + 1)·(floor((W - 19)/8) + 1) + 1)·10"
    assert report.conditions == ["H ≥ 19", "W ≥ 19"]
    assert report.exactness == ["every division is exact for H = 19 + 8k",
                                "every division is exact for W = 19 + 8k"]


def test_open_sizes_with_errors_and_limits():
    mismatch = archcalc.check("input HxWx3\nresidual { conv 3 s2 p1 3 }")
    assert [d.code for d in mismatch.diagnostics] == ["E305"]
    message = mismatch.diagnostics[0].message
    assert "floor((H - 1)/2) + 1 x floor((W - 1)/2) + 1 and H x W" in message
    unsupported = archcalc.check("input HxWx3\npool 2 s2 p1 ceil")
    assert [d.code for d in unsupported.diagnostics] == ["E217"]
    assert archcalc.check("input Hx32x3\nconv 3 8").layers[0].shape_formula == [
        "H - 2", "30", "8"]


def test_a_model_needs_numbers(capsys, tmp_path):
    spec = tmp_path / "open.arch"
    spec.write_text("input HxWx3\nconv 3 8")
    status, _, err = run_cli(capsys, "export", str(spec))
    assert status == 1 and "leaves its input size open (HxWx3)" in err


def test_open_sizes_in_json(capsys):
    import json

    status, out, _ = run_cli(capsys, "check", "--format", "json", "-e",
                             "input HxWx1; conv 5 8 -> flatten -> fc 2")
    data = json.loads(out)["files"][0]
    assert status == 0 and data["input_formula"] == ["H", "W", "1"]
    assert data["layers"][0]["shape_formula"] == ["H - 4", "W - 4", "8"]
    assert data["layers"][0]["output_shape"] is None and data["conditions"] == ["H ≥ 5", "W ≥ 5"]
