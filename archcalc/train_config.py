"""Settings of `archcalc train`: flags, or a TOML file validated by pydantic (flags win)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

Augmentation = Literal["flip", "crop", "contrast", "tint"]


class ConfigError(Exception):
    """A settings file that cannot be used; the message says why."""


class TrainConfig(BaseModel):
    """Everything a training run needs besides the spec. Every field has a sensible default."""

    model_config = ConfigDict(extra="forbid")

    data: str = Field("shapes", description="digits, shapes, a folder of class folders, or "
                      "an .npz file with x (N x H x W x C) and y")
    samples: int = Field(2000, ge=20, description="how many images `shapes` draws")
    split: tuple[float, float, float] = Field(
        (0.7, 0.15, 0.15), description="train, validation and test fractions")
    epochs: int = Field(30, ge=1)
    batch_size: int = Field(64, ge=1)
    optimizer: Literal["sgd", "adam", "adamw"] = "adam"
    lr: float = Field(1e-3, gt=0)
    momentum: float = Field(0.9, ge=0, lt=1, description="for sgd")
    weight_decay: float = Field(0.0, ge=0)
    patience: int = Field(5, ge=0, description="epochs without improvement in validation "
                          "loss before stopping; 0 stops at the first rise")
    min_delta: float = Field(0.0, ge=0, description="the least fall in validation loss that "
                             "counts as an improvement")
    normalize: bool = Field(True, description="subtract the training set's per-channel mean "
                            "and divide by its standard deviation")
    augment: list[Augmentation] = Field(default_factory=list)
    seed: int = 0
    device: str = "cpu"
    init_from: Path | None = Field(None, description="a model.safetensors to transfer from")
    freeze: list[str] = Field(default_factory=list,
                              description="layers to freeze: names, or ranges A..B")

    @field_validator("split")
    @classmethod
    def _fractions(cls, split: tuple[float, float, float]) -> tuple[float, float, float]:
        if min(split) < 0 or abs(sum(split) - 1) > 1e-6 or split[0] == 0 or split[1] == 0:
            raise ValueError("train, validation and test fractions must be >= 0, sum to 1, "
                             "and give training and validation some data")
        return split


def load_config(path: Path | None, overrides: dict[str, object]) -> TrainConfig:
    """The settings from a TOML file (if any), with flags given on the command line on top."""
    values: dict[str, object] = {}
    if path is not None:
        try:
            values = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return TrainConfig.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}"
                             for e in exc.errors())
        raise ConfigError(f"invalid training settings: {problems}") from None
