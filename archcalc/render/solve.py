"""`archcalc solve` as text: the input sizes a network takes, and layer targets."""

from __future__ import annotations

from fractions import Fraction

from archcalc import ir
from archcalc.geometry import fraction, number
from archcalc.solve import AxisSolution, TargetOption, progressions

MAX_RUNS = 6  # runs of sizes listed before the rest is summarised


def _runs(values: list[int]) -> str:
    parts = []
    runs = progressions(values)
    for first, last, step in runs[:MAX_RUNS]:
        if first == last:
            parts.append(number(first))
        elif step == 1:
            parts.append(f"{number(first)} to {number(last)}")
        else:
            parts.append(f"{number(first)} to {number(last)} in steps of {number(step)}")
    if len(runs) > MAX_RUNS:
        shown = sum(1 + (end - start) // step for start, end, step in runs[:MAX_RUNS])
        parts.append(f"and {len(values) - shown} more")
    return ", ".join(parts)


def render_axes(solutions: list[AxisSolution]) -> list[str]:
    lines = []
    for solution in solutions:
        lines.append(f"{solution.axis.capitalize()}, sizes 1 to {number(solution.bound)}:")
        if not solution.accepted:
            lines.append("  no size is accepted: some layer never fits, or branches never "
                         "line up")
            continue
        lines.append(f"  accepted: {_runs(solution.accepted)}")
        if not solution.exact:
            lines.append("  exact everywhere: none (some division always leaves a remainder)")
            continue
        lines.append(f"  exact everywhere: {_runs(solution.exact)}")
        lines.append(f"  smallest exact: {number(solution.exact[0])}")
        if solution.given == 0:  # the spec leaves the size open: nothing to be near
            continue
        below, above = solution.nearest_exact()
        given = number(solution.given)
        if below == solution.given:
            lines.append(f"  the given {given} is exact")
        else:
            near = [f"{number(below)} below" if below else "",
                    f"{number(above)} above" if above else ""]
            lines.append(f"  nearest exact to the given {given}: "
                         + ", ".join(part for part in near if part))
    return lines


def _rewritten(layer: ir.Conv | ir.Pool, option: TargetOption, axes: tuple[int, ...]) -> str:
    """The layer as written with the option's stride and padding on these axes."""
    stride = list(layer.stride)
    padding = [0, 0] if layer.padding == "same" else list(layer.padding)
    for axis in axes:
        stride[axis], padding[axis] = option.stride, option.padding
    return layer.model_copy(update={"stride": tuple(stride),
                                    "padding": tuple(padding)}).describe()


def render_target(path: str, layer: ir.Conv | ir.Pool, sizes: tuple[int, int],
                  targets: tuple[int, int], options: list[list[TargetOption]]) -> list[str]:
    lines = [f"{path}: `{layer.describe()}` from {sizes[0]}x{sizes[1]} to "
             f"{targets[0]}x{targets[1]}:"]
    alike = (sizes[0] == sizes[1] and targets[0] == targets[1] and options[0] == options[1])
    for axis, name in ((0, "height"), (1, "width")):
        if axis == 1 and alike:
            break
        found = options[axis]
        label = "  " + ("" if alike else f"{name}: ")
        if not found:
            lines.append(f"{label}no stride or padding gives {targets[axis]}")
            continue
        for option in found[:4]:
            dilation = layer.dilation[axis] if isinstance(layer, ir.Conv) else 1
            effective = dilation * (layer.kernel[axis] - 1) + 1
            value = Fraction(sizes[axis] - effective + 2 * option.padding, option.stride) + 1
            how = "exact" if option.exact else f"{fraction(value)} floored"
            lines.append(f"{label}`{_rewritten(layer, option, (0, 1) if alike else (axis,))}`: "
                         f"({sizes[axis]} − {effective} + 2·{option.padding})/{option.stride}"
                         f" + 1 = {option.output} ({how})")
    return lines
