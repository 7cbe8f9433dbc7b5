"""The command line as a user meets it: exit statuses, formats, flags, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from archcalc.report import SCHEMA_VERSION, CheckReport
from tests.conftest import EXAMPLES, ROOT, run_cli


def test_clean_spec_exits_0(capsys):
    status, out, err = run_cli(capsys, "check", str(EXAMPLES / "alexnet.arch"))
    assert status == 0 and err == ""
    assert "Total params: 62,378,344" in out


def test_warnings_exit_0_unless_strict(capsys):
    assert run_cli(capsys, "check", str(EXAMPLES / "alexnet224.arch"))[0] == 0
    status, out, _ = run_cli(capsys, "check", "--strict", str(EXAMPLES / "alexnet224.arch"))
    assert status == 1 and "4 warnings" in out


def test_wrong_answers_exit_1_and_are_counted(capsys):
    student = EXAMPLES / "homework" / "alexnet_student.arch"
    status, out, _ = run_cli(capsys, "check", str(student))
    assert status == 1
    assert "Answers: 4 of 7 right" in out


def test_missing_file_is_a_usage_error(capsys):
    status, out, err = run_cli(capsys, "check", "no/such/file.arch")
    assert status == 2 and out == ""
    assert err == "archcalc: error: cannot read no/such/file.arch: No such file or directory\n"


def test_directory_is_a_usage_error(capsys):
    status, _, err = run_cli(capsys, "check", str(EXAMPLES))
    assert status == 2 and err.startswith("archcalc: error: cannot read")


def test_nothing_to_check_is_a_usage_error(capsys):
    status, _, err = run_cli(capsys, "check")
    assert status == 2 and "nothing to check" in err


def test_bad_flag_exits_2(capsys):
    with pytest.raises(SystemExit) as exited:
        run_cli(capsys, "check", "--format", "yaml", "x.arch")
    assert exited.value.code == 2


def test_expression_and_several_files(capsys):
    status, out, _ = run_cli(capsys, "check", "-e", "input 227x227x3 -> conv 11 s4 96",
                             "-e", "input 784; fc 10", str(EXAMPLES / "lenet5.arch"), "-q")
    assert status == 0
    assert out.splitlines() == ["examples/lenet5.arch: no errors".replace(
        "examples/", str(EXAMPLES) + "/"), "", "<expr1>: no errors", "", "<expr2>: no errors"]


def test_stdin(capsys, monkeypatch):
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"input 8x8x1\nconv 3 2\n")))
    status, out, _ = run_cli(capsys, "check", "-")
    assert status == 0 and "<stdin>" in out and "6x6x2" in out


def test_json_is_the_versioned_model(capsys):
    status, out, _ = run_cli(capsys, "check", "--format", "json",
                             str(EXAMPLES / "homework" / "alexnet_student.arch"))
    assert status == 1
    data = json.loads(out)
    assert data["schema_version"] == SCHEMA_VERSION == 2
    report = CheckReport.model_validate(data).files[0]
    conv1 = report.layers[0]
    assert conv1.output_shape == [54, 54, 96] and conv1.params == 34944
    assert conv1.layer.kind == "conv" and conv1.layer.stride == (4, 4)
    assert conv1.span.line == 5 and conv1.span.column == 1
    assert [a.right for a in conv1.answers] == [False, False]
    assert conv1.answers[1].likely_mistakes == ["forgot the bias (one per filter)"]
    assert {d["code"] for d in data["files"][0]["diagnostics"]} == {"W300", "E400", "E401"}


def test_schema_describes_the_json(capsys):
    status, out, _ = run_cli(capsys, "schema")
    schema = json.loads(out)
    assert status == 0
    assert schema["title"] == "CheckReport"
    assert {"schema_version", "files"} <= set(schema["properties"])
    assert "SpecReport" in schema["$defs"] and "Diagnostic" in schema["$defs"]


def test_markdown_puts_diagnostics_on_stderr(capsys):
    status, out, err = run_cli(capsys, "check", "--format", "markdown",
                               str(EXAMPLES / "alexnet224.arch"))
    assert status == 0
    assert "warning[W300]" in err and "warning[W300]" not in out
    assert out.startswith("### ")


def test_quiet_prints_only_problems_and_summary(capsys):
    _, out, _ = run_cli(capsys, "check", "-q", str(EXAMPLES / "alexnet.arch"))
    assert out == f"{EXAMPLES / 'alexnet.arch'}: no errors\n"


def test_binary_file_never_gives_a_traceback(tmp_path):
    garbage = tmp_path / "garbage.arch"
    garbage.write_bytes(bytes(range(256)) * 20)
    result = subprocess.run([sys.executable, "-m", "archcalc", "check", str(garbage)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert "error[E100]" in result.stdout


def test_check_never_imports_torch():
    code = ("import sys; from archcalc.cli import main; "
            "main(['check', '--explain', '--format', 'json', 'examples/alexnet.arch']); "
            "assert 'torch' not in sys.modules, 'check imported torch'")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT)
    assert result.returncode == 0, result.stderr


def test_version(capsys):
    with pytest.raises(SystemExit) as exited:
        run_cli(capsys, "--version")
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("archcalc ")
