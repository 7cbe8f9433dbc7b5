"""The layer table, its totals and the worked arithmetic, in text, markdown, LaTeX and CSV."""

from __future__ import annotations

import csv
import io
from math import prod

import tabulate as tabulate_module
from tabulate import tabulate

from archcalc.geometry import number
from archcalc.report import LayerReport, MemoryEstimate, SpecReport
from archcalc.rules import shape_text

FORMATS = ("text", "markdown", "latex", "csv", "json")


def _shape(shape: list[int] | None, layout: str) -> str:
    return shape_text(tuple(shape), layout) if shape is not None else "?"


def _layout(parts: list[str], layout: str) -> list[str]:
    return [parts[2], parts[0], parts[1]] if layout == "chw" and len(parts) == 3 else parts


def _count(value: int | None) -> str:
    return number(value) if value is not None else "?"


def _marks(layer: LayerReport, right: str, wrong: str) -> str:
    marks = []
    for answer in layer.answers:
        mark = {True: right, False: wrong, None: "?"}[answer.right]
        marks.append(f"{mark} {answer.quantity}")
    return ", ".join(marks)


def display_name(row: LayerReport) -> str:
    """A row's name; a row standing for iterations 3 to 999 of a repeat reads `3..999`."""
    return f"{row.name}..{int(row.name) + row.count - 1}" if row.count > 1 else row.name


def _description(row: LayerReport) -> str:
    if row.count > 1 and row.kind != "sequence":  # a sequence's description says its times
        return f"{row.description} (×{number(row.count)})"
    return row.description


def size_text(count: int) -> str:
    """Bytes in binary units: 1.5 KiB, 97.7 MiB (exact counts are in the JSON)."""
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{count:,} B" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{count:,} B"


def _field_text(row: LayerReport) -> str:
    if row.cost is None or row.output_shape is None:
        return "?"
    fields = row.cost.receptive_field
    if fields is None:
        return "global"
    height, width = fields
    if (height.size, height.jump) == (width.size, width.jump):
        return f"{number(height.size)}/{number(height.jump)}"
    return (f"{number(height.size)}x{number(width.size)}/"
            f"{number(height.jump)}x{number(width.jump)}")


COST_COLUMNS = ["MACs", "FLOPs", "Weights", "Activations", "RF size/jump"]


def _cost_cells(row: LayerReport, memory: MemoryEstimate) -> list[str]:
    if row.cost is None or row.output_shape is None:
        return ["?"] * len(COST_COLUMNS)
    size = memory.bytes_per_element
    return [number(row.cost.macs), number(row.cost.flops),
            size_text((row.params or 0) * size),
            size_text(row.cost.activations * memory.batch * size), _field_text(row)]


def table_rows(report: SpecReport, layout: str, right: str = "✓", wrong: str = "✗",
               depth: int | None = None,
               indent: str = "  ") -> tuple[list[str], list[list[str]]]:
    """Header and rows: the input, every row of the tree down to `depth` (nested rows indented),
    whether its answers are right, and with `report.memory` set, its costs."""
    rows_shown = list(report.rows(depth))
    with_answers = any(row.answers for row in rows_shown)
    memory = report.memory
    header = (["Layer", "Kind", "Output shape", "Param #"] + (COST_COLUMNS if memory else [])
              + (["Answers"] if with_answers else []))
    rows = []
    if report.input_formula is not None:
        written = "x".join(report.input_formula)
        rows.append(["input", f"input {written}", " x ".join(_layout(report.input_formula,
                                                                      layout)), "0"]
                    + ([""] if with_answers else []))
    if report.input_shape is not None:
        shape = _shape(report.input_shape, layout)
        costs = []
        if memory:
            elements = prod(report.input_shape) * memory.batch * memory.bytes_per_element
            costs = ["0", "0", "0 B", size_text(elements), "1/1"]
        rows.append(["input", f"input {shape_text(tuple(report.input_shape))}", shape, "0"]
                    + costs + ([""] if with_answers else []))
    for layer in rows_shown:
        shape_cell = (" x ".join(_layout(layer.shape_formula, layout)) if layer.shape_formula
                      else _shape(layer.output_shape, layout))
        params_cell = (layer.params_formula if layer.params is None and layer.params_formula
                       else _count(layer.params))
        row = [indent * layer.depth + display_name(layer), _description(layer), shape_cell,
               params_cell]
        row += _cost_cells(layer, memory) if memory else []
        rows.append(row + ([_marks(layer, right, wrong)] if with_answers else []))
    return header, rows


