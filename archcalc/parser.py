"""From text to IR: the Lark grammar, a thin transformer, and readable syntax errors.

The grammar (grammars/archcalc.lark) is loaded once, as an LALR parser whose transformer runs
while parsing, so no parse tree is built. Lark's exceptions are translated here, at the parse
boundary, into diagnostics that say in words what was expected.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from archcalc import ir
from archcalc.diagnostics import Diagnostic, error
from archcalc.layers import build_layer, read_dims, read_int, resolve_kind, suggest_kind, token_span
from archcalc.source import Source, Span


def _grammar_path() -> Path:
    # Installed, the grammar sits inside the package (pyproject force-includes it there); in a
    # source checkout it is the repository's grammars/ folder.
    here = Path(__file__).resolve().parent
    for candidate in (here / "grammars" / "archcalc.lark",
                      here.parent / "grammars" / "archcalc.lark"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("archcalc.lark is missing from this installation")


# Raw statements, as the transformer builds them; parse() turns them into IR nodes.

@dataclass
class _RawInput:
    keyword: Token
    dims: Token


@dataclass
class _Label:
    name: Token


@dataclass
class _RawExpect:
    keyword: Token
    items: list[tuple[str, Token, Span]]  # ("shape" | "params", value token, item span)


@dataclass
class _RawLayer:
    label: Token | None
    kind: Token
    args: list[Token]
    expect: _RawExpect | None


class _SpecTransformer(Transformer[Token, list[Any]]):
    """Builds one raw node per grammar rule; methods are named after the rules."""

    def start(self, statements: list[Any]) -> list[Any]:
        # `input 227x227x3 -> conv ...` arrives as the input followed by its chain.
        return statements

    def input_decl(self, children: list[Token]) -> _RawInput:
        return _RawInput(children[0], children[1])

    def chain(self, layers: list[_RawLayer]) -> list[_RawLayer]:
        return layers

    def label(self, children: list[Token]) -> _Label:
        return _Label(children[0])

    def layer(self, children: list[Any]) -> _RawLayer:
        label = children.pop(0).name if isinstance(children[0], _Label) else None
        expect = children.pop() if isinstance(children[-1], _RawExpect) else None
        return _RawLayer(label, children[0], children[1:], expect)

    def expect(self, children: list[Any]) -> _RawExpect:
        return _RawExpect(children[0], children[1:])

    def expect_shape(self, children: list[Token]) -> tuple[str, Token, Span]:
        return ("shape", children[-1], token_span(children[0]).to(token_span(children[-1])))

    def expect_params(self, children: list[Token]) -> tuple[str, Token, Span]:
        return ("params", children[1], token_span(children[0]).to(token_span(children[1])))


@lru_cache(maxsize=1)
def _lark() -> Lark:
    return Lark(_grammar_path().read_text(encoding="utf-8"), parser="lalr", cache=True,
                transformer=_SpecTransformer(visit_tokens=False), maybe_placeholders=False)


# What Lark's terminal names mean, in words.
_TERMINAL_WORDS = {
    "NAME": "a name", "INT": "a number", "SIZE": "a size such as 3x3",
    "DECIMAL": "a decimal number", "_ARROW": "`->`", "_NL": "a line break", "COLON": "`:`",
    "INPUT": "`input`", "EXPECT": "`expect`", "SHAPE": "`shape`", "PARAMS": "`params`",
    "$END": "the end of the file",
}
_ORDER = list(_TERMINAL_WORDS)


def _describe_expected(expected: set[str]) -> str:
    names = sorted((t for t in expected if t in _TERMINAL_WORDS), key=_ORDER.index)
    if "INPUT" in names and "NAME" in names:
        names = [n for n in names if n not in ("INPUT", "NAME")]
        words = ["a layer such as `conv 3 64`", "`input`"]
    elif "NAME" in names and "INT" not in names and "_ARROW" not in names:
        # Right after `->` or a label only a layer can come (a line break may too after `->`).
        words = ["a layer kind such as `conv` or `relu`"]
    else:
        words = [_TERMINAL_WORDS[n] for n in names]
    if len(words) <= 1:
        return words[0] if words else "something else"
    return ", ".join(words[:-1]) + " or " + words[-1]


def _token_words(token: Token) -> str:
    if token.type == "$END":
        return "end of file"
    if token.type == "_NL":
        return "end of line"
    return f"`{token}`"


def _syntax_error(exc: UnexpectedInput, source: Source) -> Diagnostic:
    if isinstance(exc, UnexpectedCharacters):
        offset = exc.pos_in_stream or 0
        char = source.text[offset]
        shown = f"`{char}`" if char.isprintable() else f"U+{ord(char):04X}"
        help_lines = []
        if char == "-":
            help_lines.append("layers are chained with `->`; sizes and counts are never negative")
        elif char in "=(),":
            help_lines.append("arguments are separated by spaces: `conv 3 s2 p1 64`")
        elif source.text.startswith("\\n", offset):
            help_lines.append("`\\n` here is two characters, not a line break; separate "
                              "statements with `;`, as in `-e 'input 28x28x1; conv 3 8'`")
        elif not char.isprintable():
            help_lines.append("a spec is plain text; is this the right file?")
        return error("E101", f"unexpected character {shown}", source.span(offset, offset + 1),
                     help=help_lines)
    assert isinstance(exc, UnexpectedToken)
    token = exc.token
    expected = set(exc.accepts or exc.expected)
    if token.type == "$END":
        end = len(source.text.rstrip())
        return error("E103", f"unexpected end of file: expected {_describe_expected(expected)}",
                     source.span(end, end))
    span = token_span(token)
    if token.type == "_NL":  # point at the end of the line, not at the line break itself
        span = source.span(token.start_pos or 0, token.start_pos or 0)
    return error("E102", f"unexpected {_token_words(token)}: expected "
                 f"{_describe_expected(expected)}", span)


def parse(text: str, name: str = "<spec>") -> ir.Spec:
    """Parse a spec. Problems are returned as the Spec's diagnostics, never raised."""
    source = Source(text, name)
    diagnostics: list[Diagnostic] = []
    try:
        statements = cast(list[Any], _lark().parse(text))
    except UnexpectedInput as exc:
        diagnostics.append(_syntax_error(exc, source))
        return ir.Spec(name=name, text=text, input=None, layers=[], diagnostics=diagnostics)
    return _SpecBuilder(source, diagnostics).build(statements)


