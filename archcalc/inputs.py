"""The input's size: `input 227x227x3`, `input 784`, or `input HxWx3` with its height and
width left open (capital letters)."""

from __future__ import annotations

import re

from archcalc import ir, syntax
from archcalc.arguments import token_at
from archcalc.diagnostics import Diagnostic, error
from archcalc.layers import read_dims, read_int
from archcalc.source import Span
from archcalc.syntax import token_span


def read_input(raw: syntax.RawInput, span: Span,
               diagnostics: list[Diagnostic]) -> ir.InputDecl | None:
    """The declared input, or None with a diagnostic (E212) when it is malformed."""
    parts = re.split(r"[ \t]*[xX×][ \t]*", str(raw.dims))
    if any(not part.isdigit() for part in parts):
        return _open_input(raw, parts, span, diagnostics)
    dims = read_dims(raw.dims, diagnostics)
    if dims is None:
        return None
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
        diagnostics.append(error("E212", f"malformed input shape `{raw.dims}`",
                                 token_span(raw.dims), help=[problem]))
        return None
    return ir.InputDecl(shape=dims, span=span)


def _open_input(raw: syntax.RawInput, parts: list[str], span: Span,
                diagnostics: list[Diagnostic]) -> ir.InputDecl | None:
    """`input HxWx3`: the height and width left open, as letters."""
    problem = None
    if len(parts) != 3:
        problem = ("letters stand for an image's height and width: write `input HxWx3`; a "
                   "flat input needs a number")
    elif not parts[2].isdigit():
        problem = "the number of channels must be a number: it decides the parameter counts"
    numbers = [] if problem else [
        read_int(token_at("INT", part, token_span(raw.dims)), diagnostics)
        if part.isdigit() else 0 for part in parts]
    if not problem and (None in numbers or any(part.isdigit() and int(part) == 0
                                               for part in parts)):
        problem = "every size of the input must be at least 1"
    if problem:
        diagnostics.append(error("E212", f"malformed input shape `{raw.dims}`",
                                 token_span(raw.dims), help=[problem]))
        return None
    symbols = tuple(None if part.isdigit() else part for part in parts)
    return ir.InputDecl(shape=tuple(n or 0 for n in numbers), symbols=symbols, span=span)
