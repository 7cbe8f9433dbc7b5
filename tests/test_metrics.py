"""MACs, FLOPs and receptive fields: values worked by hand, PyTorch's FlopCounterMode as the
oracle for the multiply-accumulates, and a gradient probe as the oracle for receptive fields."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import archcalc
from tests.conftest import EXAMPLES

torch = pytest.importorskip("torch")
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

SPECS = sorted(EXAMPLES.rglob("*.arch"))


def test_alexnet_costs_worked_by_hand():
    report = archcalc.check(EXAMPLES / "alexnet.arch")
    conv1, _, pool1 = report.layers[:3]
    assert conv1.cost.macs == 55 * 55 * 96 * (11 * 11 * 3)
    assert conv1.cost.flops == 2 * conv1.cost.macs + 55 * 55 * 96  # and one bias add each
    assert pool1.cost.flops == 27 * 27 * 96 * (3 * 3 - 1)  # comparisons
    fc1 = next(row for row in report.layers if row.name == "fc1")
    assert fc1.cost.macs == 9216 * 4096 and fc1.cost.flops == 2 * 9216 * 4096 + 4096


def test_alexnet_receptive_fields_worked_by_hand():
    # r = r_before + (F − 1)·j_before; j = j_before·S (Araujo et al., 2019)
    report = archcalc.check(EXAMPLES / "alexnet.arch")
    fields = {row.name: row.cost.receptive_field[0] for row in report.layers
              if row.cost.receptive_field and row.kind in ("conv", "maxpool")}
    expected = {}
    r, j = 1, 1
    for name, kernel, stride in [("conv1", 11, 4), ("pool1", 3, 2), ("conv2", 5, 1),
                                 ("pool2", 3, 2), ("conv3", 3, 1), ("conv4", 3, 1),
                                 ("conv5", 3, 1), ("pool3", 3, 2)]:
        r, j = r + (kernel - 1) * j, j * stride
        expected[name] = (r, j)
    assert {name: (f.size, f.jump) for name, f in fields.items()} == expected
    assert expected["pool3"] == (195, 32)  # AlexNet's published receptive field
    # conv2's padding of 2, at pool1's jump of 8, moves its first field 16 pixels up
    assert fields["conv2"].start == (51 - 1) / 2 - 2 * 8


def test_a_residual_sees_the_union_of_its_paths():
    report = archcalc.check("input 32x32x3\nresidual { conv 3 p1 3 -> conv 3 p1 3 }")
    (residual,) = report.layers
    field = residual.cost.receptive_field[0]
    assert (field.size, field.jump, field.start) == (5, 1, 0.0)  # 1 + 2 + 2; centred on pixel 0
    assert residual.cost.flops == (2 * 27 + 1) * 32 * 32 * 3 * 2 + 32 * 32 * 3  # and the sum


def test_a_billion_times_round_counts_macs_without_unrolling():
    report = archcalc.check("input 8x8x4\nrepeat 1000000000 { conv 3 p1 4 nobias }")
    assert report.totals.macs == 1_000_000_000 * 8 * 8 * 4 * (3 * 3 * 4)
    (repeat,) = report.layers
    assert repeat.cost.receptive_field[0].size == 1 + 2 * 1_000_000_000


def model_flops(report) -> int:
    shape = report.input_shape
    x = torch.zeros(1, shape[2], shape[0], shape[1]) if len(shape) == 3 else torch.zeros(1, *shape)
    with torch.device("meta"):
        model = archcalc.to_torch(report).eval()
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(x.to("meta"))
    return counter.get_total_flops()


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_flop_counter_mode_counts_two_flops_per_mac(path):
    # FlopCounterMode counts only the matrix work of convolutions and linear layers, at two
    # FLOPs (a multiply and an add) per multiply-accumulate, without biases.
    report = archcalc.check(path)
    assert model_flops(report) == 2 * report.totals.macs


def test_our_flops_add_what_flop_counter_mode_leaves_out():
    report = archcalc.check(EXAMPLES / "lenet5.arch")
    extra = (
        28 * 28 * 6 + 10 * 10 * 16 + 120 + 84 + 10  # bias adds of conv1, conv2, fc1–fc3
        + 28 * 28 * 6 + 10 * 10 * 16 + 120 + 84  # one operation per tanh output
        + 14 * 14 * 6 * 4 + 5 * 5 * 16 * 4  # average pooling: 3 adds and a division
    )
    assert report.totals.flops == model_flops(report) + extra


def probe(report, path: str, unit: int) -> tuple[int, int] | None:
    """The first and last input rows with a non-zero gradient for unit (unit, unit) of a
    layer: the rows its output depends on, found by PyTorch (None: only padding)."""
    model = archcalc.to_torch(report).eval()
    for module in model.modules():
        if isinstance(module, torch.nn.Conv2d):
            torch.nn.init.constant_(module.weight, 1.0)
            if module.bias is not None:
                torch.nn.init.zeros_(module.bias)
    h, w, c = report.input_shape
    x = torch.ones(1, c, h, w, requires_grad=True)
    captured = {}
    handle = model.get_submodule(path).register_forward_hook(
        lambda module, args, out: captured.setdefault("out", out))
    model(x)
    handle.remove()
    captured["out"][0, :, unit, unit].sum().backward()
    rows = torch.nonzero(x.grad[0].abs().sum(dim=(0, 2))).flatten()
    return (int(rows.min()), int(rows.max())) if len(rows) else None


@st.composite
def window_specs(draw: st.DrawFn) -> str:
    lines = [f"input {draw(st.integers(24, 48))}x{draw(st.integers(24, 48))}x2"]
    for _ in range(draw(st.integers(1, 5))):
        kernel, stride = draw(st.integers(1, 5)), draw(st.integers(1, 2))
        if draw(st.booleans()):
            padding = draw(st.sampled_from(["", "same", "p1", "p2"]))
            dilation = draw(st.sampled_from(["", "d2"]))
            lines.append(f"conv {kernel} s{stride} {padding} {dilation} 2 -> relu")
        else:
            lines.append(f"avgpool {max(kernel, 2)} s{stride} " + draw(st.sampled_from(["", "p1"])))
    lines.append(draw(st.sampled_from(["", "residual { conv 3 p1 2 -> conv 3 p1 2 }",
                                       "concat { conv 1 2; conv 5 p2 2 }"])))
    return "\n".join(lines)


@settings(max_examples=300, deadline=None)
@given(window_specs(), st.data())
def test_receptive_fields_equal_a_gradient_probe(spec, data):
    report = archcalc.check(spec)
    if report.network_errors or min(report.output_shape[:2]) < 2:
        return
    rows = [row for row in report.rows() if row.depth == 0]
    row = data.draw(st.sampled_from(rows))
    last_unit = min(row.output_shape[:2]) - 1
    unit = data.draw(st.sampled_from([0, last_unit // 2, last_unit]))
    spans, inside = [], True
    for axis in (0, 1):  # the input rows (and columns) the unit's field covers
        field = row.cost.receptive_field[axis]
        left = round(field.start - (field.size - 1) / 2) + unit * field.jump
        right = left + field.size - 1
        inside = inside and left >= 0 and right <= report.input_shape[axis] - 1
        spans.append((max(0, left), min(report.input_shape[axis] - 1, right)))
    (first, last), (first_column, last_column) = spans
    # A field of padding alone, along either axis, depends on no input at all.
    expected = (first, last) if first <= last and first_column <= last_column else None
    found = probe(report, row.path, unit)
    # The pixels a unit really depends on always lie within its field.
    assert found is None or (expected is not None and expected[0] <= found[0] <= found[1]
                             <= expected[1]), (spec, row.path, field)
    # They are the whole field unless (1) it has holes (dilation, or a stride past the window),
    # (2) flooring dropped input rows, or (3) it reaches into the padding of a layer after the
    # first: padding is a constant, so the pixels "behind" it, which Araujo et al.'s field
    # counts, are not really read.
    leaves = [r for r in report.rows() if r.layer is not None]
    holes = any(w.layer.kernel[0] < w.layer.stride[0] or getattr(w.layer, "dilation", (1, 1))
                != (1, 1) for w in leaves if w.layer.kind in ("conv", "avgpool"))
    dropped = any(d.code in ("W300", "N300") for d in report.diagnostics)
    inner_padding = any(r.padding and any(r.padding) for r in leaves[1:])
    if not holes and not dropped and (inside or not inner_padding):
        assert found == expected, (spec, row.path, field)


def test_memory_estimate_is_the_documented_arithmetic():
    from archcalc.metrics import memory_estimate

    report = archcalc.check("input 32x32x3\nconv 3 same 16 -> bn -> relu -> gap -> flatten\n"
                            "fc 10")
    memory = memory_estimate(report, batch=8, dtype="bfloat16", optimizer="adam")
    params = (27 + 1) * 16 + 4 * 16 + (16 + 1) * 10
    trainable = params - 2 * 16
    outputs = 32 * 32 * 3 + 3 * (32 * 32 * 16) + 16 + 16 + 10  # input, conv, bn, relu, gap...
    assert memory.parameter_bytes == params * 2
    assert memory.activation_bytes == outputs * 8 * 2
    assert memory.training_bytes == (params + trainable + 2 * trainable) * 2 + outputs * 8 * 2


def test_metrics_in_the_table_and_the_json(capsys):
    import json

    from tests.conftest import run_cli

    status, out, _ = run_cli(capsys, "check", "--batch", "4", str(EXAMPLES / "lenet5.arch"))
    assert status == 0
    assert "MACs: 416,520 (416.52 k); FLOPs: " in out
    assert "conv1     conv 5 6" in out and " 5/1" in out
    status, out, _ = run_cli(capsys, "check", "--format", "json", str(EXAMPLES / "lenet5.arch"))
    data = json.loads(out)["files"][0]
    assert data["totals"]["macs"] == 416_520 and data["memory"]["batch"] == 1
    assert data["layers"][0]["cost"]["receptive_field"][0] == {"size": 5, "jump": 1, "start": 2.0}


def test_explain_with_metrics_works_out_the_operations_and_the_field(capsys):
    from tests.conftest import run_cli

    _, out, _ = run_cli(capsys, "check", "--metrics", "--explain", str(EXAMPLES / "alexnet.arch"))
    assert "    MACs: 55·55·96 outputs, 11·11·3 each = 105,415,200\n" in out
    assert "    FLOPs: 2·105,415,200 + 290,400 bias additions = 211,120,800\n" in out
    assert "    Receptive field: 19 + (5 − 1)·8 = 51 pixels, jump 8·1 = 8\n" in out
