"""The train, evaluate and predict commands: arguments in, messages out, errors as exit 1."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from archcalc.freezing import FreezeError
from archcalc.plots import confusion_matrix
from archcalc.pytorch.data import DataError
from archcalc.pytorch.evaluate import evaluate, predict
from archcalc.pytorch.runs import RunError
from archcalc.pytorch.train import TrainingError, train
from archcalc.train_config import ConfigError, load_config

PROBLEMS = (ConfigError, DataError, FreezeError, RunError, TrainingError)


def _run_dir(args: argparse.Namespace) -> Path:
    """runs/NAME; a new run beside an old one of the same name gets NAME-2, NAME-3, ..."""
    name: str = args.name or Path(args.file).stem
    runs: Path = args.runs
    base = runs / name
    if args.resume or not base.exists():
        return base
    number = 2
    while (runs / f"{name}-{number}").exists():
        number += 1
    return runs / f"{name}-{number}"


def _train(args: argparse.Namespace) -> int:
    try:
        spec_text = Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"archcalc: error: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    overrides = {
        "data": args.data, "samples": args.samples, "epochs": args.epochs,
        "batch_size": args.batch_size, "optimizer": args.optimizer, "lr": args.lr,
        "momentum": args.momentum, "weight_decay": args.weight_decay,
        "patience": args.patience, "min_delta": args.min_delta, "normalize": args.normalize,
        "augment": [a.strip() for a in args.augment.split(",") if a.strip()]
        if args.augment is not None else None,
        "seed": args.seed, "device": args.device, "init_from": args.init_from,
        "freeze": args.freeze,
    }
    config = load_config(args.config, overrides)
    run_dir = _run_dir(args)
    if args.resume and not (run_dir / "checkpoint.safetensors").exists():
        raise RunError(f"nothing to resume: {run_dir} has no checkpoint")
    print(f"training {args.file} on {config.data}: run folder {run_dir}")
    result = train(spec_text, config, run_dir, resume=args.resume, spec_name=args.file)
    stop = (f"stopped early at epoch {result.stopped_epoch}" if result.stopped_epoch else
            f"ran all {result.epochs_run} epoch{'s' * (result.epochs_run != 1)}")
    test = (f", test accuracy {result.test_accuracy:.2%}" if result.test_accuracy is not None
            else "")
    print(f"{stop}; kept epoch {result.best_epoch}: validation accuracy "
          f"{result.val_accuracy:.2%}{test}")
    print(f"saved {run_dir}/model.safetensors, history.csv, summary.json, curves.png")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    result = evaluate(args.run, args.data, samples=args.samples, seed=args.seed)
    print(result.render())
    target = args.output or ((args.run if args.run.is_dir() else args.run.parent)
                             / "confusion.png")
    confusion_matrix(result.matrix, result.class_names, target)
    print(f"\nsaved {target}")
    return 0


def _predict(args: argparse.Namespace) -> int:
    for name, probability in predict(args.run, args.image, args.top):
        print(f"{probability:8.2%}  {name}")
    return 0


def _featuremaps(args: argparse.Namespace) -> int:
    from archcalc.plots import feature_map_grid
    from archcalc.pytorch.featuremaps import feature_maps

    result = feature_maps(args.run, args.image)
    target = args.output or Path("featuremaps.png")
    feature_map_grid(result.image, [(f"{layer.path}: {layer.description}", layer.maps)
                                    for layer in result.layers],
                     result.filters, args.channels, target)
    for layer in result.layers:
        channels, height, width = layer.maps.shape
        print(f"{layer.path}: {height}x{width}x{channels}")
    print(f"saved {target}")
    return 0


def run(args: argparse.Namespace) -> int:
    """Run one of the training commands; a problem with the inputs is a message, exit 1."""
    try:
        commands = {"train": _train, "evaluate": _evaluate, "predict": _predict,
                    "featuremaps": _featuremaps}
        return commands[args.command](args)
    except PROBLEMS as exc:
        print(f"archcalc: error: {exc}", file=sys.stderr)
        return 1
