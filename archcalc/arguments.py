"""Arguments with their arithmetic done: constants and block parameters substituted, and each
argument turned back into the token that the layer readers (archcalc.layers) expect, placed
where it was written so that a diagnostic about it points there.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable

from lark import Token

from archcalc import syntax
from archcalc.diagnostics import Diagnostic, error
from archcalc.layers import read_dims, read_int, usage_help
from archcalc.source import Source, Span
from archcalc.syntax import token_span, value_span

Value = int | float | tuple[int, ...]
Env = dict[str, Value]

# `s=2` or `stride=2` is the option `s2`; so for padding, dilation and groups.
_KEYWORD_OPTIONS = {"s": "s", "stride": "s", "p": "p", "padding": "p", "d": "d",
                    "dilation": "d", "g": "g", "groups": "g"}


class Arguments:
    """Evaluates arguments for one source; problems go to `report`."""

    def __init__(self, source: Source, diagnostics: list[Diagnostic],
                 report: Callable[[Diagnostic], None]) -> None:
        self.source = source
        self.diagnostics = diagnostics
        self.report = report

    def argument(self, kind: str, arg: syntax.Arg, env: Env) -> Token | None:
        """An argument as the token the layer readers expect, with its arithmetic done."""
        if isinstance(arg, syntax.KeywordArg):
            letter = _KEYWORD_OPTIONS.get(str(arg.name).lower())
            if letter is None:
                self.report(error("E201", f"{kind} does not take `{arg.name}=`",
                                  token_span(arg.name),
                                  help=["named arguments are the options stride (s), padding "
                                        "(p), dilation (d) and groups (g), as in `s=2`; "
                                        "the rest are plain numbers", usage_help(kind)]))
                return None
            value = self.evaluate(arg.value, env)
            if value is None:
                return None
            if isinstance(value, float):
                self.report(error("E201", f"`{arg.name}` takes a whole number, not {value:g}",
                                  value_span(arg.value)))
                return None
            if isinstance(value, int) and value < 0:
                self.report(error("E204", f"`{arg.name}` cannot be negative ({value})",
                                  value_span(arg.value)))
                return None
            text = "x".join(str(v) for v in value) if isinstance(value, tuple) else str(value)
            return token_at("NAME", f"{letter}{text}", arg.span)
        if isinstance(arg, Token) and (arg.type != "NAME" or str(arg) not in env):
            return arg  # a number, a size, or a word such as `same`
        if isinstance(arg, syntax.Arithmetic) and self._looks_negative(arg):
            right = value_span(arg.right)
            self.report(error(
                "E201", f"`{arg_text(self.source, arg)}` reads as one argument, a "
                "subtraction", self.source.span(right.start - 1, right.end),
                help=[f"sizes and counts are never negative; write `{kind} 3 64`, or put "
                      "spaces on both sides of a `-` that subtracts"]))
            return None
        value = self.evaluate(arg, env)
        return None if value is None else value_token(value, value_span(arg))

    def _looks_negative(self, arg: syntax.Arithmetic) -> bool:
        """`conv 3 -64`: a space before the `-` and none after it, as a negative number."""
        if arg.op not in ("-", "+"):
            return False
        gap = self.source.text[value_span(arg.left).end:value_span(arg.right).start]
        return gap[:1].isspace() and not gap[-1:].isspace()

    def evaluate(self, value: syntax.Value, env: Env) -> Value | None:
        if isinstance(value, Token):
            if value.type == "NAME":
                return self._lookup(value, env)
            if value.type == "DECIMAL":
                return float(str(value).replace(",", "").replace("_", ""))
            if value.type == "SIZE":
                return read_dims(value, self.diagnostics)
            return read_int(value, self.diagnostics)
        left, right = self.evaluate(value.left, env), self.evaluate(value.right, env)
        if left is None or right is None:
            return None
        if isinstance(left, tuple) or isinstance(right, tuple):
            self.report(error("E213", "arithmetic works on numbers, not on sizes such as 3x3",
                              value.span))
            return None
        return self._arithmetic(value, left, right)

    def _arithmetic(self, value: syntax.Arithmetic, left: int | float,
                    right: int | float) -> Value | None:
        text = self.source.text[value.span.start:value.span.end]
        if value.op in ("/", "//") and right == 0:
            self.report(error("E213", f"`{text}` divides by zero", value.span))
            return None
        if value.op == "+":
            return left + right
        if value.op == "-":
            return left - right
        if value.op == "*":
            return left * right
        if value.op == "//":
            return left // right
        if isinstance(left, int) and isinstance(right, int):
            if left % right:
                self.report(error(
                    "E213", f"`{text}` is {left}/{right} = {left / right:g}, not a whole "
                    "number", value.span,
                    help=[f"`//` rounds down ({left // right}); or choose sizes that divide"]))
                return None
            return left // right
        return left / right

    def _lookup(self, name: Token, env: Env) -> Value | None:
        word = str(name)
        if word in env:
            return env[word]
        close = difflib.get_close_matches(word, list(env), n=1)
        if close:
            hint = f"did you mean `{close[0]}`?"
        elif env:
            hint = f"the names known here: {', '.join(sorted(env))}"
        else:
            hint = f"define it first, as in `let {word} = 64`"
        self.report(error("E207", f"unknown name `{word}`", token_span(name), help=[hint]))
        return None


def token_at(kind: str, text: str, span: Span) -> Token:
    """A token made by archcalc (a substituted value), placed where its source was."""
    return Token(kind, text, start_pos=span.start, line=span.line, column=span.column,
                 end_line=span.end_line, end_column=span.end_column, end_pos=span.end)


def value_token(value: Value, span: Span) -> Token:
    """A value as the token a layer reader expects: INT, DECIMAL or SIZE."""
    if isinstance(value, tuple):
        return token_at("SIZE", "x".join(str(v) for v in value), span)
    if isinstance(value, float):
        return token_at("DECIMAL", repr(value), span)
    return token_at("INT", str(value), span)


def value_text(value: Value) -> str:
    """A value as the language writes it: 64, 0.5, 3x3."""
    if isinstance(value, tuple):
        return "x".join(str(v) for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def arg_text(source: Source, arg: syntax.Arg) -> str:
    """An argument as written."""
    span = value_span(arg)
    return source.text[span.start:span.end]
