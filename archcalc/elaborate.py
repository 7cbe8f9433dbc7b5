"""From the raw syntax tree to the IR: constants evaluated, names given, blocks instantiated.

Block definitions are collected first, so a block may be used above the line that defines it.
Each use of a block instantiates its body with the arguments substituted: the IR holds only
concrete layers, and every pass after this one is free of names and arithmetic. A `repeat`'s
body is instantiated once, however many times it runs; the static pass decides how much of it
to unroll.

A diagnostic that arises inside a block points at the line in the definition, and carries a
related note for each use it came through.
"""

from __future__ import annotations

import difflib
from typing import Any

from lark import Token

from archcalc import ir, syntax
from archcalc.arguments import Arguments, Env, Value, arg_text, value_text
from archcalc.diagnostics import Diagnostic, Related, error, warning
from archcalc.inputs import read_input
from archcalc.layers import (
    OPTION_PATTERN,
    build_layer,
    flag_words,
    read_dims,
    read_int,
    resolve_kind,
    suggest_kind,
)
from archcalc.source import Source, Span
from archcalc.syntax import token_span, value_span

# Items that block uses may instantiate in all; a repeat's body counts once. Blocks that use
# blocks multiply, and a definition ten levels deep could otherwise exhaust memory.
MAX_ITEMS = 100_000



def elaborate(statements: list[Any], source: Source, diagnostics: list[Diagnostic]) -> ir.Spec:
    """The IR of a parsed spec; problems are added to `diagnostics`."""
    return _Elaborator(source, diagnostics).run(statements)


class _Scope:
    """The names of the items of one body: labels first, then generated names around them."""

    def __init__(self, elaborator: _Elaborator, items: list[syntax.RawItem]) -> None:
        self.names: dict[str, Span] = {}
        self.counters: dict[str, int] = {}
        for raw in items:
            if raw.label is None:
                continue
            name, span = str(raw.label), token_span(raw.label)
            if name in self.names:
                first = self.names[name]
                elaborator.report(error(
                    "E206", f"a layer named `{name}` already exists", span,
                    notes=[f"`{name}` was first defined at line {first.line}, column "
                           f"{first.column}"],
                    help=["names must be unique within a block: they become the model's "
                          "weight names"]))
            else:
                self.names[name] = span

    def generated(self, prefix: str) -> str:
        # relu6 → relu6_1, not relu61, which would read as the 61st ReLU.
        separator = "_" if prefix[-1:].isdigit() else ""
        while True:
            self.counters[prefix] = self.counters.get(prefix, 0) + 1
            candidate = f"{prefix}{separator}{self.counters[prefix]}"
            if candidate not in self.names:
                self.names[candidate] = Span.at(0, 0, 1, 1, 1, 1)
                return candidate


def _chain_items(statements: list[syntax.Statement]) -> list[syntax.RawItem]:
    return [item for s in statements if isinstance(s, list) for item in s]


