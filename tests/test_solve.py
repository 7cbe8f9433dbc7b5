"""`archcalc solve`: the sizes a network takes and divides exactly, checked against the full
static pass run at every size, and layer targets checked by running `check` on the rewritten
layer."""

from __future__ import annotations

import re

import pytest

import archcalc
from archcalc.solve import progressions, solve_axes, target_options
from tests.conftest import EXAMPLES, run_cli


def full_pass(text: str, size: int) -> tuple[bool, bool]:
    """(accepted, exact) for a square input of `size`, by the whole static pass."""
    resized = re.sub(r"input \d+x\d+x", f"input {size}x{size}x", text, count=1)
    report = archcalc.check(resized)
    accepted = report.network_errors == 0
    exact = accepted and not any(d.code in ("W300", "N300") for d in report.diagnostics)
    return accepted, exact


@pytest.mark.parametrize(("name", "bound"), [
    ("alexnet224", 260), ("lenet5", 120), ("lecture_cnn", 120), ("cifar_resnet", 130),
    ("torchvision/resnet18", 130), ("torchvision/googlenet", 100),
    ("torchvision/squeezenet1_0", 100)])
def test_solve_agrees_with_the_full_pass_at_every_size(name, bound):
    text = (EXAMPLES / f"{name}.arch").read_text()
    (solution,) = solve_axes(archcalc.parse(text), bound)
    truth = {size: full_pass(text, size) for size in range(1, bound + 1)}
    assert solution.accepted == [size for size, (ok, _) in truth.items() if ok]
    assert solution.exact == [size for size, (_, exact) in truth.items() if exact]


def test_alexnet_at_224_is_told_227():
    (solution,) = solve_axes(archcalc.parse((EXAMPLES / "alexnet224.arch").read_text()), 1024)
    assert solution.nearest_exact() == (195, 227)
    # conv 11 s4 needs W ≡ 3 (mod 4), and each later stride 2 halves the step: 4·2·2·2 = 32
    assert progressions(solution.exact) == [(67, 995, 32)]


def test_rectangular_windows_are_solved_per_axis():
    spec = archcalc.parse("input 20x30x1\nconv 3x1 s2x1 4")
    height, width = solve_axes(spec, 12)
    assert (height.axis, width.axis) == ("height", "width")
    assert height.exact == [3, 5, 7, 9, 11] and width.exact == list(range(1, 13))


def test_target_options_reach_the_size_when_the_layer_is_rewritten():
    spec = archcalc.parse("input 224x224x3\nconv 11 s4 96")
    conv = spec.layers[0]
    options = target_options(conv, 224, 55, 0)
    assert [(o.padding, o.stride) for o in options][:2] == [(2, 4), (3, 4)]
    for option in options:
        rewritten = archcalc.check(f"input 224x224x3\nconv 11 s{option.stride} "
                                   f"p{option.padding} 96")
        assert rewritten.output_shape[:2] == [55, 55]


def test_solve_command(capsys):
    status, out, _ = run_cli(capsys, "solve", str(EXAMPLES / "alexnet224.arch"), "--target",
                             "conv1=55x55")
    assert status == 0
    assert "  nearest exact to the given 224: 195 below, 227 above\n" in out
    assert "  `conv 11 s4 p2 96`: (224 − 11 + 2·2)/4 + 1 = 55 (55.25 floored)\n" in out


@pytest.mark.parametrize(("args", "message"), [
    (["--target", "fc1=5x5"], "`fc1` is not a conv or pooling layer"),
    (["--target", "conv1"], "write LAYER=HxW"),
])
def test_solve_refuses_bad_requests(capsys, args, message):
    status, _, err = run_cli(capsys, "solve", str(EXAMPLES / "alexnet224.arch"), *args)
    assert status == 2 and message in err


def test_solve_max_must_be_positive(capsys):
    with pytest.raises(SystemExit) as exit_info:
        run_cli(capsys, "solve", str(EXAMPLES / "alexnet224.arch"), "--max", "0")
    assert exit_info.value.code == 2
    assert "1 or more, not '0'" in capsys.readouterr().err


def test_solve_of_a_flat_input_or_a_broken_spec(capsys, tmp_path):
    flat = tmp_path / "flat.arch"
    flat.write_text("input 784\nfc 10")
    status, _, err = run_cli(capsys, "solve", str(flat))
    assert status == 2 and "needs an image input" in err
    broken = tmp_path / "broken.arch"
    broken.write_text("input 32x32x3\ncovn 3 8")
    status, out, err = run_cli(capsys, "solve", str(broken))
    assert status == 1 and "E200" in out and "fix them first" in err
