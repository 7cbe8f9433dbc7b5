"""The README stays true: every `console` block is run and must print exactly what it shows."""

from __future__ import annotations

import ast
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


PYTHON = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text("utf-8"), flags=re.S)


@pytest.mark.parametrize("code", PYTHON, ids=[f"python-{i}" for i in range(len(PYTHON))])
def test_readme_python_runs_and_its_comments_are_true(code, monkeypatch):
    monkeypatch.chdir(ROOT)
    lines = code.splitlines()
    namespace: dict = {}
    for number, line in enumerate(lines):
        statement, _, comment = line.partition("  # ")
        exec(compile(statement if statement.strip() else "pass", "README", "exec"), namespace)
        claimed = comment.strip()
        # A comment that is a Python literal states the value of the expression before it.
        if claimed and statement.strip() and "=" not in statement.split("(")[0]:
            try:
                value = ast.literal_eval(claimed)
            except (ValueError, SyntaxError):
                continue
            assert eval(statement, namespace) == value, (number, line)
