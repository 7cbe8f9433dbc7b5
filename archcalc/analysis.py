"""The static pass: every layer's output shape and parameters, in order, never running anything.

Shapes flow from the input through the items. After a layer that cannot be computed the shape
is unknown, and the layers after it are listed without numbers rather than guessed at.
Compounds are worked out from their parts (archcalc.compounds); a repeat is unrolled only until
its shape stops changing, after which one row stands for all the remaining iterations.
"""

from __future__ import annotations

from dataclasses import dataclass

from archcalc import ir
from archcalc.answers import Belief, check_answers, check_compound_answers, next_belief
from archcalc.compounds import concat_outcome, residual_outcome
from archcalc.diagnostics import Diagnostic, Related, error
from archcalc.geometry import number
from archcalc.metrics import add_costs
from archcalc.report import Answer, AnswerSummary, LayerReport, SpecReport, Totals, walk
from archcalc.rules import PARAM_RULES, SHAPE_RULES, ParamCount, ShapeOutcome, shape_text
from archcalc.source import Span
from archcalc.symbolic import REPRESENTATIVE, add_formulas, representative

# Leaf rows a report may hold. A repeat whose shape keeps changing is unrolled row by row; past
# this many it is refused rather than left to exhaust memory.
MAX_ROWS = 50_000
MAX_USES_SHOWN = 3  # a diagnostic in a block used many times names this many uses


@dataclass
class _Place:
    """Where rows go: the path of their parent, their depth, and whether they are frozen."""

    path: str
    depth: int
    frozen: bool

    def child(self, name: str, frozen: bool = False) -> _Place:
        path = f"{self.path}.{name}" if self.path else name
        return _Place(path, self.depth + 1, self.frozen or frozen)


def analyze(spec: ir.Spec) -> SpecReport:
    """Shapes, parameters, costs, answers and diagnostics for a parsed spec."""
    if spec.input is not None and spec.input.symbols is not None:
        return _symbolic(spec)
    return add_costs(_Analysis(spec).run())


def _symbolic(spec: ir.Spec) -> SpecReport:
    """`input HxWx3`: the pass at a large size, then sizes as formulas in H and W."""
    assert spec.input is not None
    if any(d.is_error for d in spec.diagnostics):  # nothing to make formulas of
        return _Analysis(spec.model_copy(update={"input": None})).run()
    sizes = representative(spec)
    if sizes is None:
        failed = spec.model_copy(update={"input": None, "diagnostics": [
            *spec.diagnostics, error("E217", "no input size from 1 to "
                                     f"{REPRESENTATIVE.stop - 1:,} fits every layer",
                                     spec.input.span)]})
        return _Analysis(failed).run()
    numeric = ir.InputDecl(shape=(*sizes, spec.input.shape[2]), span=spec.input.span)
    report = add_costs(_Analysis(spec.model_copy(update={"input": numeric})).run())
    return add_formulas(report, spec)


