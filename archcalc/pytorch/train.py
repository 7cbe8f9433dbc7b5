"""`archcalc train`: the compiled model trained with the lecture's practice.

Normalisation from training-set statistics, augmentation on the training split, dropout as the
spec places it, softmax + cross-entropy computed on logits, early stopping on validation loss
with the best weights restored, and transfer learning from an earlier run. Every epoch ends in
a checkpoint, so a killed run resumes where it stopped. Under torchrun each process trains on
its own shard (DistributedDataParallel) and only rank 0 writes.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from archcalc.analysis import analyze
from archcalc.freezing import freeze
from archcalc.parser import parse
from archcalc.pytorch.augment import augment
from archcalc.pytorch.data import (
    Dataset,
    channel_statistics,
    load_data,
    stratified_split,
)
from archcalc.pytorch.model import ArchModel, to_torch
from archcalc.pytorch.runs import (
    SavedModel,
    atomic_write_text,
    flatten_optimizer,
    load_tensors,
    save_tensors,
    unflatten_optimizer,
    write_history,
)
from archcalc.pytorch.transfer import render_transfers, transfer_weights
from archcalc.report import SpecReport
from archcalc.train_config import TrainConfig


class TrainingError(Exception):
    """Training that cannot start or cannot go on; the message says why."""


@dataclass
class Progress:
    """What early stopping and resuming need to know after each epoch."""

    history: list[dict[str, float]] = field(default_factory=list)
    best_loss: float = math.inf
    best_epoch: int = 0
    waited: int = 0  # epochs since the validation loss last improved
    stopped_epoch: int | None = None


def _silent(*args: Any, **kwargs: Any) -> None:
    """Prints nothing: what processes other than rank 0 say."""


class _Logits(nn.Module):
    """The model's logits as its forward, so that DistributedDataParallel sees them."""

    def __init__(self, model: ArchModel) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.logits(x)


def _world() -> tuple[int, int]:
    """(rank, world size) under torchrun; (0, 1) otherwise."""
    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return (dist.get_rank(), size) if size > 1 else (0, 1)


def _device(name: str) -> torch.device:
    try:
        device = torch.device(name)
    except RuntimeError as exc:
        raise TrainingError(f"--device {name}: {exc}") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise TrainingError(f"--device {name}: CUDA is not available here; use --device cpu")
    return device


def _optimizer(config: TrainConfig, model: nn.Module) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]  # frozen layers are left out
    if not params:
        raise TrainingError("every layer is frozen: there is nothing to train")
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum,
                               weight_decay=config.weight_decay)
    cls = torch.optim.Adam if config.optimizer == "adam" else torch.optim.AdamW
    return cls(params, lr=config.lr, weight_decay=config.weight_decay)


def _prepare(report: SpecReport, data: Dataset) -> int:
    """Check that the spec can classify this data; returns the number of classes."""
    out = report.output_shape or report.input_shape or []
    if len(out) != 1 or not report.layers:
        raise TrainingError(f"the spec's output is {'x'.join(map(str, out))}; a classifier "
                            "ends in `fc N` (N classes), optionally followed by softmax")
    if out[0] != len(data.class_names):
        raise TrainingError(f"the spec ends in {out[0]} outputs but the data has "
                            f"{len(data.class_names)} classes; make the last layer "
                            f"`fc {len(data.class_names)}`")
    final = report.layers[-1].layer if report.layers else None
    last = final.kind if final is not None else ""
    if last == "activation" and report.layers[-1].kind not in ("softmax", "logsoftmax"):
        raise TrainingError(f"the spec ends in {report.layers[-1].kind}; cross-entropy needs "
                            "the scores of the last `fc` (a final softmax is fine)")
    return out[0]


class Batches:
    """Float, augmented, normalised batches from uint8 images, one shuffle per epoch."""

    def __init__(self, data: Dataset, mean: list[float], std: list[float], config: TrainConfig,
                 device: torch.device) -> None:
        self.data, self.config, self.device = data, config, device
        shape = (1, -1, 1, 1) if data.images.dim() == 4 else (1, -1)
        self.mean = torch.tensor(mean, device=device).view(shape)
        self.std = torch.tensor(std, device=device).view(shape)

    def __call__(self, index: torch.Tensor, generator: torch.Generator | None,
                 augmented: bool) -> tuple[torch.Tensor, torch.Tensor]:
        images = self.data.images[index].to(self.device).float() / 255
        if augmented and self.config.augment and generator is not None and images.dim() == 4:
            images = augment(images, self.config.augment, generator)
        return (images - self.mean) / self.std, self.data.labels[index].to(self.device)


def _evaluate(model: ArchModel, batches: Batches, index: torch.Tensor,
              batch_size: int) -> tuple[float, float]:
    """Mean cross-entropy and accuracy over a split, in evaluation mode (dropout off)."""
    model.eval()
    total_loss, correct = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(index), batch_size):
            x, y = batches(index[start:start + batch_size], None, augmented=False)
            logits = model.logits(x)
            total_loss += F.cross_entropy(logits, y, reduction="sum").item()
            correct += int((logits.argmax(dim=1) == y).sum())
    return total_loss / len(index), correct / len(index)


