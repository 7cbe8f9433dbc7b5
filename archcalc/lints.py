"""Lints: valid networks with a design choice worth a second look (`check --lint`).

Each finding is a warning with a code and a fix; none of them changes a number.
"""

from __future__ import annotations

import itertools
from math import prod

from archcalc import ir
from archcalc.diagnostics import Diagnostic, warning
from archcalc.geometry import number
from archcalc.report import LayerReport, SpecReport

FC_SHARE = 0.5  # an fc layer holding more than this share of the parameters is worth a look


def lint(report: SpecReport) -> list[Diagnostic]:
    """The lint warnings for a checked spec, in source order."""
    leaves = list(report.leaves())
    found: list[Diagnostic] = []
    found += _softmax_inside(leaves)
    found += _bias_before_batchnorm(report.layers)
    found += _dropout_at_the_end(leaves)
    found += _pooling_that_skips(leaves)
    found += _heavy_fc(leaves, report)
    return sorted(found, key=lambda d: d.span.start)


def _softmax_inside(leaves: list[LayerReport]) -> list[Diagnostic]:
    out = []
    for row in leaves[:-1]:
        if row.kind in ("softmax", "logsoftmax"):
            out.append(warning(
                "W501", f"{row.path}: {row.kind} inside the network, not at its end", row.span,
                notes=["softmax turns a layer's scores into probabilities that sum to 1; in "
                       "the middle of a network it squashes the features passed on"],
                help=["use an activation such as relu here, and softmax only after the last "
                      "layer (or not at all: cross-entropy takes the raw scores)"]))
    return out


def _bias_before_batchnorm(rows: list[LayerReport]) -> list[Diagnostic]:
    out = []
    for row, after in itertools.pairwise(rows):
        conv = row.layer
        if isinstance(conv, ir.Conv) and conv.bias and after.kind == "bn":
            out.append(warning(
                "W502", f"{row.path}: its bias is cancelled by the batch norm after it",
                conv.kind_span,
                notes=["batch norm subtracts each channel's mean, so a constant added per "
                       "channel has no effect; its β is the bias that remains"],
                help=[f"write `nobias`: it saves {number(conv.filters)} parameters"]))
    for row in rows:
        out += _bias_before_batchnorm(row.children)
    return out


def _dropout_at_the_end(leaves: list[LayerReport]) -> list[Diagnostic]:
    weighted = [i for i, row in enumerate(leaves) if isinstance(row.layer, ir.Conv | ir.Dense)]
    if not weighted:
        return []
    return [warning(
        "W503", f"{row.path}: dropout after the output layer", row.span,
        notes=["it zeroes some of the network's outputs at random during training, so the "
               "loss punishes answers the network never gave"],
        help=["put dropout before the last fc layer, where it regularises the features"])
        for row in leaves[weighted[-1] + 1:] if row.kind == "dropout"]


def _pooling_that_skips(leaves: list[LayerReport]) -> list[Diagnostic]:
    out = []
    for row in leaves:
        pool = row.layer
        if not isinstance(pool, ir.Pool):
            continue
        for axis, name in ((0, "rows"), (1, "columns")):
            kernel, stride = pool.kernel[axis], pool.stride[axis]
            if stride > kernel:
                out.append(warning(
                    "W504", f"{row.path}: windows of {kernel} with stride {stride} skip "
                    f"{stride - kernel} of every {stride} {name}", pool.kind_span,
                    notes=["those input values never reach any output"],
                    help=[f"a stride no larger than the window ({kernel}) looks at every "
                          "value"]))
                break
    return out


def _heavy_fc(leaves: list[LayerReport], report: SpecReport) -> list[Diagnostic]:
    """An fc layer on a flattened image that holds most of the parameters: global pooling
    would do with a fraction of them. (In a network of fc layers alone the first is always
    the largest, and nothing simpler would replace it.)"""
    total = report.totals.params
    out = []
    for before, row in itertools.pairwise(leaves):
        dense, image = row.layer, before.input_shape
        if not isinstance(dense, ir.Dense) or before.kind != "flatten" or not total \
                or not image or len(image) != 3 or image[0] * image[1] == 1 \
                or (row.params or 0) <= FC_SHARE * total:
            continue
        pooled = (image[2] + (1 if dense.bias else 0)) * dense.units
        out.append(warning(
            "W505", f"{row.path} holds {(row.params or 0) / total:.1%} of the network's "
            f"parameters ({number(row.params or 0)} of {number(total)})", dense.kind_span,
            notes=[f"its input, {'x'.join(map(str, image))} flattened, has "
                   f"{number(prod(image))} values, each connected to all "
                   f"{number(dense.units)} units"],
            help=[f"global average pooling (`gap`) instead of `flatten` would leave it "
                  f"({number(image[2])} + 1)·{number(dense.units)} = {number(pooled)} "
                  "parameters, as ResNet and GoogLeNet do"]))
    return out
