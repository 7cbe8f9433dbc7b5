"""Homework answers: is each `expect` right, and if not, which common mistake gives that number.

Each likely mistake is the same formula worked with one slip (no bias, no input depth, no + 1,
padding or stride left out, rounded the wrong way, H and W swapped). When a wrong answer equals
one of them, the student is told which; the right working is always shown.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from math import prod

from archcalc import ir
from archcalc.diagnostics import Diagnostic, error, warning
from archcalc.geometry import WindowAxis, number, window_axis
from archcalc.report import Answer, LayerReport
from archcalc.rules import PARAM_RULES, SHAPE_RULES, ParamCount, ShapeOutcome, shape_text
from archcalc.source import Span

Slip = tuple[str, ir.Shape]


def _rework(axis: WindowAxis, **changes: object) -> int:
    """One axis worked again with some hyperparameters changed."""
    a = replace(axis, **changes)  # type: ignore[arg-type]
    return window_axis(a.size, a.kernel, a.stride, None if a.same else a.pad_before,
                       a.dilation, a.ceil).output


def _axis_slips(layer: ir.Conv | ir.Pool, axis: WindowAxis) -> Iterator[tuple[str, int]]:
    covered, stride = axis.covered, axis.stride
    if axis.same:
        yield "used no padding; `same` pads so that the output is ⌈W/S⌉", _rework(axis, same=False,
                                                                                pad_before=0)
        if stride > 1:
            yield (f"kept the input size; `same` with stride {stride} gives ⌈W/{stride}⌉",
                   axis.size)
        return
    if axis.ceil:
        yield "rounded down; this layer rounds up (ceil mode)", covered // stride + 1
    else:
        yield "rounded up instead of down (PyTorch floors)", -(-covered // stride) + 1
    yield "forgot the + 1 in (W − F + 2P)/S + 1", covered // stride
    if axis.pad_before:
        yield "ignored the padding", _rework(axis, pad_before=0)
        yield "added the padding once (P instead of 2P)", (covered - axis.pad_before) // stride + 1
    if stride > 1:
        if isinstance(layer, ir.Pool) and "stride" not in layer.arg_spans:
            yield ("used stride 1; a pooling layer's stride defaults to its window size",
                   covered + 1)
        else:
            yield "ignored the stride", covered + 1
    if axis.dilation > 1:
        yield "ignored the dilation", _rework(axis, dilation=1)


def shape_slips(layer: ir.LayerBase, shape: ir.Shape, outcome: ShapeOutcome) -> Iterator[Slip]:
    """Wrong output shapes that a common slip produces, with what the slip was."""
    right = outcome.output
    if right is None:
        return
    if isinstance(layer, (ir.Conv, ir.Pool)) and outcome.axes:
        h_axis, w_axis = outcome.axes
        h_slips, w_slips = dict(_axis_slips(layer, h_axis)), dict(_axis_slips(layer, w_axis))
        for slip in dict.fromkeys([*h_slips, *w_slips]):  # in a fixed order, not a set's
            h = h_slips.get(slip, right[0])
            w = w_slips.get(slip, right[1])
            yield slip, (h, w, right[2])
        if isinstance(layer, ir.Conv) and shape[2] != layer.filters:
            yield ("kept the input depth; a conv's output depth is its number of filters",
                   (right[0], right[1], shape[2]))
    if len(right) == 3 and right[0] != right[1]:
        yield "swapped H and W", (right[1], right[0], right[2])
    if isinstance(layer, ir.Flatten) and len(shape) == 3:
        yield "forgot the depth: flattening multiplies H·W·C", (prod(shape[:2]),)


def param_slips(layer: ir.LayerBase, shape: ir.Shape, count: ParamCount) -> Iterator[
        tuple[str, int | None]]:
    """Wrong parameter counts that a common slip produces, with what the slip was."""
    if isinstance(layer, ir.Conv):
        kh, kw = layer.kernel
        depth, k = shape[2] // layer.groups, layer.filters
        bias = 1 if layer.bias else 0
        if layer.bias:
            yield "forgot the bias (one per filter)", kh * kw * depth * k
            yield ("counted one bias for the layer instead of one per filter",
                   kh * kw * depth * k + 1)
        else:
            yield "counted a bias, but this layer has `nobias`", (kh * kw * depth + 1) * k
        yield "forgot the input depth (a filter spans every input channel)", (kh * kw + bias) * k
        yield "forgot both the input depth and the bias", kh * kw * k
        if layer.groups > 1:
            yield (f"ignored the groups (each filter sees {depth} of {shape[2]} channels)",
                   (kh * kw * shape[2] + bias) * k)
        yield "used the number of filters as the input depth", (kh * kw * k + bias) * k
    elif isinstance(layer, ir.Dense):
        if layer.bias:
            yield "forgot the bias (one per unit)", shape[0] * layer.units
            yield "counted one bias for the layer instead of one per unit", (
                shape[0] * layer.units + 1)
    elif isinstance(layer, ir.BatchNorm):
        yield ("counted only the trainable γ and β; the running mean and variance add "
               f"2·{shape[-1]} non-trainable parameters", count.trainable)
        yield "counted one parameter per channel; batch norm keeps four", shape[-1]
    elif count.total == 0:
        yield "gave weights to a layer that has none", None  # any answer but 0


@dataclass(frozen=True)
class Belief:
    """The input shape a student's own earlier answers imply for this layer, when it differs
    from the true one: a later answer that follows from it is a carried-forward error."""

    shape: ir.Shape
    origin: str  # the layer whose wrong answer the belief comes from

    def carries(self, layer: ir.LayerBase, given: ir.Shape | int, quantity: str) -> bool:
        if isinstance(layer, ir.Invalid):
            return False
        outcome = SHAPE_RULES[type(layer)](layer, self.shape)
        if quantity == "shape":
            return outcome.output == given
        return not outcome.refused and PARAM_RULES[type(layer)](layer, self.shape).total == given

    def mistake(self) -> str:
        return (f"carried forward your answer for {self.origin} ({shape_text(self.shape)}): "
                "from that input your working is right")

    def after(self, layer: ir.LayerBase) -> Belief | None:
        """The belief for the next layer, if this one has no shape answer of its own."""
        if isinstance(layer, ir.Invalid):
            return None
        output = SHAPE_RULES[type(layer)](layer, self.shape).output
        return Belief(output, self.origin) if output is not None else None


def next_belief(layer: ir.LayerBase, belief: Belief | None,
                right: ir.Shape | None) -> Belief | None:
    """What the student believes this layer's output is, where that differs from the truth."""
    expect = layer.expect
    if expect is not None and expect.shape is not None:
        believed = expect.shape
        return Belief(believed, layer.name) if believed != right else None
    if belief is None:
        return None
    carried = belief.after(layer)
    return carried if carried is not None and carried.shape != right else None


