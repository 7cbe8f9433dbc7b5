"""Random valid sequential specs: the static shapes and parameters of every layer equal
PyTorch's, on real CPU tensors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import archcalc

torch = pytest.importorskip("torch")


@st.composite
def sequential_specs(draw: st.DrawFn) -> str:
    """A chain of layers that is valid by construction: each kernel fits its input."""
    h, w = draw(st.integers(4, 28)), draw(st.integers(4, 28))
    c = draw(st.integers(1, 6))
    lines = [f"input {h}x{w}x{c}"]
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["conv", "conv", "pool", "avgpool", "bn", "dropout", "act"]))
        if kind == "conv":
            groups = draw(st.sampled_from([g for g in (1, 2, 3) if c % g == 0]))
            filters = groups * draw(st.integers(1, 4))
            padding = draw(st.sampled_from(["same", "p0", "p1", "p2x1"]))
            kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
            sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
            dh = draw(st.integers(1, 2))
            pad_h, pad_w = {"same": (9, 9), "p0": (0, 0), "p1": (1, 1), "p2x1": (2, 1)}[padding]
            if padding != "same" and (dh * (kh - 1) + 1 > h + 2 * pad_h or kw > w + 2 * pad_w):
                continue
            lines.append(f"conv {kh}x{kw} s{sh}x{sw} {padding} d{dh}x1 g{groups} {filters}"
                         + draw(st.sampled_from(["", " nobias"])))
        elif kind in ("pool", "avgpool"):
            k = draw(st.integers(1, 3))
            if k > min(h, w):
                continue
            stride = draw(st.integers(1, 3))
            lines.append(f"{kind} {k} s{stride}" + draw(st.sampled_from(["", " ceil", " same"])))
        elif kind == "bn":
            lines.append("bn")
        elif kind == "dropout":
            lines.append(f"dropout {draw(st.sampled_from(['0', '0.25', '0.5']))}")
        else:
            lines.append(draw(st.sampled_from(["relu", "leakyrelu 0.1", "gelu", "tanh"])))
        report = archcalc.check("\n".join(lines))
        h, w, c = report.output_shape
    lines.append(draw(st.sampled_from(["flatten", "gap -> flatten", "adaptivepool 2x3 -> "
                                       "flatten", "gmp -> flatten"])))
    for _ in range(draw(st.integers(0, 2))):
        lines.append(f"fc {draw(st.integers(1, 40))}" + draw(st.sampled_from(["", " -> bn",
                                                                               " -> relu"])))
    return "\n".join(lines)


@settings(max_examples=120, deadline=None)
@given(sequential_specs())
def test_random_specs_match_pytorch_layer_by_layer(spec):
    report = archcalc.check(spec)
    assert report.network_errors == 0, report.diagnostics
    result = archcalc.verify(report, device="cpu", batch=2)
    for layer in result.layers:
        assert layer.static_shape == layer.torch_shape, (spec, layer)
        assert layer.static_trainable == layer.torch_trainable, (spec, layer)
        assert layer.static_non_trainable == layer.torch_non_trainable, (spec, layer)
    assert result.ok
