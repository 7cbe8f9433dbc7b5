"""Sliding-window arithmetic on one spatial axis, exact, with its working written out.

The output size of a convolution or pooling window along an axis of size W is
(W − F_eff + 2·P)/S + 1 with F_eff = D·(F − 1) + 1. PyTorch (and Keras) floor a division that
is not exact; `ceil` mode rounds up, as PyTorch's pooling does, except that a window may not
start inside the right-hand padding. `same` padding gives ⌈W/S⌉, padding split as Keras does it
(the odd pixel after).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction


def number(value: int) -> str:
    """An integer as the lecture writes it: 34,944."""
    return f"{value:,}".replace("-", "−")


def fraction(value: Fraction) -> str:
    """An exact rational: 54.25, or 18.33… where it does not end."""
    if value.denominator == 1:
        return number(value.numerator)
    shown = f"{float(value):,.4f}".rstrip("0").rstrip(".")
    exact = Fraction(shown.replace(",", "")) == value
    return shown.replace("-", "−") + ("" if exact else "…")


@dataclass(frozen=True)
class WindowAxis:
    """One axis of a conv or pooling layer: its input, hyperparameters and output."""

    size: int
    kernel: int
    stride: int
    pad_before: int
    pad_after: int
    dilation: int
    ceil: bool
    same: bool
    output: int  # 0 or less: not even one window fits

    @property
    def effective_kernel(self) -> int:
        return self.dilation * (self.kernel - 1) + 1

    @property
    def covered(self) -> int:
        """W + padding − F_eff: the distance the window travels."""
        return self.size + self.pad_before + self.pad_after - self.effective_kernel

    @property
    def exact(self) -> Fraction:
        return Fraction(self.covered, self.stride) + 1

    @property
    def fits(self) -> bool:
        """At least one window: PyTorch refuses a layer whose output would be empty."""
        return self.output >= 1

    @property
    def dropped(self) -> int:
        """Input rows (or columns) past the last window, lost to flooring."""
        return self.covered % self.stride if not (self.ceil or self.same) else 0

    @property
    def lost(self) -> int:
        """Of the rows dropped, those that are input rather than padding."""
        return max(0, self.dropped - self.pad_after)

    def kernel_working(self) -> str | None:
        if self.dilation == 1:
            return None
        return (f"{self.dilation}·({self.kernel} − 1) + 1 = {self.effective_kernel} "
                f"(effective kernel with dilation {self.dilation})")

    def working(self) -> str:
        """The arithmetic, as in `(227 − 11 + 2·0)/4 + 1 = 55`."""
        if self.same:
            pads = (f"padding {self.pad_before} before and {self.pad_after} after"
                    if self.pad_before != self.pad_after
                    else f"padding {self.pad_before} on each side")
            return f"⌈{number(self.size)}/{self.stride}⌉ = {number(self.output)} (same: {pads})"
        if self.pad_before == self.pad_after:
            padded = f"{number(self.size)} − {self.effective_kernel} + 2·{self.pad_before}"
        else:
            padded = (f"{number(self.size)} − {self.effective_kernel} + {self.pad_before} + "
                      f"{self.pad_after}")
        text = f"({padded})/{self.stride} + 1 = {fraction(self.exact)}"
        if self.fits and self.output != self.exact:
            if not self.ceil:
                how = "floored"
            elif self.output == _ceil_out(self):
                how = "rounded up: ceil mode"
            else:
                how = "ceil mode, less the window that would start in the padding"
            text += f" → {number(self.output)} ({how})"
        return text


def _ceil_out(axis: WindowAxis) -> int:
    return -(-axis.covered // axis.stride) + 1


def window_axis(size: int, kernel: int, stride: int, padding: int | None, dilation: int = 1,
                ceil: bool = False) -> WindowAxis:
    """The output of a window along one axis; padding None means `same`."""
    effective = dilation * (kernel - 1) + 1
    if padding is None:
        output = -(-size // stride)
        total = max((output - 1) * stride + effective - size, 0)
        before = total // 2
        return WindowAxis(size, kernel, stride, before, total - before, dilation, ceil, True,
                          output)
    covered = size + 2 * padding - effective
    if ceil:
        output = -(-covered // stride) + 1
        # PyTorch: the last pooling window must start inside the input or the left padding.
        if (output - 1) * stride >= size + padding:
            output -= 1
    else:
        output = covered // stride + 1
    return WindowAxis(size, kernel, stride, padding, padding, dilation, ceil, False, output)
