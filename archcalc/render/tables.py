"""The layer table, its totals and the worked arithmetic, in text, markdown, LaTeX and CSV."""

from __future__ import annotations

import csv
import io

from tabulate import tabulate

from archcalc.geometry import number
from archcalc.report import LayerReport, SpecReport
from archcalc.rules import shape_text

FORMATS = ("text", "markdown", "latex", "csv", "json")


def _shape(shape: list[int] | None, layout: str) -> str:
    return shape_text(tuple(shape), layout) if shape is not None else "?"


def _count(value: int | None) -> str:
    return number(value) if value is not None else "?"


def _marks(layer: LayerReport, right: str, wrong: str) -> str:
    marks = []
    for answer in layer.answers:
        mark = {True: right, False: wrong, None: "?"}[answer.right]
        marks.append(f"{mark} {answer.quantity}")
    return ", ".join(marks)


def table_rows(report: SpecReport, layout: str, right: str = "✓",
               wrong: str = "✗") -> tuple[list[str], list[list[str]]]:
    """Header and rows: the input, every layer, and whether its answers are right."""
    with_answers = any(layer.answers for layer in report.layers)
    header = ["Layer", "Kind", "Output shape", "Param #"] + (["Answers"] if with_answers else [])
    rows = []
    if report.input_shape is not None:
        shape = _shape(report.input_shape, layout)
        rows.append(["input", f"input {shape_text(tuple(report.input_shape))}", shape, "0"]
                    + ([""] if with_answers else []))
    for layer in report.layers:
        row = [layer.name, layer.description, _shape(layer.output_shape, layout),
               _count(layer.params)]
        rows.append(row + ([_marks(layer, right, wrong)] if with_answers else []))
    return header, rows


def totals_lines(report: SpecReport) -> list[str]:
    totals = report.totals
    partial = "" if totals.complete else " (incomplete: some layers could not be counted)"
    lines = [f"Total params: {number(totals.params)}{partial}",
             f"Trainable params: {number(totals.trainable)}",
             f"Non-trainable params: {number(totals.non_trainable)}"]
    summary = report.answers
    if summary.total:
        lines.append(f"Answers: {summary.right} of {summary.total} right"
                     + (f" ({summary.ungraded} could not be graded)" if summary.ungraded else ""))
    return lines


def working_blocks(report: SpecReport, layout: str) -> list[tuple[str, list[str]]]:
    """Per layer: a heading and its arithmetic, in the lecture's order. Activations and dropout
    are left out: they change nothing that could be worked out."""
    blocks = []
    for layer in report.layers:
        if layer.layer.kind in ("activation", "dropout"):
            continue
        source = f"line {layer.span.line}"
        into = f", input {_shape(layer.input_shape, layout)}" if layer.input_shape else ""
        blocks.append((f"{layer.name}: {layer.description} ({source}{into})", layer.working))
    return blocks


def render_text(report: SpecReport, layout: str, explain: bool) -> str:
    if report.input_shape is None and not report.layers:
        return ""  # nothing was read: the diagnostics say why
    header, rows = table_rows(report, layout)
    parts = [f"{report.source}", tabulate(rows, header, tablefmt="simple",
                                          colalign=("left", "left", "left", "right", "left")
                                          [: len(header)], disable_numparse=True)]
    parts.append("\n".join(totals_lines(report)))
    if explain:
        lines = ["Working:"]
        for heading, working in working_blocks(report, layout):
            lines.append(f"  {heading}")
            lines += [f"    {step}" for step in working]
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def render_markdown(report: SpecReport, layout: str, explain: bool) -> str:
    header, rows = table_rows(report, layout)
    rows.append(["**Total**", "", "", f"**{number(report.totals.params)}**"]
                + [""] * (len(header) - 4))
    parts = [f"### {report.source}", tabulate(rows, header, tablefmt="github",
                                              colalign=("left", "left", "left", "right", "left")
                                              [: len(header)], disable_numparse=True)]
    parts.append("\n".join(f"- {line}" for line in totals_lines(report)))
    if explain:
        for heading, working in working_blocks(report, layout):
            name, _, rest = heading.partition(": ")
            parts.append(f"**{name}**: `{rest.split(' (line')[0]}`\n\n"
                         + "\n".join(f"- {step}" for step in working))
    return "\n\n".join(parts)


_LATEX_SYMBOLS = {"·": r"$\cdot$", "−": "$-$", "⌈": r"$\lceil$", "⌉": r"$\rceil$",
                  "→": r"$\rightarrow$", "γ": r"$\gamma$", "β": r"$\beta$", "…": r"\dots{}",
                  "✓": r"\checkmark{}", "✗": r"$\times$"}
_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                  "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                  "^": r"\textasciicircum{}"}


def latex_escape(text: str) -> str:
    """Plain text (with the working's symbols) as LaTeX."""
    return "".join(_LATEX_SPECIAL.get(ch) or _LATEX_SYMBOLS.get(ch) or ch for ch in text)


def render_latex(report: SpecReport, layout: str, explain: bool) -> str:
    header, rows = table_rows(report, layout, right="✓", wrong="✗")
    columns = "lllr" + ("l" if len(header) > 4 else "")
    lines = [r"\begin{tabular}{" + columns + "}", r"\toprule",
             " & ".join(latex_escape(h) for h in header) + r" \\", r"\midrule"]
    lines += [" & ".join(latex_escape(cell) for cell in row) + r" \\" for row in rows]
    lines += [r"\midrule", r"\textbf{Total} & & & \textbf{" + number(report.totals.params) + "}"
              + " &" * (len(header) - 4) + r" \\", r"\bottomrule", r"\end{tabular}"]
    parts = ["\n".join(lines)]
    if explain:
        items = []
        for heading, working in working_blocks(report, layout):
            items.append(r"\item " + latex_escape(heading) + "\n" + r"\begin{itemize}" + "\n"
                         + "\n".join(r"  \item " + latex_escape(step) for step in working)
                         + "\n" + r"\end{itemize}")
        parts.append(r"\begin{itemize}" + "\n" + "\n".join(items) + "\n" + r"\end{itemize}")
    return "\n\n".join(parts)


def render_csv(reports: list[SpecReport], layout: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["file", "index", "name", "kind", "description", "output_shape", "params",
                     "trainable", "non_trainable", "answers"])
    for report in reports:
        for layer in report.layers:
            writer.writerow([report.source, layer.index, layer.name, layer.kind,
                             layer.description, _shape(layer.output_shape, layout),
                             "" if layer.params is None else layer.params,
                             "" if layer.trainable is None else layer.trainable,
                             "" if layer.non_trainable is None else layer.non_trainable,
                             _marks(layer, "right", "wrong")])
    return out.getvalue()