class _Analysis:
    def __init__(self, spec: ir.Spec) -> None:
        self.spec = spec
        self.diagnostics: list[Diagnostic] = list(spec.diagnostics)
        self.context: list[Related] = []  # the uses and iterations being analysed, outermost first
        self.rows = 0
        self.too_many = False

    def run(self) -> SpecReport:
        spec = self.spec
        shape = spec.input.shape if spec.input else None
        layers, output = self.sequence(spec.layers, shape, _Place("", -1, False))
        counted = [row.params is not None for row in layers]
        trainable = sum(row.trainable or 0 for row in layers)
        non_trainable = sum(row.non_trainable or 0 for row in layers)
        complete = (shape is not None and all(counted) and not self.too_many
                    and not any(d.is_error for d in spec.diagnostics))
        diagnostics = _merged(self.diagnostics)
        diagnostics.sort(key=lambda d: d.span.start)  # stable: a layer's own order stays
        graded = [a for row in walk(layers) for a in row.answers]
        return SpecReport(
            source=spec.name,
            input_shape=list(spec.input.shape) if spec.input else None,
            layers=layers,
            output_shape=list(output) if output is not None and layers else None,
            totals=Totals(params=trainable + non_trainable, trainable=trainable,
                          non_trainable=non_trainable, complete=complete),
            answers=AnswerSummary(right=sum(a.right is True for a in graded),
                                  wrong=sum(a.right is False for a in graded),
                                  ungraded=sum(a.right is None for a in graded)),
            diagnostics=diagnostics,
        )

    def report(self, diagnostics: list[Diagnostic]) -> None:
        for diagnostic in diagnostics:
            diagnostic.related.extend(reversed(self.context))  # innermost use first
        self.diagnostics += diagnostics

    # Sequences

    def sequence(self, items: list[ir.Item], shape: ir.Shape | None,
                 place: _Place) -> tuple[list[LayerReport], ir.Shape | None]:
        rows: list[LayerReport] = []
        belief: Belief | None = None  # the student's own idea of the shape, where it went astray
        for index, item in enumerate(items, start=1):
            if isinstance(item, ir.COMPOUNDS):
                row = self.compound(item, index, shape, place)
                given = item.expect.shape if item.expect else None
                belief = Belief(given, item.name) if given and given != tuple(
                    row.output_shape or ()) else None
            else:
                row, belief = self.leaf(item, index, shape, place, belief)
                if rows and rows[-1].span.line == item.span.line:
                    _misplaced_expect(rows[-1], row.answers, self.diagnostics)
            rows.append(row)
            shape = tuple(row.output_shape) if row.output_shape is not None else None
        return rows, shape

    def leaf(self, layer: ir.Layer, index: int, shape: ir.Shape | None, place: _Place,
             belief: Belief | None) -> tuple[LayerReport, Belief | None]:
        outcome: ShapeOutcome | None = None
        count: ParamCount | None = None
        frozen = layer.frozen or place.frozen
        self.rows += 1
        where = place.child(layer.name)
        # Messages name a layer inside a compound by its path: layer2.0.conv1.
        named = layer if where.depth == 0 else layer.model_copy(update={"name": where.path})
        if shape is not None:
            outcome = SHAPE_RULES[type(layer)](named, shape)
            self.report(outcome.diagnostics)
            if not isinstance(layer, ir.Invalid) and not outcome.refused:
                count = PARAM_RULES[type(layer)](named, shape)
                if frozen:
                    count = count.frozen()
        answers, graded = check_answers(named, shape, outcome, count, belief)
        self.report(graded)
        right = outcome.output if outcome else None
        belief = next_belief(layer, belief, right) if right is not None else None
        if frozen and not layer.frozen:
            layer = layer.model_copy(update={"frozen": True})
        row = LayerReport(
            index=index, name=layer.name, path=where.path, depth=where.depth,
            kind=layer.kind if not isinstance(layer, ir.Activation) else layer.function,
            description=layer.describe() + (" frozen" if frozen else ""), span=layer.span,
            input_shape=list(shape) if shape is not None else None,
            output_shape=list(outcome.output) if outcome and outcome.output else None,
            padding=list(outcome.padding) if outcome and outcome.padding else None,
            params=count.total if count else None,
            trainable=count.trainable if count else None,
            non_trainable=count.non_trainable if count else None,
            working=(outcome.working if outcome else []) + (count.working if count else []),
            answers=answers, layer=layer)
        return row, belief

    # Compounds

    def compound(self, node: ir.Block | ir.Residual | ir.Concat | ir.Repeat, index: int,
                 shape: ir.Shape | None, place: _Place) -> LayerReport:
        where = place.child(node.name, node.frozen)
        if where.depth:
            node = node.model_copy(update={"name": where.path})  # messages name the path
        working: list[str] = []
        output: ir.Shape | None
        if isinstance(node, ir.Block):
            self.context.append(Related(message=f"in `{node.describe()}`, a use of block "
                                        f"`{node.block}`", span=node.span))
            children, output = self.sequence(node.body, shape, where)
            self.context.pop()
        elif isinstance(node, ir.Residual):
            children, output, working = self.residual(node, shape, where)
        elif isinstance(node, ir.Concat):
            children, output, working = self.concat(node, shape, where)
        else:
            children, output = self.repeat(node, shape, where)
        row = _parent_row(node, index, where, shape, output, children, working)
        answers, graded = check_compound_answers(node, row, children)
        row.answers = answers
        self.report(graded)
        return row

    def group(self, name: str, items: list[ir.Item], shape: ir.Shape | None,
              place: _Place, index: int, description: str) -> LayerReport:
        """A sequence inside a compound (a residual's body, a branch) as a row of its own."""
        where = place.child(name)
        children, output = self.sequence(items, shape, where)
        first, last = items[0].span, items[-1].span
        return _sum_row(index, name, where, "sequence", description, first.to(last), shape,
                        output, children, [])

    def residual(self, node: ir.Residual, shape: ir.Shape | None,
                 place: _Place) -> tuple[list[LayerReport], ir.Shape | None, list[str]]:
        children = [self.group("body", node.body, shape, place, 1, "residual body")]
        if node.shortcut is not None:
            children.append(self.group("shortcut", node.shortcut, shape, place, 2,
                                       "projection shortcut"))
        if shape is None or any(c.output_shape is None for c in children):
            return children, None, []
        outcome = residual_outcome(node, shape, [tuple(c.output_shape or ()) for c in children],
                                   [c.params or 0 for c in children])
        self.report(outcome.diagnostics)
        return children, outcome.output, outcome.working

    def concat(self, node: ir.Concat, shape: ir.Shape | None,
               place: _Place) -> tuple[list[LayerReport], ir.Shape | None, list[str]]:
        children = [self.group(f"branch{i}", branch, shape, place, i, "concat branch")
                    for i, branch in enumerate(node.branches, start=1)]
        if shape is None or any(c.output_shape is None for c in children):
            return children, None, []
        outcome = concat_outcome(node, [tuple(c.output_shape or ()) for c in children],
                                 [c.span for c in children])
        self.report(outcome.diagnostics)
        return children, outcome.output, outcome.working

    def repeat(self, node: ir.Repeat, shape: ir.Shape | None,
               place: _Place) -> tuple[list[LayerReport], ir.Shape | None]:
        """Unroll until the shape stops changing; then one row stands for the rest."""
        children: list[LayerReport] = []
        single = len(node.body) == 1
        leaves = _leaf_count(node.body)
        for i in range(node.count):
            if self.rows + leaves > MAX_ROWS:
                self.too_many = True
                self.report([error(
                    "E307", f"repeat {node.count:,} changes the shape every time round, so it "
                    f"would list more than {MAX_ROWS:,} layers", node.kind_span,
                    notes=[f"after {i:,} times the shape is "
                           f"{shape_text(shape) if shape else 'unknown'}"],
                    help=["a long repeat is analysed without unrolling only when its body "
                          "keeps the shape (the same input gives the same output)"])])
                return children, None
            before = len(self.diagnostics)
            self.context.append(Related(message=f"in time {i + 1:,} of `repeat "
                                        f"{node.count:,}`", span=node.kind_span))
            if single:
                item = node.body[0].model_copy(update={"name": str(i)})
                rows, output = self.sequence([item], shape, place)
                row = rows[0]
                row.index = i + 1
            else:
                row = self.group(str(i), node.body, shape, place, i + 1, f"time {i + 1:,}")
                output = tuple(row.output_shape) if row.output_shape is not None else None
            self.context.pop()
            children.append(row)
            errors = any(d.is_error for d in self.diagnostics[before:])
            if output is None or errors:
                return children, None
            if output == shape and i + 1 < node.count:
                # The same input gives the same output: every remaining time is this one.
                row.count = node.count - i
                if not single:
                    row.description = f"times {i + 1:,} to {node.count:,}, all alike"
                return children, output
            shape = output
        return children, shape