def _alignment(header: list[str]) -> tuple[str, ...]:
    numeric = {"Param #", "MACs", "FLOPs", "Weights", "Activations", "RF size/jump"}
    return tuple("right" if column in numeric else "left" for column in header)


def totals_lines(report: SpecReport) -> list[str]:
    totals = report.totals
    partial = "" if totals.complete else " (incomplete: some layers could not be counted)"
    total = totals.params_formula or number(totals.params)
    lines = [f"Total params: {total}{partial}",
             f"Trainable params: {number(totals.trainable)}",
             f"Non-trainable params: {number(totals.non_trainable)}"]
    if totals.params_formula:  # the trainable count is the total less the running statistics
        del lines[1]
    if report.conditions:
        lines.append(f"Every layer fits when {' and '.join(report.conditions)}")
    lines += [line[:1].upper() + line[1:] for line in report.exactness]
    memory = report.memory
    if memory is not None:
        lines += [
            f"MACs: {number(totals.macs)} ({_si(totals.macs)}); FLOPs: {number(totals.flops)} "
            f"({_si(totals.flops)}), per example",
            f"Weights: {size_text(memory.parameter_bytes)} ({memory.dtype})",
            f"Activations, all outputs kept: {size_text(memory.activation_bytes)} (batch "
            f"{memory.batch})",
            f"Training estimate ({memory.optimizer}): {size_text(memory.training_bytes)} = "
            f"weights {size_text(memory.parameter_bytes)} + gradients "
            f"{size_text(memory.gradient_bytes)} + optimiser state "
            f"{size_text(memory.optimizer_bytes)} + activations "
            f"{size_text(memory.activation_bytes)}"]
    summary = report.answers
    if summary.total:
        lines.append(f"Answers: {summary.right} of {summary.total} right"
                     + (f" ({summary.ungraded} could not be graded)" if summary.ungraded else ""))
    return lines


def _si(count: int) -> str:
    for factor, unit in ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "k")):
        if count >= factor:
            return f"{count / factor:.2f} {unit}"
    return str(count)


def working_blocks(report: SpecReport, layout: str,
                   depth: int | None = None) -> list[tuple[str, list[str]]]:
    """Per row: a heading and its arithmetic, in the lecture's order (with `--metrics`, the
    operations and receptive field too). Activations, dropout and rows with nothing to work
    out are left out."""
    blocks = []
    for layer in report.rows(depth):
        working = list(layer.working)
        if report.memory is not None and layer.cost is not None:
            working += layer.cost.working
        if layer.kind in ("activation", "dropout") or not working or (
                layer.layer is not None and layer.layer.kind in ("activation", "dropout")):
            continue
        source = f"line {layer.span.line}"
        into = f", input {_shape(layer.input_shape, layout)}" if layer.input_shape else ""
        blocks.append((f"{layer.path}: {_description(layer)} ({source}{into})", working))
    return blocks


def _tabulate(rows: list[list[str]], header: list[str], tablefmt: str) -> str:
    # Nested rows are indented, so leading spaces must survive.
    keep, tabulate_module.PRESERVE_WHITESPACE = tabulate_module.PRESERVE_WHITESPACE, True
    try:
        return tabulate(rows, header, tablefmt=tablefmt, disable_numparse=True,
                        colalign=_alignment(header))
    finally:
        tabulate_module.PRESERVE_WHITESPACE = keep


