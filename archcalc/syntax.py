"""The raw syntax tree: what the grammar's transformer builds, before names are resolved.

Arguments are still tokens (or small arithmetic trees over tokens); blocks are not yet
instantiated. archcalc.elaborate turns this into the IR.
"""

from __future__ import annotations

from dataclasses import dataclass

from lark import Token

from archcalc.source import Span


@dataclass
class RawInput:
    keyword: Token
    dims: Token


@dataclass
class Label:
    name: Token


@dataclass
class RawExpect:
    keyword: Token
    items: list[tuple[str, Token, Span]]  # ("shape" | "params", value token, item span)


@dataclass
class Arithmetic:
    """`a + b`, `c * 2`, `w // 2`: evaluated when the names in it are known."""

    op: str  # "+", "-", "*", "/", "//"
    left: Value
    right: Value
    span: Span


Value = Token | Arithmetic


@dataclass
class KeywordArg:
    """`s=stride`: a named argument (a layer option, or a block parameter by name)."""

    name: Token
    value: Value
    span: Span


Arg = Value | KeywordArg


@dataclass
class Body:
    """Statements between braces, and the span of the braces."""

    statements: list[Statement]
    span: Span


@dataclass
class RawLayer:
    """A layer, or the use of a block: a word followed by arguments."""

    label: Token | None
    kind: Token
    args: list[Arg]
    expect: RawExpect | None
    span: Span


@dataclass
class RawResidual:
    label: Token | None
    keyword: Token
    body: Body
    shortcut: Body | None
    expect: RawExpect | None
    span: Span


@dataclass
class RawConcat:
    label: Token | None
    keyword: Token
    branches: list[list[RawItem]]
    expect: RawExpect | None
    span: Span


@dataclass
class RawRepeat:
    label: Token | None
    keyword: Token
    count: Value
    body: Body
    expect: RawExpect | None
    span: Span


RawItem = RawLayer | RawResidual | RawConcat | RawRepeat


@dataclass
class RawLet:
    keyword: Token
    name: Token
    value: Value


@dataclass
class RawParam:
    name: Token
    default: Value | None


@dataclass
class RawBlockDef:
    keyword: Token
    name: Token
    params: list[RawParam]
    body: Body


Statement = RawInput | RawLet | RawBlockDef | list[RawItem]


def token_span(token: Token) -> Span:
    """The span of a lexer token."""
    return Span.at(token.start_pos or 0, token.end_pos or 0, token.line or 1, token.column or 1,
                   token.end_line or 1, token.end_column or 1)


def value_span(value: Value | KeywordArg) -> Span:
    """The span of an argument, whatever its form."""
    return value.span if isinstance(value, (Arithmetic, KeywordArg)) else token_span(value)
