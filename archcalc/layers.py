"""Layer kinds: their names and aliases, and how each reads its arguments into an IR node.

The grammar only says what an argument looks like (a number, a size such as 3x5, a decimal, a
word); which arguments a kind takes, and what they mean, is decided here so that a wrong
argument gets a message about that kind of layer.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, get_args

from lark import Token

from archcalc import ir
from archcalc.diagnostics import Diagnostic, error
from archcalc.source import Span
from archcalc.syntax import token_span

# s4, p1x2, d2, g32: stride, padding, dilation, groups.
OPTION_PATTERN = re.compile(r"([spdg])([0-9]+)(?:[xX×]([0-9]+))?")
_SIZE_SEPARATOR = re.compile(r"[ \t]*[xX×][ \t]*")
OPTION_NAMES = {"s": "stride", "p": "padding", "d": "dilation", "g": "groups"}


def _integer(text: str, token: Token, diagnostics: list[Diagnostic]) -> int | None:
    digits = text.replace(",", "").replace("_", "")
    try:
        return int(digits)
    except ValueError:  # Python refuses to convert integers of thousands of digits
        diagnostics.append(error("E205", f"number too large to read ({len(digits):,} digits)",
                                 token_span(token)))
        return None


def read_int(token: Token, diagnostics: list[Diagnostic]) -> int | None:
    """An integer token's value (digit groups may be separated by ',' or '_')."""
    return _integer(str(token), token, diagnostics)


def read_dims(token: Token, diagnostics: list[Diagnostic]) -> tuple[int, ...] | None:
    """The parts of a size token (227x227x3) or of a single number."""
    parts = (_SIZE_SEPARATOR.split(str(token)) if token.type in ("SIZE", "DIMS")
             else [str(token)])
    values = [_integer(part, token, diagnostics) for part in parts]
    return None if None in values else tuple(v for v in values if v is not None)


