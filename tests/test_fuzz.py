"""No input, however malformed, ends in anything but a result or a diagnostic.

Thousands of random texts, and mutations of the shipped examples, go through the whole `check`
path (parse, analyse, render); none may raise, and every diagnostic must point inside the text.
"""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import archcalc
from archcalc.render.diagnostics import render_diagnostics
from archcalc.render.tables import render_csv, render_latex, render_markdown, render_text
from archcalc.report import CheckReport
from archcalc.source import Source
from tests.conftest import EXAMPLES

FUZZ = settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))

WORDS = ["input", "conv", "pool", "avgpool", "gap", "gmp", "flatten", "fc", "dense", "relu",
         "softmax", "dropout", "bn", "adaptivepool", "expect", "params", "shape", "same",
         "valid", "ceil", "nobias", "s2", "p1", "d2", "g2", "s2x1", "3x3", "227x227x3", "0",
         "1", "3", "64", "0.5", "1e3", "->", ":", ";", "#", "\n", " ", "\t", "x", "-", ",",
         "name:", "1000000000000", "55x55x96", "\x00", "é", "×", "\r\n"]
SEEDS = [path.read_text(encoding="utf-8") for path in sorted(EXAMPLES.rglob("*.arch"))]


def check_everything(text: str) -> None:
    report = archcalc.check(text, name="fuzz.arch")
    source = Source(text, "fuzz.arch")
    for diagnostic in report.diagnostics:
        assert 0 <= diagnostic.span.start <= diagnostic.span.end <= len(text)
        assert diagnostic.message
    render_diagnostics(report.diagnostics, source)
    for explain in (False, True):
        render_text(report, "hwc", explain)
        render_markdown(report, "chw", explain)
        render_latex(report, "hwc", explain)
    render_csv([report], "hwc")
    CheckReport.model_validate_json(CheckReport(files=[report]).model_dump_json())
    if report.errors == 0:
        assert report.totals.complete
        assert all(layer.output_shape is not None for layer in report.layers)


@FUZZ
@given(st.text(max_size=200))
def test_random_text(text):
    check_everything(text)


@FUZZ
@given(st.lists(st.sampled_from(WORDS), max_size=60).map(" ".join))
def test_random_token_soup(text):
    check_everything(text)


@FUZZ
@given(seed=st.sampled_from(SEEDS), edits=st.lists(st.tuples(
    st.sampled_from(["delete", "insert", "replace", "duplicate"]), st.floats(0, 1),
    st.sampled_from(WORDS)), min_size=1, max_size=6))
def test_mutated_examples(seed, edits):
    text = seed
    for action, where, word in edits:
        at = int(where * len(text))
        if action == "delete":
            text = text[:at] + text[at + len(word):]
        elif action == "insert":
            text = text[:at] + word + text[at:]
        elif action == "replace":
            text = text[:at] + word + text[at + len(word):]
        else:
            text = text[:at] + text[at:at + 40] + text[at:]
    check_everything(text)


def test_large_sizes_stay_exact():
    report = archcalc.check("input 100000x100000x3\nconv 3 1000000000000 -> gap -> flatten\n"
                            "fc 1000000000000")
    assert report.layers[0].params == (3 * 3 * 3 + 1) * 10**12
    assert report.layers[-1].params == (10**12 + 1) * 10**12
    assert report.totals.params == 28 * 10**12 + (10**12 + 1) * 10**12


def test_a_hundred_thousand_layers_are_checked():
    rng = random.Random(0)
    lines = ["input 64x64x8"] + [rng.choice(["conv 3 p1 8", "relu", "bn", "dropout 0.1"])
                                 for _ in range(100_000)]
    report = archcalc.check("\n".join(lines))
    assert len(report.layers) == 100_000
    assert report.errors == 0
    assert report.output_shape == [64, 64, 8]
    convs = sum(line == "conv 3 p1 8" for line in lines)
    bns = sum(line == "bn" for line in lines)
    assert report.totals.trainable == convs * (3 * 3 * 8 + 1) * 8 + bns * 2 * 8


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=st.lists(st.sampled_from(WORDS), max_size=30).map(" ".join),
       fmt=st.sampled_from(["text", "markdown", "latex", "csv", "json"]),
       flags=st.lists(st.sampled_from(["--explain", "--strict", "--quiet", "--layout=chw"]),
                      unique=True))
def test_the_command_line_never_fails_inside(text, fmt, flags):
    import contextlib
    import io

    from archcalc.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["check", f"--expr={text}", "--format", fmt, *flags])
    assert status in (0, 1), err.getvalue()
    assert "internal error" not in err.getvalue()
