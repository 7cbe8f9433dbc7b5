"""`archcalc quiz`: seeded exercises whose keys are right (the static pass and PyTorch agree,
and `archcalc grade` accepts them as keys)."""

from __future__ import annotations

import re

import pytest

import archcalc
from archcalc.grading import Key
from archcalc.quiz import make_quiz, render_latex, render_markdown
from tests.conftest import run_cli

torch = pytest.importorskip("torch")


def test_the_same_seed_gives_the_same_quiz_and_another_seed_another():
    first = make_quiz(7, 5, "medium", ("shape", "params", "stride", "padding"))
    again = make_quiz(7, 5, "medium", ("shape", "params", "stride", "padding"))
    other = make_quiz(8, 5, "medium", ("shape", "params", "stride", "padding"))
    assert [q.spec for q in first] == [q.spec for q in again]
    assert [q.spec for q in first] != [q.spec for q in other]
    assert len({q.spec for q in first}) == 5


@pytest.mark.parametrize("level", ["easy", "medium", "hard"])
def test_every_key_is_right_by_pytorch_and_accepted_by_grade(level, tmp_path):
    questions = make_quiz(3, 6, level, ("shape", "params", "stride", "padding", "pooling"))
    assert len(questions) == 6
    for question in questions:
        path = tmp_path / f"q{question.number}.arch"
        path.write_text(question.key_spec())
        Key(path)  # raises if any answer in the key were wrong
        model = archcalc.to_torch(archcalc.check(path)).eval()
        h, w, c = archcalc.check(path).input_shape
        x = torch.zeros(1, c, h, w)
        blanks = {b.layer: b for b in question.blanks if b.quantity == "shape"}
        for name, module in model.named_children():
            x = module(x)
            if name in blanks:
                shape = [x.shape[2], x.shape[3], x.shape[1]]
                assert "x".join(map(str, shape)) == blanks[name].answer
            conv = [b for b in question.blanks if b.layer == name and b.quantity == "params"]
            if conv:
                assert f"{sum(p.numel() for p in module.parameters()):,}" == conv[0].answer


def test_levels_and_traps():
    easy = make_quiz(1, 5, "easy", ("shape", "params", "stride"))
    assert all(len(q.spec.splitlines()) == 2 and " s" not in q.spec for q in easy)
    hard = make_quiz(1, 8, "hard", ("shape", "stride", "padding"))
    traps = {q.trap for q in hard}
    assert "`same` with stride 2 halves the size" in traps


def test_markdown_and_latex_with_and_without_answers():
    questions = make_quiz(2, 2, "medium", ("shape", "params", "receptive-field"))
    blank = render_markdown(questions, answers=False)
    key = render_markdown(questions, answers=True)
    assert blank.count(": ______") == sum(len(q.blanks) for q in questions)
    assert "**" in key and "Parameters: (" in key and "Receptive field: 1 + (" in key
    latex = render_latex(questions, answers=True)
    assert latex.count(r"\begin{itemize}") == latex.count(r"\end{itemize}") == 2
    assert re.search(r"\\textbf\{[0-9]+x[0-9]+x[0-9]+\}", latex)


def test_quiz_command(capsys, tmp_path):
    status, _, _ = run_cli(capsys, "quiz", "--seed", "4", "--count", "3", "--format", "arch",
                             "-o", str(tmp_path / "keys"))
    assert status == 0 and sorted(p.name for p in (tmp_path / "keys").iterdir()) == [
        "question01.arch", "question02.arch", "question03.arch"]
    status, _, err = run_cli(capsys, "quiz", "--topics", "shapes")
    assert status == 2 and "unknown shapes" in err
