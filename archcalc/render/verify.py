"""The table `archcalc verify` prints: static numbers beside PyTorch's, with ✓ or ✗."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tabulate import tabulate

from archcalc.geometry import number
from archcalc.rules import shape_text

if TYPE_CHECKING:  # only the type: rendering must not import torch
    from archcalc.pytorch.verification import VerifyReport


def render_verify(result: VerifyReport) -> str:
    if not result.layers:
        return f"{result.source}: no layers to verify"
    rows = []
    for layer in result.layers:
        torch_params = number(layer.torch_trainable + layer.torch_non_trainable)
        rows.append([layer.name, layer.description, shape_text(tuple(layer.static_shape)),
                     shape_text(tuple(layer.torch_shape)),
                     number(layer.static_trainable + layer.static_non_trainable), torch_params,
                     "✓" if layer.ok else "✗"])
    table = tabulate(rows, ["Layer", "Kind", "Output shape", "PyTorch", "Param #", "PyTorch",
                            ""], tablefmt="simple", disable_numparse=True,
                     colalign=("left", "left", "left", "left", "right", "right", "left"))
    mismatches = sum(not layer.ok for layer in result.layers)
    verdict = (f"all {len(result.layers)} layers match PyTorch" if result.ok else
               f"{mismatches} of {len(result.layers)} layers differ from PyTorch")
    totals = (f"Total params: {number(result.static_total)} (PyTorch: "
              f"{number(result.torch_total)}, parameters and running statistics)")
    return f"{result.source} (forward pass on {result.device})\n\n{table}\n\n{totals}\n{verdict}"
