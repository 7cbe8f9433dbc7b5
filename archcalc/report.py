"""The result of checking a spec: a versioned pydantic model, the JSON that `check` prints.

`archcalc schema` prints this model's JSON Schema. Bump SCHEMA_VERSION whenever a field's
meaning changes or a field is removed; adding a field does not need a bump.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import BaseModel, Field

from archcalc import ir
from archcalc.diagnostics import Diagnostic, Severity
from archcalc.source import Span

SCHEMA_VERSION = 2  # 2: layers became a tree (blocks, residuals, branches, repeats)
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


class ReceptiveField(BaseModel):
    """One axis of a unit's receptive field in the input image."""

    size: int = Field(description="input pixels a unit of this layer can see along the axis")
    jump: int = Field(description="input pixels between the fields of neighbouring units")
    start: float = Field(description="centre of the first unit's field, in input pixels from "
                         "the top (or left) edge; negative inside the padding")


class LayerCost(BaseModel):
    macs: int = Field(description="multiply-accumulates (conv and fc weights only)")
    flops: int = Field(description="floating-point operations, docs/metrics.md's convention")
    activations: int = Field(description="elements of the output, per example")
    receptive_field: list[ReceptiveField] | None = Field(
        None, description="height and width; null after a layer that mixes the whole input "
        "(global pooling, flatten, fc)")
    working: list[str] = Field([], description="the arithmetic of the figures above")


class LayerReport(BaseModel):
    """One row of the report: a layer, or a compound (a block, a residual connection, a concat,
    a repeat, or a sequence inside one) with its rows as children."""

    index: int = Field(description="1-based position among its siblings")
    name: str
    path: str = Field(description="dotted path from the top, e.g. layer2.0.conv1: the name of "
                      "its module in PyTorch")
    depth: int = Field(0, description="0 for the spec's own items, 1 inside them, and so on")
    kind: str = Field(description="a layer kind, an activation's name, or block, residual, "
                      "concat, repeat, sequence")
    description: str = Field(description="the layer in the language's own words, normalised")
    span: Span
    input_shape: list[int] | None
    output_shape: list[int] | None = Field(description="H, W, C or N; null when unknown")
    padding: list[int] | None = Field(
        None, description="resolved padding of a conv or pooling layer: top, bottom, left, right")
    params: int | None = Field(description="for a compound, the sum over its rows (each times "
                               "its count)")
    trainable: int | None
    non_trainable: int | None
    working: list[str] = Field(description="the arithmetic, line by line")
    answers: list[Answer] = []
    count: int = Field(1, description="how many identical copies this row stands for: the "
                       "iterations name, name+1, ... of a repeat whose shape has stopped "
                       "changing")
    children: list[LayerReport] = []
    shape_formula: list[str] | None = Field(
        None, description="with `input HxWx3`: the output shape as formulas in H and W")
    params_formula: str | None = Field(
        None, description="with `input HxWx3`: the parameters, where they depend on H and W")
    cost: LayerCost | None = Field(None, description="operations, activation size and "
                                   "receptive field (of one copy, when count > 1)")
    layer: ir.Layer | None = Field(
        None, description="a leaf layer as parsed, with all its arguments; null for compounds")

    @property
    def is_leaf(self) -> bool:
        return self.layer is not None


def walk(rows: list[LayerReport], max_depth: int | None = None) -> Iterator[LayerReport]:
    """Every row in order, parents before their children, down to `max_depth`."""
    for row in rows:
        yield row
        if max_depth is None or row.depth < max_depth:
            yield from walk(row.children, max_depth)


class Totals(BaseModel):
    params: int
    trainable: int
    non_trainable: int
    complete: bool = Field(description="false when some layers could not be counted")
    params_formula: str | None = Field(
        None, description="with `input HxWx3`: the total, where it depends on H and W")
    macs: int = Field(0, description="multiply-accumulates of one forward pass, per example")
    flops: int = Field(0, description="floating-point operations of one forward pass, per "
                       "example (docs/metrics.md)")


class AnswerSummary(BaseModel):
    right: int
    wrong: int
    ungraded: int

    @property
    def total(self) -> int:
        return self.right + self.wrong + self.ungraded


class MemoryEstimate(BaseModel):
    """Bytes for a batch size and number type (docs/metrics.md gives the formulas)."""

    batch: int
    dtype: str
    bytes_per_element: int
    optimizer: str
    parameter_bytes: int = Field(description="every parameter and running statistic")
    activation_bytes: int = Field(description="the input and every layer's output, for the "
                                  "batch: what a forward pass that keeps them all holds")
    gradient_bytes: int = Field(description="one gradient per trainable parameter")
    optimizer_bytes: int = Field(description="the optimiser's state: Adam keeps two numbers "
                                 "per trainable parameter, SGD with momentum one")
    training_bytes: int = Field(description="parameters + gradients + optimiser state + "
                                "activations saved for the backward pass")


class SpecReport(BaseModel):
    """Everything `check` knows about one spec."""

    schema_version: int = SCHEMA_VERSION
    source: str
    input_shape: list[int] | None
    layers: list[LayerReport] = Field(description="the spec's own items; compounds hold theirs")
    output_shape: list[int] | None
    totals: Totals
    answers: AnswerSummary
    diagnostics: list[Diagnostic]
    input_formula: list[str] | None = Field(
        None, description="with `input HxWx3`: the input's sizes, letters for those left open")
    output_formula: list[str] | None = None
    conditions: list[str] = Field(
        [], description="with `input HxWx3`: the smallest sizes at which every layer fits")
    exactness: list[str] = Field(
        [], description="with `input HxWx3`: the sizes at which every division is exact")
    memory: MemoryEstimate | None = Field(
        None, description="memory for `--batch` and `--dtype` (batch 1, float32 by default)")

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


    def rows(self, max_depth: int | None = None) -> Iterator[LayerReport]:
        """Every row of the tree, parents first."""
        return walk(self.layers, max_depth)

    def leaves(self) -> Iterator[LayerReport]:
        """The layers themselves, in order (a collapsed repeat's layers once)."""
        return (row for row in walk(self.layers) if row.is_leaf)


class CheckReport(BaseModel):
    """What `archcalc check --format json` prints: one report per file."""

    schema_version: int = SCHEMA_VERSION
    files: list[SpecReport]
