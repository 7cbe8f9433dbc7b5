"""Transfer learning: copy every weight whose layer name and shape match from a trained model
into a structurally similar one, and say layer by layer what was copied and what was not."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from tabulate import tabulate

from archcalc.pytorch.runs import SavedModel


@dataclass
class Transfer:
    layer: str
    status: str  # "transferred", "new" or "skipped"
    why: str


def transfer_weights(model: torch.nn.Module, source: Path) -> list[Transfer]:
    """Copy matching tensors (parameters and running statistics) from a saved model."""
    saved = SavedModel.load(source).weights
    target = model.state_dict()
    layers: dict[str, list[str]] = {}
    for key in target:
        layers.setdefault(key.rsplit(".", 1)[0], []).append(key)
    copied: dict[str, torch.Tensor] = {}
    table = []
    for layer, keys in layers.items():
        present = [k for k in keys if k in saved]
        if not present:
            table.append(Transfer(layer, "new", f"no layer named {layer} in {source.name}"))
            continue
        mismatched = [k for k in present if saved[k].shape != target[k].shape]
        if mismatched:
            key = mismatched[0]
            table.append(Transfer(layer, "skipped", f"{key.rsplit('.', 1)[1]} is "
                                  f"{list(saved[key].shape)} there, {list(target[key].shape)} "
                                  "here"))
            continue
        copied.update({k: saved[k] for k in present})
        table.append(Transfer(layer, "transferred", ", ".join(k.rsplit(".", 1)[1]
                                                              for k in present)))
    model.load_state_dict(copied, strict=False)
    return table


def render_transfers(table: list[Transfer], source: Path) -> str:
    rows = [[t.layer, t.status, t.why] for t in table]
    counts = {s: sum(t.status == s for t in table) for s in ("transferred", "new", "skipped")}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items())
    return (f"Weights from {source}:\n"
            + tabulate(rows, ["Layer", "Weights", "Why"], tablefmt="simple") + f"\n{summary}")
