"""Diagnostics as a compiler prints them: location, code, message, source line, caret, notes."""

from __future__ import annotations

from archcalc.diagnostics import Diagnostic
from archcalc.source import Source, Span

MAX_WIDTH = 120  # columns of a source line shown before it is cut to a window


def _printable(text: str) -> str:
    # Keep one column per character so that the caret still lines up.
    return "".join(ch if ch.isprintable() else "?" for ch in text.expandtabs(1))


def _snippet(span: Span, source: Source, gutter_width: int) -> list[str]:
    """The source line of a span with a caret underline beneath the span."""
    line = _printable(source.line_text(span.line))
    gutter = " " * gutter_width
    start = span.column - 1
    end = span.end_column - 1 if span.end_line == span.line else len(line)
    if len(line) > MAX_WIDTH:  # show a window of a very long line around the span
        first = max(0, min(start - MAX_WIDTH // 4, len(line) - MAX_WIDTH))
        shown = line[first:first + MAX_WIDTH]
        line = ("…" if first else "") + shown + ("…" if first + MAX_WIDTH < len(line) else "")
        offset = first - (1 if first else 0)
        start, end = start - offset, min(end - offset, len(line) - 1)
    width = max(1, min(end, max(len(line), start + 1)) - start)
    return [f"{gutter} |", f"{str(span.line).rjust(gutter_width)} | {line}".rstrip(),
            f"{gutter} | {' ' * start}{'^' * width}"]


def render_diagnostic(diagnostic: Diagnostic, source: Source) -> str:
    """`file:line:col: error[E300]: message`, the line, a caret underline, then notes and help;
    then each related place (the uses of the block it arose in), with its own line."""
    span = diagnostic.span
    head = (f"{source.name}:{span.line}:{span.column}: "
            f"{diagnostic.severity.value}[{diagnostic.code}]: {diagnostic.message}")
    width = max(len(str(place.line)) for place in
                [span, *(related.span for related in diagnostic.related)])
    gutter = " " * width
    lines = [head, *_snippet(span, source, width)]
    lines += [f"{gutter} = note: {note}" for note in diagnostic.notes]
    lines += [f"{gutter} = help: {hint}" for hint in diagnostic.help]
    for related in diagnostic.related:
        place = related.span
        lines += [f"{gutter} ::: {related.message}, at {source.name}:{place.line}:{place.column}",
                  *_snippet(place, source, width)[1:]]
    return "\n".join(lines)


def render_diagnostics(diagnostics: list[Diagnostic], source: Source) -> str:
    return "\n\n".join(render_diagnostic(d, source) for d in diagnostics)