def render_text(report: SpecReport, layout: str, explain: bool,
                depth: int | None = None) -> str:
    if report.input_shape is None and not report.layers:
        return ""  # nothing was read: the diagnostics say why
    header, rows = table_rows(report, layout, depth=depth)
    parts = [f"{report.source}", _tabulate(rows, header, "simple")]
    parts.append("\n".join(totals_lines(report)))
    if explain:
        lines = ["Working:"]
        for heading, working in working_blocks(report, layout, depth):
            lines.append(f"  {heading}")
            lines += [f"    {step}" for step in working]
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def render_markdown(report: SpecReport, layout: str, explain: bool,
                    depth: int | None = None) -> str:
    # Markdown collapses spaces; nested rows are indented with non-breaking ones.
    header, rows = table_rows(report, layout, depth=depth, indent="\u00a0\u00a0")
    costs = ([f"**{number(report.totals.macs)}**", f"**{number(report.totals.flops)}**"]
             if report.memory else [])
    rows.append(["**Total**", "", "", f"**{number(report.totals.params)}**", *costs]
                + [""] * (len(header) - 4 - len(costs)))
    parts = [f"### {report.source}", _tabulate(rows, header, "github")]
    parts.append("\n".join(f"- {line}" for line in totals_lines(report)))
    if explain:
        for heading, working in working_blocks(report, layout, depth):
            name, _, rest = heading.partition(": ")
            parts.append(f"**{name}**: `{rest.split(' (line')[0]}`\n\n"
                         + "\n".join(f"- {step}" for step in working))
    return "\n\n".join(parts)


_LATEX_SYMBOLS = {"·": r"$\cdot$", "−": "$-$", "⌈": r"$\lceil$", "⌉": r"$\rceil$",
                  "→": r"$\rightarrow$", "γ": r"$\gamma$", "β": r"$\beta$", "…": r"\dots{}",
                  "✓": r"\checkmark{}", "✗": r"$\times$", "×": r"$\times$", "\u00a0": "~"}
_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                  "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                  "^": r"\textasciicircum{}"}


def latex_escape(text: str) -> str:
    """Plain text (with the working's symbols) as LaTeX."""
    return "".join(_LATEX_SPECIAL.get(ch) or _LATEX_SYMBOLS.get(ch) or ch for ch in text)


def render_latex(report: SpecReport, layout: str, explain: bool,
                 depth: int | None = None) -> str:
    header, rows = table_rows(report, layout, right="✓", wrong="✗", depth=depth,
                              indent="\u00a0\u00a0")
    columns = "".join("r" if align == "right" else "l" for align in _alignment(header))
    lines = [r"\begin{tabular}{" + columns + "}", r"\toprule",
             " & ".join(latex_escape(h) for h in header) + r" \\", r"\midrule"]
    lines += [" & ".join(latex_escape(cell) for cell in row) + r" \\" for row in rows]
    lines += [r"\midrule", r"\textbf{Total} & & & \textbf{" + number(report.totals.params) + "}"
              + " &" * (len(header) - 4) + r" \\", r"\bottomrule", r"\end{tabular}"]
    parts = ["\n".join(lines)]
    if explain:
        items = []
        for heading, working in working_blocks(report, layout, depth):
            items.append(r"\item " + latex_escape(heading) + "\n" + r"\begin{itemize}" + "\n"
                         + "\n".join(r"  \item " + latex_escape(step) for step in working)
                         + "\n" + r"\end{itemize}")
        parts.append(r"\begin{itemize}" + "\n" + "\n".join(items) + "\n" + r"\end{itemize}")
    return "\n\n".join(parts)


def render_csv(reports: list[SpecReport], layout: str, depth: int | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["file", "path", "depth", "count", "name", "kind", "description",
                     "output_shape", "params", "trainable", "non_trainable", "macs", "flops",
                     "activations", "receptive_field", "answers"])
    for report in reports:
        for layer in report.rows(depth):
            writer.writerow([report.source, layer.path, layer.depth, layer.count, layer.name,
                             layer.kind, layer.description, _shape(layer.output_shape, layout),
                             "" if layer.params is None else layer.params,
                             "" if layer.trainable is None else layer.trainable,
                             "" if layer.non_trainable is None else layer.non_trainable,
                             *((layer.cost.macs, layer.cost.flops, layer.cost.activations)
                               if layer.cost and layer.output_shape else ("", "", "")),
                             _field_text(layer).replace("?", ""),
                             _marks(layer, "right", "wrong")])
    return out.getvalue()


def conventions_text(rows: list[tuple[str, dict[str, list[int] | None]]], layout: str) -> str:
    """Where PyTorch's, Keras' and Caffe's rounding give different shapes."""
    if not rows:
        return "Conventions: pytorch, keras and caffe give every layer the same shape."
    names = list(rows[0][1])
    table = [[path, *(_shape(shapes[name], layout) for name in names)] for path, shapes in rows]
    return ("Where the conventions disagree (pooling rounds up in caffe):\n"
            + tabulate(table, ["Layer", *names], tablefmt="simple", disable_numparse=True))