@dataclass
class LayerArgs:
    """The arguments written after one layer's kind word, sorted by what they look like."""

    kind: str
    kind_token: Token
    diagnostics: list[Diagnostic]
    positional: list[Token] = field(default_factory=list)
    options: dict[str, tuple[Token, re.Match[str]]] = field(default_factory=dict)
    flags: dict[str, Token] = field(default_factory=dict)
    spans: dict[str, Span] = field(default_factory=dict)
    ok: bool = True

    def fail(self, diagnostic: Diagnostic) -> None:
        self.diagnostics.append(diagnostic)
        self.ok = False

    # Readers used by the kind builders; each records the span of what it read.

    def positive_int(self, token: Token, what: str) -> int | None:
        if token.type != "INT":
            self.fail(error("E201", f"{self.kind} takes a whole number as its {what}, "
                            f"not `{token}`", token_span(token), help=[usage_help(self.kind)]))
            return None
        value = read_int(token, self.diagnostics)
        if value is None:
            self.ok = False
            return None
        if value < 1:
            self.fail(error("E204", f"the {what} of {self.kind} must be at least 1",
                            token_span(token)))
            return None
        self.spans[what] = token_span(token)
        return value

    def pair(self, token: Token, what: str) -> ir.Pair | None:
        """A square (3) or rectangular (3x5) size, each side at least 1."""
        if token.type not in ("INT", "SIZE"):
            self.fail(error("E201", f"{self.kind} takes a size such as 3 or 3x5 as its {what}, "
                            f"not `{token}`", token_span(token), help=[usage_help(self.kind)]))
            return None
        dims = read_dims(token, self.diagnostics)
        if dims is None:
            self.ok = False
            return None
        if len(dims) != 2 and len(dims) != 1:
            hint = (["the depth of a filter is always the input's depth, so write only its "
                     f"height and width: `{dims[0]}x{dims[1]}`"] if len(dims) == 3 else [])
            self.fail(error("E201", f"the {what} of {self.kind} has {len(dims)} parts; write "
                            "one number or HxW", token_span(token), help=hint))
            return None
        if min(dims) < 1:
            self.fail(error("E204", f"the {what} of {self.kind} must be at least 1",
                            token_span(token)))
            return None
        self.spans[what] = token_span(token)
        return (dims[0], dims[-1])

    def option(self, letter: str, default: ir.Pair, minimum: int = 1) -> ir.Pair:
        if letter not in self.options:
            return default
        token, match = self.options.pop(letter)
        what = OPTION_NAMES[letter]
        first = int(match.group(2))
        second = int(match.group(3)) if match.group(3) else first
        if min(first, second) < minimum:
            self.fail(error("E204", f"the {what} of {self.kind} must be at least {minimum}",
                            token_span(token)))
            return default
        self.spans[what] = token_span(token)
        return (first, second)

    def groups(self) -> int:
        if "g" not in self.options:
            return 1
        token, match = self.options["g"]
        if match.group(3):
            self.fail(error("E201", "groups is a single number, such as g32", token_span(token)))
            return 1
        return self.option("g", (1, 1))[0]

    def padding(self) -> ir.Pair | str:
        same, valid = self.flags.pop("same", None), self.flags.pop("valid", None)
        explicit = self.options.pop("p", None) if same or valid else self.options.get("p")
        given = [t for t in (same, valid, explicit[0] if explicit else None) if t is not None]
        if len(given) > 1:
            self.fail(error("E203", f"{self.kind} is given its padding twice",
                            token_span(given[1]), notes=[f"first as `{given[0]}`"]))
        if same is not None:
            self.spans["padding"] = token_span(same)
            return "same"
        if valid is not None:
            self.spans["padding"] = token_span(valid)
        return self.option("p", (0, 0), minimum=0)

    def flag(self, word: str) -> bool:
        token = self.flags.pop(word, None)
        if token is not None:
            self.spans[word] = token_span(token)
        return token is not None

    def finish(self, allowed: tuple[str, ...]) -> None:
        """Report every argument the builder did not take."""
        for token, _ in self.options.values():
            self._unexpected(token, allowed)
        for token in self.flags.values():
            self._unexpected(token, allowed)

    def _unexpected(self, token: Token, allowed: tuple[str, ...]) -> None:
        word = str(token)
        help_lines = []
        close = difflib.get_close_matches(word.lower(), allowed, n=1, cutoff=0.6)
        if close:
            help_lines.append(f"did you mean `{close[0]}`?")
        elif resolve_kind(word) is not None:
            help_lines.append(f"`{word}` is a layer of its own: chain it with `->`, "
                              f"as in `{self.kind} ... -> {word}`")
        help_lines.append(usage_help(self.kind))
        self.fail(error("E201", f"{self.kind} does not take `{word}`", token_span(token),
                        help=help_lines))

    def too_many(self, extra: Token, expected: str) -> None:
        self.fail(error("E201", f"{self.kind} takes {expected}; `{extra}` is one too many",
                        token_span(extra), help=[usage_help(self.kind)]))

    def missing(self, what: str) -> None:
        self.fail(error("E202", f"{self.kind} needs {what}", token_span(self.kind_token),
                        help=[usage_help(self.kind)]))


Fields = dict[str, Any]


def _conv(args: LayerArgs) -> Fields:
    if len(args.positional) < 2:
        args.missing("a kernel size and a number of filters")
        return {}
    if len(args.positional) > 2:
        args.too_many(args.positional[2], "a kernel size and a number of filters")
    fields: Fields = {
        "kernel": args.pair(args.positional[0], "kernel"),
        "filters": args.positive_int(args.positional[1], "filters"),
        "stride": args.option("s", (1, 1)),
        "padding": args.padding(),
        "dilation": args.option("d", (1, 1)),
        "groups": args.groups(),
        "bias": not args.flag("nobias"),
    }
    args.flag("bias")
    return fields


def _pool(args: LayerArgs) -> Fields:
    if not args.positional:
        args.missing("a window size")
        return {}
    if len(args.positional) > 1:
        args.too_many(args.positional[1], "one window size")
    kernel = args.pair(args.positional[0], "kernel")
    fields: Fields = {
        "kernel": kernel,
        "stride": args.option("s", kernel or (1, 1)),
        "padding": args.padding(),
        "ceil": args.flag("ceil"),
    }
    args.flag("floor")  # its span is kept: Caffe's rules round up unless `floor` is written
    return fields