def check_answers(layer: ir.LayerBase, shape: ir.Shape | None, outcome: ShapeOutcome | None,
                  count: ParamCount | None,
                  belief: Belief | None = None) -> tuple[list[Answer], list[Diagnostic]]:
    """Grade one layer's `expect` answers; `belief` is the student's own idea of its input."""
    expect = layer.expect
    answers: list[Answer] = []
    diagnostics: list[Diagnostic] = []
    if expect is None:
        return answers, diagnostics
    if expect.shape is not None and expect.shape_span is not None:
        right = outcome.output if outcome else None
        answer = Answer(quantity="shape", given=list(expect.shape),
                        correct=list(right) if right else None, right=None,
                        span=expect.shape_span)
        if right is not None and shape is not None and outcome is not None:
            given = expect.shape
            if given == right:
                answer.right = True
            elif len(right) == 3 and given == (right[2], right[0], right[1]):
                answer.right = True
                diagnostics.append(warning(
                    "W400", f"{layer.name}: {shape_text(given)} is the right shape written "
                    "channels-first", expect.shape_span,
                    notes=[f"archcalc writes H x W x C, as the lecture does: "
                           f"{shape_text(right)}"]))
            elif tuple(d for d in right if d != 1) == given and len(given) < len(right):
                answer.right = True
                diagnostics.append(warning(
                    "W400", f"{layer.name}: {shape_text(given)} leaves out the 1x1 of "
                    f"{shape_text(right)}", expect.shape_span,
                    notes=["the values are the same; PyTorch keeps the 1x1 until `flatten`"]))
            else:
                answer.right = False
                answer.likely_mistakes = [slip for slip, value in
                                          shape_slips(layer, shape, outcome) if value == given]
                if belief is not None and belief.carries(layer, given, "shape"):
                    answer.likely_mistakes.insert(0, belief.mistake())
                diagnostics.append(error(
                    "E400", f"{layer.name}: the output shape is {shape_text(right)}, "
                    f"not {shape_text(given)}", expect.shape_span,
                    notes=outcome.working + [f"likely mistake: {m}"
                                             for m in answer.likely_mistakes]))
        answers.append(answer)
    if expect.params is not None and expect.params_span is not None:
        correct = count.total if count else None
        answer = Answer(quantity="params", given=expect.params, correct=correct, right=None,
                        span=expect.params_span)
        if count is not None and shape is not None:
            answer.right = expect.params == count.total
            if not answer.right:
                answer.likely_mistakes = list(dict.fromkeys(
                    slip for slip, value in param_slips(layer, shape, count)
                    if value == expect.params or (value is None and expect.params)))
                if belief is not None and belief.carries(layer, expect.params, "params"):
                    answer.likely_mistakes.insert(0, belief.mistake())
                diagnostics.append(error(
                    "E401", f"{layer.name}: the layer has {number(count.total)} parameters, "
                    f"not {number(expect.params)}", expect.params_span,
                    notes=count.working + [f"likely mistake: {m}"
                                           for m in answer.likely_mistakes]))
        answers.append(answer)
    return answers, diagnostics


