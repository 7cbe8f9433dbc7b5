"""`archcalc draw`: a well-formed SVG that shows every layer, every residual connection and
every concat; the README's picture is what the command draws."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

import archcalc
from archcalc.render.draw import render_svg
from tests.conftest import EXAMPLES, ROOT, run_cli

SPECS = sorted(EXAMPLES.rglob("*.arch"))
SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_every_layer_is_drawn(path):
    report = archcalc.check(path)
    tree = ET.fromstring(render_svg(report))
    texts = " ".join(t.text or "" for t in tree.iter(f"{SVG}text"))
    for row in report.rows():
        if row.layer is not None:
            assert row.name in texts, row.path
    residuals = sum(row.kind == "residual" for row in report.rows())
    skips = [p for p in tree.iter(f"{SVG}path") if p.get("class") == "skip"]
    with_projection = sum(row.kind == "residual" and len(row.children) == 2
                          for row in report.rows())
    assert len(skips) == residuals + with_projection  # a projection splits the arc in two
    joins = [t for t in tree.iter(f"{SVG}text") if t.text in ("+", "C")]
    assert len(joins) == residuals + sum(row.kind == "concat" for row in report.rows())


def test_the_readme_picture_is_current():
    drawn = render_svg(archcalc.check(EXAMPLES / "cifar_resnet.arch"))
    assert (ROOT / "docs" / "images" / "cifar_resnet.svg").read_text() == drawn


def test_draw_command(capsys, tmp_path):
    target = tmp_path / "lenet.svg"
    status, out, err = run_cli(capsys, "draw", str(EXAMPLES / "lenet5.arch"), "-o", str(target))
    assert status == 0 and out == "" and "wrote" in err
    assert target.read_text().startswith('<?xml version="1.0" encoding="UTF-8"?>\n<svg ')
    broken = tmp_path / "broken.arch"
    broken.write_text("input 8x8x3\nconv 9 4")
    status, _, err = run_cli(capsys, "draw", str(broken))
    assert status == 1 and "has errors" in err