def _adaptive_pool(args: LayerArgs) -> Fields:
    if len(args.positional) != 1:
        if args.positional:
            args.too_many(args.positional[1], "one output size")
        else:
            args.missing("an output size, such as 6x6")
        return {}
    output = args.pair(args.positional[0], "output")
    return {"output": output}


def _dense(args: LayerArgs) -> Fields:
    if not args.positional:
        args.missing("a number of units")
        return {}
    if len(args.positional) > 1:
        args.too_many(args.positional[1], "one number of units")
    fields: Fields = {"units": args.positive_int(args.positional[0], "units"),
                      "bias": not args.flag("nobias")}
    args.flag("bias")
    return fields


def _dropout(args: LayerArgs) -> Fields:
    if not args.positional:
        args.missing("a rate, such as `dropout 0.5`")
        return {}
    if len(args.positional) > 1:
        args.too_many(args.positional[1], "one rate")
    token = args.positional[0]
    if token.type not in ("DECIMAL", "INT"):
        args.fail(error("E201", f"dropout takes a rate between 0 and 1, not `{token}`",
                        token_span(token)))
        return {}
    rate = float(str(token).replace(",", "").replace("_", ""))
    if not 0 <= rate < 1:
        hints = []
        if 1 < rate <= 100:
            hints.append(f"rates are fractions: {rate:g}% is `dropout {rate / 100:g}`")
        args.fail(error("E204", f"dropout rate {token} is outside [0, 1)", token_span(token),
                        notes=["the rate is the fraction of units set to zero in training; "
                               "at 1 every unit would be dropped"], help=hints))
        return {}
    args.spans["rate"] = token_span(token)
    return {"rate": rate}


def _no_args(args: LayerArgs) -> Fields:
    if args.positional:
        args.fail(error("E201", f"{args.kind} takes no arguments", token_span(args.positional[0]),
                        help=[usage_help(args.kind)]))
    return {}


def _activation(function: str) -> Callable[[LayerArgs], Fields]:
    def build(args: LayerArgs) -> Fields:
        fields: Fields = {"function": function}
        if function == "leakyrelu" and args.positional:
            token = args.positional.pop(0)
            if token.type in ("DECIMAL", "INT"):
                fields["slope"] = float(str(token).replace(",", "").replace("_", ""))
                args.spans["slope"] = token_span(token)
            else:
                args.fail(error("E201", f"leakyrelu takes a slope such as 0.01, not `{token}`",
                                token_span(token)))
        _no_args(args)
        return fields
    return build


@dataclass(frozen=True)
class Kind:
    """One layer kind of the language."""

    word: str                      # the canonical word, as tables print it
    model: type[ir.LayerBase]
    build: Callable[[LayerArgs], Fields]
    usage: str
    aliases: tuple[str, ...] = ()
    fixed: tuple[tuple[str, str], ...] = ()  # fields set by the word itself (kind="avgpool")
    words: tuple[str, ...] = ()  # the bare words it accepts, such as `same` or `nobias`


_ACTIVATION_ALIASES = {
    "leakyrelu": ("leaky_relu", "lrelu"), "silu": ("swish",), "hardswish": ("hard_swish",),
    "hardsigmoid": ("hard_sigmoid",), "logsoftmax": ("log_softmax",),
}

