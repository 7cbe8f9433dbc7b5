"""Rendered tables for every example, against golden files (torchinfo's way), with an invariant
checked on each: the per-layer parameter counts sum to the total."""

from __future__ import annotations

import re

import pytest

import archcalc
from tests.conftest import EXAMPLES, GOLDEN, ROOT, run_cli, table_params

SPECS = sorted(EXAMPLES.rglob("*.arch"))
IDS = ["-".join(p.relative_to(EXAMPLES).with_suffix("").parts) for p in SPECS]
FORMATS = {"text": "txt", "markdown": "md", "latex": "tex", "csv": "csv"}


@pytest.mark.parametrize(("path", "name"), list(zip(SPECS, IDS, strict=True)), ids=IDS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_example_table_matches_golden(path, name, fmt, golden, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    relative = path.relative_to(ROOT)
    args = ["check", str(relative), "--format", fmt] + (["--explain"] if fmt != "csv" else [])
    status, out, _ = run_cli(capsys, *args)
    report = archcalc.check(path, name=str(relative))
    assert status == (1 if report.errors else 0)
    golden(GOLDEN / "tables" / f"{name}.{FORMATS[fmt]}", out)


@pytest.mark.parametrize("path", SPECS, ids=IDS)
def test_per_layer_params_sum_to_the_total(path, capsys):
    _, out, _ = run_cli(capsys, "check", "--depth", "1", str(path))
    rows, total = table_params(out)
    assert sum(rows) == total
    report = archcalc.check(path)
    assert total == report.totals.params == report.totals.trainable + report.totals.non_trainable
    # Every block's subtotal is the sum of its rows, each times the copies it stands for.
    for row in report.rows():
        if row.children:
            assert row.params == sum(c.params * c.count for c in row.children), row.path
            assert row.trainable == sum(c.trainable * c.count for c in row.children), row.path


def test_layout_chw_writes_shapes_channels_first(capsys):
    _, out, _ = run_cli(capsys, "check", str(EXAMPLES / "alexnet.arch"), "--layout", "chw")
    assert "96x55x55" in out and "55x55x96" not in out


def test_markdown_table_has_a_totals_row(capsys):
    _, out, _ = run_cli(capsys, "check", str(EXAMPLES / "lenet5.arch"), "--format", "markdown")
    assert "| **Total** |" in out and "**61,706**" in out


def test_latex_escapes_names_and_symbols(capsys):
    _, out, _ = run_cli(capsys, "check", "-e", "input 8x8x3; my_conv: conv 3 4", "--format",
                        "latex", "--explain")
    assert r"my\_conv" in out
    assert r"3$\cdot$3$\cdot$3" in out
    assert "·" not in out
    assert re.search(r"(?<!\\)_", out) is None  # every underscore escaped
