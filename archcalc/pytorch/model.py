"""A checked spec as a torch.nn.Module whose submodules carry the spec's layer names.

Blocks and repeats become nn.Sequential, residual connections `Residual`, branches `Concat`;
a layer inside them is reached by its dotted path, `model.get_submodule("layer2.0.conv1")`.
"""

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
from archcalc.torch_map import Call, ContainerCall, final_softmax, leaf_calls, module_calls

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


class Residual(nn.Module):
    """body(x) + shortcut(x), added element by element; the shortcut is x itself if None."""

    def __init__(self, body: nn.Module, shortcut: nn.Module | None = None) -> None:
        super().__init__()
        self.body = body
        self.shortcut = shortcut

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.body(x)
        return out + (x if self.shortcut is None else self.shortcut(x))


class Concat(nn.Module):
    """Every branch sees the input; their outputs are stacked along the channels."""

    def __init__(self, branches: OrderedDict[str, nn.Module]) -> None:
        super().__init__()
        for name, branch in branches.items():
            self.add_module(name, branch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([branch(x) for branch in self.children()], dim=1)


def instantiate(call: Call) -> nn.Module:
    """The module a call describes, with its children."""
    if not isinstance(call, ContainerCall):
        module: nn.Module = getattr(nn, call.cls)(*call.args, **dict(call.kwargs))
        return module
    children = OrderedDict((child.name, instantiate(child)) for child in call.children)
    if call.cls == "Residual":
        return Residual(children["body"], children.get("shortcut"))
    if call.cls == "Concat":
        return Concat(children)
    return nn.Sequential(children)


class ArchModel(nn.Sequential):
    """The network a spec describes, in order; `model.conv1` is the spec's `conv1`.

    Input is N x C x H x W, as PyTorch expects (N x features for a flat `input`). `forward`
    returns what the spec says, probabilities when it ends in `softmax`; `logits` returns the
    scores before that final softmax, which is what cross-entropy wants.
    """

    def __init__(self, calls: list[Call]) -> None:
        super().__init__(OrderedDict((call.name, instantiate(call)) for call in calls))
        self.ends_in_softmax = final_softmax(calls)
        # Dotted paths of the frozen layers: conv1, or layer2.0.body.conv1 inside blocks.
        self.frozen_layers = [path for path, call in leaf_calls(calls)
                              if call.layer is not None and call.layer.layer is not None
                              and call.layer.layer.frozen]
        for path in self.frozen_layers:
            self.get_submodule(path).requires_grad_(False)
        self.train()

    def train(self, mode: bool = True) -> ArchModel:
        """As nn.Module.train, except that frozen layers stay in evaluation mode: a frozen
        batch norm keeps its running statistics, as Keras does."""
        super().train(mode)
        for path in getattr(self, "frozen_layers", ()):
            self.get_submodule(path).eval()
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
