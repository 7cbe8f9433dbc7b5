"""PyTorch is the oracle: for every layer kind and random hyperparameters, the static shape and
parameter count must equal what PyTorch builds and computes (micrograd's way of testing)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import archcalc

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional

ORACLE = settings(max_examples=150, deadline=None)


def numel(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def run(module: torch.nn.Module, h: int, w: int, c: int) -> list[int]:
    """The channels-last output shape of a module on one N×C×H×W input."""
    with torch.no_grad():
        out = module.eval()(torch.zeros(1, c, h, w))
    return [out.shape[2], out.shape[3], out.shape[1]] if out.dim() == 4 else list(out.shape[1:])


def only_layer(spec: str) -> archcalc.report.LayerReport:
    report = archcalc.check(spec)
    assert len(report.layers) == 1
    return report.layers[0]


def size(a: int, b: int) -> str:
    return f"{a}x{b}"


@st.composite
def convs(draw: st.DrawFn) -> dict:
    groups = draw(st.sampled_from([1, 1, 1, 2, 3, 4]))
    return {
        "h": draw(st.integers(1, 24)), "w": draw(st.integers(1, 24)),
        "c": groups * draw(st.integers(1, 4)), "k": groups * draw(st.integers(1, 4)),
        "kh": draw(st.integers(1, 7)), "kw": draw(st.integers(1, 7)),
        "sh": draw(st.integers(1, 4)), "sw": draw(st.integers(1, 4)),
        "ph": draw(st.integers(0, 3)), "pw": draw(st.integers(0, 3)),
        "dh": draw(st.integers(1, 3)), "dw": draw(st.integers(1, 3)),
        "groups": groups, "bias": draw(st.booleans()),
    }


@ORACLE
@given(convs())
def test_conv_matches_torch(p):
    spec = (f"input {p['h']}x{p['w']}x{p['c']}\nconv {size(p['kh'], p['kw'])} "
            f"s{size(p['sh'], p['sw'])} p{size(p['ph'], p['pw'])} d{size(p['dh'], p['dw'])} "
            f"g{p['groups']} {p['k']}" + ("" if p["bias"] else " nobias"))
    module = nn.Conv2d(p["c"], p["k"], (p["kh"], p["kw"]), (p["sh"], p["sw"]),
                       (p["ph"], p["pw"]), (p["dh"], p["dw"]), p["groups"], p["bias"])
    report = archcalc.check(spec)
    ours = report.layers[0]
    assert ours.params == numel(module)
    try:
        expected = run(module, p["h"], p["w"], p["c"])
    except RuntimeError:  # PyTorch: kernel size can't be greater than the padded input
        assert ours.output_shape is None
        assert [d.code for d in report.diagnostics] == ["E300"]
        return
    assert ours.output_shape == expected
    assert not any(d.is_error for d in report.diagnostics)


@ORACLE
@given(h=st.integers(1, 40), w=st.integers(1, 40), c=st.integers(1, 4), k=st.integers(1, 4),
       kh=st.integers(1, 7), kw=st.integers(1, 7), sh=st.integers(1, 4), sw=st.integers(1, 4),
       dh=st.integers(1, 2))
def test_same_conv_gives_ceil_of_size_over_stride_in_torch(h, w, c, k, kh, kw, sh, sw, dh):
    ours = only_layer(f"input {h}x{w}x{c}\nconv {kh}x{kw} s{sh}x{sw} d{dh}x1 same {k}")
    assert ours.output_shape == [math.ceil(h / sh), math.ceil(w / sw), k]
    top, bottom, left, right = ours.padding
    module = nn.Conv2d(c, k, (kh, kw), (sh, sw), dilation=(dh, 1))
    with torch.no_grad():
        out = module(F.pad(torch.zeros(1, c, h, w), (left, right, top, bottom)))
    assert [out.shape[2], out.shape[3], out.shape[1]] == ours.output_shape
    assert ours.params == numel(module)
    if sh == sw == 1 and dh == 1 and kh % 2 == 1 and kw % 2 == 1:
        # where PyTorch's own padding="same" applies, it agrees
        assert run(nn.Conv2d(c, k, (kh, kw), padding="same"), h, w, c) == ours.output_shape


@ORACLE
@given(h=st.integers(1, 30), w=st.integers(1, 30), c=st.integers(1, 4), kh=st.integers(1, 5),
       kw=st.integers(1, 5), sh=st.integers(1, 4), sw=st.integers(1, 4), ph=st.integers(0, 3),
       pw=st.integers(0, 3), ceil=st.booleans(), kind=st.sampled_from(["pool", "avgpool"]))
def test_pooling_matches_torch(h, w, c, kh, kw, sh, sw, ph, pw, ceil, kind):
    spec = (f"input {h}x{w}x{c}\n{kind} {size(kh, kw)} s{size(sh, sw)} p{size(ph, pw)}"
            + (" ceil" if ceil else ""))
    report = archcalc.check(spec)
    ours = report.layers[0]
    cls = nn.MaxPool2d if kind == "pool" else nn.AvgPool2d
    try:
        module = cls((kh, kw), (sh, sw), (ph, pw), ceil_mode=ceil)
        expected = run(module, h, w, c)
    except RuntimeError:  # PyTorch refuses padding above half the window, or a window too big
        assert ours.output_shape is None
        assert [d.code for d in report.diagnostics if d.is_error] in (["E300"], ["E304"])
        return
    assert ours.output_shape == expected
    assert ours.params == 0


@ORACLE
@given(h=st.integers(1, 30), w=st.integers(1, 30), c=st.integers(1, 4), oh=st.integers(1, 8),
       ow=st.integers(1, 8), kind=st.sampled_from(["adaptivepool", "adaptivemaxpool"]))
def test_adaptive_pooling_matches_torch(h, w, c, oh, ow, kind):
    ours = only_layer(f"input {h}x{w}x{c}\n{kind} {oh}x{ow}")
    cls = nn.AdaptiveAvgPool2d if kind == "adaptivepool" else nn.AdaptiveMaxPool2d
    assert ours.output_shape == run(cls((oh, ow)), h, w, c)


@ORACLE
@given(h=st.integers(1, 20), w=st.integers(1, 20), c=st.integers(1, 16))
def test_global_pooling_and_flatten_match_torch(h, w, c):
    assert only_layer(f"input {h}x{w}x{c}\ngap").output_shape == run(
        nn.AdaptiveAvgPool2d(1), h, w, c)
    assert only_layer(f"input {h}x{w}x{c}\ngmp").output_shape == run(
        nn.AdaptiveMaxPool2d(1), h, w, c)
    assert only_layer(f"input {h}x{w}x{c}\nflatten").output_shape == run(
        nn.Flatten(), h, w, c)


@ORACLE
@given(n=st.integers(1, 5000), units=st.integers(1, 5000), bias=st.booleans())
def test_fc_matches_torch(n, units, bias):
    ours = only_layer(f"input {n}\nfc {units}" + ("" if bias else " nobias"))
    module = nn.Linear(n, units, bias=bias)
    assert ours.params == numel(module)
    assert ours.output_shape == list(module(torch.zeros(1, n)).shape[1:])


@ORACLE
@given(c=st.integers(1, 2048), flat=st.booleans())
def test_batchnorm_counts_parameters_and_running_statistics_as_torch_does(c, flat):
    ours = only_layer(f"input {c}\nbn" if flat else f"input 3x3x{c}\nbn")
    module = nn.BatchNorm1d(c) if flat else nn.BatchNorm2d(c)
    assert ours.trainable == numel(module)
    assert ours.non_trainable == module.running_mean.numel() + module.running_var.numel()
    assert ours.params == 4 * c


@pytest.mark.parametrize(("word", "module"), [
    ("relu", nn.ReLU()), ("relu6", nn.ReLU6()), ("leakyrelu 0.2", nn.LeakyReLU(0.2)),
    ("elu", nn.ELU()), ("selu", nn.SELU()), ("gelu", nn.GELU()), ("silu", nn.SiLU()),
    ("mish", nn.Mish()), ("hardswish", nn.Hardswish()), ("hardsigmoid", nn.Hardsigmoid()),
    ("sigmoid", nn.Sigmoid()), ("tanh", nn.Tanh()), ("softplus", nn.Softplus()),
    ("softmax", nn.Softmax(dim=1)), ("logsoftmax", nn.LogSoftmax(dim=1)),
    ("dropout 0.5", nn.Dropout(0.5)),
])
def test_elementwise_layers_keep_the_shape_and_have_no_parameters(word, module):
    ours = only_layer(f"input 7x5x3\n{word}")
    assert ours.output_shape == run(module, 7, 5, 3)
    assert ours.params == numel(module) == 0