def _leaf_count(items: list[ir.Item]) -> int:
    total = 0
    for item in items:
        if isinstance(item, (ir.Block, ir.Repeat)):
            total += _leaf_count(item.body)
        elif isinstance(item, ir.Residual):
            total += _leaf_count(item.body) + _leaf_count(item.shortcut or [])
        elif isinstance(item, ir.Concat):
            total += sum(_leaf_count(branch) for branch in item.branches)
        else:
            total += 1
    return total


def _sum_row(index: int, name: str, where: _Place, kind: str, description: str, span: Span,
             shape: ir.Shape | None, output: ir.Shape | None, children: list[LayerReport],
             working: list[str]) -> LayerReport:
    known = all(c.params is not None for c in children)
    return LayerReport(
        index=index, name=name, path=where.path, depth=where.depth, kind=kind,
        description=description, span=span,
        input_shape=list(shape) if shape is not None else None,
        output_shape=list(output) if output is not None else None,
        params=sum((c.params or 0) * c.count for c in children) if known else None,
        trainable=sum((c.trainable or 0) * c.count for c in children) if known else None,
        non_trainable=sum((c.non_trainable or 0) * c.count for c in children) if known else None,
        working=working, children=children)


def _parent_row(node: ir.Block | ir.Residual | ir.Concat | ir.Repeat, index: int, where: _Place,
                shape: ir.Shape | None, output: ir.Shape | None, children: list[LayerReport],
                working: list[str]) -> LayerReport:
    description = node.describe() + (" frozen" if node.frozen else "")
    row = _sum_row(index, where.path.rsplit(".", 1)[-1], where, node.kind, description,
                   node.span, shape, output, children, working)
    counted = [c for c in children if c.params]
    if row.params is not None and (len(counted) > 1 or any(c.count > 1 for c in counted)):
        parts = [f"{number(c.params or 0)}" + (f"·{number(c.count)}" if c.count > 1 else "")
                 for c in counted]
        row.working.append(f"Parameters: {' + '.join(parts)} = {number(row.params)}")
    return row


