"""A checked spec as a torch.nn.Module whose submodules carry the spec's layer names."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Any

import torch
from torch import nn

from archcalc import ir
from archcalc.analysis import analyze
from archcalc.parser import parse
from archcalc.report import SpecReport
from archcalc.torch_map import ModuleCall, final_softmax, module_calls

SpecLike = str | Path | ir.Spec | SpecReport


def report_of(spec: SpecLike) -> SpecReport:
    """The static report for a spec given as text, a file, a parsed Spec or a report."""
    if isinstance(spec, SpecReport):
        return spec
    if isinstance(spec, ir.Spec):
        return analyze(spec)
    if isinstance(spec, Path):
        return analyze(parse(spec.read_text(encoding="utf-8"), str(spec)))
    return analyze(parse(spec))


def instantiate(call: ModuleCall) -> nn.Module:
    module: nn.Module = getattr(nn, call.cls)(*call.args, **dict(call.kwargs))
    return module


class ArchModel(nn.Sequential):
    """The network a spec describes, in order; `model.conv1` is the spec's `conv1`.

    Input is N x C x H x W, as PyTorch expects (N x features for a flat `input`). `forward`
    returns what the spec says, probabilities when it ends in `softmax`; `logits` returns the
    scores before that final softmax, which is what cross-entropy wants.
    """

    def __init__(self, calls: list[ModuleCall]) -> None:
        super().__init__(OrderedDict((call.name, instantiate(call)) for call in calls))
        self.ends_in_softmax = final_softmax(calls)
        self.frozen_layers = [call.name for call in calls
                              if call.layer is not None and call.layer.layer.frozen]
        for name in self.frozen_layers:
            getattr(self, name).requires_grad_(False)
        self.train()

    def train(self, mode: bool = True) -> ArchModel:
        """As nn.Module.train, except that frozen layers stay in evaluation mode: a frozen
        batch norm keeps its running statistics, as Keras does."""
        super().train(mode)
        for name in getattr(self, "frozen_layers", ()):
            getattr(self, name).eval()
        return self

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """The output before a final softmax (the whole network when there is none)."""
        modules = list(self)
        for module in modules[:-1] if self.ends_in_softmax else modules:
            x = module(x)
        return x


def to_torch(spec: SpecLike, *, device: Any = None, dtype: torch.dtype | None = None) -> ArchModel:
    """Build the PyTorch model of a spec. Raises BackendError for a spec with errors."""
    model = ArchModel(module_calls(report_of(spec)))
    if device is not None or dtype is not None:
        model = model.to(device=device, dtype=dtype)
    return model
