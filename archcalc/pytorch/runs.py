"""What a run leaves on disk, written atomically (a temporary file, then a rename), and read
back without pickle: weights in safetensors, with the spec and preprocessing in its metadata."""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from archcalc import __version__


class RunError(Exception):
    """A run folder or weights file that cannot be used; the message says why."""


def atomic_write_text(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def save_tensors(path: Path, tensors: dict[str, torch.Tensor], metadata: dict[str, Any]) -> None:
    """A safetensors file whose metadata values are JSON; written whole or not at all."""
    temporary = path.with_name(f".{path.name}.tmp")
    contiguous = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    save_file(contiguous, str(temporary), {k: json.dumps(v) for k, v in metadata.items()})
    os.replace(temporary, path)


def load_tensors(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    try:
        with safe_open(str(path), framework="pt") as handle:
            tensors = {key: handle.get_tensor(key) for key in handle.keys()}
            raw = handle.metadata() or {}
    except FileNotFoundError:
        raise RunError(f"{path} does not exist") from None
    except (SafetensorError, OSError, ValueError) as exc:
        raise RunError(f"{path} is not a safetensors file: {exc}") from None
    try:
        return tensors, {k: json.loads(v) for k, v in raw.items()}
    except json.JSONDecodeError:
        return tensors, dict(raw)


@dataclass
class SavedModel:
    """A trained model's weights and everything needed to use them."""

    weights: dict[str, torch.Tensor]
    spec: str
    mean: list[float]
    std: list[float]
    class_names: list[str]
    input_shape: list[int]

    def save(self, path: Path) -> None:
        save_tensors(path, self.weights, {
            "format": "archcalc-model", "archcalc_version": __version__, "spec": self.spec,
            "normalization": {"mean": self.mean, "std": self.std},
            "class_names": self.class_names, "input_shape": self.input_shape})

    @classmethod
    def load(cls, path: Path) -> SavedModel:
        if path.is_dir():
            path = path / "model.safetensors"
        weights, metadata = load_tensors(path)
        if metadata.get("format") != "archcalc-model":
            raise RunError(f"{path} was not written by `archcalc train` (no spec in it)")
        return cls(weights, metadata["spec"], metadata["normalization"]["mean"],
                   metadata["normalization"]["std"], metadata["class_names"],
                   metadata["input_shape"])


def write_history(path: Path, history: list[dict[str, float]]) -> None:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(history[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(history)
    atomic_write_text(path, out.getvalue())


def flatten_optimizer(state: dict[str, Any]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """An optimiser's state_dict as tensors plus JSON, so that it can go into safetensors."""
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, Any] = {}
    for index, values in state["state"].items():
        for key, value in values.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optimizer.{index}.{key}"] = value
            else:
                scalars[f"{index}.{key}"] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def unflatten_optimizer(tensors: dict[str, torch.Tensor], extra: dict[str, Any]) -> dict[str,
                                                                                        Any]:
    state: dict[int, dict[str, Any]] = {}
    for name, value in tensors.items():
        if name.startswith("optimizer."):
            _, index, key = name.split(".", 2)
            state.setdefault(int(index), {})[key] = value
    for name, value in extra["scalars"].items():
        index, key = name.split(".", 1)
        state.setdefault(int(index), {})[key] = value
    return {"state": state, "param_groups": extra["param_groups"]}
