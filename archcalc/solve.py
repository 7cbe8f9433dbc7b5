"""Which input sizes a network takes, which of them divide exactly everywhere, and which
padding or stride makes one layer reach a size.

Heights and widths are independent: each axis is walked through the spec on its own, with
plain integers, so trying a thousand sizes costs about as much as checking the spec a few
times.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from archcalc import ir
from archcalc.geometry import window_axis

MAX_TIMES = 10_000  # a repeat that still changes the size after this many times is given up


@dataclass(frozen=True)
class AxisResult:
    size: int | None  # None: the network refuses this input size
    exact: bool  # every division along the way was whole


def _window(layer: ir.Conv | ir.Pool, size: int, axis: int) -> AxisResult:
    padding = None if layer.padding == "same" else layer.padding[axis]
    dilation = layer.dilation[axis] if isinstance(layer, ir.Conv) else 1
    ceil = isinstance(layer, ir.Pool) and layer.ceil
    result = window_axis(size, layer.kernel[axis], layer.stride[axis], padding, dilation, ceil)
    if not result.fits:
        return AxisResult(None, False)
    return AxisResult(result.output, not result.dropped)  # as W300 and N300 judge it


def walk(items: list[ir.Item], size: int, axis: int) -> AxisResult:
    """The size along one axis after these items, for an input of `size`."""
    exact = True
    for item in items:
        result = _item(item, size, axis)
        if result.size is None:
            return result
        size, exact = result.size, exact and result.exact
    return AxisResult(size, exact)


def _item(item: ir.Item, size: int, axis: int) -> AxisResult:
    if isinstance(item, ir.Conv | ir.Pool):
        return _window(item, size, axis)
    if isinstance(item, ir.AdaptivePool):
        return AxisResult(item.output[axis], True)
    if isinstance(item, ir.GlobalPool):
        return AxisResult(1, True)
    if isinstance(item, ir.Block):
        return walk(item.body, size, axis)
    if isinstance(item, ir.Residual):
        body = walk(item.body, size, axis)
        other = walk(item.shortcut, size, axis) if item.shortcut else AxisResult(size, True)
        if body.size is None or body.size != other.size:
            return AxisResult(None, False)
        return AxisResult(body.size, body.exact and other.exact)
    if isinstance(item, ir.Concat):
        branches = [walk(branch, size, axis) for branch in item.branches]
        sizes = {branch.size for branch in branches}
        if None in sizes or len(sizes) != 1:
            return AxisResult(None, False)
        return AxisResult(sizes.pop(), all(branch.exact for branch in branches))
    if isinstance(item, ir.Repeat):
        return _repeat(item, size, axis)
    if isinstance(item, ir.Invalid):
        return AxisResult(None, False)
    return AxisResult(size, True)  # elementwise layers; after flatten the size no longer matters


def _repeat(item: ir.Repeat, size: int, axis: int) -> AxisResult:
    exact = True
    for _ in range(min(item.count, MAX_TIMES)):
        result = walk(item.body, size, axis)
        if result.size is None:
            return result
        exact = exact and result.exact
        if result.size == size:
            return AxisResult(size, exact)  # the same from now on
        size = result.size
    if item.count > MAX_TIMES:
        return AxisResult(None, False)
    return AxisResult(size, exact)


@dataclass(frozen=True)
class AxisSolution:
    axis: str  # "height" or "width"
    given: int
    bound: int
    accepted: list[int]  # sizes up to the bound that the network takes
    exact: list[int]  # those for which every division is whole

    def nearest_exact(self) -> tuple[int | None, int | None]:
        """The exact sizes nearest to the given one, below (or equal) and above."""
        below = [s for s in self.exact if s <= self.given]
        above = [s for s in self.exact if s > self.given]
        return (below[-1] if below else None, above[0] if above else None)


def solve_axes(spec: ir.Spec, bound: int) -> list[AxisSolution]:
    """For each axis (one when the spec treats height and width alike): every input size from
    1 to `bound` that the network takes, and those that divide exactly."""
    assert spec.input is not None and len(spec.input.shape) == 3
    solutions = []
    alike = _alike(spec.layers)
    for axis, name in ((0, "height"), (1, "width")):
        if axis == 1 and alike and spec.input.shape[0] == spec.input.shape[1]:
            break
        accepted, exact = [], []
        for size in range(1, bound + 1):
            result = walk(spec.layers, size, axis)
            if result.size is not None:
                accepted.append(size)
                if result.exact:
                    exact.append(size)
        solutions.append(AxisSolution(name if not alike else "height and width",
                                      spec.input.shape[axis], bound, accepted, exact))
    return solutions


def _alike(items: list[ir.Item]) -> bool:
    """True when every window is square, so that both axes give the same answers."""
    for item in items:
        if isinstance(item, ir.Conv | ir.Pool):
            pairs = [item.kernel, item.stride]
            if item.padding != "same":
                pairs.append(item.padding)
            if isinstance(item, ir.Conv):
                pairs.append(item.dilation)
            if any(a != b for a, b in pairs):
                return False
        elif isinstance(item, ir.AdaptivePool) and item.output[0] != item.output[1]:
            return False
        elif isinstance(item, ir.Block | ir.Repeat) and not _alike(item.body):
            return False
        elif isinstance(item, ir.Residual) and not (_alike(item.body)
                                                     and _alike(item.shortcut or [])):
            return False
        elif isinstance(item, ir.Concat) and not all(_alike(b) for b in item.branches):
            return False
    return True


def progressions(values: list[int]) -> list[tuple[int, int, int]]:
    """Sorted values as runs (first, last, step): [3, 7, 11, 12] → [(3, 11, 4), (12, 12, 1)]."""
    runs: list[tuple[int, int, int]] = []
    i = 0
    while i < len(values):
        if i + 1 == len(values):
            runs.append((values[i], values[i], 1))
            break
        step = values[i + 1] - values[i]
        j = i + 1
        while j + 1 < len(values) and values[j + 1] - values[j] == step:
            j += 1
        if j - i >= 2 or step == 1:
            runs.append((values[i], values[j], step))
            i = j + 1
        else:
            runs.append((values[i], values[i], 1))
            i += 1
    return runs


@dataclass(frozen=True)
class TargetOption:
    padding: int
    stride: int
    output: int
    exact: bool


def target_options(layer: ir.Conv | ir.Pool, size: int, target: int,
                   axis: int) -> list[TargetOption]:
    """Paddings and strides that take this layer from `size` to `target` along one axis: exact
    ones first, then ones that floor; fewest changes from the layer as written first."""
    dilation = layer.dilation[axis] if isinstance(layer, ir.Conv) else 1
    effective = dilation * (layer.kernel[axis] - 1) + 1
    options = []
    for stride in range(1, max(size, effective) + 1):
        # Pooling padding may not exceed half the window (PyTorch refuses more).
        most = effective // 2 if isinstance(layer, ir.Pool) else effective - 1
        for padding in range(0, most + 1):
            covered = size + 2 * padding - effective
            if covered < 0:
                continue
            if covered // stride + 1 == target:
                exact = Fraction(covered, stride).denominator == 1
                options.append(TargetOption(padding, stride, target, exact))
    written_stride = layer.stride[axis]
    written_padding = 0 if layer.padding == "same" else layer.padding[axis]
    options.sort(key=lambda o: (not o.exact, o.stride != written_stride,
                                abs(o.padding - written_padding), o.stride))
    return options
