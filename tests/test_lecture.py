"""The lecture's own numbers (shared/reference/lecture-notes.txt) are the first tests."""

from __future__ import annotations

import archcalc
from tests.conftest import EXAMPLES


def layer(report: archcalc.SpecReport, name: str) -> archcalc.report.LayerReport:
    return next(entry for entry in report.layers if entry.name == name)


def test_vgg16_first_four_convolutions_match_section_4_2():
    report = archcalc.check(EXAMPLES / "vgg16_notop.arch")
    assert layer(report, "block1_conv1").params == (3 * 3 * 3 + 1) * 64 == 1792
    assert layer(report, "block1_conv2").params == (3 * 3 * 64 + 1) * 64 == 36928
    assert layer(report, "block1_pool").params == 0
    assert layer(report, "block2_conv1").params == (3 * 3 * 64 + 1) * 128 == 73856
    assert layer(report, "block2_conv2").params == (3 * 3 * 128 + 1) * 128 == 147584
    assert layer(report, "block1_conv1").output_shape == [128, 128, 64]
    assert layer(report, "block2_conv1").output_shape == [64, 64, 128]
    # Keras' published count for VGG16(include_top=False).
    assert report.totals.params == 14_714_688
    assert report.answers.right == 11 and report.answers.wrong == 0


def test_alexnet_227_55_27_from_section_4():
    report = archcalc.check(EXAMPLES / "alexnet.arch")
    assert layer(report, "conv1").output_shape == [(227 - 11 + 2 * 0) // 4 + 1] * 2 + [96]
    assert layer(report, "conv1").output_shape == [55, 55, 96]
    assert layer(report, "pool1").output_shape == [(55 - 3) // 2 + 1] * 2 + [96] == [27, 27, 96]
    assert layer(report, "conv1").params == (11 * 11 * 3 + 1) * 96 == 34944
    assert not report.diagnostics
    # The single-tower AlexNet of the 2012 paper's layer sizes.
    assert report.totals.params == 62_378_344
    assert report.output_shape == [1000]


def test_lecture_cnn_traces_section_2():
    report = archcalc.check(EXAMPLES / "lecture_cnn.arch")
    shapes = {entry.name: entry.output_shape for entry in report.layers}
    assert shapes["conv1"] == [28, 28, 32]
    assert shapes["pool1"] == [14, 14, 32]
    assert shapes["conv2"] == [14, 14, 64]
    assert shapes["pool2"] == [7, 7, 64]
    assert shapes["flatten1"] == [7 * 7 * 64] == [3136]
    assert shapes["fc2"] == [10]
    assert layer(report, "conv2").params == (5 * 5 * 32 + 1) * 64
    assert report.answers.right == report.answers.total == 9
    assert not report.diagnostics


def test_lenet5_has_61706_parameters():
    report = archcalc.check(EXAMPLES / "lenet5.arch")
    assert [entry.params for entry in report.layers if entry.params] == [
        (5 * 5 * 1 + 1) * 6, (5 * 5 * 6 + 1) * 16, (400 + 1) * 120, (120 + 1) * 84, (84 + 1) * 10]
    assert report.totals.params == 61_706


def test_alexnet_at_224_is_explained_not_hidden():
    report = archcalc.check(EXAMPLES / "alexnet224.arch")
    assert layer(report, "conv1").output_shape == [54, 54, 96]
    warning = report.diagnostics[0]
    assert warning.code == "W300"
    assert "(224 − 11 + 2·0)/4 + 1 = 54.25 → 54 (floored)" in warning.notes[0]
    assert "an input of 227x227 (or 223x223) to conv1 would divide exactly" in warning.help
    assert report.errors == 0


def test_explain_reads_like_the_lecture():
    report = archcalc.check("input 128x128x3\nblock1_conv1: conv 3 same 64")
    assert layer(report, "block1_conv1").working == [
        "Output size: ⌈128/1⌉ = 128 (same: padding 1 on each side)",
        "Output shape: 128x128x64 (64 filters)",
        "Weights per filter: 3·3·3 = 27",
        "Bias per filter: 1",
        "Parameters: (27 + 1)·64 = 1,792",
    ]
    report = archcalc.check("input 227x227x3\nconv 11 s4 96")
    assert report.layers[0].working[0] == "Output size: (227 − 11 + 2·0)/4 + 1 = 55"
    assert report.layers[0].working[-1] == "Parameters: (363 + 1)·96 = 34,944"
