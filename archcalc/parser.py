"""From text to IR: the Lark grammar, a thin transformer, and readable syntax errors.

The grammar (grammars/archcalc.lark) is loaded once, as an LALR parser whose transformer runs
while parsing, so no parse tree is built. Lark's exceptions are translated here, at the parse
boundary, into diagnostics that say in words what was expected.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from archcalc import ir, syntax
from archcalc.diagnostics import Diagnostic, error
from archcalc.elaborate import elaborate
from archcalc.source import Source, Span
from archcalc.syntax import token_span


def _grammar_path() -> Path:
    # Installed, the grammar sits inside the package (pyproject force-includes it there); in a
    # source checkout it is the repository's grammars/ folder.
    here = Path(__file__).resolve().parent
    for candidate in (here / "grammars" / "archcalc.lark",
                      here.parent / "grammars" / "archcalc.lark"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("archcalc.lark is missing from this installation")


class _SpecTransformer(Transformer[Token, list[Any]]):
    """Builds one raw node per grammar rule; methods are named after the rules."""

    def start(self, statements: list[Any]) -> list[Any]:
        # `input 227x227x3 -> conv ...` arrives as the input followed by its chain.
        return statements

    def input_decl(self, children: list[Token]) -> syntax.RawInput:
        return syntax.RawInput(children[0], children[1])

    def let_decl(self, children: list[Any]) -> syntax.RawLet:
        return syntax.RawLet(children[0], children[1], children[2])

    def block_def(self, children: list[Any]) -> syntax.RawBlockDef:
        keyword, name, *params, body = children
        return syntax.RawBlockDef(keyword, name, params, body)

    def param(self, children: list[Any]) -> syntax.RawParam:
        return syntax.RawParam(children[0], children[1] if len(children) > 1 else None)

    def body(self, children: list[Any]) -> syntax.Body:
        return syntax.Body(children[1:-1], token_span(children[0]).to(token_span(children[-1])))

    def chain(self, items: list[syntax.RawItem]) -> list[syntax.RawItem]:
        return items

    def label(self, children: list[Token]) -> syntax.Label:
        return syntax.Label(children[0])

    def layer(self, children: list[Any]) -> syntax.RawLayer:
        label = children.pop(0).name if isinstance(children[0], syntax.Label) else None
        expect = children.pop() if isinstance(children[-1], syntax.RawExpect) else None
        span = token_span(label or children[0]).to(syntax.value_span(children[-1]))
        return syntax.RawLayer(label, children[0], children[1:], expect, span)

    def residual(self, children: list[Any]) -> syntax.RawResidual:
        label = children.pop(0).name if isinstance(children[0], syntax.Label) else None
        expect = children.pop() if isinstance(children[-1], syntax.RawExpect) else None
        keyword, body, *rest = children
        shortcut = rest[1] if rest else None
        span = token_span(label or keyword).to((shortcut or body).span)
        return syntax.RawResidual(label, keyword, body, shortcut, expect, span)

    def concat(self, children: list[Any]) -> syntax.RawConcat:
        label = children.pop(0).name if isinstance(children[0], syntax.Label) else None
        expect = children.pop() if isinstance(children[-1], syntax.RawExpect) else None
        keyword, branches = children
        return syntax.RawConcat(label, keyword, branches.statements, expect,
                                token_span(label or keyword).to(branches.span))

    def branches(self, children: list[Any]) -> syntax.Body:
        return syntax.Body(children[1:-1], token_span(children[0]).to(token_span(children[-1])))

    def repeat(self, children: list[Any]) -> syntax.RawRepeat:
        label = children.pop(0).name if isinstance(children[0], syntax.Label) else None
        expect = children.pop() if isinstance(children[-1], syntax.RawExpect) else None
        keyword, count, body = children
        return syntax.RawRepeat(label, keyword, count, body, expect,
                                token_span(label or keyword).to(body.span))

    def keyword_arg(self, children: list[Any]) -> syntax.KeywordArg:
        name, value = children
        return syntax.KeywordArg(name, value, token_span(name).to(syntax.value_span(value)))

    def add(self, children: list[Any]) -> syntax.Arithmetic:
        return _arithmetic("+", children)

    def sub(self, children: list[Any]) -> syntax.Arithmetic:
        return _arithmetic("-", children)

    def mul(self, children: list[Any]) -> syntax.Arithmetic:
        return _arithmetic("*", children)

    def div(self, children: list[Any]) -> syntax.Arithmetic:
        return _arithmetic("/", children)

    def floordiv(self, children: list[Any]) -> syntax.Arithmetic:
        return _arithmetic("//", children)

    def expect(self, children: list[Any]) -> syntax.RawExpect:
        return syntax.RawExpect(children[0], children[1:])

    def expect_shape(self, children: list[Token]) -> tuple[str, Token, Span]:
        return ("shape", children[-1], token_span(children[0]).to(token_span(children[-1])))

    def expect_params(self, children: list[Token]) -> tuple[str, Token, Span]:
        return ("params", children[1], token_span(children[0]).to(token_span(children[1])))


def _arithmetic(op: str, children: list[Any]) -> syntax.Arithmetic:
    left, right = children
    return syntax.Arithmetic(op, left, right,
                             syntax.value_span(left).to(syntax.value_span(right)))


@lru_cache(maxsize=1)
def _lark() -> Lark:
    return Lark(_grammar_path().read_text(encoding="utf-8"), parser="lalr", cache=True,
                transformer=_SpecTransformer(visit_tokens=False),
                maybe_placeholders=False)


# What Lark's terminal names mean, in words.
_TERMINAL_WORDS = {
    "NAME": "a name", "INT": "a number", "SIZE": "a size such as 3x3",
    "DIMS": "a size such as 227x227x3",
    "DECIMAL": "a decimal number", "_ARROW": "`->`", "_NL": "a line break", "COLON": "`:`",
    "INPUT": "`input`", "EXPECT": "`expect`", "SHAPE": "`shape`", "PARAMS": "`params`",
    "SHORTCUT": "`shortcut`", "LBRACE": "`{`", "RBRACE": "`}`", "LPAR": "`(`", "RPAR": "`)`",
    "EQUAL": "`=`", "COMMA": "`,`", "$END": "the end of the file",
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
                 f"{_describe_expected(expected)}", span, help=_brace_help(token, source))


def _brace_help(token: Token, source: Source) -> list[str]:
    """Where braces go, when a misplaced one (or a missing one) is the problem."""
    line = source.line_text(token.line or 1)[:max(0, (token.column or 1) - 1)].strip()
    if token.type == "LBRACE" and line.startswith("shortcut"):
        return ["`shortcut` follows the residual's closing brace on the same line: "
                "`} shortcut { conv 1 s2 128 nobias -> bn }`"]
    if token.type == "LBRACE" and line.startswith("block"):
        return ["a block lists its parameters in parentheses, even when it has none: "
                "`block stem() { ... }`"]
    if token.type == "LBRACE" or (token.type == "_NL" and (line in ("residual", "concat")
                                                           or line.startswith("repeat "))):
        return ["a body opens with `{` on the same line as `block NAME(PARAMS)`, `residual`, "
                "`concat` or `repeat N`"]
    return []


def parse(text: str, name: str = "<spec>") -> ir.Spec:
    """Parse a spec. Problems are returned as the Spec's diagnostics, never raised."""
    source = Source(text, name)
    diagnostics: list[Diagnostic] = []
    try:
        statements = cast(list[Any], _lark().parse(text))
    except UnexpectedInput as exc:
        diagnostics.append(_syntax_error(exc, source))
        return ir.Spec(name=name, text=text, input=None, layers=[], diagnostics=diagnostics)
    return elaborate(statements, source, diagnostics)
