"""Cost and reach of every layer: MACs, FLOPs, activation sizes and receptive fields.

Worked out from a checked report, never by running anything. One function per layer kind
computes the operations, each stating its convention in a comment (docs/metrics.md has them
all); receptive fields follow Araujo, Norris and Sim, "Computing Receptive Fields of
Convolutional Neural Networks" (Distill, 2019), per axis: size r, jump j (the distance in input
pixels between neighbouring output units) and start (the centre of the first unit's field, in
input pixel coordinates, negative when it reaches into the padding).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from math import prod
from typing import Any

from archcalc import ir
from archcalc.geometry import number
from archcalc.report import LayerCost, LayerReport, MemoryEstimate, ReceptiveField, SpecReport

_ELEMENTWISE_FLOPS = {
    # per element: a comparison for the ReLU family; exp/log-based ones count one each, as
    # fvcore and ptflops do (their true cost depends on the hardware's transcendental units)
    "softmax": 3, "logsoftmax": 3,  # exp, the sum, a division (or a subtraction of the log)
}


# --- Operations ----------------------------------------------------------------------------

Ops = tuple[int, int, list[str]]  # MACs, FLOPs, and their working


def _dims(shape: list[int] | None) -> str:
    return "·".join(number(d) for d in shape or [0])


def _conv_ops(layer: ir.Conv, row: LayerReport) -> Ops:
    # MACs = H_out·W_out·K·(F_h·F_w·C_in/groups); FLOPs = 2·MACs + H_out·W_out·K bias adds
    out = prod(row.output_shape or [])
    depth = (row.input_shape or [0])[-1] // layer.groups
    macs = out * layer.kernel[0] * layer.kernel[1] * depth
    bias = out if layer.bias else 0
    flops = 2 * macs + bias
    return macs, flops, [
        f"MACs: {_dims(row.output_shape)} outputs, {layer.kernel[0]}·{layer.kernel[1]}·"
        f"{number(depth)} each = {number(macs)}",
        f"FLOPs: 2·{number(macs)}" + (f" + {number(bias)} bias additions" if bias else "")
        + f" = {number(flops)}"]


def _dense_ops(layer: ir.Dense, row: LayerReport) -> Ops:
    # MACs = N_in·N_out; FLOPs = 2·MACs + N_out bias adds
    n_in, n_out = (row.input_shape or [0])[0], layer.units
    macs, bias = n_in * n_out, n_out if layer.bias else 0
    return macs, 2 * macs + bias, [
        f"MACs: {number(n_in)}·{number(n_out)} = {number(macs)}",
        f"FLOPs: 2·{number(macs)}" + (f" + {number(bias)} bias additions" if bias else "")
        + f" = {number(2 * macs + bias)}"]


def _pool_ops(layer: ir.Pool, row: LayerReport) -> Ops:
    # F_h·F_w − 1 comparisons (max) or additions, plus one division (average), per output
    window = layer.kernel[0] * layer.kernel[1]
    out = prod(row.output_shape or [])
    if layer.kind == "maxpool":
        each = f"{layer.kernel[0]}·{layer.kernel[1]} − 1 comparisons"
        flops = out * (window - 1)
    else:
        each = f"{layer.kernel[0]}·{layer.kernel[1]} − 1 additions and a division"
        flops = out * window
    return 0, flops, [f"FLOPs: {_dims(row.output_shape)} outputs, {each} each = "
                      f"{number(flops)}"]


def _global_ops(layer: ir.GlobalPool | ir.AdaptivePool, row: LayerReport) -> Ops:
    # every input element is compared or added once (H·W − 1 per window), plus one division
    # per output for averages
    inputs, outputs = prod(row.input_shape or []), prod(row.output_shape or [])
    average = layer.kind in ("gap", "adaptiveavgpool")
    flops = inputs - outputs + (outputs if average else 0)
    division = f" + {number(outputs)} divisions" if average else ""
    return 0, flops, [f"FLOPs: {_dims(row.input_shape)} inputs − {number(outputs)} outputs"
                      f"{division} = {number(flops)}"]


def _batchnorm_ops(layer: ir.BatchNorm, row: LayerReport) -> Ops:
    # inference: (x − mean)/std·γ + β folds into one multiply and one add per element
    flops = 2 * prod(row.output_shape or [])
    return 0, flops, [f"FLOPs: 2·{_dims(row.output_shape)} (a multiply and an add each) = "
                      f"{number(flops)}"]


def _activation_ops(layer: ir.Activation, row: LayerReport) -> Ops:
    # one operation per element (three for softmax and log-softmax)
    each = _ELEMENTWISE_FLOPS.get(layer.function, 1)
    flops = each * prod(row.output_shape or [])
    return 0, flops, [f"FLOPs: {each}·{_dims(row.output_shape)} = {number(flops)}"]


def _free(layer: ir.LayerBase, row: LayerReport) -> Ops:
    # 0: flatten and identity move no numbers; dropout is the identity at inference
    return 0, 0, []


OPERATION_RULES: dict[type, Callable[[Any, LayerReport], Ops]] = {
    ir.Conv: _conv_ops, ir.Dense: _dense_ops, ir.Pool: _pool_ops,
    ir.GlobalPool: _global_ops, ir.AdaptivePool: _global_ops, ir.BatchNorm: _batchnorm_ops,
    ir.Activation: _activation_ops, ir.Flatten: _free, ir.Identity: _free, ir.Dropout: _free,
    ir.Invalid: _free,
}


# --- Receptive fields ----------------------------------------------------------------------

@dataclass(frozen=True)
class _Reach:
    """How a layer (or a run of layers) maps fields along one axis, for an input jump j:
    j' = j·m, r' = r + a·j, left' = left + b·j (left: the first field's first pixel)."""

    m: int = 1
    a: int = 0
    b: int = 0

    def then(self, other: _Reach) -> _Reach:
        return _Reach(self.m * other.m, self.a + other.a * self.m, self.b + other.b * self.m)

    def times(self, count: int) -> _Reach | None:
        """The same layers `count` times over; None when the jump would grow without bound."""
        if self.m == 1:
            return _Reach(1, self.a * count, self.b * count)
        if count > 64:
            return None  # a jump multiplied more than 64 times is past any real image
        reach = _Reach()
        for _ in range(count):
            reach = reach.then(self)
        return reach


_GLOBAL = None  # a layer after which every unit sees the whole input
Reach = tuple[_Reach, _Reach] | None


def _union(paths: list[Reach]) -> Reach:
    """Parallel paths (a residual's body and shortcut, a concat's branches): the field is the
    union of theirs. Their jumps agree whenever their outputs line up."""
    if any(path is None for path in paths):
        return _GLOBAL
    axes = []
    for axis in (0, 1):
        reaches = [path[axis] for path in paths if path is not None]
        left = min(r.b for r in reaches)
        right = max(r.b + r.a for r in reaches)
        axes.append(_Reach(max(r.m for r in reaches), right - left, left))
    return axes[0], axes[1]


def _leaf_reach(row: LayerReport) -> Reach:
    layer = row.layer
    if isinstance(layer, ir.Conv | ir.Pool):
        top, _, left, _ = row.padding or [0, 0, 0, 0]
        dilation = layer.dilation if isinstance(layer, ir.Conv) else (1, 1)
        return tuple(  # type: ignore[return-value]
            _Reach(layer.stride[i], dilation[i] * (layer.kernel[i] - 1), -pad)
            for i, pad in ((0, top), (1, left)))
    if isinstance(layer, ir.AdaptivePool) and row.input_shape and row.output_shape:
        sizes = list(zip(row.input_shape[:2], row.output_shape[:2], strict=True))
        if all(size % out == 0 for size, out in sizes):  # then it is an ordinary pool
            return (_Reach(sizes[0][0] // sizes[0][1], sizes[0][0] // sizes[0][1] - 1, 0),
                    _Reach(sizes[1][0] // sizes[1][1], sizes[1][0] // sizes[1][1] - 1, 0))
        return _GLOBAL
    if isinstance(layer, ir.GlobalPool | ir.Flatten | ir.Dense) or row.output_shape is None:
        return _GLOBAL
    return _Reach(), _Reach()


def _then(before: Reach, after: Reach) -> Reach:
    if before is None or after is None:
        return _GLOBAL
    return before[0].then(after[0]), before[1].then(after[1])


def _field_working(before: Reach, own: Reach) -> list[str]:
    """`Receptive field: 19 + (5 − 1)·8 = 51 pixels, jump 8·1 = 8`, for a window layer."""
    if before is None or own is None or own == _IDENTITY:
        return [] if before is None or own is not None else [
            "Receptive field: the whole input (each output mixes every input value)"]
    lines = []
    for name, was, this in zip(("height", "width"), before, own, strict=True):
        size = was.a + 1
        lines.append(f"{size} + ({this.a + 1} − 1)·{was.m} = {size + this.a * was.m} pixels, "
                     f"jump {was.m}·{this.m} = {was.m * this.m}")
        if name == "height" and before[0] == before[1] and own[0] == own[1]:
            return [f"Receptive field: {lines[0]}"]
    return [f"Receptive field ({name}): {line}" for name, line in zip(("height", "width"),
                                                                       lines, strict=True)]


def _field(reach: Reach) -> list[ReceptiveField] | None:
    if reach is None:
        return None
    fields = []
    for axis in reach:
        size = axis.a + 1
        fields.append(ReceptiveField(size=size, jump=axis.m,
                                     start=float(Fraction(axis.b) + Fraction(axis.a, 2))))
    return fields


# --- The pass ------------------------------------------------------------------------------

_IDENTITY: Reach = (_Reach(), _Reach())


def _times(reach: Reach, count: int) -> Reach:
    if reach is None:
        return _GLOBAL
    height, width = reach[0].times(count), reach[1].times(count)
    return _GLOBAL if height is None or width is None else (height, width)


class _Costs:
    """Fills in every row's cost, working out each row's own reach and composing them."""

    def rows(self, rows: list[LayerReport], before: Reach) -> tuple[Reach, int, int]:
        """The rows' reach together (from their input), and their MACs and FLOPs."""
        own: Reach = _IDENTITY
        macs = flops = 0
        for row in rows:
            reach, row_macs, row_flops = self.row(row, _then(before, own))
            own = _then(own, reach)
            macs += row_macs * row.count
            flops += row_flops * row.count
        return own, macs, flops

    def row(self, row: LayerReport, before: Reach) -> tuple[Reach, int, int]:
        """One row's own reach, MACs and FLOPs (of one copy); `before` is the reach of
        everything ahead of it, for its receptive field."""
        working: list[str] = []
        if row.layer is not None:
            known = row.input_shape is not None and row.output_shape is not None
            macs, flops, working = (OPERATION_RULES[type(row.layer)](row.layer, row) if known
                                    else (0, 0, []))
            own = _leaf_reach(row) if known else _GLOBAL
            working += _field_working(before, own)
        elif row.kind in ("residual", "concat"):
            paths: list[Reach] = []
            macs = flops = 0
            for child in row.children:
                path, child_macs, child_flops = self.rows([child], before)
                paths.append(path)
                macs, flops = macs + child_macs, flops + child_flops
            if row.kind == "residual":
                if len(paths) == 1:
                    paths.append(_IDENTITY)  # the input itself is the shortcut
                flops += prod(row.output_shape or [0])  # the element-wise sum
            own = _union(paths)
        else:  # a block, a repeat, a sequence: its rows in order
            own, macs, flops = self.rows(row.children, before)
        total = _times(own, row.count) if row.count > 1 else own
        row.cost = LayerCost(macs=macs, flops=flops, activations=prod(row.output_shape or [0]),
                             receptive_field=_field(_then(before, total)), working=working)
        return total, macs, flops