def _bar(total: int, label: str) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=label, unit="batch", leave=False,
                disable=not sys.stderr.isatty())


def _train_epoch(learner: nn.Module, optimizer: torch.optim.Optimizer, batches: Batches,
                 order: torch.Tensor, generator: torch.Generator, epoch: int,
                 config: TrainConfig) -> tuple[float, float]:
    """One pass over the (shuffled) training shard; mean loss and accuracy seen on the way."""
    seen, loss_sum, correct = 0, 0.0, 0
    batch = config.batch_size
    with _bar(math.ceil(len(order) / batch), f"epoch {epoch}") as bar:
        for start in range(0, len(order), batch):
            x, y = batches(order[start:start + batch], generator, augmented=True)
            logits = learner(x)
            loss = F.cross_entropy(logits, y)  # softmax + cross-entropy, on the logits
            if not torch.isfinite(loss):
                raise TrainingError(
                    f"the loss became {loss.item()} at epoch {epoch}: training diverged; "
                    f"try a lower learning rate than --lr {config.lr:g}")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()  # type: ignore[no-untyped-call]
            optimizer.step()
            seen += len(y)
            loss_sum += loss.item() * len(y)
            correct += int((logits.argmax(dim=1) == y).sum())
            bar.update(1)
    return loss_sum / seen, correct / seen


@dataclass
class RunResult:
    run_dir: Path
    epochs_run: int
    best_epoch: int
    stopped_epoch: int | None
    val_accuracy: float
    test_accuracy: float | None
    history: list[dict[str, float]]
    model: ArchModel  # with the best epoch's weights


def train(spec_text: str, config: TrainConfig, run_dir: Path, *, resume: bool = False,
          spec_name: str = "<spec>", echo: Any = print) -> RunResult:
    """Train the spec's model on the configured data; the run's files go into run_dir."""
    spec = parse(spec_text, spec_name)
    if config.freeze:
        spec = freeze(spec, config.freeze)
    report = analyze(spec)
    if report.network_errors:
        raise TrainingError(f"{spec_name} has errors; `archcalc check` shows them")
    rank, world = _world()
    if rank != 0:
        echo = _silent  # one process speaks for all
    device = _device(config.device)
    if config.augment and len(report.input_shape or []) != 3:
        raise TrainingError(f"augmentation ({', '.join(config.augment)}) needs an image input; "
                            "the spec's input is a flat vector")
    data = load_data(config.data, report.input_shape or [], samples=config.samples,
                     seed=config.seed)
    _prepare(report, data)
    train_index, val_index, test_index = stratified_split(data.labels, config.split, config.seed)
    channels = data.images.shape[1] if data.images.dim() == 4 else 1
    mean, std = [0.0] * channels, [1.0] * channels
    if config.normalize:  # statistics of the training split only, applied to every split
        mean, std = channel_statistics(data.images[train_index])
    batches = Batches(data, mean, std, config, device)
    echo(_practice(config, data, (train_index, val_index, test_index), mean, std))

    torch.manual_seed(config.seed)
    model = to_torch(report).to(device)
    if config.init_from is not None and not resume:
        echo(render_transfers(transfer_weights(model, config.init_from), config.init_from))
    learner: nn.Module = _Logits(model)
    if world > 1:
        learner = nn.parallel.DistributedDataParallel(learner)
    optimizer = _optimizer(config, model)

    checkpoint = run_dir / "checkpoint.safetensors"
    progress = Progress()
    best_state = {k: v.clone() for k, v in model.state_dict().items()}
    if resume and checkpoint.exists():
        progress, best_state = _restore(checkpoint, model, optimizer)
        echo(f"resuming {run_dir} after epoch {len(progress.history)}")

    shard = train_index[rank::world]  # each process trains on its own share
    batch = config.batch_size
    started = len(progress.history) + 1
    for epoch in range(started, config.epochs + 1):
        if progress.stopped_epoch is not None:
            break
        began = time.perf_counter()
        # Seeds depend on the epoch alone, so a resumed run draws what an unbroken one would.
        torch.manual_seed(config.seed * 100_003 + epoch)
        generator = torch.Generator().manual_seed(config.seed * 100_003 + epoch)
        order = shard[torch.randperm(len(shard), generator=generator)]
        model.train()
        train_loss, train_accuracy = _train_epoch(learner, optimizer, batches, order, generator,
                                                  epoch, config)
        if world > 1:
            # DDP keeps the weights in step, but each process updates its own batch-norm
            # statistics; rank 0's go to all, so that every process evaluates (and so stops)
            # alike and ends identical.
            for buffer in model.buffers():
                dist.broadcast(buffer, src=0)
        val_loss, val_accuracy = _evaluate(model, batches, val_index, batch)
        row = {"epoch": epoch, "train_loss": train_loss, "train_accuracy": train_accuracy,
               "val_loss": val_loss, "val_accuracy": val_accuracy,
               "seconds": time.perf_counter() - began}
        progress.history.append(row)
        improved = val_loss < progress.best_loss - config.min_delta
        if improved:
            progress.best_loss, progress.best_epoch, progress.waited = val_loss, epoch, 0
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            progress.waited += 1
            # patience 0 stops at the first epoch whose validation loss does not fall
            if progress.waited >= max(1, config.patience):
                progress.stopped_epoch = epoch
        echo(f"epoch {epoch:>3}/{config.epochs}  train loss {row['train_loss']:.4f} "
             f"acc {row['train_accuracy']:6.1%}  val loss {val_loss:.4f} acc {val_accuracy:6.1%}"
             f"  {row['seconds']:.1f} s" + ("  *best" if improved else "")
             + (f"  early stop: no improvement for {progress.waited} epoch"
                f"{'s' * (progress.waited != 1)}" if progress.stopped_epoch == epoch else ""))
        if rank == 0:  # the run folder appears with the first completed epoch
            if not run_dir.exists():
                run_dir.mkdir(parents=True)
                atomic_write_text(run_dir / "config.json", config.model_dump_json(indent=2))
                atomic_write_text(run_dir / "spec.arch", spec_text)
            _checkpoint(checkpoint, model, optimizer, progress, best_state)

    model.load_state_dict(best_state)  # early stopping keeps the best epoch's weights
    val_loss, val_accuracy = _evaluate(model, batches, val_index, batch)
    test_accuracy = (_evaluate(model, batches, test_index, batch)[1] if len(test_index)
                     else None)
    if rank == 0:
        _finish(run_dir, spec_text, spec_name, report, data, model, mean, std, progress,
                val_accuracy, test_accuracy, config)
    if world > 1:
        dist.barrier()
    return RunResult(run_dir, len(progress.history), progress.best_epoch, progress.stopped_epoch,
                     val_accuracy, test_accuracy, progress.history, model)