class _SpecBuilder:
    """Turns raw statements into the IR: the input, named layers, and their expectations."""

    def __init__(self, source: Source, diagnostics: list[Diagnostic]) -> None:
        self.source = source
        self.diagnostics = diagnostics
        self.input: ir.InputDecl | None = None
        self.layers: list[ir.LayerBase] = []
        self.names: dict[str, Span] = {}
        self.counters: dict[str, int] = {}
        self.input_written = False

    def build(self, statements: list[Any]) -> ir.Spec:
        raw_layers = [layer for s in statements if isinstance(s, list) for layer in s]
        # Explicit names first, so that generated names (conv1, pool1, ...) can avoid them.
        for raw in raw_layers:
            if raw.label is not None:
                self._claim(raw.label)
        for statement in statements:
            if isinstance(statement, _RawInput):
                self._input(statement)
            else:
                for raw in statement:
                    self._layer(raw)
        if not self.input_written:
            first = self.source.span(0, 0)
            self.diagnostics.append(error(
                "E210", "the spec has no `input`", first,
                help=["begin with the input's size, e.g. `input 227x227x3` (H x W x C) or "
                      "`input 784` for a flat vector"]))
        return ir.Spec(name=self.source.name, text=self.source.text, input=self.input,
                       layers=self.layers, diagnostics=self.diagnostics)

    def _claim(self, label: Token) -> None:
        name = str(label)
        if name in self.names:
            first = self.names[name]
            self.diagnostics.append(error(
                "E206", f"a layer named `{name}` already exists", token_span(label),
                notes=[f"`{name}` was first defined at line {first.line}, column {first.column}"],
                help=["layer names must be unique: they become the model's weight names"]))
        else:
            self.names[name] = token_span(label)

    def _generated_name(self, prefix: str) -> str:
        while True:
            self.counters[prefix] = self.counters.get(prefix, 0) + 1
            candidate = f"{prefix}{self.counters[prefix]}"
            if candidate not in self.names:
                self.names[candidate] = self.source.span(0, 0)
                return candidate

    def _input(self, raw: _RawInput) -> None:
        span = token_span(raw.keyword).to(token_span(raw.dims))
        written_before, self.input_written = self.input_written, True
        if written_before or self.layers:
            if self.layers and not written_before:
                where = "layers come before it"
            elif self.input is not None:
                where = f"the input was already declared at line {self.input.span.line}"
            else:
                where = "the input was already declared"
            self.diagnostics.append(error(
                "E211", "`input` must be the first statement, and only one", span,
                notes=[where]))
            return
        dims = read_dims(raw.dims, self.diagnostics)
        if dims is None:
            return
        problem = None
        if len(dims) == 2:
            problem = (f"an image input is H x W x C; for a grayscale image write "
                       f"`input {dims[0]}x{dims[1]}x1`")
        elif len(dims) > 3:
            problem = ("write the input as H x W x C (the batch size is not part of it), "
                       "or N for a flat vector")
        elif min(dims) < 1:
            problem = "every size of the input must be at least 1"
        if problem:
            self.diagnostics.append(error("E212", f"malformed input shape `{raw.dims}`",
                                          token_span(raw.dims), help=[problem]))
            return
        self.input = ir.InputDecl(shape=dims, span=span)

    def _layer(self, raw: _RawLayer) -> None:
        kind_span = token_span(raw.kind)
        last = raw.args[-1] if raw.args else raw.kind
        first = raw.label or raw.kind
        span = Span.at(first.start_pos or 0, last.end_pos or 0, first.line or 1,
                       first.column or 1, last.end_line or 1, last.end_column or 1)
        kind = resolve_kind(str(raw.kind))
        prefix = kind.word if kind else "layer"
        name = str(raw.label) if raw.label is not None else self._generated_name(prefix)
        common: dict[str, Any] = {
            "name": name, "span": span, "kind_span": kind_span,
            "name_span": token_span(raw.label) if raw.label is not None else None,
            "expect": self._expectation(raw.expect) if raw.expect else None,
        }
        layer = None
        if kind is None:
            self._unknown_kind(raw.kind)
        else:
            layer = build_layer(kind, raw.kind, raw.args, common, self.diagnostics)
        if layer is None:
            layer = ir.Invalid(text=self.source.text[span.start:span.end], **common)
        self.layers.append(layer)

    def _unknown_kind(self, token: Token) -> None:
        word = str(token)
        help_lines = []
        if word.lower() == "input":
            message = "`input` must be a statement of its own, on the first line"
        else:
            message = f"unknown layer kind `{word}`"
            close = suggest_kind(word)
            if close:
                help_lines.append(f"did you mean `{close}`?")
            else:
                help_lines.append("known kinds: conv, pool, avgpool, adaptivepool, gap, "
                                  "flatten, fc, bn, dropout, and activations such as relu")
        self.diagnostics.append(error("E200", message, token_span(token), help=help_lines))

    def _expectation(self, raw: _RawExpect) -> ir.Expectation:
        fields: dict[str, Any] = {}
        for what, token, span in raw.items:
            if what in fields:
                self.diagnostics.append(error(
                    "E203", f"`expect` gives the {what} twice", span))
                continue
            value: Any = (read_dims(token, self.diagnostics) if what == "shape"
                          else read_int(token, self.diagnostics))
            fields[what] = value
            fields[f"{what}_span"] = span
        return ir.Expectation(span=token_span(raw.keyword).to(raw.items[-1][2]), **fields)
