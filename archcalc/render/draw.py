"""The network as a picture: a self-contained SVG, drawn left to right as slides and papers do.

Each layer that changes the shape is a box: a cuboid for an image (its height grows with H,
its thickness with the channels, both on a log scale so that 224 and 7 both stay readable), a
flat bar for a vector. Activations, batch norm and dropout belong to the box before them and
are named in its label. A block is framed and titled; a residual connection is an arc from
its input to a ⊕ after its body (with the projection on the arc); a concat stacks its
branches and joins them; a repeat whose times are all alike is drawn once with ×N.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from archcalc.report import LayerReport, SpecReport
from archcalc.rules import shape_text

GAP = 26  # space between boxes, where the arrow goes
LABEL = 30  # room under a box for its two lines of label
FOLDED = {"activation", "bn", "dropout", "identity"}

STYLE = """
  text { font-family: Helvetica, Arial, sans-serif; font-size: 10px; fill: #222; }
  .name { font-weight: bold; }
  .shape { fill: #555; }
  .front { stroke: #333; stroke-width: 0.8; }
  .top, .side { stroke: #333; stroke-width: 0.8; }
  .arrow { stroke: #444; stroke-width: 1; fill: none; marker-end: url(#head); }
  .skip { stroke: #c0392b; stroke-width: 1.2; fill: none; marker-end: url(#head-red); }
  .frame { fill: none; stroke: #999; stroke-dasharray: 4 3; rx: 8; }
  .join { fill: #fff; stroke: #333; }
  .title { font-size: 11px; fill: #666; font-style: italic; }
"""
COLOURS = {"conv": "#7fb3d5", "maxpool": "#f5b041", "avgpool": "#f8c471",
           "adaptiveavgpool": "#f8c471", "adaptivemaxpool": "#f5b041", "gap": "#f8c471",
           "gmp": "#f5b041", "flatten": "#d7dbdd", "fc": "#82e0aa", "input": "#ebdef0"}


@dataclass
class Figure:
    """A drawn part: its size, the height of its axis (where arrows enter and leave), and its
    SVG elements relative to its top left corner."""

    width: float
    height: float
    axis: float
    parts: list[str] = field(default_factory=list)

    def at(self, x: float, y: float) -> list[str]:
        return [f'<g transform="translate({x:.1f},{y:.1f})">', *self.parts, "</g>"]


def _scale(value: int, low: float, per_doubling: float, high: float) -> float:
    return min(high, low + per_doubling * math.log2(max(1, value)))


def _label(x: float, y: float, name: str, shape: str) -> list[str]:
    return [f'<text class="name" x="{x:.1f}" y="{y:.1f}" text-anchor="middle">'
            f"{escape(name)}</text>",
            f'<text class="shape" x="{x:.1f}" y="{y + 12:.1f}" text-anchor="middle">'
            f"{escape(shape)}</text>"]


def _box(kind: str, shape: list[int] | None, name: str) -> Figure:
    """A cuboid for an image, a bar for a vector, labelled with the name and shape."""
    colour = COLOURS.get(kind, "#d7dbdd")
    if shape is not None and len(shape) == 3:
        height = _scale(shape[0], 14, 11, 110)
        thick = _scale(shape[2], 4, 3.2, 36)
        depth = height * 0.35
        width = thick + depth
        top = depth
        parts = [
            f'<rect class="front" x="0" y="{top:.1f}" width="{thick:.1f}" '
            f'height="{height:.1f}" fill="{colour}"/>',
            f'<polygon class="top" points="0,{top:.1f} {depth:.1f},0 {width:.1f},0 '
            f'{thick:.1f},{top:.1f}" fill="{colour}" fill-opacity="0.7"/>',
            f'<polygon class="side" points="{thick:.1f},{top:.1f} {width:.1f},0 '
            f'{width:.1f},{height:.1f} {thick:.1f},{top + height:.1f}" fill="{colour}" '
            'fill-opacity="0.45"/>',
        ]
        body = top + height
        axis = top + height / 2
    else:
        size = shape[0] if shape else 1
        height = _scale(size, 14, 7, 90)
        width = 10.0
        parts = [f'<rect class="front" x="0" y="0" width="{width:.1f}" height="{height:.1f}" '
                 f'fill="{colour}"/>']
        body = height
        axis = height / 2
    text = shape_text(tuple(shape)) if shape else "?"
    label_width = max(len(name), len(text)) * 5.6
    full = max(width, label_width)
    shift = (full - width) / 2
    parts = [f'<g transform="translate({shift:.1f},0)">', *parts, "</g>"]
    parts += _label(full / 2, body + 14, name, text)
    return Figure(full, body + LABEL, axis, parts)


def _sequence(figures: list[Figure]) -> Figure:
    """Figures side by side on one axis, joined by arrows."""
    if not figures:
        return Figure(0, 0, 0)
    above = max(f.axis for f in figures)
    below = max(f.height - f.axis for f in figures)
    parts: list[str] = []
    x = 0.0
    for index, figure in enumerate(figures):
        if index:
            parts.append(f'<line class="arrow" x1="{x - GAP + 2:.1f}" y1="{above:.1f}" '
                         f'x2="{x - 3:.1f}" y2="{above:.1f}"/>')
        parts += figure.at(x, above - figure.axis)
        x += figure.width + GAP
    return Figure(x - GAP, above + below, above, parts)


class _Drawing:
    def rows(self, rows: list[LayerReport]) -> list[Figure]:
        figures: list[Figure] = []
        pending: LayerReport | None = None  # the box that following activations join
        folded: list[str] = []
        for row in rows:
            if pending is not None and _folds(row):
                folded.append(row.name)
                continue
            if pending is not None:
                figures.append(self.leaf(pending, folded))
                pending, folded = None, []
            if row.layer is not None:
                pending = row
            else:
                figures.append(self.compound(row))
        if pending is not None:
            figures.append(self.leaf(pending, folded))
        return figures

    def leaf(self, row: LayerReport, folded: list[str]) -> Figure:
        name = " · ".join([row.name, *folded])
        return _box(row.kind, row.output_shape, name)

    def compound(self, row: LayerReport) -> Figure:
        if row.kind == "residual":
            figure = self.residual(row)
        elif row.kind == "concat":
            figure = self.concat(row)
        else:
            figure = _sequence(self.rows(row.children))
        if row.count > 1:
            figure.parts.append(f'<text class="title" x="{figure.width:.1f}" y="10" '
                                f'text-anchor="end">×{row.count:,}</text>')
        if row.kind in ("block", "repeat"):
            return _framed(figure, f"{row.name}: {row.description}")
        return figure

    def residual(self, row: LayerReport) -> Figure:
        body = _sequence(self.rows(row.children[0].children))
        shortcut = (_sequence(self.rows(row.children[1].children))
                    if len(row.children) > 1 else None)
        lift = 22 + (shortcut.height if shortcut else 0)
        width = body.width + 2 * GAP + 16
        axis = lift + body.axis
        parts = body.at(GAP, lift)
        parts.append(f'<line class="arrow" x1="0" y1="{axis:.1f}" x2="{GAP - 3:.1f}" '
                     f'y2="{axis:.1f}"/>')
        join_x = GAP + body.width + GAP + 8
        parts.append(f'<line class="arrow" x1="{GAP + body.width + 2:.1f}" y1="{axis:.1f}" '
                     f'x2="{join_x - 11:.1f}" y2="{axis:.1f}"/>')
        parts += _join(join_x, axis, "+")
        top = 8.0
        if shortcut is not None:
            sx = GAP + (body.width - shortcut.width) / 2
            parts += shortcut.at(sx, top)
            middle = top + shortcut.axis
            parts.append(f'<path class="skip" d="M 4,{axis:.1f} L 4,{middle:.1f} '
                         f'L {sx - 3:.1f},{middle:.1f}"/>')
            parts.append(f'<path class="skip" d="M {sx + shortcut.width + 2:.1f},{middle:.1f} '
                         f'L {join_x:.1f},{middle:.1f} L {join_x:.1f},{axis - 9:.1f}"/>')
        else:
            parts.append(f'<path class="skip" d="M 4,{axis:.1f} L 4,{top:.1f} '
                         f'L {join_x:.1f},{top:.1f} L {join_x:.1f},{axis - 9:.1f}"/>')
        return Figure(width, lift + body.height, axis, parts)

    def concat(self, row: LayerReport) -> Figure:
        branches = [_sequence(self.rows(child.children)) for child in row.children]
        widest = max(b.width for b in branches)
        height = sum(b.height for b in branches) + 10 * (len(branches) - 1)
        axis = height / 2
        join_x = GAP + widest + GAP + 8
        parts: list[str] = []
        y = 0.0
        for branch in branches:
            middle = y + branch.axis
            parts += branch.at(GAP, y)
            parts.append(f'<path class="arrow" d="M 0,{axis:.1f} L 8,{axis:.1f} '
                         f'L 8,{middle:.1f} L {GAP - 3:.1f},{middle:.1f}"/>')
            parts.append(f'<path class="arrow" d="M {GAP + branch.width + 2:.1f},{middle:.1f} '
                         f'L {join_x - 14:.1f},{middle:.1f} L {join_x - 10:.1f},{axis:.1f}"/>')
            y += branch.height + 10
        parts += _join(join_x, axis, "C")
        return Figure(join_x + 10, height, axis, parts)


def _folds(row: LayerReport) -> bool:
    """Layers drawn as part of the box before them."""
    layer = row.layer
    return layer is not None and layer.kind in FOLDED


def _join(x: float, y: float, sign: str) -> list[str]:
    return [f'<circle class="join" cx="{x:.1f}" cy="{y:.1f}" r="8"/>',
            f'<text x="{x:.1f}" y="{y + 3.5:.1f}" text-anchor="middle">{sign}</text>']


def _framed(figure: Figure, title: str) -> Figure:
    pad = 8.0
    parts = [f'<rect class="frame" x="0" y="0" width="{figure.width + 2 * pad:.1f}" '
             f'height="{figure.height + 2 * pad + 12:.1f}"/>',
             f'<text class="title" x="{pad:.1f}" y="{12:.1f}">{escape(title)}</text>',
             *figure.at(pad, pad + 12)]
    return Figure(figure.width + 2 * pad, figure.height + 2 * pad + 12,
                  figure.axis + pad + 12, parts)


def render_svg(report: SpecReport) -> str:
    """The whole network as one SVG document."""
    figures = []
    if report.input_shape is not None:
        figures.append(_box("input", report.input_shape, "input"))
    figures += _Drawing().rows(report.layers)
    whole = _sequence(figures)
    margin = 16
    width, height = whole.width + 2 * margin, whole.height + 2 * margin
    return "\n".join([
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}">',
        f"<title>{escape(Path(report.source).name)}</title>",  # not the machine's path
        "<defs>",
        '<marker id="head" markerWidth="8" markerHeight="8" refX="6" refY="3" '
        'orient="auto"><path d="M0,0 L6,3 L0,6 z" fill="#444"/></marker>',
        '<marker id="head-red" markerWidth="8" markerHeight="8" refX="6" refY="3" '
        'orient="auto"><path d="M0,0 L6,3 L0,6 z" fill="#c0392b"/></marker>',
        f"<style>{STYLE}</style>",
        "</defs>",
        f'<rect x="0" y="0" width="{width:.0f}" height="{height:.0f}" fill="#fff"/>',
        *whole.at(margin, margin),
        "</svg>",
    ]) + "\n"
