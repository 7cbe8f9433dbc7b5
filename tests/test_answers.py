"""Homework answers, for random layers: a right answer is right, and each classic slip, worked
out here by its own arithmetic, is named when a student makes it."""

from __future__ import annotations

import math

from hypothesis import assume, given, settings
from hypothesis import strategies as st

import archcalc

ANSWERS = settings(max_examples=200, deadline=None)


def graded(spec: str) -> archcalc.report.Answer:
    report = archcalc.check(spec)
    answers = report.layers[-1].answers
    assert len(answers) == 1
    return answers[0]


def slips(spec: str) -> list[str]:
    answer = graded(spec)
    assert answer.right is False
    return answer.likely_mistakes


convs = st.fixed_dictionaries({
    "h": st.integers(8, 64), "w": st.integers(8, 64), "c": st.integers(2, 16),
    "k": st.integers(1, 64), "f": st.integers(1, 7), "s": st.integers(1, 4),
    "p": st.integers(0, 3)})


def conv_spec(p: dict, answer: str) -> str:
    return f"input {p['h']}x{p['w']}x{p['c']}\nconv {p['f']} s{p['s']} p{p['p']} {p['k']} {answer}"


def out(size: int, p: dict, rounding=math.floor, padding=None, stride=None, plus_one=1) -> int:
    padding = p["p"] if padding is None else padding
    stride = p["s"] if stride is None else stride
    return rounding((size - p["f"] + 2 * padding) / stride) + plus_one


@ANSWERS
@given(convs)
def test_right_answers_are_right(p):
    assume(p["f"] <= min(p["h"], p["w"]) + 2 * p["p"])
    h, w = out(p["h"], p), out(p["w"], p)
    params = (p["f"] * p["f"] * p["c"] + 1) * p["k"]
    report = archcalc.check(conv_spec(p, f"expect {h}x{w}x{p['k']} params {params}"))
    assert [a.right for a in report.layers[0].answers] == [True, True]


@ANSWERS
@given(convs)
def test_parameter_slips_are_named(p):
    assume(p["f"] <= min(p["h"], p["w"]) + 2 * p["p"])
    weights = p["f"] * p["f"] * p["c"]
    right = (weights + 1) * p["k"]

    def named(value: int, slip: str) -> None:
        if value != right:  # a slip that happens to give the right number is no slip
            assert slip in slips(conv_spec(p, f"expect params {value}"))

    named(weights * p["k"], "forgot the bias (one per filter)")
    named((p["f"] * p["f"] + 1) * p["k"],
          "forgot the input depth (a filter spans every input channel)")
    named(weights * p["k"] + 1, "counted one bias for the layer instead of one per filter")


@ANSWERS
@given(convs)
def test_shape_slips_are_named(p):
    assume(p["f"] <= min(p["h"], p["w"]) + 2 * p["p"])
    right = (out(p["h"], p), out(p["w"], p), p["k"])
    channels_first = (right[2], right[0], right[1])  # accepted, with a warning

    def named(shape: tuple[int, int, int], slip: str) -> None:
        if shape not in (right, channels_first):
            assert slip in slips(conv_spec(p, "expect " + "x".join(map(str, shape))))

    named((out(p["h"], p, rounding=math.ceil), out(p["w"], p, rounding=math.ceil), p["k"]),
          "rounded up instead of down (PyTorch floors)")
    named((out(p["h"], p, plus_one=0), out(p["w"], p, plus_one=0), p["k"]),
          "forgot the + 1 in (W − F + 2P)/S + 1")
    if p["p"] and p["f"] <= min(p["h"], p["w"]):
        named((out(p["h"], p, padding=0), out(p["w"], p, padding=0), p["k"]),
              "ignored the padding")
    if p["s"] > 1:
        named((out(p["h"], p, stride=1), out(p["w"], p, stride=1), p["k"]),
              "ignored the stride")
    named((right[1], right[0], right[2]), "swapped H and W")
    named((right[0], right[1], p["c"]),
          "kept the input depth; a conv's output depth is its number of filters")


@ANSWERS
@given(n=st.integers(1, 10_000), m=st.integers(1, 4096))
def test_fc_without_bias_is_named(n, m):
    assert slips(f"input {n}\nfc {m} expect params {n * m}") == ["forgot the bias (one per unit)"]
    assert graded(f"input {n}\nfc {m} expect params {(n + 1) * m}").right is True


@ANSWERS
@given(size=st.integers(4, 64), window=st.integers(2, 4))
def test_pool_stride_defaulting_to_the_window_is_named(size, window):
    assume(window <= size)
    one_step = size - window + 1
    right = (size - window) // window + 1
    assume(one_step != right)
    assert "used stride 1; a pooling layer's stride defaults to its window size" in slips(
        f"input {size}x{size}x3\npool {window} expect {one_step}x{one_step}x3")


def test_a_carried_forward_error_is_recognised_through_layers_without_answers():
    report = archcalc.check("input 224x224x3\nconv 11 s4 96 expect 55x55x96\nrelu\nbn\n"
                            "pool 3 s2 expect 27x27x96\nconv 3 p1 64 expect params 55360")
    pool = report.layers[3].answers[0]
    assert pool.right is False
    assert pool.likely_mistakes[0] == ("carried forward your answer for conv1 (55x55x96): "
                                       "from that input your working is right")
    # A parameter answer that is right stays right, whatever came before.
    assert report.layers[4].answers[0].right is True
    assert report.layers[4].params == (3 * 3 * 96 + 1) * 64 == 55360
