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


@st.composite
def block_specs(draw: st.DrawFn) -> str:
    """Random residual connections and concatenations of random widths, nested up to twice,
    inside blocks and repeats: valid by construction."""
    h, channels = draw(st.integers(6, 20)), draw(st.integers(1, 5))
    lines = [f"input {h}x{h}x{channels}",
             "block unit(c, s) {\n  conv 3 s=s p1 c nobias -> bn -> relu\n}"]

    def part(depth: int, c: int) -> tuple[str, int]:
        """An item for an input of c channels, and its output channels."""
        choice = draw(st.sampled_from(["conv", "residual", "projection", "concat", "unit"]
                                      if depth < 2 else ["conv", "unit"]))
        width = draw(st.integers(1, 6))
        if choice == "conv":
            return f"conv {draw(st.sampled_from([1, 3, 5]))} same {width}", width
        if choice == "unit":
            return f"unit {width} 1", width
        if choice == "residual":  # identity shortcut: the body ends with the input's channels
            inner, _ = part(depth + 1, c)
            return f"residual {{ {inner} -> conv 1 {c} }}", c
        if choice == "projection":
            stride = draw(st.integers(1, 2)) if depth == 0 else 1  # inside, H x W must stay
            inner, _ = part(depth + 1, width)
            return (f"residual {{ conv 3 s{stride} p1 {width} -> {inner} -> conv 1 {width} }} "
                    f"shortcut {{ conv 1 s{stride} {width} nobias -> bn }}"), width
        branches = [part(depth + 1, c) for _ in range(draw(st.integers(1, 3)))]
        if draw(st.booleans()):
            branches.append((draw(st.sampled_from(["identity", "pool 3 s1 p1",
                                                   "avgpool 3 s1 same"])), c))
        return ("concat {\n" + "\n".join(text for text, _ in branches) + "\n}",
                sum(out for _, out in branches))

    for _ in range(draw(st.integers(1, 4))):
        item, out = part(0, channels)
        if out == channels and draw(st.integers(0, 2)) == 0:  # the shape may stop changing
            item = f"repeat {draw(st.sampled_from([1, 2, 3, 1000]))} {{ {item} }}"
        lines.append(item)
        channels = out
    lines.append(draw(st.sampled_from(["gap -> flatten -> fc 3", "flatten"])))
    return "\n".join(lines)


@settings(max_examples=60, deadline=None)
@given(block_specs())
def test_random_block_graphs_match_pytorch(spec):
    report = archcalc.check(spec)
    assert report.network_errors == 0, (spec, report.diagnostics)
    result = archcalc.verify(report, device="cpu", batch=2)
    assert result.layers and result.ok, (spec, [layer for layer in result.layers if not layer.ok])
    assert result.static_total == result.torch_total
    model = archcalc.to_torch(report).eval()
    h, w, c = report.input_shape
    with torch.no_grad():
        out = model(torch.zeros(2, c, h, w))
    assert list(out.shape[1:]) == report.output_shape
    assert sum(p.numel() for p in model.parameters()) == report.totals.trainable
