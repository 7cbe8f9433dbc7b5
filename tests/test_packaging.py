"""`pip install .` (not only editable) gives a working archcalc: the grammar ships inside the
wheel, and the package runs from it with the source checkout out of reach."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

from tests.conftest import EXAMPLES, ROOT


def test_wheel_carries_the_grammar_and_runs_without_the_checkout(tmp_path):
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    wheel = next(tmp_path.glob("archcalc-*.whl"))
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        archive.extractall(site)
    assert "archcalc/grammars/archcalc.lark" in names
    assert any(name.endswith("entry_points.txt") for name in names)

    spec = tmp_path / "net.arch"
    spec.write_text((EXAMPLES / "lenet5.arch").read_text(encoding="utf-8"), encoding="utf-8")
    # Run from an unrelated folder, with only the unpacked wheel (and the installed
    # dependencies) importable: the grammar must come from inside the package.
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONSAFEPATH": "1"}
    code = ("import sys, archcalc, archcalc.parser as p; "
            "assert str(p._grammar_path()).startswith(sys.argv[1]), p._grammar_path(); "
            "from archcalc.cli import main; sys.exit(main(['check', '-q', sys.argv[2]]))")
    run = subprocess.run([sys.executable, "-c", code, str(site), str(spec)],
                         capture_output=True, text=True, cwd=tmp_path, env=env)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == f"{spec}: no errors"