KINDS: tuple[Kind, ...] = (
    Kind("conv", ir.Conv, _conv,
         "conv KERNEL [sSTRIDE] [pPADDING|same|valid] [dDILATION] [gGROUPS] FILTERS [nobias]"
         " — e.g. `conv 3 s2 p1 64`", ("conv2d", "convolution"),
         words=("same", "valid", "nobias", "bias")),
    Kind("pool", ir.Pool, _pool, "pool KERNEL [sSTRIDE] [pPADDING|same] [ceil] — e.g. `pool 3 s2`",
         ("maxpool", "max_pool", "maxpool2d", "maxpooling2d", "max_pooling2d"),
         (("kind", "maxpool"),), words=("same", "valid", "ceil", "floor")),
    Kind("avgpool", ir.Pool, _pool,
         "avgpool KERNEL [sSTRIDE] [pPADDING|same] [ceil] — e.g. `avgpool 2`",
         ("avg_pool", "avgpool2d", "averagepooling2d", "average_pooling2d"),
         (("kind", "avgpool"),), words=("same", "valid", "ceil", "floor")),
    Kind("adaptivepool", ir.AdaptivePool, _adaptive_pool,
         "adaptivepool HxW — average pooling to a fixed output size, e.g. `adaptivepool 6x6`",
         ("adaptiveavgpool", "adaptive_avg_pool", "adaptiveavgpool2d"),
         (("kind", "adaptiveavgpool"),)),
    Kind("adaptivemaxpool", ir.AdaptivePool, _adaptive_pool,
         "adaptivemaxpool HxW — max pooling to a fixed output size",
         ("adaptive_max_pool", "adaptivemaxpool2d"), (("kind", "adaptivemaxpool"),)),
    Kind("gap", ir.GlobalPool, _no_args, "gap — global average pooling to 1x1xC",
         ("globalavgpool", "global_avg_pool", "globalaveragepooling2d",
          "global_average_pooling2d"), (("kind", "gap"),)),
    Kind("gmp", ir.GlobalPool, _no_args, "gmp — global max pooling to 1x1xC",
         ("globalmaxpool", "global_max_pool", "globalmaxpooling2d", "global_max_pooling2d"),
         (("kind", "gmp"),)),
    Kind("flatten", ir.Flatten, _no_args, "flatten — HxWxC to a vector of H·W·C values"),
    Kind("fc", ir.Dense, _dense, "fc UNITS [nobias] — e.g. `fc 4096`", ("dense", "linear"),
         words=("nobias", "bias")),
    Kind("identity", ir.Identity, _no_args,
         "identity — passes the input on unchanged (an empty branch of a concat)"),
    Kind("dropout", ir.Dropout, _dropout, "dropout RATE — e.g. `dropout 0.5`"),
    Kind("bn", ir.BatchNorm, _no_args, "bn — batch normalisation over the channels",
         ("batchnorm", "batchnorm2d", "batch_norm", "batchnormalization")),
    *(
        Kind(name, ir.Activation, _activation(name),
             f"{name} SLOPE — e.g. `leakyrelu 0.01`" if name == "leakyrelu" else f"{name}",
             _ACTIVATION_ALIASES.get(name, ()))
        for name in get_args(ir.ActivationName)
    ),
)

_BY_WORD: dict[str, Kind] = {}
for _kind in KINDS:
    for _word in (_kind.word, *_kind.aliases):
        _BY_WORD[_word] = _kind


def flag_words() -> frozenset[str]:
    """The bare words that layers take (`same`, `nobias`, `frozen`, ...)."""
    return frozenset(word for kind in KINDS for word in kind.words) | {"frozen"}


def resolve_kind(word: str) -> Kind | None:
    """The kind a word names (case does not matter), or None."""
    return _BY_WORD.get(word.lower())


def usage_help(kind: str) -> str:
    found = resolve_kind(kind)
    return f"usage: {found.usage}" if found else ""


def suggest_kind(word: str) -> str | None:
    """The known kind word closest to a misspelt one."""
    close = difflib.get_close_matches(word.lower(), list(_BY_WORD), n=1, cutoff=0.6)
    return close[0] if close else None


def build_layer(kind: Kind, kind_token: Token, arg_tokens: list[Token],
                common: Fields, diagnostics: list[Diagnostic]) -> ir.LayerBase | None:
    """Read one layer's arguments into its IR node; None (with diagnostics) if they are wrong."""
    args = LayerArgs(kind=kind.word, kind_token=kind_token, diagnostics=diagnostics)
    for token in arg_tokens:
        if token.type != "NAME":
            args.positional.append(token)
            continue
        word = str(token)
        match = OPTION_PATTERN.fullmatch(word)
        key = match.group(1) if match else word.lower()
        seen = args.options.get(key, (None,))[0] if match else args.flags.get(key)
        if seen is not None:
            args.fail(error("E203", f"{kind.word} is given `{word}` after `{seen}`",
                            token_span(token), help=["give each option once"]))
        elif match:
            args.options[key] = (token, match)
        else:
            args.flags[key] = token
    frozen = args.flag("frozen")
    fields = kind.build(args)
    args.finish(kind.words)
    if not args.ok or any(value is None for value in fields.values()):
        return None
    return kind.model(**common, **fields, **dict(kind.fixed), arg_spans=args.spans,
                      frozen=frozen)
