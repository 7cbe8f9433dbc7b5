"""The result of checking a spec: a versioned pydantic model, the JSON that `check` prints.

`archcalc schema` prints this model's JSON Schema. Bump SCHEMA_VERSION whenever a field's
meaning changes or a field is removed; adding a field does not need a bump.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from archcalc import ir
from archcalc.diagnostics import Diagnostic, Severity
from archcalc.source import Span

SCHEMA_VERSION = 1
ANSWER_CODES = frozenset({"E400", "E401"})  # a wrong answer, not a broken network


class Answer(BaseModel):
    """One of the writer's answers (`expect ...`) and how it compares with the right value."""

    quantity: Literal["shape", "params"]
    given: list[int] | int
    correct: list[int] | int | None = Field(
        description="the right value; null when the layer could not be computed")
    right: bool | None = Field(description="null when the layer could not be computed")
    likely_mistakes: list[str] = []
    span: Span


class LayerReport(BaseModel):
    index: int
    name: str
    kind: str
    description: str = Field(description="the layer in the language's own words, normalised")
    span: Span
    input_shape: list[int] | None
    output_shape: list[int] | None = Field(description="H, W, C or N; null when unknown")
    padding: list[int] | None = Field(
        None, description="resolved padding of a conv or pooling layer: top, bottom, left, right")
    params: int | None
    trainable: int | None
    non_trainable: int | None
    working: list[str] = Field(description="the arithmetic, line by line")
    answers: list[Answer] = []
    layer: ir.Layer = Field(description="the layer as parsed, with all its arguments")


class Totals(BaseModel):
    params: int
    trainable: int
    non_trainable: int
    complete: bool = Field(description="false when some layers could not be counted")


class AnswerSummary(BaseModel):
    right: int
    wrong: int
    ungraded: int

    @property
    def total(self) -> int:
        return self.right + self.wrong + self.ungraded


class SpecReport(BaseModel):
    """Everything `check` knows about one spec."""

    schema_version: int = SCHEMA_VERSION
    source: str
    input_shape: list[int] | None
    layers: list[LayerReport]
    output_shape: list[int] | None
    totals: Totals
    answers: AnswerSummary
    diagnostics: list[Diagnostic]

    @property
    def errors(self) -> int:
        return sum(d.severity is Severity.ERROR for d in self.diagnostics)

    @property
    def network_errors(self) -> int:
        """Errors in the network itself, as opposed to wrong `expect` answers about it."""
        return sum(d.severity is Severity.ERROR and d.code not in ANSWER_CODES
                   for d in self.diagnostics)

    @property
    def warnings(self) -> int:
        return sum(d.severity is Severity.WARNING for d in self.diagnostics)


class CheckReport(BaseModel):
    """What `archcalc check --format json` prints: one report per file."""

    schema_version: int = SCHEMA_VERSION
    files: list[SpecReport]
