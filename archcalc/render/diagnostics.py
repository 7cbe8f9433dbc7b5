"""Diagnostics as a compiler prints them: location, code, message, source line, caret, notes."""

from __future__ import annotations

from archcalc.diagnostics import Diagnostic
from archcalc.source import Source

MAX_WIDTH = 120  # columns of a source line shown before it is cut to a window


def _printable(text: str) -> str:
    # Keep one column per character so that the caret still lines up.
    return "".join(ch if ch.isprintable() else "?" for ch in text.expandtabs(1))


def render_diagnostic(diagnostic: Diagnostic, source: Source) -> str:
    """`file:line:col: error[E300]: message`, the line, a caret underline, then notes and help."""
    span = diagnostic.span
    head = (f"{source.name}:{span.line}:{span.column}: "
            f"{diagnostic.severity.value}[{diagnostic.code}]: {diagnostic.message}")
    line = _printable(source.line_text(span.line))
    gutter = " " * len(str(span.line))
    start = span.column - 1
    end = span.end_column - 1 if span.end_line == span.line else len(line)
    if len(line) > MAX_WIDTH:  # show a window of a very long line around the span
        first = max(0, min(start - MAX_WIDTH // 4, len(line) - MAX_WIDTH))
        shown = line[first:first + MAX_WIDTH]
        line = ("…" if first else "") + shown + ("…" if first + MAX_WIDTH < len(line) else "")
        offset = first - (1 if first else 0)
        start, end = start - offset, min(end - offset, len(line) - 1)
    width = max(1, min(end, max(len(line), start + 1)) - start)
    lines = [head, f"{gutter} |", f"{span.line} | {line}".rstrip(),
             f"{gutter} | {' ' * start}{'^' * width}"]
    lines += [f"{gutter} = note: {note}" for note in diagnostic.notes]
    lines += [f"{gutter} = help: {hint}" for hint in diagnostic.help]
    return "\n".join(lines)


def render_diagnostics(diagnostics: list[Diagnostic], source: Source) -> str:
    return "\n\n".join(render_diagnostic(d, source) for d in diagnostics)
