"""What residual connections and concatenations do to shapes, given their parts' outputs.

The parts (a residual's body and shortcut, a concat's branches) are worked out by the static
pass like any sequence; these functions join them, and explain a join that cannot be made.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from archcalc import ir
from archcalc.diagnostics import Diagnostic, error
from archcalc.geometry import number
from archcalc.rules import shape_text
from archcalc.source import Span


@dataclass
class JoinOutcome:
    output: ir.Shape | None
    working: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def _projection_hint(shape: ir.Shape, body: ir.Shape) -> list[str]:
    """The 1x1 convolution that would make an identity shortcut fit, when there is one."""
    if len(shape) != 3 or len(body) != 3:
        return []
    for stride in range(1, max(shape[0], shape[1]) + 1):
        # A 1x1 convolution with stride S and no padding gives (H − 1) // S + 1.
        if ((shape[0] - 1) // stride + 1, (shape[1] - 1) // stride + 1) == body[:2]:
            option = f" s{stride}" if stride > 1 else ""
            return [f"project the input to the body's shape: `shortcut {{ conv 1{option} "
                    f"{body[2]} nobias -> bn }}`"]
    return []


def residual_outcome(node: ir.Residual, shape: ir.Shape, outputs: list[ir.Shape],
                     params: list[int]) -> JoinOutcome:
    """body(x) + shortcut(x): both must have the same shape; the sum has it too."""
    body = outputs[0]
    shortcut = outputs[1] if node.shortcut is not None else shape
    if body != shortcut:
        what = "the shortcut gives" if node.shortcut is not None else "the input (identity) is"
        hint = [] if node.shortcut is not None else _projection_hint(shape, body)
        return JoinOutcome(None, diagnostics=[error(
            "E305", f"{node.name}: the body gives {shape_text(body)} but {what} "
            f"{shape_text(shortcut)}; they cannot be added", node.kind_span,
            notes=["a residual connection adds the two element by element, so their shapes "
                   "must be equal"], help=hint)])
    working = [f"Body: {shape_text(shape)} → {shape_text(body)}"]
    if node.shortcut is not None:
        working.append(f"Shortcut (projection): {shape_text(shape)} → {shape_text(shortcut)}, "
                       f"{number(params[1])} parameters")
    else:
        working.append(f"Shortcut: the input itself, {shape_text(shape)}, no parameters")
    working.append(f"Sum, element by element: {shape_text(body)}")
    return JoinOutcome(body, working)


def concat_outcome(node: ir.Concat, outputs: list[ir.Shape], spans: list[Span]) -> JoinOutcome:
    """Branches stacked along the channels: same H x W, channels add up (or vector lengths)."""
    ranks = {len(shape) for shape in outputs}
    images = ranks == {3}
    if len(ranks) > 1 or (images and len({shape[:2] for shape in outputs}) > 1):
        notes = [f"branch {i} (line {span.line}) gives {shape_text(shape)}"
                 for i, (shape, span) in enumerate(zip(outputs, spans, strict=True), start=1)]
        what = ("height and width" if images else "kind: some give images (H x W x C), "
                "others flat vectors")
        return JoinOutcome(None, diagnostics=[error(
            "E306", f"{node.name}: the branches differ in {what}, so they cannot be "
            "concatenated", node.kind_span, notes=notes,
            help=["concat stacks the branches along the channels; every branch must keep "
                  "the same height and width (use `same` padding, or pool with stride 1)"]
            if images else [])])
    channels = [shape[-1] for shape in outputs]
    output = (*outputs[0][:-1], sum(channels))
    what = "Channels" if images else "Lengths"
    sum_text = " + ".join(number(c) for c in channels)
    return JoinOutcome(output, [f"{what}: {sum_text} = {number(sum(channels))}",
                                f"Output: {shape_text(output)}"])