def _practice(config: TrainConfig, data: Dataset, splits: tuple[torch.Tensor, ...],
              mean: list[float], std: list[float]) -> str:
    """What this run does, in the lecture's terms, before it does it."""
    sizes = ", ".join(f"{len(s):,} {n}" for s, n in zip(splits, ("training", "validation",
                                                                  "test"), strict=True))
    normalised = ("off" if not config.normalize else
                  f"mean {' '.join(f'{m:.3f}' for m in mean)}, std "
                  f"{' '.join(f'{s:.3f}' for s in std)} (from the training split)")
    augmented = ", ".join(config.augment) + " (training split only)" if config.augment else "off"
    stopping = (f"patience {config.patience}" if config.patience else "at the first rise")
    return "\n".join([
        f"data: {config.data}, {len(data):,} images of {len(data.class_names)} classes: {sizes}",
        f"normalisation: {normalised}",
        f"augmentation: {augmented}",
        f"early stopping on validation loss: {stopping}; {config.optimizer}, lr {config.lr:g}, "
        f"batch {config.batch_size}, at most {config.epochs} epoch{'s' * (config.epochs != 1)}",
    ])


def _checkpoint(path: Path, model: nn.Module, optimizer: torch.optim.Optimizer,
                progress: Progress, best_state: dict[str, torch.Tensor]) -> None:
    tensors, optimizer_extra = flatten_optimizer(optimizer.state_dict())
    tensors.update({f"model.{k}": v for k, v in model.state_dict().items()})
    tensors.update({f"best.{k}": v for k, v in best_state.items()})
    save_tensors(path, tensors, {"format": "archcalc-checkpoint", "optimizer": optimizer_extra,
                                 "progress": progress.__dict__})


def _restore(path: Path, model: nn.Module, optimizer: torch.optim.Optimizer) -> tuple[
        Progress, dict[str, torch.Tensor]]:
    tensors, metadata = load_tensors(path)
    model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    optimizer.load_state_dict(unflatten_optimizer(tensors, metadata["optimizer"]))
    best = {k[5:]: v for k, v in tensors.items() if k.startswith("best.")}
    return Progress(**metadata["progress"]), best


def _finish(run_dir: Path, spec_text: str, spec_name: str, report: SpecReport, data: Dataset,
            model: ArchModel, mean: list[float], std: list[float], progress: Progress,
            val_accuracy: float, test_accuracy: float | None, config: TrainConfig) -> None:
    from archcalc.plots import learning_curves

    SavedModel(dict(model.state_dict()), spec_text, mean, std, data.class_names,
               report.input_shape or []).save(run_dir / "model.safetensors")
    write_history(run_dir / "history.csv", progress.history)
    summary = {
        "spec": spec_name, "data": config.data, "classes": data.class_names,
        "epochs_run": len(progress.history), "best_epoch": progress.best_epoch,
        "stopped_early_at": progress.stopped_epoch, "best_val_loss": progress.best_loss,
        "val_accuracy": val_accuracy, "test_accuracy": test_accuracy,
        "normalization": {"mean": mean, "std": std}, "augment": config.augment,
        "seconds": sum(row["seconds"] for row in progress.history),
        "history": progress.history,
    }
    atomic_write_text(run_dir / "summary.json", json.dumps(summary, indent=2) + "\n")
    learning_curves(progress.history, progress.best_epoch, progress.stopped_epoch,
                    run_dir / "curves.png")
