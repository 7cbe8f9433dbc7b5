"""The intermediate representation of a spec: what the parser builds and every pass reads.

Every node carries the span of the text it came from. Shapes are written channels-last, as the
lecture writes them: (H, W, C) for an image, (N,) for a flat vector.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from archcalc.diagnostics import Diagnostic
from archcalc.source import Span

Pair = tuple[int, int]
Shape = tuple[int, ...]


class Node(BaseModel):
    span: Span


class Expectation(Node):
    """The writer's own answers for one layer: `expect 55x55x96 params 34944`."""

    shape: Shape | None = None
    shape_span: Span | None = None
    params: int | None = None
    params_span: Span | None = None


class InputDecl(Node):
    shape: Shape  # a size left open (`input HxWx3`) is 0 here, and named in `symbols`
    symbols: tuple[str | None, ...] | None = None  # per axis: the letter, or None for a number

    @property
    def symbolic(self) -> bool:
        return self.symbols is not None


class LayerBase(Node):
    name: str
    name_span: Span | None = None  # the label, when the writer named the layer
    kind_span: Span
    # Spans of individual arguments ("kernel", "stride", "filters", ...) so that a diagnostic
    # about one of them can point at exactly that argument.
    arg_spans: dict[str, Span] = {}
    expect: Expectation | None = None
    frozen: bool = False  # its weights are not trained (transfer learning)

    def arg_span(self, arg: str) -> Span:
        """The span of an argument if it was written, else of the kind word."""
        return self.arg_spans.get(arg, self.kind_span)

    def describe(self) -> str:
        """The layer in the language's own words, normalised: `conv 11 s4 96`."""
        return str(getattr(self, "kind", "layer"))


def _size(pair: Pair) -> str:
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]}x{pair[1]}"


def _window_words(kernel: Pair, stride: Pair, padding: Pair | str, default_stride: Pair) -> str:
    words = [_size(kernel)]
    if stride != default_stride:
        words.append(f"s{_size(stride)}")
    if padding == "same":
        words.append("same")
    elif padding != (0, 0):
        words.append(f"p{_size(padding)}")  # type: ignore[arg-type]
    return " ".join(words)


class Conv(LayerBase):
    kind: Literal["conv"] = "conv"
    kernel: Pair
    filters: int
    stride: Pair = (1, 1)
    padding: Pair | Literal["same"] = (0, 0)
    dilation: Pair = (1, 1)
    groups: int = 1
    bias: bool = True

    def describe(self) -> str:
        words = ["conv", _window_words(self.kernel, self.stride, self.padding, (1, 1))]
        if self.dilation != (1, 1):
            words.append(f"d{_size(self.dilation)}")
        if self.groups != 1:
            words.append(f"g{self.groups}")
        words.append(str(self.filters))
        if not self.bias:
            words.append("nobias")
        return " ".join(words)


class Pool(LayerBase):
    kind: Literal["maxpool", "avgpool"]
    kernel: Pair
    stride: Pair
    padding: Pair | Literal["same"] = (0, 0)
    ceil: bool = False

    def describe(self) -> str:
        word = "pool" if self.kind == "maxpool" else "avgpool"
        text = f"{word} {_window_words(self.kernel, self.stride, self.padding, self.kernel)}"
        return text + " ceil" if self.ceil else text


class AdaptivePool(LayerBase):
    kind: Literal["adaptiveavgpool", "adaptivemaxpool"]
    output: Pair

    def describe(self) -> str:
        word = "adaptivepool" if self.kind == "adaptiveavgpool" else "adaptivemaxpool"
        return f"{word} {self.output[0]}x{self.output[1]}"


class GlobalPool(LayerBase):
    kind: Literal["gap", "gmp"]


class Flatten(LayerBase):
    kind: Literal["flatten"] = "flatten"


class Dense(LayerBase):
    kind: Literal["fc"] = "fc"
    units: int
    bias: bool = True

    def describe(self) -> str:
        return f"fc {self.units}" + ("" if self.bias else " nobias")


ActivationName = Literal[
    "relu", "relu6", "leakyrelu", "elu", "selu", "gelu", "silu", "mish", "hardswish",
    "hardsigmoid", "sigmoid", "tanh", "softplus", "softmax", "logsoftmax",
]


class Activation(LayerBase):
    kind: Literal["activation"] = "activation"
    function: ActivationName
    slope: float | None = None  # leakyrelu's negative slope

    def describe(self) -> str:
        return self.function if self.slope is None else f"{self.function} {self.slope:g}"


class Dropout(LayerBase):
    kind: Literal["dropout"] = "dropout"
    rate: float

    def describe(self) -> str:
        return f"dropout {self.rate:g}"


class BatchNorm(LayerBase):
    kind: Literal["bn"] = "bn"


class Identity(LayerBase):
    """Passes its input on unchanged: an empty branch of a `concat` (DenseNet's skip)."""

    kind: Literal["identity"] = "identity"


class Invalid(LayerBase):
    """A layer that could not be read; shapes after it are unknown."""

    kind: Literal["invalid"] = "invalid"
    text: str

    def describe(self) -> str:
        return self.text


Layer = Annotated[
    Conv | Pool | AdaptivePool | GlobalPool | Flatten | Dense | Activation | Dropout | BatchNorm
    | Identity | Invalid,
    Field(discriminator="kind"),
]

# Compound items: blocks, residual connections, concatenated branches and repetition. Each
# holds its items already instantiated (block arguments substituted), so that every pass after
# the parser sees concrete layers; a repeat's body is held once, however many times it runs.


class Block(LayerBase):
    """One use of a `block` definition, with the definition's body instantiated."""

    kind: Literal["block"] = "block"
    block: str
    arguments: dict[str, int | float | tuple[int, ...]] = {}
    definition_span: Span
    body: list[Item]

    def describe(self) -> str:
        values = [_value_text(v) for v in self.arguments.values()]
        return " ".join([self.block, *values])


class Residual(LayerBase):
    """`residual { body } shortcut { projection }`: body(x) + shortcut(x), or + x."""

    kind: Literal["residual"] = "residual"
    body: list[Item]
    shortcut: list[Item] | None = None

    def describe(self) -> str:
        return "residual" + (" with projection" if self.shortcut else "")


class Concat(LayerBase):
    """`concat { one branch per line }`: every branch sees the input; outputs are stacked
    along the channels."""

    kind: Literal["concat"] = "concat"
    branches: list[list[Item]]

    def describe(self) -> str:
        return f"concat of {len(self.branches)} branches"


class Repeat(LayerBase):
    """`repeat N { body }`: the body N times in sequence."""

    kind: Literal["repeat"] = "repeat"
    count: int
    body: list[Item]

    def describe(self) -> str:
        return f"repeat {self.count:,}"


def _value_text(value: int | float | tuple[int, ...]) -> str:
    if isinstance(value, tuple):
        return "x".join(str(v) for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


Item = Annotated[
    Conv | Pool | AdaptivePool | GlobalPool | Flatten | Dense | Activation | Dropout | BatchNorm
    | Identity | Invalid | Block | Residual | Concat | Repeat,
    Field(discriminator="kind"),
]
COMPOUNDS = (Block, Residual, Concat, Repeat)


class Spec(BaseModel):
    """A parsed spec: its source, its input, its items in order, and what parsing found."""

    name: str
    text: str
    input: InputDecl | None
    layers: list[Item]
    diagnostics: list[Diagnostic] = []


for _model in (Block, Residual, Concat, Repeat, Spec):
    _model.model_rebuild()