class _Elaborator:
    def __init__(self, source: Source, diagnostics: list[Diagnostic]) -> None:
        self.source = source
        self.diagnostics = diagnostics
        self.blocks: dict[str, syntax.RawBlockDef] = {}
        self.globals: Env = {}
        self.defined_at: dict[int, dict[str, Span]] = {}  # per environment: where names came from
        self.input: ir.InputDecl | None = None
        self.input_written = False
        self.items_seen = False
        self.stack: list[str] = []  # the blocks being instantiated, outermost first
        self.used: set[str] = set()
        self.in_template = 0  # inside a block body or a repeat body
        self.items_made = 0
        self.too_big = False
        self.arguments = Arguments(source, diagnostics, self.report)

    def report(self, diagnostic: Diagnostic) -> None:
        self.diagnostics.append(diagnostic)

    def run(self, statements: list[syntax.Statement]) -> ir.Spec:
        for statement in statements:
            if isinstance(statement, syntax.RawBlockDef):
                self._define(statement)
        top: list[syntax.Statement] = [s for s in statements
                                       if not isinstance(s, syntax.RawBlockDef)]
        layers = self._body(top, self.globals)
        for name, definition in self.blocks.items():
            if name not in self.used:
                self.report(warning(
                    "W200", f"block `{name}` is never used, so it is not checked",
                    token_span(definition.name),
                    notes=["a block's layers are worked out where it is used, with the "
                           "arguments of that use"]))
        if not self.input_written:
            self.report(error(
                "E210", "the spec has no `input`", self.source.span(0, 0),
                help=["begin with the input's size, e.g. `input 227x227x3` (H x W x C) or "
                      "`input 784` for a flat vector"]))
        return ir.Spec(name=self.source.name, text=self.source.text, input=self.input,
                       layers=layers, diagnostics=self.diagnostics)

    # Definitions

    def _reserved(self, name: Token, what: str) -> bool:
        """Report a name that would be read as something else; True if it was."""
        word = str(name)
        reason = None
        if resolve_kind(word) is not None:
            reason = f"`{word}` is a layer kind"
        elif word.lower() in flag_words():
            reason = f"`{word}` is a word that layers take, as in `conv 3 {word} 64`"
        elif OPTION_PATTERN.fullmatch(word):
            reason = f"`{word}` reads as a layer option, as in `conv 3 {word} 64`"
        elif word in self.blocks and what != "block":
            reason = f"`{word}` is a block"
        if reason is None:
            return False
        self.report(error("E208", f"cannot name a {what} `{word}`", token_span(name),
                          notes=[reason], help=[f"give the {what} another name"]))
        return True

    def _define(self, definition: syntax.RawBlockDef) -> None:
        name = str(definition.name)
        if self._reserved(definition.name, "block"):
            return
        if name in self.blocks:
            first = token_span(self.blocks[name].name)
            self.report(error("E208", f"block `{name}` is defined twice",
                              token_span(definition.name),
                              notes=[f"first defined at line {first.line}, column "
                                     f"{first.column}"]))
            return
        seen: set[str] = set()
        for param in definition.params:
            if str(param.name) in seen:
                self.report(error("E208", f"block `{name}` has two parameters named "
                                  f"`{param.name}`", token_span(param.name)))
                return
            seen.add(str(param.name))
            if self._reserved(param.name, "parameter"):
                return
        if not any(isinstance(s, list) for s in definition.body.statements):
            self.report(error("E202", f"block `{name}` has nothing in it", definition.body.span,
                              help=["write its layers between the braces"]))
            return
        self.blocks[name] = definition

    def _let(self, let: syntax.RawLet, env: Env) -> None:
        name = str(let.name)
        if self._reserved(let.name, "constant"):
            return
        if name in env:
            where = self.defined_at.get(id(env), {}).get(name)
            self.report(error("E208", f"`{name}` is already defined", token_span(let.name),
                              notes=[f"first defined at line {where.line}, column "
                                     f"{where.column}"] if where else [],
                              help=["constants cannot change; give this one another name"]))
            return
        value = self.arguments.evaluate(let.value, env)
        if value is not None:
            env[name] = value
            self.defined_at.setdefault(id(env), {})[name] = token_span(let.name)

    # Bodies and items

    def _body(self, statements: list[syntax.Statement], env: Env) -> list[ir.Item]:
        scope = _Scope(self, _chain_items(statements))
        items: list[ir.Item] = []
        for statement in statements:
            if isinstance(statement, syntax.RawInput):
                self._input(statement)
            elif isinstance(statement, syntax.RawLet):
                self._let(statement, env)
            elif isinstance(statement, list):
                for raw in statement:
                    self.items_seen = True
                    item = self._item(raw, scope, env)
                    if item is not None:
                        items.append(item)
        return items

    def _item(self, raw: syntax.RawItem, scope: _Scope, env: Env) -> ir.Item | None:
        if self.too_big:
            return None
        # Only copies made by blocks count: a spec's own lines are bounded by its length.
        self.items_made += bool(self.stack)
        if self.items_made > MAX_ITEMS:
            self.too_big = True
            self.report(error(
                "E214", f"the spec expands to more than {MAX_ITEMS:,} layers and blocks",
                raw.span, help=["blocks that use blocks multiply; for a long run of the same "
                                "block use `repeat N { ... }`, which is analysed without "
                                "writing every copy out"]))
            return None
        if isinstance(raw, syntax.RawLayer) and str(raw.kind) in self.blocks:
            prefix = str(raw.kind)
        elif isinstance(raw, syntax.RawLayer):
            kind = resolve_kind(str(raw.kind))
            prefix = kind.word if kind else "layer"
        else:
            prefix = str(raw.keyword)
        name = str(raw.label) if raw.label is not None else scope.generated(prefix)
        keyword = raw.kind if isinstance(raw, syntax.RawLayer) else raw.keyword
        common: dict[str, Any] = {
            "name": name, "span": raw.span, "kind_span": token_span(keyword),
            "name_span": token_span(raw.label) if raw.label is not None else None,
            "expect": self._expectation(raw.expect) if raw.expect else None,
        }
        if isinstance(raw, syntax.RawLayer):
            if str(raw.kind) in self.blocks:
                return self._use(raw, common, env)
            return self._layer(raw, common, env)
        if isinstance(raw, syntax.RawResidual):
            body = self._body(raw.body.statements, dict(env))
            shortcut = (self._body(raw.shortcut.statements, dict(env))
                        if raw.shortcut is not None else None)
            if not body or shortcut == []:
                self._empty("residual" if not body else "shortcut",
                            raw.body if not body else raw.shortcut or raw.body)
                return None
            return ir.Residual(**common, body=body, shortcut=shortcut)
        if isinstance(raw, syntax.RawConcat):
            branches = [self._body([chain], dict(env)) for chain in raw.branches]
            if not branches:
                self.report(error("E202", "concat needs at least one branch", raw.span,
                                  help=["write one branch per line between the braces"]))
                return None
            return ir.Concat(**common, branches=branches)
        return self._repeat(raw, common, env)

    def _layer(self, raw: syntax.RawLayer, common: dict[str, Any], env: Env) -> ir.Item:
        kind = resolve_kind(str(raw.kind))
        layer = None
        if kind is None:
            self._unknown_kind(raw.kind)
        else:
            tokens = [self.arguments.argument(kind.word, arg, env) for arg in raw.args]
            if all(t is not None for t in tokens):
                layer = build_layer(kind, raw.kind, [t for t in tokens if t is not None],
                                    common, self.diagnostics)
        if layer is None:
            return ir.Invalid(text=self.source.text[raw.span.start:raw.span.end], **common)
        return layer  # type: ignore[return-value]

    def _repeat(self, raw: syntax.RawRepeat, common: dict[str, Any], env: Env) -> ir.Item | None:
        count = self.arguments.evaluate(raw.count, env)
        if count is None:
            return None
        if not isinstance(count, int) or count < 0:
            self.report(error("E204", f"repeat takes a whole number of times, 0 or more, not "
                              f"{value_text(count)}", value_span(raw.count)))
            return None
        self.in_template += 1
        body = self._body(raw.body.statements, dict(env))
        self.in_template -= 1
        if not body:
            self._empty("repeat", raw.body)
            return None
        return ir.Repeat(**common, count=count, body=body)

    def _empty(self, what: str, body: syntax.Body) -> None:
        if any(isinstance(s, list) for s in body.statements):
            return  # it had items, which were reported: do not add to the noise
        self.report(error("E202", f"this {what} has nothing in it", body.span,
                          help=["write its layers between the braces; `identity` passes the "
                                "input on unchanged"]))

    def _use(self, raw: syntax.RawLayer, common: dict[str, Any], env: Env) -> ir.Item:
        name = str(raw.kind)
        definition = self.blocks[name]
        self.used.add(name)
        use = token_span(raw.kind).to(raw.span)
        invalid = ir.Invalid(text=self.source.text[raw.span.start:raw.span.end], **common)
        if name in self.stack:
            cycle = " → ".join([*self.stack[self.stack.index(name):], name])
            self.report(error("E209", f"block `{name}` uses itself: {cycle}", use,
                              notes=["a block cannot contain itself, directly or through "
                                     "other blocks: it would never end"],
                              help=["to run a block many times in sequence, use "
                                    "`repeat N { ... }`"]))
            return invalid
        arguments, frozen = self._bind(raw, definition, env)
        if arguments is None:
            return invalid
        inner: Env = {**self.globals, **arguments}
        first = len(self.diagnostics)
        self.stack.append(name)
        self.in_template += 1
        body = self._body(definition.body.statements, inner)
        self.in_template -= 1
        self.stack.pop()
        described = " ".join([name, *(value_text(v) for v in arguments.values())])
        for diagnostic in self.diagnostics[first:]:
            diagnostic.related.append(Related(
                message=f"in `{described}`, a use of block `{name}`", span=use))
        return ir.Block(**common, block=name, arguments=arguments,
                        definition_span=token_span(definition.name), body=body, frozen=frozen)

    def _bind(self, raw: syntax.RawLayer, definition: syntax.RawBlockDef,
              env: Env) -> tuple[Env | None, bool]:
        """The block's parameters bound to the use's arguments (None if they do not fit)."""
        name = str(definition.name)
        params = [str(p.name) for p in definition.params]
        signature = f"{name}({', '.join(params)})"
        bound: Env = {}
        ok, frozen, position = True, False, 0
        for arg in raw.args:
            if isinstance(arg, Token) and arg.type == "NAME" and str(arg) == "frozen" \
                    and "frozen" not in env:
                frozen = True
                continue
            if isinstance(arg, syntax.KeywordArg):
                key = str(arg.name)
                if key not in params:
                    close = difflib.get_close_matches(key, params, n=1)
                    self.report(error("E216", f"block `{name}` has no parameter `{key}`",
                                      token_span(arg.name),
                                      help=[f"did you mean `{close[0]}`?" if close else
                                            f"its parameters: {signature}"]))
                    ok = False
                    continue
                value: Value | None = self.arguments.evaluate(arg.value, env)
            else:
                if position >= len(params):
                    self.report(error(
                        "E216", f"block `{name}` takes {len(params)} argument"
                        f"{'s' * (len(params) != 1)}; `{arg_text(self.source, arg)}` is one "
                        "too many", value_span(arg), help=[f"its parameters: {signature}"]))
                    ok = False
                    continue
                key = params[position]
                position += 1
                value = self.arguments.evaluate(arg, env)
            if key in bound:
                self.report(error("E216", f"block `{name}` is given `{key}` twice",
                                  value_span(arg)))
                ok = False
            elif value is None:
                ok = False
            else:
                bound[key] = value
        for param in definition.params:
            key = str(param.name)
            if key in bound or not ok:
                continue
            if param.default is None:
                self.report(error("E216", f"block `{name}` needs a value for `{key}`",
                                  token_span(raw.kind), help=[f"its parameters: {signature}"]))
                ok = False
                continue
            default = self.arguments.evaluate(param.default, self.globals)
            if default is None:
                ok = False
            else:
                bound[key] = default
        return ({key: bound[key] for key in params if key in bound} if ok else None), frozen

    # The input, expectations and unknown kinds, as before blocks existed

    def _input(self, raw: syntax.RawInput) -> None:
        span = token_span(raw.keyword).to(token_span(raw.dims))
        written_before, self.input_written = self.input_written, True
        if written_before or self.items_seen:
            if self.items_seen and not written_before:
                where = "layers come before it"
            elif self.input is not None:
                where = f"the input was already declared at line {self.input.span.line}"
            else:
                where = "the input was already declared"
            self.report(error("E211", "`input` must be the first statement, and only one",
                              span, notes=[where]))
            return
        self.input = read_input(raw, span, self.diagnostics)

    def _unknown_kind(self, token: Token) -> None:
        word = str(token)
        help_lines = []
        if word.lower() == "input":
            message = "`input` must be a statement of its own, on the first line"
        else:
            message = f"unknown layer kind `{word}`"
            close = difflib.get_close_matches(word, list(self.blocks), n=1, cutoff=0.7)
            suggestion = close[0] if close else suggest_kind(word)
            if suggestion:
                help_lines.append(f"did you mean `{suggestion}`?")
            else:
                help_lines.append("known kinds: conv, pool, avgpool, adaptivepool, gap, "
                                  "flatten, fc, bn, dropout, and activations such as relu"
                                  + (f"; blocks: {', '.join(self.blocks)}" if self.blocks
                                     else ""))
        self.report(error("E200", message, token_span(token), help=help_lines))

    def _expectation(self, raw: syntax.RawExpect) -> ir.Expectation | None:
        span = token_span(raw.keyword).to(raw.items[-1][2])
        if self.in_template:
            self.report(error(
                "E215", "`expect` inside a block or a repeat", span,
                notes=["it would grade every use of the block (or every time round) at once"],
                help=["write the `expect` after the use of the block or the repeat, or on a "
                      "layer outside it"]))
            return None
        fields: dict[str, Any] = {}
        for what, token, item_span in raw.items:
            if what in fields:
                self.report(error("E203", f"`expect` gives the {what} twice", item_span))
                continue
            value: Any = (read_dims(token, self.diagnostics) if what == "shape"
                          else read_int(token, self.diagnostics))
            fields[what] = value
            fields[f"{what}_span"] = item_span
        return ir.Expectation(span=span, **fields)
