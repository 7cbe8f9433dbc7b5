"""Grading a class: every submission's answers against the right values, one row per student.

A submission is a spec with `expect` answers, or, with a key, an answer sheet: a CSV file with
the columns `layer,shape,params` that a student fills in by hand (`archcalc grade --key KEY
--blank` prints one). With a key, the questions are the key's own `expect` answers (or, if it
has none, the shape and parameters of every layer), a spec submission must describe the key's
network, and an unanswered question counts as missing. A submission that cannot be read is
reported as such and never stops the batch.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from pydantic import BaseModel, Field

from archcalc import ir
from archcalc.analysis import analyze
from archcalc.answers import check_answers
from archcalc.parser import parse
from archcalc.render.diagnostics import render_diagnostic
from archcalc.report import Answer, LayerReport, SpecReport
from archcalc.rules import PARAM_RULES, SHAPE_RULES, shape_text
from archcalc.source import Source

PARALLEL_FROM = 64  # submissions from which grading uses every core
SHEET_COLUMNS = ("layer", "shape", "params")


class BadKey(Exception):
    """The key itself is unusable; the message says why."""


class WrongAnswer(BaseModel):
    layer: str
    quantity: str
    given: str
    correct: str
    likely_mistakes: list[str] = []
    working: list[str] = []


class StudentResult(BaseModel):
    file: str
    status: str = Field(description="graded, or invalid (see error)")
    right: int = 0
    wrong: int = 0
    missing: int = 0
    score: float | None = Field(None, description="right / (right + wrong + missing)")
    error: str | None = None
    mistakes: list[WrongAnswer] = []


class GradeReport(BaseModel):
    key: str | None
    questions: int | None = Field(None, description="with a key: how many answers it asks for")
    students: list[StudentResult]

    @property
    def mean(self) -> float | None:
        scores = [s.score for s in self.students if s.score is not None]
        return sum(scores) / len(scores) if scores else None


# --- The key -------------------------------------------------------------------------------

Question = tuple[str, str]  # (layer path, "shape" | "params")


class Key:
    """A key spec: its report, the network's layers, and the questions it asks."""

    def __init__(self, path: Path) -> None:
        text = _read_text(path)
        self.path = path
        self.report = analyze(parse(text, str(path)))
        errors = [d for d in self.report.diagnostics if d.is_error]
        if errors:  # a wrong answer in the key is an error too: it would mark right ones wrong
            raise BadKey(f"the key {path} has errors: "
                         + render_diagnostic(errors[0], Source(text, str(path))).splitlines()[0])
        self.rows = {row.path: row for row in self.report.rows()}
        self.network = _network(self.report)
        asked: list[Question] = [(row.path, answer.quantity) for row in self.report.rows()
                                 for answer in row.answers]
        self.questions: list[Question] = asked or [
            (row.path, quantity) for row in self.report.rows() if row.layer is not None
            for quantity in ("shape", "params")]

    def blank_sheet(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(SHEET_COLUMNS)
        for path in dict.fromkeys(path for path, _ in self.questions):
            writer.writerow([path, "", ""])
        return out.getvalue()


def _network(report: SpecReport) -> list[tuple[str, str]]:
    return [(row.path, row.description) for row in report.leaves()]


# --- One submission ------------------------------------------------------------------------

def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8").removeprefix("\ufeff")
    except OSError as exc:
        raise ValueError(f"cannot read it: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ValueError("it is not UTF-8 text") from None


def _first_error(report: SpecReport, source: Source) -> str:
    first = next(d for d in report.diagnostics if d.is_error and d.code not in ("E400", "E401"))
    return render_diagnostic(first, source).splitlines()[0]


def _mistake(row: LayerReport, answer: Answer) -> WrongAnswer:
    def text(value: list[int] | int | None) -> str:
        if value is None:
            return "?"
        return shape_text(tuple(value)) if isinstance(value, list) else f"{value:,}"

    return WrongAnswer(layer=row.path, quantity=answer.quantity, given=text(answer.given),
                       correct=text(answer.correct), likely_mistakes=answer.likely_mistakes,
                       working=row.working)


def _tally(result: StudentResult,
           graded: list[tuple[Question, tuple[LayerReport, Answer] | None]]) -> StudentResult:
    """Count each question right, wrong (keeping the working) or missing, and score."""
    for _, found in graded:
        if found is None:
            result.missing += 1
        elif found[1].right:
            result.right += 1
        else:
            result.wrong += 1
            result.mistakes.append(_mistake(*found))
    asked = result.right + result.wrong + result.missing
    result.score = result.right / asked if asked else None
    return result


def grade_spec(path: Path, text: str, key: Key | None) -> StudentResult:
    report = analyze(parse(text, str(path)))
    if report.network_errors:
        return StudentResult(file=str(path), status="invalid",
                             error=_first_error(report, Source(text, str(path))))
    result = StudentResult(file=str(path), status="graded")
    if key is not None:
        theirs = _network(report)
        for (path_k, kind_k), (path_s, kind_s) in zip(key.network, theirs, strict=False):
            if (path_k, kind_k) != (path_s, kind_s):
                result.status = "invalid"
                result.error = (f"the network differs from the key's at {path_k}: "
                                f"`{kind_k}` in the key, `{path_s}: {kind_s}` here")
                return result
        if len(theirs) != len(key.network):
            result.status = "invalid"
            result.error = (f"the network has {len(theirs)} layers; the key's has "
                            f"{len(key.network)}")
            return result
    answered: dict[Question, tuple[LayerReport, Answer]] = {
        (row.path, answer.quantity): (row, answer)
        for row in report.rows() for answer in row.answers}
    questions = key.questions if key is not None else list(answered)
    return _tally(result, [(q, answered.get(q)) for q in questions])


def _sheet_value(cell: str, quantity: str) -> tuple[int, ...] | int:
    cleaned = cell.strip().replace(",", "").replace("_", "")
    if quantity == "params":
        return int(cleaned)
    return tuple(int(part) for part in cleaned.lower().replace("×", "x").split("x"))


def grade_sheet(path: Path, text: str, key: Key) -> StudentResult:
    """An answer sheet: CSV rows of `layer,shape,params`, graded against the key."""
    result = StudentResult(file=str(path), status="graded")
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or [c.strip().lower() for c in rows[0][:3]] != list(SHEET_COLUMNS):
        result.status = "invalid"
        result.error = "an answer sheet starts with the header `layer,shape,params`"
        return result
    answers: dict[Question, tuple[int, ...] | int] = {}
    for number, cells in enumerate(rows[1:], start=2):
        cells = [*cells, "", "", ""][:3]
        layer = cells[0].strip()
        if not layer:
            continue
        if layer not in key.rows:
            result.status = "invalid"
            result.error = f"line {number}: `{layer}` is not a layer of the key"
            return result
        for quantity, cell in zip(("shape", "params"), cells[1:], strict=True):
            if not cell.strip():
                continue
            try:
                answers[(layer, quantity)] = _sheet_value(cell, quantity)
            except ValueError:
                result.status = "invalid"
                result.error = (f"line {number}: `{cell.strip()}` is not a "
                                f"{'shape such as 55x55x96' if quantity == 'shape' else 'number'}")
                return result
    graded = [(q, (key.rows[q[0]], _sheet_answer(key.rows[q[0]], q[1], answers[q]))
               if q in answers else None) for q in key.questions]
    return _tally(result, graded)


def _sheet_answer(row: LayerReport, quantity: str, given: tuple[int, ...] | int) -> Answer:
    """Grade one sheet answer as `check` grades an `expect`, slips included."""
    layer = row.layer
    if layer is not None and row.input_shape is not None:
        shape = tuple(row.input_shape)
        expect = ir.Expectation(span=layer.span, **(
            {"shape": given, "shape_span": layer.span} if quantity == "shape"
            else {"params": given, "params_span": layer.span}))
        named = layer.model_copy(update={"expect": expect, "name": row.path})
        outcome = SHAPE_RULES[type(layer)](named, shape)
        count = PARAM_RULES[type(layer)](named, shape) if not outcome.refused else None
        if count is not None and layer.frozen:
            count = count.frozen()
        (answer,), _ = check_answers(named, shape, outcome, count)
        return answer
    correct = row.output_shape if quantity == "shape" else row.params
    value = list(given) if isinstance(given, tuple) else given
    return Answer(quantity=quantity, given=value, correct=correct, right=value == correct,
                  span=row.span)


def grade_one(path: Path, key: Key | None) -> StudentResult:
    """One submission's result; never raises for a bad submission."""
    try:
        text = _read_text(path)
    except ValueError as exc:
        return StudentResult(file=str(path), status="invalid", error=str(exc))
    if path.suffix.lower() == ".csv":
        if key is None:
            return StudentResult(file=str(path), status="invalid",
                                 error="an answer sheet is graded against a key: give --key")
        return grade_sheet(path, text, key)
    return grade_spec(path, text, key)


# --- A class -------------------------------------------------------------------------------

_WORKER_KEY: Key | None = None


def _start_worker(key_path: str | None) -> None:
    global _WORKER_KEY
    _WORKER_KEY = Key(Path(key_path)) if key_path else None


def _grade_in_worker(path: str) -> StudentResult:
    return grade_one(Path(path), _WORKER_KEY)


def submissions(paths: Iterable[str]) -> list[Path]:
    """Files given, and the .arch and .csv files inside folders given, in order."""
    found: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix.lower() in (".arch", ".csv")
                            and p.is_file())
        else:
            found.append(path)
    return found


def grade(paths: list[Path], key: Key | None, workers: int | None = None) -> GradeReport:
    """Every submission's result, in the order given; large classes use every core."""
    workers = workers or os.cpu_count() or 1
    if len(paths) >= PARALLEL_FROM and workers > 1:
        with ProcessPoolExecutor(workers, initializer=_start_worker,
                                 initargs=(str(key.path) if key else None,)) as pool:
            results = list(pool.map(_grade_in_worker, map(str, paths), chunksize=32))
    else:
        results = [grade_one(path, key) for path in paths]
    return GradeReport(key=str(key.path) if key else None,
                       questions=len(key.questions) if key else None, students=results)
