"""Frameworks round differently: the same spec under PyTorch's, Keras' and Caffe's rules.

PyTorch and Keras floor every output size (PyTorch's pooling rounds up only with
`ceil_mode=True`, written `ceil` here) and split a `same` padding's odd pixel after. Caffe
floors convolutions but rounds pooling up, always, with the rule PyTorch's `ceil_mode` copies
(the last window must start inside the input or its left padding), and has no `same`. So a
spec's numbers can differ only at its pooling layers, and `same` has no Caffe meaning.
"""

from __future__ import annotations

from archcalc import ir
from archcalc.analysis import analyze
from archcalc.diagnostics import warning
from archcalc.report import SpecReport

CONVENTIONS = ("pytorch", "keras", "caffe")


def _caffe(items: list[ir.Item], spec: ir.Spec) -> list[ir.Item]:
    out: list[ir.Item] = []
    for item in items:
        if isinstance(item, ir.Pool) and not item.ceil and "floor" not in item.arg_spans:
            item = item.model_copy(update={"ceil": True})
        if isinstance(item, ir.Conv | ir.Pool) and item.padding == "same":
            spec.diagnostics.append(warning(
                "W600", f"{item.name}: Caffe has no `same` padding", item.arg_span("padding"),
                notes=["under --convention caffe the padding is worked out as Keras does it; "
                       "a Caffe prototxt needs it written as pad_h and pad_w"]))
        if isinstance(item, ir.Block | ir.Repeat):
            item = item.model_copy(update={"body": _caffe(item.body, spec)})
        elif isinstance(item, ir.Residual):
            item = item.model_copy(update={
                "body": _caffe(item.body, spec),
                "shortcut": _caffe(item.shortcut, spec) if item.shortcut else None})
        elif isinstance(item, ir.Concat):
            item = item.model_copy(update={"branches": [_caffe(b, spec)
                                                        for b in item.branches]})
        out.append(item)
    return out


def under(spec: ir.Spec, convention: str) -> ir.Spec:
    """The spec with a framework's rounding rules applied (PyTorch's and Keras' are the
    language's own)."""
    if convention != "caffe":
        return spec
    copy = spec.model_copy(update={"diagnostics": list(spec.diagnostics)})
    copy.layers = _caffe(spec.layers, copy)
    return copy


def disagreements(spec: ir.Spec) -> list[tuple[str, dict[str, list[int] | None]]]:
    """The layers whose output shape differs between the conventions, with each one's."""
    reports: dict[str, SpecReport] = {name: analyze(under(spec, name)) for name in CONVENTIONS}
    shapes = {name: {row.path: row.output_shape for row in report.rows()}
              for name, report in reports.items()}
    paths = [row.path for row in reports["pytorch"].leaves()]
    out = []
    for path in paths:
        seen = {name: shapes[name].get(path) for name in CONVENTIONS}
        if len({tuple(shape) if shape else None for shape in seen.values()}) > 1:
            out.append((path, seen))
    return out