def _compound_slips(node: ir.LayerBase, row: LayerReport,
                    children: list[LayerReport]) -> Iterator[tuple[str, str, object]]:
    """(quantity, mistake, the answer it gives) for a block, residual, concat or repeat."""
    total = row.params or 0
    if isinstance(node, ir.Residual) and len(children) == 2:
        yield ("params", "left out the shortcut's projection "
               f"({number(children[1].params or 0)} parameters)", children[0].params)
    if isinstance(node, ir.Concat) and row.output_shape:
        channels = " + ".join(str((c.output_shape or [0])[-1]) for c in children)
        for child in children:
            if child.output_shape:
                yield ("shape", f"took one branch's channels; the branches stack: {channels}",
                       list(child.output_shape))
            yield ("params", f"left out {child.description}", total - (child.params or 0))
    if isinstance(node, ir.Repeat):
        once = sum(c.params or 0 for c in children[:1])
        yield ("params", f"counted the body once; it runs {node.count:,} times", once)


def check_compound_answers(node: ir.LayerBase, row: LayerReport,
                           children: list[LayerReport]) -> tuple[list[Answer], list[Diagnostic]]:
    """Grade the `expect` after a block, residual, concat or repeat: its output and its
    parameters in all."""
    expect = node.expect
    answers: list[Answer] = []
    diagnostics: list[Diagnostic] = []
    if expect is None:
        return answers, diagnostics
    slips = list(_compound_slips(node, row, children))
    checks: list[tuple[str, object, object, Span | None]] = [
        ("shape", list(expect.shape) if expect.shape is not None else None, row.output_shape,
         expect.shape_span),
        ("params", expect.params, row.params, expect.params_span)]
    for quantity, given, correct, span in checks:
        if given is None or span is None:
            continue
        answer = Answer(quantity=quantity, given=given, correct=correct,
                        right=None if correct is None else given == correct, span=span)
        answers.append(answer)
        if answer.right is not False:
            continue
        answer.likely_mistakes = list(dict.fromkeys(
            mistake for what, mistake, value in slips if what == quantity and value == given))
        if quantity == "shape":
            right_shape = shape_text(tuple(row.output_shape or ()))
            message = (f"{node.name}: the output shape is {right_shape}, not "
                       f"{shape_text(tuple(expect.shape or ()))}")
            code = "E400"
        else:
            message = (f"{node.name}: it has {number(row.params or 0)} parameters, not "
                       f"{number(expect.params or 0)}")
            code = "E401"
        diagnostics.append(error(code, message, span, notes=row.working + [
            f"likely mistake: {m}" for m in answer.likely_mistakes]))
    return answers, diagnostics
