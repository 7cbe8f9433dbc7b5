"""`archcalc export`: readable PyTorch source that runs without archcalc and builds the same
model as `to_torch`."""

from __future__ import annotations

import ast
import json
import subprocess
import sys

import pytest

import archcalc
from archcalc.export import class_name, export_source
from tests.conftest import EXAMPLES, run_cli

torch = pytest.importorskip("torch")

SPECS = sorted(EXAMPLES.rglob("*.arch"))

# Run the exported file in a fresh interpreter in which `import archcalc` fails, and print
# its state_dict's keys and shapes, and its output for a fixed input and fixed weights.
RUNNER = """
import json, sys
sys.modules["archcalc"] = None  # any import of archcalc now raises ImportError
import torch
namespace = {}
exec(compile(open(sys.argv[1]).read(), sys.argv[1], "exec"), namespace)
model = namespace[sys.argv[2]]()
state = torch.load(sys.argv[3], weights_only=True)
model.load_state_dict(state)
model.eval()
x = torch.load(sys.argv[4], weights_only=True)
with torch.no_grad():
    out = model(x)
print(json.dumps({"keys": {k: list(v.shape) for k, v in model.state_dict().items()},
                  "out": out.flatten().tolist()}))
"""


@pytest.mark.parametrize("path", [p for p in SPECS if p.parent.name != "torchvision"],
                         ids=lambda p: p.stem)
def test_exported_source_runs_without_archcalc_and_matches_to_torch(path, tmp_path):
    report = archcalc.check(path)
    source = export_source(report)
    module_file = tmp_path / "model.py"
    module_file.write_text(source)
    torch.manual_seed(0)
    model = archcalc.to_torch(path).eval()
    torch.save(model.state_dict(), tmp_path / "state.pt")
    shape = report.input_shape
    x = torch.randn(2, shape[2], shape[0], shape[1]) if len(shape) == 3 else torch.randn(2, *shape)
    torch.save(x, tmp_path / "x.pt")
    result = subprocess.run([sys.executable, "-c", RUNNER, str(module_file), class_name(
        report.source), str(tmp_path / "state.pt"), str(tmp_path / "x.pt")],
        capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["keys"] == {k: list(v.shape) for k, v in model.state_dict().items()}
    with torch.no_grad():
        expected = model(x).flatten()
    assert torch.allclose(torch.tensor(data["out"]), expected, atol=1e-5)


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_exported_source_reads_like_careful_code(path):
    source = export_source(archcalc.check(path))
    tree = ast.parse(source)
    imports = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
               for alias in node.names}
    imports |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imports == {"torch"}
    assert all(len(line) <= 99 for line in source.splitlines())
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef)]
    assert len(classes) == 1
    assert {f.name for f in classes[0].body if isinstance(f, ast.FunctionDef)} == {
        "__init__", "forward", "logits"}


def test_export_comments_each_line_with_shape_and_params():
    source = export_source(archcalc.check("input 227x227x3\nconv 11 s4 96 -> relu"))
    assert "        self.conv1 = nn.Conv2d(3, 96, kernel_size=11, stride=4)  # 55x55x96, " \
           "34,944 params\n" in source
    assert "        x = self.conv1(x)  # 55x55x96\n" in source


def test_cli_export_writes_the_file(capsys, tmp_path):
    target = tmp_path / "lenet.py"
    status, out, err = run_cli(capsys, "export", str(EXAMPLES / "lenet5.arch"), "-o", str(target))
    assert status == 0 and out == ""
    assert err == f"wrote {target}: class Lenet5\n"
    assert target.read_text() == export_source(archcalc.check(EXAMPLES / "lenet5.arch",
                                                              str(EXAMPLES / "lenet5.arch")))


def test_cli_export_to_a_missing_folder_is_a_usage_error(capsys, tmp_path):
    status, _, err = run_cli(capsys, "export", str(EXAMPLES / "lenet5.arch"), "-o",
                             str(tmp_path / "no" / "such" / "dir.py"))
    assert status == 2 and err.startswith("archcalc: error: cannot write")


def test_class_names():
    assert class_name("examples/vgg16_notop.arch") == "Vgg16Notop"
    assert class_name("3d-net.arch") == "Net3dNet"
    assert class_name("<expr>") == "Model"
