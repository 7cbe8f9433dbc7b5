"""`archcalc train`: the lecture's practice, checked by what a run does and leaves."""

from __future__ import annotations

import csv
import json
import math
import re

import numpy as np
import pytest

from tests.conftest import EXAMPLES, run_cli

torch = pytest.importorskip("torch")
pytest.importorskip("safetensors")
pytest.importorskip("sklearn")

from archcalc.pytorch.data import (  # noqa: E402
    DataError,
    channel_statistics,
    load_data,
    stratified_split,
)
from archcalc.pytorch.evaluate import load_run  # noqa: E402
from archcalc.pytorch.runs import SavedModel  # noqa: E402
from archcalc.pytorch.train import TrainingError, train  # noqa: E402
from archcalc.train_config import TrainConfig  # noqa: E402

# The lecture CNN (section 2), adapted to the 8x8 digits resized to 16x16.
DIGITS_CNN = """input 16x16x1
conv 3 same 16 -> relu -> pool 2
conv 3 same 32 -> relu -> pool 2
flatten -> dropout 0.25
fc 128 -> relu -> dropout 0.25
fc 10 -> softmax
"""
SMALL = "input 12x12x3\nconv 3 same 8 -> bn -> relu -> pool 2\nflatten\nfc 10\n"


def config(**values) -> TrainConfig:
    return TrainConfig(**{"epochs": 3, "samples": 200, **values})


def quiet(*args) -> None:
    pass


def test_the_lecture_cnn_learns_the_digits(tmp_path):
    result = train(DIGITS_CNN, config(data="digits", epochs=15, augment=["crop", "contrast"]),
                   tmp_path / "run", echo=quiet)
    assert result.val_accuracy >= 0.95
    assert result.test_accuracy is not None and result.test_accuracy >= 0.93


