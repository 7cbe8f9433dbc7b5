"""`archcalc grade`: a class's submissions, specs and answer sheets, against a key."""

from __future__ import annotations

import json

import pytest

from archcalc.grading import Key, grade, submissions
from tests.conftest import run_cli

KEY = """input 224x224x3
conv 11 s4 96 expect 54x54x96 params 34944
relu
pool 3 s2 expect 26x26x96
conv 5 p2 256 expect 26x26x256 params 614656
"""
STUDENT = """input 224x224x3
conv 11 s4 96 expect 55x55x96 params 34848
relu
pool 3 s2 expect 27x27x96
conv 5 p2 256 expect 26x26x256
"""


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "key.arch").write_text(KEY)
    work = tmp_path / "class"
    work.mkdir()
    (work / "ann.arch").write_text(STUDENT)
    (work / "bob.arch").write_text(KEY)  # all right
    (work / "carl.arch").write_text("input 224x224x3\ncovn 11 s4 96\n")
    (work / "dan.arch").write_text(KEY.replace("conv 11 s4 96", "conv 11 s4 48"))
    (work / "eve.csv").write_text("layer,shape,params\nconv1,54x54x96,34848\npool1,27x27x96,\n")
    (work / "fay.csv").write_text("name,answer\n")
    (work / "gus.arch").write_bytes(b"input 8x8x3\n\xff\n")
    return tmp_path


def test_a_class_is_graded_against_the_key(folder):
    key = Key(folder / "key.arch")
    assert key.questions == [("conv1", "shape"), ("conv1", "params"), ("pool1", "shape"),
                             ("conv2", "shape"), ("conv2", "params")]
    report = grade(submissions([str(folder / "class")]), key)
    by_name = {s.file.rsplit("/", 1)[-1]: s for s in report.students}
    ann = by_name["ann.arch"]
    assert (ann.right, ann.wrong, ann.missing) == (1, 3, 1) and ann.score == 1 / 5
    assert ann.mistakes[1].likely_mistakes == ["forgot the bias (one per filter)"]
    assert by_name["bob.arch"].score == 1.0
    eve = by_name["eve.csv"]  # an answer sheet, graded with the same slips as a spec
    assert (eve.right, eve.wrong, eve.missing) == (1, 2, 2)
    assert eve.mistakes[0].likely_mistakes == ["forgot the bias (one per filter)"]
    assert eve.mistakes[1].likely_mistakes == ["rounded up instead of down (PyTorch floors)"]
    invalid = {name: s.error for name, s in by_name.items() if s.status == "invalid"}
    assert set(invalid) == {"carl.arch", "dan.arch", "fay.csv", "gus.arch"}
    assert "error[E200]: unknown layer kind `covn`" in invalid["carl.arch"]
    assert "differs from the key's at conv1" in invalid["dan.arch"]
    assert "layer,shape,params" in invalid["fay.csv"]
    assert invalid["gus.arch"] == "it is not UTF-8 text"


def test_without_a_key_each_spec_is_its_own_question_set(folder):
    report = grade([folder / "class" / "ann.arch"], None)
    (ann,) = report.students
    assert (ann.right, ann.wrong, ann.missing) == (1, 3, 0)


def test_many_submissions_grade_in_parallel_the_same_as_one_by_one(folder):
    paths = [folder / "class" / name for name in ("ann.arch", "bob.arch", "carl.arch")] * 30
    key = Key(folder / "key.arch")
    assert grade(paths, key, workers=2) == grade(paths, key, workers=1)


def test_grade_command(folder, capsys):
    status, out, _ = run_cli(capsys, "grade", str(folder / "class"), "--key",
                             str(folder / "key.arch"), "--format", "json")
    assert status == 0
    data = json.loads(out)
    assert data["questions"] == 5 and len(data["students"]) == 7
    status, out, _ = run_cli(capsys, "grade", "--key", str(folder / "key.arch"), "--blank")
    assert out == "layer,shape,params\nconv1,,\npool1,,\nconv2,,\n"
    status, out, _ = run_cli(capsys, "grade", str(folder / "class" / "ann.arch"), "--key",
                             str(folder / "key.arch"), "--details")
    assert "  conv1: the parameter count is 34,944, not 34,848\n" in out
    assert "1 submission: 1 graded, 0 not; mean score 20.0%; the key asks 5 questions" in out


def test_a_wrong_key_or_no_submissions_is_a_usage_error(folder, capsys):
    (folder / "bad_key.arch").write_text(KEY.replace("params 34944", "params 1"))
    status, _, err = run_cli(capsys, "grade", str(folder / "class"), "--key",
                             str(folder / "bad_key.arch"))
    assert status == 2 and "the key" in err and "E401" in err
    status, _, err = run_cli(capsys, "grade")
    assert status == 2 and "nothing to grade" in err