def _merged(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """One diagnostic per (code, place, message): a block used many times with the same fault
    gets one report that names the uses it came through (the first few of them)."""
    merged: dict[tuple[str, int, int, str], tuple[Diagnostic, list[list[Related]]]] = {}
    for diagnostic in diagnostics:
        key = (diagnostic.code, diagnostic.span.start, diagnostic.span.end, diagnostic.message)
        if key in merged:
            merged[key][1].append(diagnostic.related)
        else:
            merged[key] = (diagnostic, [diagnostic.related])
    out = []
    for diagnostic, chains in merged.values():
        if len(chains) > 1:
            shown = chains[:MAX_USES_SHOWN]
            diagnostic.related = [related for chain in shown for related in chain]
            if len(chains) > len(shown):
                diagnostic.notes.append(f"the same happens in {len(chains) - len(shown)} more "
                                        "uses")
        out.append(diagnostic)
    return out


def _misplaced_expect(previous: LayerReport, answers: list[Answer],
                      diagnostics: list[Diagnostic]) -> None:
    """`conv 3 64 -> relu expect ...` grades relu; say so when the answer fits the conv."""
    wrong = [a for a in answers if a.right is False]
    for answer in wrong:
        fits = previous.output_shape if answer.quantity == "shape" else previous.params
        if fits != answer.given:
            continue
        for diagnostic in diagnostics:
            if diagnostic.code in ("E400", "E401") and diagnostic.span == answer.span:
                diagnostic.help.append(
                    f"an `expect` grades the layer it follows; this answer is right for "
                    f"{previous.name}: write it before the `->`")
