"""`archcalc grade` as a table (one row per student), CSV, or per-student details."""

from __future__ import annotations

import csv
import io

from tabulate import tabulate

from archcalc.grading import GradeReport, StudentResult


def _score(student: StudentResult) -> str:
    if student.status != "graded":
        return "invalid"
    return "—" if student.score is None else f"{student.score:.1%}"


def render_grades(report: GradeReport, details: bool) -> str:
    rows = [[s.file, s.right, s.wrong, s.missing, _score(s)] if s.status == "graded" else
            [s.file, "", "", "", "invalid"] for s in report.students]
    parts = [tabulate(rows, ["Submission", "Right", "Wrong", "Missing", "Score"],
                      tablefmt="simple", colalign=("left", "right", "right", "right", "right"),
                      disable_numparse=True)]
    invalid = [s for s in report.students if s.status != "graded"]
    if invalid:
        parts.append("Not graded:\n" + "\n".join(f"  {s.file}: {s.error}" for s in invalid))
    if details:
        for student in report.students:
            if not student.mistakes:
                continue
            lines = [f"{student.file}:"]
            for mistake in student.mistakes:
                what = "parameter count" if mistake.quantity == "params" else "shape"
                lines.append(f"  {mistake.layer}: the {what} is {mistake.correct}, "
                             f"not {mistake.given}")
                lines += [f"    likely mistake: {m}" for m in mistake.likely_mistakes]
                lines += [f"    {step}" for step in mistake.working]
            parts.append("\n".join(lines))
    graded = len(report.students) - len(invalid)
    mean = report.mean
    summary = (f"{len(report.students)} submission{'s' * (len(report.students) != 1)}: "
               f"{graded} graded, {len(invalid)} not")
    if mean is not None:
        summary += f"; mean score {mean:.1%}"
    if report.questions is not None:
        summary += f"; the key asks {report.questions} questions"
    parts.append(summary)
    return "\n\n".join(parts)


def render_grades_csv(report: GradeReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["submission", "status", "right", "wrong", "missing", "score", "error"])
    for s in report.students:
        writer.writerow([s.file, s.status, s.right, s.wrong, s.missing,
                         "" if s.score is None else f"{s.score:.4f}", s.error or ""])
    return out.getvalue()
