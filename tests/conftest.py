"""Shared test helpers: golden files (regenerated with --regen-golden) and the CLI in-process."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from archcalc.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
GOLDEN = Path(__file__).resolve().parent / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--regen-golden", action="store_true",
                     help="rewrite the golden files from the current output")


@pytest.fixture
def golden(request: pytest.FixtureRequest):
    """Compare text with a golden file, or rewrite the file under --regen-golden."""
    regen = request.config.getoption("--regen-golden")

    def compare(path: Path, actual: str) -> None:
        if regen or not path.exists():
            if not regen:
                pytest.fail(f"missing golden file {path}; run pytest --regen-golden")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8")
        assert actual == path.read_text(encoding="utf-8")

    return compare


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run `archcalc ARGV...` in this process; returns (status, stdout, stderr)."""
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def table_params(text: str) -> tuple[list[int], int]:
    """From a rendered text table: each row's Param # and the 'Total params' figure."""
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("Layer "))
    start = lines[header].index("Param #")
    end = start + len("Param #")
    rows = []
    for line in lines[header + 2:]:
        if not line.strip():
            break
        cell = line[:end].split()[-1]
        rows.append(int(cell.replace(",", "")))
    total = next(line for line in lines if line.startswith("Total params:"))
    return rows, int(re.sub(r"[^0-9]", "", total.split(":")[1].split("(")[0]))
