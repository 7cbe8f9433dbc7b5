"""Frameworks' rounding rules, with PyTorch's own pooling (ceil_mode, which copies Caffe's
rule) as the oracle for Caffe's."""

from __future__ import annotations

import pytest

import archcalc
from archcalc.conventions import disagreements, under
from tests.conftest import EXAMPLES, run_cli

torch = pytest.importorskip("torch")


def test_caffe_rounds_pooling_up_as_ceil_mode_does():
    spec = archcalc.parse((EXAMPLES / "alexnet224.arch").read_text())
    report = archcalc.analyze(under(spec, "caffe"))
    pool1 = next(row for row in report.rows() if row.name == "pool1")
    x = torch.zeros(1, 96, 54, 54)
    expected = torch.nn.MaxPool2d(3, 2, ceil_mode=True)(x).shape[-1]
    assert pool1.output_shape == [expected, expected, 96] == [27, 27, 96]  # ⌈(54 − 3)/2⌉ + 1


def test_floor_written_keeps_floor_under_caffe():
    spec = archcalc.parse("input 8x8x1\npool 3 s2 floor -> pool 2 s2")
    shapes = [row.output_shape for row in archcalc.analyze(under(spec, "caffe")).layers]
    assert shapes == [[3, 3, 1], [2, 2, 1]]  # (8 − 3)//2 + 1 = 3; then ⌈(3 − 2)/2⌉ + 1 = 2


def test_keras_and_pytorch_agree_and_googlenet_needs_no_change():
    # GoogLeNet's pools are `ceil` already (torchvision copied Caffe's model).
    spec = archcalc.parse((EXAMPLES / "torchvision" / "googlenet.arch").read_text())
    assert disagreements(spec) == []
    rows = disagreements(archcalc.parse((EXAMPLES / "alexnet224.arch").read_text()))
    assert rows[0] == ("pool1", {"pytorch": [26, 26, 96], "keras": [26, 26, 96],
                                 "caffe": [27, 27, 96]})


def test_compare_conventions_in_the_command_line(capsys):
    status, out, _ = run_cli(capsys, "check", "--compare-conventions",
                             str(EXAMPLES / "lenet5.arch"))
    assert status == 0
    assert "Conventions: pytorch, keras and caffe give every layer the same shape." in out
