"""Every diagnostic, rendered in full (caret line included), against golden files.

Each tests/golden/diagnostics/NAME.arch is checked with `archcalc check --quiet` (and
`--lint` for cases named lint_*, `--convention caffe` for caffe_*); its output must equal
NAME.txt. Regenerate with `pytest --regen-golden` and read the diff.
"""

from __future__ import annotations

import pytest

from tests.conftest import GOLDEN, ROOT, run_cli

CASES = sorted((GOLDEN / "diagnostics").glob("*.arch"))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_diagnostic_renders_as_golden(path, golden, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    flags = {"lint": ["--lint"], "caffe": ["--convention", "caffe"]}.get(
        path.stem.split("_")[0], [])
    status, out, err = run_cli(capsys, "check", "--quiet", *flags, str(path.relative_to(ROOT)))
    assert err == ""
    assert "Traceback" not in out
    has_error = "error[" in out
    assert status == (1 if has_error else 0)
    golden(path.with_suffix(".txt"), out)


def test_every_case_names_a_code_in_its_golden_output():
    codes = set()
    for path in CASES:
        text = path.with_suffix(".txt").read_text(encoding="utf-8")
        codes.update(part.split("]")[0] for part in text.split("[")[1:] if part[:1] in "EWN")
    from archcalc.diagnostics import CODES

    # Every code archcalc can emit is exercised by at least one golden case.
    assert set(CODES) - codes == set()
