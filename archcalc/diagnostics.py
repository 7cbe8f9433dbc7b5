"""Diagnostics are data: a code, a severity, a span, a message and notes.

They are rendered to text only at the edge (archcalc.render.diagnostics), so that JSON output,
the homework grader and the tests all see the same records.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel

from archcalc.source import Span


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"  # worth knowing, never a failure, not even under --strict


# Every code archcalc emits, with a one-line title. docs/diagnostics.md explains each one.
CODES: dict[str, str] = {
    # Reading the file
    "E100": "the file is not UTF-8 text",
    "E101": "unexpected character",
    "E102": "unexpected token",
    "E103": "unexpected end of file",
    # Layer kinds and their arguments
    "E200": "unknown layer kind",
    "E201": "unexpected argument",
    "E202": "missing argument",
    "E203": "argument given twice",
    "E204": "argument out of range",
    "E205": "number too large to read",
    "E206": "duplicate layer name",
    "E207": "unknown name",
    "E208": "name cannot be defined",
    "E209": "block uses itself",
    "W200": "block never used",
    # The input
    "E210": "no input declared",
    "E211": "input declared more than once or too late",
    "E212": "malformed input shape",
    "E217": "no size fits, or no closed form, for an input left open",
    # Constants, blocks and repetition
    "E213": "arithmetic gives no whole number",
    "E214": "spec expands to too many layers",
    "E215": "`expect` inside a block or repeat",
    "E216": "wrong arguments to a block",
    # Shapes
    "E300": "output size is not positive",
    "E301": "layer needs an image (HxWxC) input",
    "E302": "layer needs a flat input",
    "E303": "channels not divisible by groups",
    "E304": "pooling padding larger than half the window",
    "E305": "residual: body and shortcut shapes differ",
    "E306": "concat: branch shapes do not fit together",
    "E307": "repeat lists too many layers",
    "W300": "output size is not a whole number, and input is lost",
    "N300": "output size is not a whole number, but only padding is left over",
    # Lints (check --lint)
    "W501": "softmax inside the network",
    "W502": "conv bias before batch norm",
    "W503": "dropout after the output layer",
    "W504": "pooling that skips input",
    "W505": "an fc layer holds most of the parameters",
    # Conventions
    "W600": "no such padding in the chosen framework",
    # Answers
    "E400": "wrong output shape",
    "E401": "wrong parameter count",
    "W400": "answer written in another layout",
}


class Related(BaseModel):
    """Another place that explains a diagnostic: the use of the block it arose in."""

    message: str
    span: Span


class Diagnostic(BaseModel):
    """One finding about a spec, anchored at a span of its source."""

    code: str
    severity: Severity
    message: str
    span: Span
    notes: list[str] = []
    help: list[str] = []
    related: list[Related] = []

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


def error(code: str, message: str, span: Span, *, notes: list[str] | None = None,
          help: list[str] | None = None) -> Diagnostic:
    """An error diagnostic; `code` must be one of CODES."""
    assert code in CODES and code.startswith("E"), code
    return Diagnostic(code=code, severity=Severity.ERROR, message=message, span=span,
                      notes=notes or [], help=help or [])


def warning(code: str, message: str, span: Span, *, notes: list[str] | None = None,
            help: list[str] | None = None) -> Diagnostic:
    """A warning diagnostic; `code` must be one of CODES."""
    assert code in CODES and code.startswith("W"), code
    return Diagnostic(code=code, severity=Severity.WARNING, message=message, span=span,
                      notes=notes or [], help=help or [])


def note(code: str, message: str, span: Span, *, notes: list[str] | None = None) -> Diagnostic:
    """A note: something worth knowing that is not a problem; `code` must be one of CODES."""
    assert code in CODES and code.startswith("N"), code
    return Diagnostic(code=code, severity=Severity.NOTE, message=message, span=span,
                      notes=notes or [])