def test_a_run_leaves_its_files(tmp_path):
    run = tmp_path / "run"
    result = train(SMALL, config(data="shapes"), run, echo=quiet)
    assert {p.name for p in run.iterdir()} == {
        "model.safetensors", "checkpoint.safetensors", "history.csv", "summary.json",
        "curves.png", "config.json", "spec.arch"}
    rows = list(csv.DictReader((run / "history.csv").open()))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    assert set(rows[0]) == {"epoch", "train_loss", "train_accuracy", "val_loss",
                            "val_accuracy", "seconds"}
    summary = json.loads((run / "summary.json").read_text())
    assert summary["best_epoch"] == result.best_epoch
    assert summary["classes"] == ["disk", "square", "triangle", "ring", "plus", "cross",
                                  "hbar", "vbar", "diamond", "frame"]
    saved = SavedModel.load(run)
    assert saved.spec == SMALL and saved.input_shape == [12, 12, 3]
    assert (run / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_normalisation_uses_the_training_split_only(tmp_path):
    run = tmp_path / "run"
    train(SMALL, config(data="shapes", epochs=1), run, echo=quiet)
    data = load_data("shapes", [12, 12, 3], samples=200, seed=0)
    train_index, _, _ = stratified_split(data.labels, (0.7, 0.15, 0.15), 0)
    expected_mean, expected_std = channel_statistics(data.images[train_index])
    saved = SavedModel.load(run)
    assert saved.mean == pytest.approx(expected_mean) and saved.std == pytest.approx(expected_std)
    everything = data.images.double() / 255
    whole_mean = everything.mean(dim=(0, 2, 3)).tolist()
    assert saved.mean != pytest.approx(whole_mean, abs=1e-6)
    picked = data.images[train_index].double() / 255
    assert saved.mean == pytest.approx(picked.mean(dim=(0, 2, 3)).tolist())
    assert saved.std == pytest.approx(picked.std(dim=(0, 2, 3), unbiased=False).tolist())


def test_early_stopping_stops_and_keeps_the_best_epoch(tmp_path):
    # Few images, many weights, a large step: validation loss soon rises.
    overfit = "input 12x12x3\nflatten\nfc 512 -> relu\nfc 512 -> relu\nfc 10\n"
    result = train(overfit, config(data="shapes", samples=60, epochs=40, lr=0.01, patience=0),
                   tmp_path / "run", echo=quiet)
    assert result.stopped_epoch is not None and result.stopped_epoch < 40
    losses = [row["val_loss"] for row in result.history]
    assert result.best_epoch == losses.index(min(losses)) + 1
    assert result.stopped_epoch == result.best_epoch + 1  # patience 0: the first rise
    assert result.val_accuracy == result.history[result.best_epoch - 1]["val_accuracy"]


def test_two_runs_with_one_seed_have_the_same_history(tmp_path):
    first = train(SMALL, config(data="shapes", augment=["flip", "crop", "contrast", "tint"]),
                  tmp_path / "a", echo=quiet)
    second = train(SMALL, config(data="shapes", augment=["flip", "crop", "contrast", "tint"]),
                   tmp_path / "b", echo=quiet)
    strip = [{k: v for k, v in row.items() if k != "seconds"} for row in first.history]
    assert strip == [{k: v for k, v in row.items() if k != "seconds"} for row in second.history]


def test_frozen_layers_are_bit_identical_after_training(tmp_path):
    source = train(SMALL, config(data="shapes"), tmp_path / "source", echo=quiet)
    assert source.epochs_run == 3
    before = SavedModel.load(tmp_path / "source").weights
    result = train(SMALL, config(data="shapes", seed=5, init_from=tmp_path / "source",
                                 freeze=["conv1..pool1"]), tmp_path / "target", echo=quiet)
    after = SavedModel.load(tmp_path / "target").weights
    for key in ("conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias", "bn1.running_mean",
                "bn1.running_var"):
        assert torch.equal(before[key], after[key]), key
    assert not torch.equal(before["fc1.weight"], after["fc1.weight"])  # trained on
    assert result.epochs_run == 3


def test_transfer_copies_matching_layers_and_says_which(tmp_path, capsys):
    train(SMALL, config(data="shapes", epochs=1), tmp_path / "source", echo=quiet)
    new_head = "input 12x12x3\nconv 3 same 8 -> bn -> relu -> pool 2\nflatten\nhead: fc 10\n"
    wider = "input 12x12x3\nconv 3 same 16 -> bn -> relu -> pool 2\nflatten\nfc 10\n"
    train(new_head, config(data="shapes", epochs=1, init_from=tmp_path / "source"),
          tmp_path / "a")
    out = capsys.readouterr().out
    assert re.search(r"\nconv1 +transferred +weight, bias\n", out)
    assert re.search(r"\nbn1 +transferred +weight, bias, running_mean, running_var, "
                     r"num_batches_tracked\n", out)
    assert re.search(r"\nhead +new +no layer named head in source\n", out)
    train(wider, config(data="shapes", epochs=1, init_from=tmp_path / "source"), tmp_path / "b")
    out = capsys.readouterr().out
    assert re.search(r"\nconv1 +skipped +weight is \[8, 3, 3, 3\] there, \[16, 3, 3, 3\] "
                     r"here\n", out)


def test_a_class_count_mismatch_stops_before_anything_is_written(tmp_path):
    with pytest.raises(TrainingError, match="ends in 5 outputs but the data has 10 classes"):
        train("input 16x16x1\nflatten\nfc 5\n", config(data="digits"), tmp_path / "run",
              echo=quiet)
    assert not (tmp_path / "run").exists()


def test_nan_loss_is_a_clear_error_and_writes_nothing(tmp_path):
    with pytest.raises(TrainingError, match="diverged"):
        train("input 16x16x1\nflatten\nfc 64 -> relu\nfc 10\n",
              config(data="digits", optimizer="sgd", lr=1e30), tmp_path / "run", echo=quiet)
    assert not (tmp_path / "run").exists()


def test_impossible_settings_are_refused_before_training(tmp_path):
    with pytest.raises(TrainingError, match="needs an image input"):
        train("input 64\nfc 10\n", config(data="digits", augment=["flip"]), tmp_path / "a",
              echo=quiet)
    with pytest.raises(TrainingError, match="--device gpu"):
        train(SMALL, config(device="gpu"), tmp_path / "b", echo=quiet)
    with pytest.raises(TrainingError, match="ends in relu"):
        train("input 64\nfc 10 -> relu\n", config(data="digits"), tmp_path / "c", echo=quiet)
    with pytest.raises(TrainingError, match="output is 6x6x8"):
        train("input 8x8x1\nconv 3 8\n", config(data="digits"), tmp_path / "d", echo=quiet)
    assert not any(tmp_path.iterdir())


def test_a_flat_input_trains_on_flattened_images(tmp_path):
    result = train("input 64\nfc 32 -> relu\nfc 10\n", config(data="digits", epochs=2),
                   tmp_path / "run", echo=quiet)
    assert result.history[-1]["val_accuracy"] > 0.5


def test_bad_data_gets_clear_messages(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="has no class folders"):
        load_data(str(tmp_path / "empty"), [8, 8, 3])
    (tmp_path / "bad" / "cats").mkdir(parents=True)
    (tmp_path / "bad" / "cats" / "x.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match=r"cannot read the image .*x\.png"):
        load_data(str(tmp_path / "bad"), [8, 8, 3])
    (tmp_path / "no_images" / "dogs").mkdir(parents=True)
    with pytest.raises(DataError, match="holds no images"):
        load_data(str(tmp_path / "no_images"), [8, 8, 3])
    np.savez(tmp_path / "bad.npz", x=np.full((4, 8, 8, 3), np.nan), y=np.arange(4))
    with pytest.raises(DataError, match="NaN"):
        load_data(str(tmp_path / "bad.npz"), [8, 8, 3])
    with pytest.raises(DataError, match="expected digits, shapes"):
        load_data("mnist", [8, 8, 3])


def test_a_folder_of_class_folders_and_an_npz_load_at_the_spec_size(tmp_path):
    from PIL import Image

    for label, colour in (("red", (255, 0, 0)), ("blue", (0, 0, 255))):
        (tmp_path / "images" / label).mkdir(parents=True)
        for i in range(3):
            Image.new("RGB", (20 + i, 10), colour).save(tmp_path / "images" / label / f"{i}.png")
    data = load_data(str(tmp_path / "images"), [6, 5, 3])
    assert data.class_names == ["blue", "red"]
    assert data.images.shape == (6, 3, 6, 5)
    assert data.images[0, :, 0, 0].tolist() == [0, 0, 255]
    np.savez(tmp_path / "d.npz", x=np.ones((4, 10, 10, 1), np.float32), y=np.array([0, 1, 1, 0]))
    npz = load_data(str(tmp_path / "d.npz"), [5, 5, 3])
    assert npz.images.shape == (4, 3, 5, 5) and int(npz.images.max()) == 255


def test_cli_train_evaluate_and_predict(tmp_path, capsys):
    spec = tmp_path / "digits.arch"
    spec.write_text(DIGITS_CNN)
    status, out, err = run_cli(capsys, "train", str(spec), "--data", "digits", "--epochs", "2",
                               "--runs", str(tmp_path / "runs"))
    assert status == 0, err
    assert out.startswith(f"training {spec} on digits: run folder {tmp_path / 'runs' / 'digits'}")
    assert "ran all 2 epochs; kept epoch 2" in out
    run = tmp_path / "runs" / "digits"
    status, out, _ = run_cli(capsys, "evaluate", str(run), "--data", "digits")
    assert status == 0 and out.startswith("accuracy: ") and "of 1797 images" in out
    assert (run / "confusion.png").exists()
    from PIL import Image

    Image.new("L", (8, 8), 0).save(tmp_path / "blank.png")
    status, out, _ = run_cli(capsys, "predict", str(run), str(tmp_path / "blank.png"), "--top",
                             "3")
    lines = out.splitlines()
    assert status == 0 and len(lines) == 3
    probabilities = [float(line.split("%")[0]) / 100 for line in lines]
    assert probabilities == sorted(probabilities, reverse=True) and sum(probabilities) <= 1.0001
    # A second run of the same spec goes beside the first.
    status, out, _ = run_cli(capsys, "train", str(spec), "--data", "digits", "--epochs", "1",
                             "--runs", str(tmp_path / "runs"))
    assert f"run folder {tmp_path / 'runs' / 'digits-2'}" in out


def test_cli_training_errors_are_messages(tmp_path, capsys):
    spec = tmp_path / "five.arch"
    spec.write_text("input 16x16x1\nflatten\nfc 5\n")
    status, _, err = run_cli(capsys, "train", str(spec), "--data", "digits", "--runs",
                             str(tmp_path))
    assert status == 1 and err.startswith("archcalc: error: the spec ends in 5 outputs")
    status, _, err = run_cli(capsys, "train", str(spec), "--epochs", "0")
    assert status == 1 and "epochs: Input should be greater than or equal to 1" in err
    status, _, err = run_cli(capsys, "train", str(spec), "--freeze", "conv9")
    assert status == 1 and "`conv9`, which is not a layer" in err
    status, _, err = run_cli(capsys, "evaluate", str(tmp_path / "nowhere"), "--data", "digits")
    assert status == 1 and "does not exist" in err
    toml = tmp_path / "bad.toml"
    toml.write_text("epochs = 'many'\n")
    status, _, err = run_cli(capsys, "train", str(spec), "--config", str(toml))
    assert status == 1 and "epochs: Input should be a valid integer" in err


def test_config_file_with_flags_on_top(tmp_path):
    from archcalc.train_config import load_config

    toml = tmp_path / "train.toml"
    toml.write_text('data = "digits"\nepochs = 7\naugment = ["flip", "tint"]\nlr = 0.01\n')
    loaded = load_config(toml, {"epochs": 3, "lr": None})
    assert (loaded.data, loaded.epochs, loaded.augment, loaded.lr) == (
        "digits", 3, ["flip", "tint"], 0.01)


def test_the_transfer_example_runs_end_to_end(tmp_path, capsys):
    runs = tmp_path / "runs"
    status, _, err = run_cli(capsys, "train", str(EXAMPLES / "lecture_cnn.arch"), "--data",
                             "shapes", "--samples", "300", "--epochs", "1", "--runs", str(runs))
    assert status == 0, err
    status, out, err = run_cli(capsys, "train", str(EXAMPLES / "lecture_cnn_digits.arch"),
                               "--data", "digits", "--epochs", "1", "--runs", str(runs),
                               "--init-from", str(runs / "lecture_cnn"), "--freeze",
                               "conv1..pool2")
    assert status == 0, err
    assert "2 transferred, 2 new, 0 skipped" in out
    settings = json.loads((runs / "lecture_cnn_digits" / "config.json").read_text())
    assert settings["freeze"] == ["conv1..pool2"]
    source, target = (SavedModel.load(runs / name).weights
                      for name in ("lecture_cnn", "lecture_cnn_digits"))
    assert torch.equal(source["conv2.weight"], target["conv2.weight"])  # frozen: unchanged
    model, saved = load_run(runs / "lecture_cnn_digits")
    assert saved.input_shape == [28, 28, 3] and not math.isnan(saved.mean[0])
    assert model.digits_fc2.out_features == 10
