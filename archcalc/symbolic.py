"""Input sizes left open: `input HxWx3` gives every layer's size as a formula in H and W.

Every output size along an axis is (x − F_eff + 2P)/S + 1 floored, and floors compose:
⌊(⌊(H + a)/s⌋ + b + c)/S⌋ = ⌊(H + a + s·(b + c))/(s·S)⌋ for whole numbers, so however deep
the network, a size is ⌊(H + a)/s⌋ + b for three whole numbers a, s and b. That closed form
makes the formulas exact, short and comparable (a residual's two paths must agree for every H)
without a computer algebra system, and turns each layer's need for at least one window into a
lower bound on H.

The numbers that do not depend on H and W (channels, most parameter counts) come from the
ordinary static pass run at a large representative size; only sizes, and the parameters of a
layer fed by a flattened image of open size, become formulas.
"""

from __future__ import annotations

from dataclasses import dataclass

from archcalc import ir
from archcalc.diagnostics import Diagnostic, error
from archcalc.geometry import number
from archcalc.report import LayerReport, SpecReport
from archcalc.solve import progressions, walk

MAX_TIMES = 10_000
REPRESENTATIVE = range(4096, 4608)  # sizes tried for the numbers that do not depend on H


@dataclass(frozen=True)
class Size:
    """⌊(symbol + a)/s⌋ + b, or a plain number when `symbol` is None (then the value is b)."""

    symbol: str | None
    a: int = 0
    s: int = 1
    b: int = 0

    @staticmethod
    def of(value: int | str) -> Size:
        return Size(None, b=value) if isinstance(value, int) else Size(value)

    def key(self) -> tuple[str | None, int, int, int]:
        """Equal keys, equal functions: a is brought into [0, s)."""
        if self.symbol is None:
            return (None, 0, 1, self.b)
        return (self.symbol, self.a % self.s, self.s, self.b + self.a // self.s)

    def floor_div(self, offset: int, stride: int, plus: int) -> Size:
        """⌊(self + offset)/stride⌋ + plus, in closed form."""
        if self.symbol is None:
            return Size(None, b=(self.b + offset) // stride + plus)
        return Size(self.symbol, self.a + self.s * (self.b + offset), self.s * stride, plus)

    def at_least(self, value: int) -> int:
        """The smallest symbol value for which this size is at least `value`."""
        # ⌊(H + a)/s⌋ + b ≥ v  ⟺  H + a ≥ s·(v − b)
        return self.s * (value - self.b) - self.a

    def text(self) -> str:
        if self.symbol is None:
            return str(self.b)
        if self.s == 1:
            return _plus(self.symbol, self.a + self.b)
        inner = _plus(self.symbol, self.a)
        return _plus(f"floor({inner}/{self.s})" if self.a == 0
                     else f"floor(({inner})/{self.s})", self.b)


def _plus(text: str, value: int) -> str:
    return text if value == 0 else f"{text} + {value}" if value > 0 else f"{text} - {-value}"


@dataclass
class _State:
    axes: tuple[Size, Size] | None  # None once the data is flat
    flat: str | None = None  # the length of a flat vector, when it depends on the symbols


class _Walk:
    def __init__(self, symbols: tuple[str | None, ...], sizes: tuple[int, ...]) -> None:
        self.bounds: dict[str, int] = {s: 1 for s in symbols if s}
        self.diagnostics: list[Diagnostic] = []
        self.start = _State((Size.of(symbols[0] or sizes[0]), Size.of(symbols[1] or sizes[1])))

    def bound(self, size: Size, value: int) -> None:
        if size.symbol is not None:
            self.bounds[size.symbol] = max(self.bounds[size.symbol], size.at_least(value))

    def rows(self, rows: list[LayerReport], state: _State | None) -> _State | None:
        for row in rows:
            state = self.row(row, state)
        return state

    def row(self, row: LayerReport, state: _State | None) -> _State | None:
        before = state
        if row.layer is not None:
            state = self.leaf(row, state)
        elif row.kind == "residual":
            paths = [self.rows([child], state) for child in row.children]
            if len(paths) == 1:
                paths.append(state)
            state = self.join(row, paths, "E305")
        elif row.kind == "concat":
            state = self.join(row, [self.rows([child], state) for child in row.children], "E306")
        else:
            state = self.rows(row.children, state)
        if row.count > 1:
            state = self.repeat(row, before, state)
        _show(row, state)
        return state

    def repeat(self, row: LayerReport, before: _State | None,
               once: _State | None) -> _State | None:
        """`row` stands for `row.count` copies; `once` is the state after the first."""
        state = once
        for _ in range(min(row.count, MAX_TIMES) - 1):
            following = self.rows(row.children, state) if row.layer is None else \
                self.leaf(row, state)
            if _key(following) == _key(state):
                return state
            state = following
        return state if row.count <= MAX_TIMES else None

    def leaf(self, row: LayerReport, state: _State | None) -> _State | None:
        layer = row.layer
        if state is None:
            return None
        if isinstance(layer, ir.Conv | ir.Pool) and state.axes is not None:
            return _State((self.window(layer, state.axes[0], 0),
                           self.window(layer, state.axes[1], 1)))
        if isinstance(layer, ir.AdaptivePool):
            return _State((Size.of(layer.output[0]), Size.of(layer.output[1])))
        if isinstance(layer, ir.GlobalPool):
            return _State((Size.of(1), Size.of(1)))
        if isinstance(layer, ir.Flatten) and state.axes is not None:
            height, width = state.axes
            if height.symbol is None and width.symbol is None:
                return _State(None)
            return _State(None, _product((row.input_shape or [0, 0, 1])[-1], height, width))
        if isinstance(layer, ir.Dense):
            if state.flat is not None:
                row.params_formula = _dense_formula(layer, state.flat)
                row.params = row.trainable = row.non_trainable = None
            return _State(None)
        if isinstance(layer, ir.BatchNorm) and state.flat is not None:
            row.params_formula = f"4·{state.flat}"
            row.params = row.trainable = row.non_trainable = None
        return state

    def window(self, layer: ir.Conv | ir.Pool, size: Size, axis: int) -> Size:
        kernel, stride = layer.kernel[axis], layer.stride[axis]
        dilation = layer.dilation[axis] if isinstance(layer, ir.Conv) else 1
        effective = dilation * (kernel - 1) + 1
        if layer.padding == "same":
            self.bound(size, 1)
            return size.floor_div(stride - 1, stride, 0)  # ⌈x/S⌉
        padding = layer.padding[axis]
        ceil = isinstance(layer, ir.Pool) and layer.ceil
        # At least one window: x + 2P − F ≥ 0, or, rounding up, > −S (as the numeric pass).
        self.bound(size, max(1, effective - 2 * padding - (stride - 1 if ceil else 0)))
        if ceil:
            # ⌈(x + 2P − F)/S⌉ + 1; PyTorch's last-window rule never bites when P + S ≤ F
            if padding + stride > effective:
                raise _Unsupported(error(
                    "E217", f"{layer.name}: `ceil` with padding {padding} and stride {stride} "
                    "has no closed form in the input's size", layer.span,
                    notes=["PyTorch drops a last window that would start in the padding, which "
                           "happens for some sizes and not others"],
                    help=["give the input numbers, or make padding + stride at most the "
                          "window"]))
            return size.floor_div(2 * padding - effective + stride - 1, stride, 1)
        return size.floor_div(2 * padding - effective, stride, 1)

    def join(self, row: LayerReport, paths: list[_State | None], code: str) -> _State | None:
        if any(path is None or path.axes is None for path in paths):
            return paths[0] if paths else None
        keys = {tuple(size.key() for size in path.axes) for path in paths if path and path.axes}
        if len(keys) > 1:
            shapes = " and ".join(" x ".join(size.text() for size in path.axes)
                                  for path in paths if path and path.axes)
            self.diagnostics.append(error(
                code, f"{row.path}: its paths give {shapes}, which differ for some H and W",
                row.span, help=["give the input a number to see where they differ, or use "
                                "`archcalc solve` for the sizes at which they agree"]))
            return None
        return paths[0]  # the channels of a concat come from the numeric pass


class _Unsupported(Exception):
    """A layer whose output size has no closed form in H and W."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def _key(state: _State | None) -> object:
    if state is None:
        return None
    return (tuple(size.key() for size in state.axes) if state.axes else None, state.flat)


def _product(channels: int, height: Size, width: Size) -> str:
    """C·H'·W' as text, numbers multiplied out: 256·(floor((H - 31)/32) + 1)·(...)."""
    factor = channels
    factors = []
    for size in (height, width):
        if size.symbol is None:
            factor *= size.b
        else:
            text = size.text()
            factors.append(text if text.isalnum() else f"({text})")
    return "·".join(([str(factor)] if factor != 1 else []) + factors)


def _dense_formula(layer: ir.Dense, flat: str) -> str:
    inputs = f"{flat} + 1" if layer.bias else flat
    return f"({inputs})·{layer.units}"  # no digit groups: a formula stays one to evaluate


def _show(row: LayerReport, state: _State | None) -> None:
    if state is None:
        row.shape_formula = None
    elif state.axes is not None:
        channels = (row.output_shape or [0, 0, 0])[-1]
        row.shape_formula = [size.text() for size in state.axes] + [str(channels)]
    elif state.flat is not None:
        row.shape_formula = [state.flat]
    else:
        row.shape_formula = [str(d) for d in row.output_shape or []]


def representative(spec: ir.Spec) -> tuple[int, int] | None:
    """Sizes for the open axes at which every layer fits, large enough that a repeat's
    shape stops changing only where it does for every size."""
    assert spec.input is not None and spec.input.symbols is not None
    sizes = []
    for axis in (0, 1):
        if spec.input.symbols[axis] is None:
            sizes.append(spec.input.shape[axis])
            continue
        # A large size first; failing that (paths that agree only at some sizes), any.
        candidates = [*REPRESENTATIVE, *range(1, REPRESENTATIVE.start)]
        found = next((size for size in candidates
                      if walk(spec.layers, size, axis).size is not None), None)
        if found is None:
            return None
        sizes.append(found)
    return sizes[0], sizes[1]


def add_formulas(report: SpecReport, spec: ir.Spec) -> SpecReport:
    """Turn a report made at a representative size into formulas in the open sizes."""
    assert spec.input is not None and spec.input.symbols is not None
    symbols = spec.input.symbols
    walker = _Walk(symbols, spec.input.shape)
    try:
        final = walker.rows(report.layers, walker.start)
    except _Unsupported as exc:
        walker.diagnostics.append(exc.diagnostic)
        final = None
    # Rounding and answers belong to one size: no warnings about it, and nothing graded.
    report.diagnostics = sorted(
        [d for d in report.diagnostics if d.code not in ("W300", "N300", "E400", "E401", "W400")]
        + walker.diagnostics, key=lambda d: d.span.start)
    for row in report.rows():
        for answer in row.answers:
            answer.right, answer.correct, answer.likely_mistakes = None, None, []
    graded = [answer for row in report.rows() for answer in row.answers]
    report.answers.right, report.answers.wrong = 0, 0
    report.answers.ungraded = len(graded)
    report.input_shape = None
    report.input_formula = [s or str(n) for s, n in zip(symbols, spec.input.shape, strict=True)]
    report.output_shape = None
    report.output_formula = _formula_of(final, report)
    report.conditions = [f"{symbol} ≥ {number(bound)}" for symbol, bound in walker.bounds.items()]
    report.exactness = [exactness(spec, axis, symbol) for axis, symbol in enumerate(symbols[:2])
                        if symbol is not None and not walker.diagnostics]
    formulas = [row.params_formula for row in report.leaves() if row.params_formula]
    if formulas:
        numeric = sum((row.params or 0) for row in report.leaves())
        report.totals.params_formula = " + ".join([number(numeric), *formulas])
    _resum(report.layers)
    report.totals.params = sum(row.params or 0 for row in report.layers)
    report.totals.trainable = sum(row.trainable or 0 for row in report.layers)
    report.totals.non_trainable = sum(row.non_trainable or 0 for row in report.layers)
    report.totals.macs = report.totals.flops = 0
    for row in report.rows():
        row.output_shape = row.input_shape = None
        row.cost = None
        row.working = []
    return report


def _formula_of(state: _State | None, report: SpecReport) -> list[str] | None:
    last = report.layers[-1] if report.layers else None
    return last.shape_formula if last is not None and state is not None else None


def _resum(rows: list[LayerReport]) -> None:
    """Compound subtotals again, now that some leaves have formulas instead of numbers."""
    for row in rows:
        if not row.children:
            continue
        _resum(row.children)
        if any(c.params is None for c in row.children):
            row.params = row.trainable = row.non_trainable = None
            row.params_formula = "depends on " + "/".join(sorted({
                part for c in row.children for part in (c.params_formula or "").split()
                if part.isalpha() and part.isupper()})) or None
        else:
            row.params = sum((c.params or 0) * c.count for c in row.children)
            row.trainable = sum((c.trainable or 0) * c.count for c in row.children)
            row.non_trainable = sum((c.non_trainable or 0) * c.count for c in row.children)


EXACT_BOUND = 1024  # sizes tried for exactness


def exactness(spec: ir.Spec, axis: int, symbol: str) -> str:
    """`every division is exact for H = 67 + 32k`, from the sizes up to EXACT_BOUND."""
    exact = [size for size in range(1, EXACT_BOUND + 1)
             if (result := walk(spec.layers, size, axis)).size is not None and result.exact]
    runs = progressions(exact)
    if not runs:
        return f"no {symbol} up to {number(EXACT_BOUND)} divides exactly at every layer"
    first, _, step = runs[0]
    if len(runs) == 1 and step > 1:
        return f"every division is exact for {symbol} = {number(first)} + {number(step)}k"
    if len(runs) == 1:
        return f"every division is exact for every {symbol} ≥ {number(first)}"
    shown = ", ".join(number(size) for size in exact[:8])
    return f"every division is exact for {symbol} = {shown}, … (up to {number(EXACT_BOUND)})"
