"""The static pass: every layer's output shape and parameters, in order, never running anything.

Shapes flow from the input through the layers. After a layer that cannot be computed the shape
is unknown, and the layers after it are listed without numbers rather than guessed at.
"""

from __future__ import annotations

from archcalc import ir
from archcalc.answers import Belief, check_answers, next_belief
from archcalc.diagnostics import Diagnostic
from archcalc.report import Answer, AnswerSummary, LayerReport, SpecReport, Totals
from archcalc.rules import PARAM_RULES, SHAPE_RULES, ParamCount, ShapeOutcome


def analyze(spec: ir.Spec) -> SpecReport:
    """Shapes, parameters, answers and diagnostics for a parsed spec."""
    diagnostics: list[Diagnostic] = list(spec.diagnostics)
    shape: ir.Shape | None = spec.input.shape if spec.input else None
    layers: list[LayerReport] = []
    trainable = non_trainable = 0
    complete = shape is not None and not any(d.is_error for d in spec.diagnostics)
    belief: Belief | None = None  # the student's own idea of the shape, where it went astray
    for index, layer in enumerate(spec.layers, start=1):
        outcome: ShapeOutcome | None = None
        count: ParamCount | None = None
        if shape is not None:
            outcome = SHAPE_RULES[type(layer)](layer, shape)
            diagnostics += outcome.diagnostics
            if not isinstance(layer, ir.Invalid) and not outcome.refused:
                count = PARAM_RULES[type(layer)](layer, shape)
                if layer.frozen:
                    count = count.frozen()
        answers, graded = check_answers(layer, shape, outcome, count, belief)
        right = outcome.output if outcome else None
        belief = next_belief(layer, belief, right) if right is not None else None
        diagnostics += graded
        if count is None:
            complete = False
        else:
            trainable += count.trainable
            non_trainable += count.non_trainable
        if layers and layers[-1].span.line == layer.span.line:
            _misplaced_expect(layers[-1], answers, graded)
        layers.append(LayerReport(
            index=index, name=layer.name,
            kind=layer.kind if not isinstance(layer, ir.Activation) else layer.function,
            description=layer.describe() + (" frozen" if layer.frozen else ""), span=layer.span,
            input_shape=list(shape) if shape is not None else None,
            output_shape=list(outcome.output) if outcome and outcome.output else None,
            padding=list(outcome.padding) if outcome and outcome.padding else None,
            params=count.total if count else None,
            trainable=count.trainable if count else None,
            non_trainable=count.non_trainable if count else None,
            working=(outcome.working if outcome else []) + (count.working if count else []),
            answers=answers, layer=layer))
        shape = outcome.output if outcome else None
    diagnostics.sort(key=lambda d: d.span.start)  # stable: a layer's own order stays
    graded_answers = [a for layer_report in layers for a in layer_report.answers]
    return SpecReport(
        source=spec.name,
        input_shape=list(spec.input.shape) if spec.input else None,
        layers=layers,
        output_shape=list(shape) if shape is not None and layers else None,
        totals=Totals(params=trainable + non_trainable, trainable=trainable,
                      non_trainable=non_trainable, complete=complete),
        answers=AnswerSummary(right=sum(a.right is True for a in graded_answers),
                              wrong=sum(a.right is False for a in graded_answers),
                              ungraded=sum(a.right is None for a in graded_answers)),
        diagnostics=diagnostics,
    )


def _misplaced_expect(previous: LayerReport, answers: list[Answer],
                      graded: list[Diagnostic]) -> None:
    """`conv 3 64 -> relu expect ...` grades relu; say so when the answer fits the conv."""
    wrong = [a for a in answers if a.right is False]
    reported = [d for d in graded if d.code in ("E400", "E401")]
    for answer, diagnostic in zip(wrong, reported, strict=False):
        fits = previous.output_shape if answer.quantity == "shape" else previous.params
        if fits == answer.given:
            diagnostic.help.append(
                f"an `expect` grades the layer it follows; this answer is right for "
                f"{previous.name}: write it before the `->`")
