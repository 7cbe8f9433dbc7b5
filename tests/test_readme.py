"""The README stays true: every `console` block is run and must print exactly what it shows."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

BLOCKS = re.findall(r"```console\n\$ (.*?)\n(.*?)```", (ROOT / "README.md").read_text("utf-8"),
                    flags=re.S)


def test_the_readme_has_examples():
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize(("command", "shown"), BLOCKS, ids=[c[:50] for c, _ in BLOCKS])
def test_readme_example_prints_what_it_shows(command, shown):
    # `archcalc` is the console script installed beside this interpreter.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(command, shell=True, capture_output=True, text=True, cwd=ROOT,
                            env=env)
    assert result.stdout + result.stderr == shown