def add_costs(report: SpecReport) -> SpecReport:
    """Fill in `cost` on every row and the MAC and FLOP totals; returns the report."""
    _, macs, flops = _Costs().rows(report.layers, _IDENTITY)
    report.totals.macs, report.totals.flops = macs, flops
    return report


DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "float64": 8}
OPTIMIZER_STATE = {"adam": 2, "adamw": 2, "sgd-momentum": 1, "sgd": 0}  # numbers per weight


def _activations(rows: list[LayerReport]) -> int:
    """Elements of every layer's output (compounds through their layers), per example."""
    total = 0
    for row in rows:
        inner = (row.cost.activations if row.cost else 0) if row.layer is not None else \
            _activations(row.children)
        total += inner * row.count
    return total


def memory_estimate(report: SpecReport, batch: int = 1, dtype: str = "float32",
                    optimizer: str = "adam") -> MemoryEstimate:
    """Parameter, activation and training memory for a batch size and number type."""
    size = DTYPE_BYTES[dtype]
    activations = (prod(report.input_shape or [0]) + _activations(report.layers)) * batch * size
    weights = report.totals.params * size
    gradients = report.totals.trainable * size
    state = OPTIMIZER_STATE[optimizer] * report.totals.trainable * size
    return MemoryEstimate(batch=batch, dtype=dtype, bytes_per_element=size, optimizer=optimizer,
                          parameter_bytes=weights, activation_bytes=activations,
                          gradient_bytes=gradients, optimizer_bytes=state,
                          training_bytes=weights + gradients + state + activations)
