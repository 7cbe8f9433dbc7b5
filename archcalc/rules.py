"""What each layer kind does to a shape, and how many parameters it has.

One function per (metric, layer kind), looked up by the IR class, each stating its formula in a
comment. Every function also returns its working, line by line, in the lecture's style; that is
what `--explain` prints and what a wrong homework answer is shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from math import prod
from typing import Any

from archcalc import ir
from archcalc.diagnostics import Diagnostic, error, note, warning
from archcalc.geometry import WindowAxis, number, window_axis

AXES = ("height", "width")


def shape_text(shape: ir.Shape, layout: str = "hwc") -> str:
    """227x227x3 (or 3x227x227 with layout chw); a flat vector is just its length."""
    if layout == "chw" and len(shape) == 3:
        shape = (shape[2], shape[0], shape[1])
    return "x".join(str(d) for d in shape)


@dataclass
class ShapeOutcome:
    output: ir.Shape | None
    working: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    axes: tuple[WindowAxis, WindowAxis] | None = None
    # The input does not suit the layer at all (a conv after flatten, groups that do not
    # divide): its parameters cannot be counted either.
    refused: bool = False

    @property
    def padding(self) -> tuple[int, int, int, int] | None:
        """Resolved padding as (top, bottom, left, right)."""
        if self.axes is None:
            return None
        h, w = self.axes
        return (h.pad_before, h.pad_after, w.pad_before, w.pad_after)


@dataclass
class ParamCount:
    trainable: int
    non_trainable: int = 0
    working: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.trainable + self.non_trainable

    def frozen(self) -> ParamCount:
        """The same count for a frozen layer: nothing in it is trained."""
        line = (f"Frozen: its {number(self.trainable)} trainable parameters are not trained, "
                f"so all {number(self.total)} count as non-trainable")
        return ParamCount(0, self.total, [*self.working, line] if self.trainable else
                          self.working)


def _needs_image(layer: ir.LayerBase, shape: ir.Shape) -> ShapeOutcome | None:
    if len(shape) == 3:
        return None
    return ShapeOutcome(None, refused=True, diagnostics=[error(
        "E301", f"{layer.name} needs an image input (H x W x C), but its input is a flat "
        f"vector of {number(shape[0])}", layer.kind_span,
        help=["an image cannot be recovered after `flatten` or `fc`; move this layer before "
              "them"])])


def _window(layer: ir.Conv | ir.Pool, shape: ir.Shape, what: str) -> ShapeOutcome:
    """Shared by conv and pooling: the two axes, their diagnostics and working."""
    dilation = layer.dilation if isinstance(layer, ir.Conv) else (1, 1)
    ceil = isinstance(layer, ir.Pool) and layer.ceil
    padding = (None, None) if layer.padding == "same" else layer.padding
    axes = tuple(window_axis(shape[i], layer.kernel[i], layer.stride[i], padding[i],
                             dilation[i], ceil) for i in (0, 1))
    outcome = ShapeOutcome(None, axes=(axes[0], axes[1]))
    for axis in axes:
        line = axis.kernel_working()
        if line and line not in outcome.working:
            outcome.working.append(line)
    if axes[0] == axes[1] or (axes[0].working() == axes[1].working()):
        outcome.working.append(f"Output size: {axes[0].working()}")
    else:
        outcome.working += [f"Output {AXES[i]}: {axes[i].working()}" for i in (0, 1)]
    unfit = [AXES[i] for i in (0, 1) if not axes[i].fits]
    if unfit:
        kernel = f"{axes[0].effective_kernel}x{axes[1].effective_kernel}"
        padded = "x".join(str(a.size + a.pad_before + a.pad_after) for a in axes)
        outcome.diagnostics.append(error(
            "E300", f"{layer.name}: the {kernel} {what} does not fit its {padded} "
            f"{'padded ' if any(a.pad_before for a in axes) else ''}input", layer.span,
            notes=[f"{AXES[i]}: {axes[i].working()}" for i in (0, 1) if not axes[i].fits],
            help=["use a smaller kernel, add padding, or remove a pooling layer earlier on"]))
        return outcome
    uneven = [i for i in (0, 1) if axes[i].dropped]
    if uneven:
        outcome.diagnostics.append(_uneven(layer, axes, uneven))
    return outcome


def _uneven(layer: ir.Conv | ir.Pool, axes: tuple[WindowAxis, ...],
            uneven: list[int]) -> Diagnostic:
    """A warning when flooring loses input rows or columns; only a note when what is left
    over is padding alone (as in ResNet's 7x7 stride-2 stem at 224), which loses nothing."""
    names = " and ".join(AXES[i] for i in uneven)
    alike = len(uneven) == 2 and axes[0].working() == axes[1].working()
    # A window narrower than its stride skips input by design (a 1x1 stride-2 projection reads
    # every other row); one more uncovered row at the end changes nothing in kind.
    loses = any(axes[i].lost and axes[i].effective_kernel >= axes[i].stride for i in uneven)
    notes, helps = [], []
    for i in uneven[:1] if alike else uneven:
        axis = axes[i]
        noun = "row and column" if alike else ("row" if i == 0 else "column")
        if not axis.lost:
            notes.append(f"{axis.working()}: PyTorch and Keras floor it; only padding is left "
                         f"over, so no input {noun.replace(' and ', ' or ')} is lost")
            continue
        if axis.effective_kernel < axis.stride:
            notes.append(f"{axis.working()}: PyTorch and Keras floor it; a window of "
                         f"{axis.effective_kernel} with stride {axis.stride} skips input by "
                         "design, so the uncovered last "
                         f"{noun.replace(' and ', ' or ')} is one of many")
            continue
        count = ""
        if axis.lost > 1:
            noun = noun.replace("row", "rows").replace("column", "columns")
            count = f"{axis.lost} "
        verb = "are" if alike or axis.lost > 1 else "is"
        notes.append(f"{axis.working()}: PyTorch and Keras floor it, so the input's last "
                     f"{count}{noun} {verb} never covered by a window")
        down, up = axis.size - axis.dropped, axis.size + axis.stride - axis.dropped
        size = (lambda n: f"{n}x{n}") if alike else number
        side = "an input" if alike else f"an input {AXES[i]}"
        alternatives = size(up) + (f" (or {size(down)})" if down >= axis.effective_kernel else "")
        helps.append(f"{side} of {alternatives} to {layer.name} would divide exactly")
    verb = "are not whole numbers" if len(uneven) == 2 else "is not a whole number"
    message = f"{layer.name}: output {names} {verb}"
    if loses:
        return warning("W300", message, layer.span, notes=notes, help=helps)
    return note("N300", message, layer.span, notes=notes)


def _channels_line(output: ir.Shape, reason: str) -> str:
    return f"Output shape: {shape_text(output)} ({reason})"


# --- Shapes --------------------------------------------------------------------------------

def conv_shape(layer: ir.Conv, shape: ir.Shape) -> ShapeOutcome:
    # (H − F_eff + 2·P)/S + 1 per axis; depth = number of filters
    refused = _needs_image(layer, shape)
    if refused:
        return refused
    channels = shape[2]
    bad = [(what, n) for what, n in (("input channels", channels), ("filters", layer.filters))
           if n % layer.groups]
    if bad:
        what, n = bad[0]
        return ShapeOutcome(None, refused=True, diagnostics=[error(
            "E303", f"{layer.name}: {number(n)} {what} cannot be split into {layer.groups} "
            "groups", layer.arg_span("groups"),
            notes=["each group convolves an equal share of the input channels into an equal "
                   "share of the filters"],
            help=[f"choose groups that divide both {number(channels)} and "
                  f"{number(layer.filters)}"])])
    outcome = _window(layer, shape, "kernel")
    if not outcome.diagnostics or not outcome.diagnostics[0].is_error:
        assert outcome.axes is not None
        h, w = outcome.axes
        outcome.output = (h.output, w.output, layer.filters)
        outcome.working.append(_channels_line(outcome.output, f"{layer.filters} filters"))
    return outcome


def pool_shape(layer: ir.Pool, shape: ir.Shape) -> ShapeOutcome:
    # (H − F + 2·P)/S + 1 per axis (ceil mode rounds up); depth unchanged
    refused = _needs_image(layer, shape)
    if refused:
        return refused
    padding = layer.padding
    if padding != "same" and any(2 * p > k for p, k in zip(padding, layer.kernel, strict=True)):
        return ShapeOutcome(None, refused=True, diagnostics=[error(
            "E304", f"{layer.name}: padding {layer.padding[0]} is more than half the "
            f"{layer.kernel[0]}x{layer.kernel[1]} window", layer.arg_span("padding"),
            notes=["a window lying mostly in the padding would pool padding alone; PyTorch "
                   "refuses it"], help=["use padding of at most half the window"])])
    outcome = _window(layer, shape, "window")
    if not outcome.diagnostics or not outcome.diagnostics[0].is_error:
        assert outcome.axes is not None
        h, w = outcome.axes
        outcome.output = (h.output, w.output, shape[2])
        outcome.working.append(_channels_line(outcome.output, "depth unchanged"))
    return outcome


def adaptive_pool_shape(layer: ir.AdaptivePool, shape: ir.Shape) -> ShapeOutcome:
    # output HxW is given; depth unchanged
    refused = _needs_image(layer, shape)
    if refused:
        return refused
    output = (layer.output[0], layer.output[1], shape[2])
    return ShapeOutcome(output, [f"Adaptive pooling to {layer.output[0]}x{layer.output[1]}, "
                                 f"depth unchanged: {shape_text(output)}"])


def global_pool_shape(layer: ir.GlobalPool, shape: ir.Shape) -> ShapeOutcome:
    # 1x1xC: one value per channel
    refused = _needs_image(layer, shape)
    if refused:
        return refused
    how = "average" if layer.kind == "gap" else "maximum"
    return ShapeOutcome((1, 1, shape[2]), [f"Global {how} of each channel: 1x1x{shape[2]}"])


def flatten_shape(layer: ir.Flatten, shape: ir.Shape) -> ShapeOutcome:
    # H·W·C values
    size = prod(shape)
    if len(shape) == 1:
        return ShapeOutcome(shape, [f"Already flat: {number(size)}"])
    return ShapeOutcome((size,), [f"Flatten: {'·'.join(number(d) for d in shape)} = "
                                  f"{number(size)}"])


def dense_shape(layer: ir.Dense, shape: ir.Shape) -> ShapeOutcome:
    # N_out units
    if len(shape) != 1:
        return ShapeOutcome(None, refused=True, diagnostics=[error(
            "E302", f"{layer.name} needs a flat input, but its input is {shape_text(shape)}",
            layer.kind_span,
            help=[f"add `flatten` before it ({'·'.join(number(d) for d in shape)} = "
                  f"{number(prod(shape))} values)"])])
    return ShapeOutcome((layer.units,), [f"Output: {number(layer.units)} units"])


def same_shape(layer: ir.LayerBase, shape: ir.Shape) -> ShapeOutcome:
    # elementwise: the shape is unchanged
    return ShapeOutcome(shape, [f"Shape unchanged: {shape_text(shape)}"])


def invalid_shape(layer: ir.LayerBase, shape: ir.Shape) -> ShapeOutcome:
    return ShapeOutcome(None)


SHAPE_RULES: dict[type, Callable[[Any, ir.Shape], ShapeOutcome]] = {
    ir.Conv: conv_shape,
    ir.Pool: pool_shape,
    ir.AdaptivePool: adaptive_pool_shape,
    ir.GlobalPool: global_pool_shape,
    ir.Flatten: flatten_shape,
    ir.Dense: dense_shape,
    ir.Activation: same_shape,
    ir.Dropout: same_shape,
    ir.BatchNorm: same_shape,
    ir.Identity: same_shape,
    ir.Invalid: invalid_shape,
}


# --- Parameters ----------------------------------------------------------------------------

def conv_params(layer: ir.Conv, shape: ir.Shape) -> ParamCount:
    # (F_h·F_w·C_in/groups + 1)·K; no +1 without bias
    kh, kw = layer.kernel
    depth = shape[2] // layer.groups
    per_filter = kh * kw * depth
    depth_note = (f" ({number(shape[2])} input channels in {layer.groups} groups)"
                  if layer.groups > 1 else "")
    lines = [f"Weights per filter: {kh}·{kw}·{number(depth)} = {number(per_filter)}{depth_note}"]
    if layer.bias:
        total = (per_filter + 1) * layer.filters
        lines += ["Bias per filter: 1",
                  f"Parameters: ({number(per_filter)} + 1)·{number(layer.filters)} = "
                  f"{number(total)}"]
    else:
        total = per_filter * layer.filters
        lines += ["Bias per filter: 0 (nobias)",
                  f"Parameters: {number(per_filter)}·{number(layer.filters)} = {number(total)}"]
    return ParamCount(total, 0, lines)


def dense_params(layer: ir.Dense, shape: ir.Shape) -> ParamCount:
    # (N_in + 1)·N_out; no +1 without bias
    n_in = shape[0]
    if layer.bias:
        total = (n_in + 1) * layer.units
        line = f"Parameters: ({number(n_in)} + 1)·{number(layer.units)} = {number(total)}"
    else:
        total = n_in * layer.units
        line = f"Parameters: {number(n_in)}·{number(layer.units)} = {number(total)} (nobias)"
    return ParamCount(total, 0, [f"Weights per unit: {number(n_in)}",
                                 f"Bias per unit: {1 if layer.bias else 0}", line])


def batchnorm_params(layer: ir.BatchNorm, shape: ir.Shape) -> ParamCount:
    # 2·C trainable (γ, β) + 2·C non-trainable (running mean and variance)
    channels = shape[-1]
    pair = 2 * channels
    return ParamCount(pair, pair, [
        f"Trainable: γ and β per channel, 2·{number(channels)} = {number(pair)}",
        f"Non-trainable: running mean and variance, 2·{number(channels)} = {number(pair)}",
        f"Parameters: {number(pair)} + {number(pair)} = {number(2 * pair)}",
    ])


_NO_WEIGHTS = {
    ir.Pool: "pooling only takes the {how} of each window",
    ir.AdaptivePool: "pooling only takes the {how} of each window",
    ir.GlobalPool: "pooling only takes the {how} of each channel",
    ir.Flatten: "flattening only reorders values",
    ir.Activation: "an activation is a fixed function",
    ir.Dropout: "dropout only zeroes units at random during training",
    ir.Identity: "identity passes its input on",
}


def no_params(layer: ir.LayerBase, shape: ir.Shape) -> ParamCount:
    # 0: a fixed operation with nothing to learn
    kind = str(getattr(layer, "kind", ""))
    how = "maximum" if kind in ("maxpool", "adaptivemaxpool", "gmp") else "mean"
    return ParamCount(0, 0, [f"Parameters: 0 ({_NO_WEIGHTS[type(layer)].format(how=how)})"])


PARAM_RULES: dict[type, Callable[[Any, ir.Shape], ParamCount]] = {
    ir.Conv: conv_params,
    ir.Dense: dense_params,
    ir.BatchNorm: batchnorm_params,
    **{kind: no_params for kind in _NO_WEIGHTS},
}
