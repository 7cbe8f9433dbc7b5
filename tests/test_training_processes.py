"""Training across processes: a run killed with SIGKILL resumes where it stopped, and two
processes under torchrun (gloo) end with identical weights."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

from archcalc.pytorch.runs import SavedModel, load_tensors  # noqa: E402

SPEC = """input 16x16x1
conv 3 same 8 -> relu -> pool 2
flatten -> dropout 0.2
fc 10
"""
ARGS = ["--data", "digits", "--epochs", "12", "--patience", "100", "--augment", "crop"]


def completed_epochs(checkpoint) -> int:
    try:
        return len(load_tensors(checkpoint)[1]["progress"]["history"])
    except Exception:  # not written yet, or being replaced right now
        return 0


def test_a_killed_run_resumes_from_its_last_epoch(tmp_path):
    spec = tmp_path / "net.arch"
    spec.write_text(SPEC)
    command = [sys.executable, "-m", "archcalc", "train", str(spec), *ARGS,
               "--runs", str(tmp_path / "runs")]
    reference = subprocess.run([*command, "--name", "whole"], capture_output=True, text=True,
                               cwd=ROOT)
    assert reference.returncode == 0, reference.stderr

    victim = subprocess.Popen([*command, "--name", "killed"], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    checkpoint = tmp_path / "runs" / "killed" / "checkpoint.safetensors"
    deadline = time.monotonic() + 120
    while completed_epochs(checkpoint) < 3 and victim.poll() is None:
        assert time.monotonic() < deadline, "no checkpoint appeared"
        time.sleep(0.02)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    done = completed_epochs(checkpoint)
    assert 3 <= done < 12, "the run finished before it could be killed"
    assert not (tmp_path / "runs" / "killed" / "model.safetensors").exists()

    resumed = subprocess.run([*command, "--name", "killed", "--resume"], capture_output=True,
                             text=True, cwd=ROOT)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming {tmp_path / 'runs' / 'killed'} after epoch {done}" in resumed.stdout
    assert "ran all 12 epochs" in resumed.stdout
    whole = SavedModel.load(tmp_path / "runs" / "whole").weights
    again = SavedModel.load(tmp_path / "runs" / "killed").weights
    for key in whole:  # the same seeds per epoch and the restored optimiser: the same run
        assert torch.allclose(whole[key], again[key], atol=1e-5), key


DISTRIBUTED = """
import sys, torch
from pathlib import Path
from archcalc.pytorch.train import train
from archcalc.train_config import TrainConfig
out = Path(sys.argv[1])
result = train(open(sys.argv[2]).read(), TrainConfig(data="digits", epochs=2, batch_size=32),
               out / "run", echo=lambda *a: None)
rank = torch.distributed.get_rank()
torch.save(result.model.state_dict(), out / f"rank{rank}.pt")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_processes_with_gloo_end_with_identical_weights(tmp_path):
    spec = tmp_path / "net.arch"
    spec.write_text(SPEC.replace("dropout 0.2", "bn"))
    script = tmp_path / "job.py"
    script.write_text(DISTRIBUTED)
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
         "--master_addr", "127.0.0.1", "--master_port", str(free_port()), str(script),
         str(tmp_path), str(spec)],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
        env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    first = torch.load(tmp_path / "rank0.pt", weights_only=True)
    second = torch.load(tmp_path / "rank1.pt", weights_only=True)
    assert first.keys() == second.keys()
    for key in first:
        assert torch.equal(first[key], second[key]), key
    assert (tmp_path / "run" / "model.safetensors").exists()  # written once, by rank 0
