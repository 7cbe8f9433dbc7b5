"""Exercises with answer keys: small networks in the language, questions about them, and the
working in the lecture's style. Seeded, so a quiz can be made again exactly.

Every question is a spec checked by the static pass (so its key is right by construction) and
can be written out with its answers as `expect` lines: a key that `archcalc grade` takes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from archcalc.analysis import analyze
from archcalc.geometry import number
from archcalc.parser import parse
from archcalc.report import LayerReport
from archcalc.rules import shape_text

TOPICS = ("shape", "params", "padding", "stride", "pooling", "receptive-field")
_PARAMETER_LINES = ("Weights", "Bias", "Parameters", "Trainable", "Non-trainable", "Frozen")
LEVELS = ("easy", "medium", "hard")


@dataclass
class Blank:
    """One thing to work out: a layer's output shape, parameters or receptive field."""

    layer: str
    quantity: str  # "shape", "params" or "receptive-field"
    answer: str
    working: list[str]


@dataclass
class Question:
    number: int
    spec: str  # the network, as the student sees it
    blanks: list[Blank] = field(default_factory=list)
    trap: str | None = None  # the classic mistake this question is built to catch

    def key_spec(self) -> str:
        """The spec with the answers as `expect` lines: a key for `archcalc grade`."""
        lines = []
        for line in self.spec.splitlines():
            name = line.split(":", 1)[0].strip() if ":" in line else None
            answers = [b for b in self.blanks if b.layer == name
                       and b.quantity in ("shape", "params")]
            if answers:
                parts = " ".join(("" if b.quantity == "shape" else "params ")
                                 + b.answer.replace(",", "") for b in answers)
                line = f"{line} expect {parts}"
            lines.append(line)
        return "\n".join(lines) + "\n"


class _Maker:
    def __init__(self, rng: random.Random, level: str, topics: tuple[str, ...]) -> None:
        self.rng = rng
        self.level = level
        self.topics = topics

    def layers(self) -> tuple[str, list[str], str | None]:
        """An input line, layer lines (each labelled), and the trap they set, if any."""
        rng, level = self.rng, self.level
        size = rng.choice([28, 32, 64, 96, 128, 224, 227] if level != "easy" else [28, 32, 64])
        channels = rng.choice([1, 3] if level == "easy" else [1, 3, 16, 32])
        count = {"easy": 1, "medium": 2, "hard": rng.randint(3, 4)}[level]
        lines, trap = [], None
        for index in range(1, count + 1):
            kind = "conv" if index == 1 or "pooling" not in self.topics or rng.random() < 0.6 \
                else "pool"
            if kind == "conv":
                kernel = rng.choice([1, 3, 5, 7, 11] if level != "easy" else [3, 5])
                stride = rng.choice([1, 2, 4] if "stride" in self.topics and level != "easy"
                                    else [1])
                padding = rng.choice(["", "p1", "p2", "same"] if "padding" in self.topics
                                     and level != "easy" else [""])
                filters = rng.choice([8, 16, 32, 64, 96, 128])
                if level == "hard" and trap is None and rng.random() < 0.5:
                    padding, stride, trap = "same", 2, "`same` with stride 2 halves the size"
                words = ["conv", str(kernel)] + ([f"s{stride}"] if stride > 1 else []) \
                    + ([padding] if padding else []) + [str(filters)]
                lines.append(f"conv{index}: " + " ".join(words))
            else:
                window = rng.choice([2, 3])
                stride = rng.choice([2]) if window == 3 else 2
                lines.append(f"pool{index}: pool {window} s{stride}")
        return f"input {size}x{size}x{channels}", lines, trap

    def question(self, number_: int) -> Question | None:
        head, lines, trap = self.layers()
        spec = "\n".join([head, *lines])
        report = analyze(parse(spec))
        if report.network_errors:
            return None
        if self.level != "easy" and trap is None and any(
                d.code == "W300" for d in report.diagnostics):
            trap = "the size is not a whole number: PyTorch rounds down"
        if trap is None and "params" in self.topics:
            trap = "the parameters count the input's depth, and one bias per filter"
        question = Question(number_, spec, trap=trap)
        for row in report.layers:
            self.blanks(question, row)
        return question if question.blanks else None

    def blanks(self, question: Question, row: LayerReport) -> None:
        wants = self.topics
        counting = [line for line in row.working if line.startswith(_PARAMETER_LINES)]
        sizing = [line for line in row.working if line not in counting]
        if {"shape", "padding", "stride", "pooling"} & set(wants):
            question.blanks.append(Blank(row.name, "shape",
                                         shape_text(tuple(row.output_shape or ())), sizing))
        if "params" in wants and row.kind == "conv":
            question.blanks.append(Blank(row.name, "params", number(row.params or 0),
                                         counting))
        if "receptive-field" in wants and row.cost and row.cost.receptive_field:
            field_ = row.cost.receptive_field[0]
            question.blanks.append(Blank(row.name, "receptive-field",
                                         f"{field_.size}x{field_.size}",
                                         [line for line in row.cost.working
                                          if line.startswith("Receptive field")]))


def make_quiz(seed: int, count: int, level: str, topics: tuple[str, ...]) -> list[Question]:
    """`count` questions, the same for the same arguments."""
    maker = _Maker(random.Random(f"{seed}:{level}:{','.join(topics)}"), level, topics)
    questions: list[Question] = []
    seen: set[str] = set()
    attempts = 0
    while len(questions) < count and attempts < 200 * count:
        attempts += 1
        question = maker.question(len(questions) + 1)
        if question is not None and question.spec not in seen:
            seen.add(question.spec)
            questions.append(question)
    return questions


def _what(blank: Blank) -> str:
    return {"shape": "the output shape (H x W x C)", "params": "the number of parameters",
            "receptive-field": "the receptive field of one unit, in input pixels"}[
        blank.quantity]


def render_markdown(questions: list[Question], answers: bool) -> str:
    parts = ["# Exercises" + (": answer key" if answers else "")]
    for question in questions:
        lines = [f"## Question {question.number}", "", "```", question.spec, "```", ""]
        for blank in question.blanks:
            line = f"- `{blank.layer}`: {_what(blank)}"
            lines.append(line + (f": **{blank.answer}**" if answers else ": ______"))
            if answers:
                lines += [f"  - {step}" for step in blank.working]
        if answers and question.trap:
            lines.append(f"\n*The trap: {question.trap}.*")
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def render_latex(questions: list[Question], answers: bool) -> str:
    from archcalc.render.tables import latex_escape

    lines = [r"\begin{enumerate}"]
    for question in questions:
        lines.append(r"\item")
        lines.append(r"\begin{verbatim}" + "\n" + question.spec + "\n" + r"\end{verbatim}")
        lines.append(r"\begin{itemize}")
        for blank in question.blanks:
            item = latex_escape(f"{blank.layer}: {_what(blank)}")
            if answers:
                item += r": \textbf{" + latex_escape(blank.answer) + "}"
                if blank.working:
                    item += r"\\ {\small " + latex_escape("; ".join(blank.working)) + "}"
            else:
                item += r": \rule{4cm}{0.4pt}"
            lines.append(r"  \item " + item)
        lines.append(r"\end{itemize}")
        if answers and question.trap:
            lines.append(r"\emph{The trap: " + latex_escape(question.trap) + ".}")
    lines.append(r"\end{enumerate}")
    return "\n".join(lines) + "\n"
