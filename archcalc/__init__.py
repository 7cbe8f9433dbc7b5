"""archcalc: shapes, parameters and worked arithmetic for convolutional networks, from a spec.

    >>> import archcalc
    >>> report = archcalc.check("input 227x227x3\\nconv 11 s4 96")
    >>> report.layers[0].output_shape, report.layers[0].params
    ([55, 55, 96], 34944)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from archcalc.analysis import analyze
from archcalc.diagnostics import Diagnostic, Severity
from archcalc.ir import Spec
from archcalc.parser import parse
from archcalc.report import CheckReport, SpecReport

__version__ = "0.1.0"

if TYPE_CHECKING:
    from archcalc.pytorch import to_torch, verify

__all__ = [
    "CheckReport",
    "Diagnostic",
    "Severity",
    "Spec",
    "SpecReport",
    "__version__",
    "analyze",
    "check",
    "parse",
    "to_torch",
    "verify",
]


def __getattr__(name: str) -> Any:
    # The PyTorch backend is imported on first use only: `check` must never import torch.
    if name in ("to_torch", "verify"):
        from archcalc import pytorch

        return getattr(pytorch, name)
    raise AttributeError(f"module 'archcalc' has no attribute {name!r}")


def check(spec: str | Path, name: str | None = None) -> SpecReport:
    """Parse and analyse a spec given as text, or as a Path to a file."""
    if isinstance(spec, Path):
        return analyze(parse(spec.read_text(encoding="utf-8"), name or str(spec)))
    return analyze(parse(spec, name or "<spec>"))
