"""Constants, blocks, residual connections, concatenation and repetition: the language and the
static pass, with expected values written as the arithmetic they stand for."""

from __future__ import annotations

import json

import pytest

import archcalc
from tests.conftest import run_cli

BASIC = """
input 56x56x64
block basic(c, s=1) {
  conv 3 s=s p1 c nobias -> bn -> relu
  conv 3 p1 c nobias -> bn
}
"""


def codes(report: archcalc.SpecReport) -> list[str]:
    return [d.code for d in report.diagnostics if d.severity != "note"]


def test_constants_and_arithmetic_in_arguments():
    report = archcalc.check("input 32x32x3\nlet width = 16\nconv 3 same width*2 -> "
                            "conv 1 (width + 8) // 3 -> conv 1 s=1+1 width/4")
    assert [r.output_shape for r in report.layers] == [[32, 32, 32], [32, 32, 8], [16, 16, 4]]
    assert report.layers[0].params == (3 * 3 * 3 + 1) * 32
    assert report.layers[0].layer.filters == 32


def test_keyword_options_are_the_short_options():
    keyword = archcalc.check("input 32x32x8\nconv 3 stride=2 padding=1 dilation=1 groups=4 16")
    short = archcalc.check("input 32x32x8\nconv 3 s2 p1 d1 g4 16")
    assert keyword.layers[0].layer.describe() == short.layers[0].layer.describe()
    assert keyword.totals.params == short.totals.params == (3 * 3 * 8 // 4 + 1) * 16


def test_block_parameters_by_position_by_name_and_by_default():
    report = archcalc.check(BASIC + "basic 64\nbasic 128 2\nbasic s=1 c=128")
    first, second, third = report.layers
    assert first.output_shape == [56, 56, 64] and second.output_shape == [28, 28, 128]
    assert third.output_shape == [28, 28, 128]
    assert first.params == 2 * (3 * 3 * 64 * 64) + 2 * (4 * 64)
    assert second.params == 3 * 3 * 64 * 128 + 3 * 3 * 128 * 128 + 2 * (4 * 128)
    assert [row.path for row in first.children] == [
        "basic1.conv1", "basic1.bn1", "basic1.relu1", "basic1.conv2", "basic1.bn2"]
    assert first.layer is None and first.children[0].layer.kind == "conv"


def test_blocks_may_use_blocks_defined_later():
    report = archcalc.check("input 8x8x3\nouter 4\nblock outer(c) { inner c -> inner c }\n"
                            "block inner(c) { conv 1 c }")
    assert report.errors == 0
    assert report.totals.params == (3 + 1) * 4 + (4 + 1) * 4


def test_identity_residual_adds_the_input_and_a_projection_counts():
    report = archcalc.check(BASIC + "residual { basic 64 } -> relu\n"
                            "residual { basic 128 2 } shortcut { conv 1 s2 128 nobias -> bn }")
    identity, _, projected = report.layers
    assert identity.output_shape == [56, 56, 64]
    assert identity.params == 2 * (3 * 3 * 64 * 64) + 2 * (4 * 64)
    shortcut = projected.children[1]
    assert shortcut.path == "residual2.shortcut"
    assert shortcut.params == 64 * 128 + 4 * 128
    assert projected.output_shape == [28, 28, 128]


def test_residual_shape_mismatch_shows_both_shapes_and_a_projection():
    report = archcalc.check(BASIC + "residual { basic 128 2 }")
    (diagnostic,) = [d for d in report.diagnostics if d.code == "E305"]
    assert "28x28x128" in diagnostic.message and "56x56x64" in diagnostic.message
    assert diagnostic.help == ["project the input to the body's shape: "
                               "`shortcut { conv 1 s2 128 nobias -> bn }`"]
    assert report.output_shape is None


def test_concat_stacks_channels_and_counts_every_branch():
    report = archcalc.check("input 28x28x192\nconcat {\n  conv 1 64\n  conv 1 96 -> conv 3 p1 128"
                            "\n  pool 3 s1 p1 -> conv 1 32\n  identity\n}")
    (concat,) = report.layers
    assert concat.output_shape == [28, 28, 64 + 128 + 32 + 192]
    assert concat.params == (192 + 1) * 64 + (192 + 1) * 96 + (9 * 96 + 1) * 128 + (192 + 1) * 32
    assert [c.output_shape for c in concat.children] == [
        [28, 28, 64], [28, 28, 128], [28, 28, 32], [28, 28, 192]]


def test_concat_of_vectors_adds_lengths_and_mismatched_kinds_are_refused():
    vectors = archcalc.check("input 10\nconcat { fc 3; fc 4 }")
    assert vectors.output_shape == [7]
    mixed = archcalc.check("input 8x8x3\nconcat {\n  conv 1 4\n  flatten\n}")
    assert codes(mixed) == ["E306"]


def test_repeat_unrolls_until_the_shape_stops_changing():
    report = archcalc.check("input 32x32x3\nrepeat 5 { conv 3 same 8 }")
    (repeat,) = report.layers
    # The first time changes 3 channels to 8; from then on 8 → 8 is the same every time.
    assert [(row.name, row.count) for row in repeat.children] == [("0", 1), ("1", 4)]
    assert repeat.params == (27 + 1) * 8 + 4 * (72 + 1) * 8


def test_a_billion_times_round_a_shape_keeping_block_is_counted_without_unrolling():
    report = archcalc.check(BASIC + "repeat 1000000000 { residual { basic 64 } -> relu }")
    per_time = 2 * (3 * 3 * 64 * 64) + 2 * (4 * 64)
    assert report.totals.params == 1_000_000_000 * per_time
    assert report.totals.non_trainable == 1_000_000_000 * 2 * (2 * 64)
    assert sum(1 for _ in report.rows()) < 20


def test_repeat_zero_times_passes_the_input_on():
    report = archcalc.check("input 8x8x3\nrepeat 0 { conv 3 16 } -> conv 1 4")
    assert report.errors == 0
    assert report.output_shape == [8, 8, 4] and report.totals.params == (3 + 1) * 4


def test_a_repeat_that_keeps_growing_is_refused_before_it_exhausts_memory():
    report = archcalc.check("input 4x4x1\nrepeat 1000000 { concat { identity; conv 1 1 } }")
    assert codes(report) == ["E307"]
    assert not report.totals.complete


def test_block_errors_name_the_path_and_point_at_the_use():
    report = archcalc.check("input 8x8x3\nblock b(c) {\n  conv 9 c\n}\nfirst: b 4")
    (diagnostic,) = report.diagnostics
    assert diagnostic.code == "E300"
    assert diagnostic.message.startswith("first.conv1:")
    assert diagnostic.span.line == 3
    (use,) = diagnostic.related
    assert use.span.line == 5 and "`b 4`, a use of block `b`" in use.message


@pytest.mark.parametrize(("spec", "code"), [
    ("input 8x8x3\nblock a(c) { a c }\na 1", "E209"),
    ("input 8x8x3\nconv 3 undefined*2", "E207"),
    ("input 8x8x3\nconv 3 undefined", "E201"),
    ("input 8x8x3\nlet conv = 3", "E208"),
    ("input 8x8x3\nlet w = 1\nlet w = 2", "E208"),
    ("input 8x8x3\nblock b(c, c) { conv 1 c }", "E208"),
    ("input 8x8x3\nblock relu(c) { conv 1 c }", "E208"),
    ("input 8x8x3\nconv 1 7/2", "E213"),
    ("input 8x8x3\nconv 1 4/0", "E213"),
    ("input 8x8x3\nlet k = 3x3\nconv 1 k*2", "E213"),
    ("input 8x8x3\nblock b(c) { conv 1 c }\nb", "E216"),
    ("input 8x8x3\nblock b(c) { conv 1 c }\nb 1 2", "E216"),
    ("input 8x8x3\nblock b(c) { conv 1 c }\nb d=1", "E216"),
    ("input 8x8x3\nblock b(c) { conv 1 c expect 8x8x1 }\nb 1", "E215"),
    ("input 8x8x3\nrepeat 2 { conv 1 3 expect 8x8x3 }", "E215"),
    ("input 8x8x3\nconv 1 8 - 9", "E204"),
    ("input 8x8x3\nconv 3 -8", "E201"),
    ("input 8x8x3\nconv 1 stride=0.5 8", "E201"),
    ("input 8x8x3\nconv 1 kernel=1 8", "E201"),
    ("input 8x8x3\nlet times = 2.5\nrepeat times { relu }", "E204"),
    ("input 8x8x3\nrepeat 5/2 { relu }", "E213"),
    ("input 8x8x3\nconcat { }", "E202"),
])
def test_malformed_blocks_get_their_code(spec, code):
    report = archcalc.check(spec)
    assert code in codes(report), report.diagnostics


def test_expect_after_a_compound_grades_its_output_and_its_total():
    report = archcalc.check(BASIC + "residual { basic 128 2 } shortcut { conv 1 s2 128 nobias -> "
                            "bn } expect 28x28x128 params 222208")
    shape, params = report.layers[0].answers
    body = 3 * 3 * 64 * 128 + 4 * 128 + 3 * 3 * 128 * 128 + 4 * 128
    assert body == 222_208
    assert shape.right is True
    assert params.right is False and params.correct == body + 64 * 128 + 4 * 128
    assert params.likely_mistakes == ["left out the shortcut's projection (8,704 parameters)"]


def test_json_keeps_the_tree(capsys):
    status, out, _ = run_cli(capsys, "check", "--format", "json", "-e",
                             "input 8x8x3; block b(c) { conv 1 c -> relu }; stage: b 4")
    assert status == 0
    (stage,) = json.loads(out)["files"][0]["layers"]
    assert stage["kind"] == "block" and stage["layer"] is None
    assert [child["path"] for child in stage["children"]] == ["stage.conv1", "stage.relu1"]
    assert stage["children"][0]["layer"]["filters"] == 4


def test_depth_limits_the_rows_and_keeps_subtotals(capsys):
    spec = "input 8x8x3; block b(c) { conv 1 c -> relu }; stage: b 4; fc_in: flatten"
    _, full, _ = run_cli(capsys, "check", "-e", spec)
    _, top, _ = run_cli(capsys, "check", "--depth", "1", "-e", spec)
    assert "  conv1" in full and "conv1" not in top
    assert "stage    b 4" in top and "16" in top.split("stage")[1].splitlines()[0]
