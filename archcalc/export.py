"""A checked spec as readable PyTorch source: one nn.Module class that needs only torch.

The modules come from archcalc.torch_map, the same list `to_torch` instantiates, so the
exported class has the same state_dict keys and shapes as the model `to_torch` builds.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

from archcalc.geometry import number
from archcalc.report import SpecReport
from archcalc.rules import shape_text
from archcalc.torch_map import (
    Call,
    ContainerCall,
    ModuleCall,
    final_softmax,
    input_shape_nchw,
    module_calls,
)

WIDTH = 99  # longest line written; a comment that does not fit goes above its line


def class_name(source: str) -> str:
    """A class name from a file name: vgg16_notop.arch → Vgg16Notop."""
    stem = Path(source).stem if source and not source.startswith("<") else "model"
    words = [w for w in re.split(r"[^A-Za-z0-9]+", stem) if w]
    name = "".join(w[:1].upper() + w[1:] for w in words) or "Model"
    return name if name[0].isalpha() else f"Net{name}"


def _with_comment(code: str, comment: str, indent: str) -> list[str]:
    line = f"{indent}{code}  # {comment}"
    if len(line) <= WIDTH:
        return [line]
    return [f"{indent}# {comment}", f"{indent}{code}"]


def _comment(call: Call) -> str:
    layer = call.layer
    if layer is None:
        return f"padding for {call.name.removesuffix('_pad')}, as `same` needs"
    comment = shape_text(tuple(layer.output_shape or ()))
    if layer.params:
        comment += f", {number(layer.params)} params"
    return comment


def _construct(call: Call, prefix: str, suffix: str, indent: str) -> list[str]:
    """The lines that build `call`: the first begins with `prefix`, the last ends in `suffix`."""
    if isinstance(call, ModuleCall):
        code = f"{prefix}{call.source()}{suffix}"
        if len(indent) + len(code) <= WIDTH:
            return _with_comment(code, _comment(call), indent)
        # Too long even alone: the arguments go on a line of their own.
        source = call.source()
        head = source[:source.index("(") + 1]
        return [f"{indent}# {_comment(call)}", f"{indent}{prefix}{head}",
                f"{indent}    {source[len(head):-1]}){suffix}"]
    inner = indent + "    "
    if call.cls == "Residual":
        lines = _with_comment(f"{prefix}Residual(", _comment(call), indent)
        for child in call.children:
            lines += _construct(child, f"{child.name}=", ",", inner)
        return [*lines, f"{indent}){suffix}"]
    lines = _with_comment(f"{prefix}{'nn.Sequential' if call.cls == 'Sequential' else 'Concat'}"
                          "(OrderedDict([", _comment(call), indent)
    for child in call.children:
        lines += _construct(child, f'("{child.name}", ', "),", inner)
    return [*lines, f"{indent}])){suffix}"]


def _init_lines(calls: list[Call]) -> list[str]:
    lines = []
    for call in calls:
        lines += _construct(call, f"self.{call.name} = ", "", " " * 8)
    return lines


# Written into the exported file when the spec needs them, so that it needs only torch;
# archcalc.pytorch.model defines the same two classes, and a test holds the texts equal.
_RESIDUAL = '''
class Residual(nn.Module):
    """body(x) + shortcut(x), added element by element; the shortcut is x itself if None."""

    def __init__(self, body: nn.Module, shortcut: nn.Module | None = None) -> None:
        super().__init__()
        self.body = body
        self.shortcut = shortcut

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.body(x)
        return out + (x if self.shortcut is None else self.shortcut(x))

'''
_CONCAT = '''
class Concat(nn.Module):
    """Every branch sees the input; their outputs are stacked along the channels."""

    def __init__(self, branches: OrderedDict[str, nn.Module]) -> None:
        super().__init__()
        for name, branch in branches.items():
            self.add_module(name, branch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([branch(x) for branch in self.children()], dim=1)

'''


def _classes_used(calls: list[Call]) -> set[str]:
    used: set[str] = set()
    for call in calls:
        if isinstance(call, ContainerCall):
            used |= {call.cls} | _classes_used(list(call.children))
    return used


def _forward_lines(calls: list[Call]) -> list[str]:
    lines = []
    pending = "x"
    for call in calls:
        if call.layer is None:  # a padding module feeds the layer after it
            pending = f"self.{call.name}({pending})"
            continue
        shape = shape_text(tuple(call.layer.output_shape or ()))
        lines += _with_comment(f"x = self.{call.name}({pending})", shape, " " * 8)
        pending = "x"
    return lines


def export_source(report: SpecReport, name: str | None = None) -> str:
    """The Python source of a module class for a spec without errors (BackendError if any)."""
    calls = module_calls(report)
    name = name or class_name(report.source)
    softmax = calls[-1] if final_softmax(calls) else None
    body = calls[:-1] if softmax else calls
    nchw = " x ".join(str(d) for d in input_shape_nchw(report))
    totals = report.totals
    trainable = (f"{number(totals.params)} parameters" if not totals.non_trainable else
                 f"{number(totals.trainable)} trainable parameters and "
                 f"{number(totals.non_trainable)} running statistics")
    used = _classes_used(calls)
    helpers = [source for cls, source in (("Residual", _RESIDUAL), ("Concat", _CONCAT))
               if cls in used]
    imports = ["from collections import OrderedDict", ""] if used else []
    about = textwrap.fill(f"Input: N x {nchw} (channels first, as PyTorch takes it); "
                          f"{trainable}. Comments give each layer's output shape as H x W x C.",
                          WIDTH)
    out = [
        # The file name alone: a full path would tie the source to one machine and
        # could run past the line length.
        f'"""{name}: generated by archcalc from {Path(report.source).name}.',
        "",
        about,
        '"""',
        "",
        *imports,
        "import torch",
        "from torch import nn",
        "",
        *[line for helper in helpers for line in helper.splitlines()],
        "",
        f"class {name}(nn.Module):",
        "    def __init__(self) -> None:",
        "        super().__init__()",
        *_init_lines(calls),
        "",
        "    def forward(self, x: torch.Tensor) -> torch.Tensor:",
    ]
    if softmax is not None:
        out += [
            f'        """Probabilities: the {softmax.cls.lower()} of `logits`."""',
            f"        return self.{softmax.name}(self.logits(x))",
            "",
            "    def logits(self, x: torch.Tensor) -> torch.Tensor:",
            f'        """The scores before the final {softmax.cls.lower()}, for '
            'cross-entropy."""',
            *_forward_lines(body),
            "        return x",
        ]
    else:
        out += [*_forward_lines(body), "        return x", "",
                "    def logits(self, x: torch.Tensor) -> torch.Tensor:",
                '        """The same as `forward`: the spec does not end in softmax."""',
                "        return self.forward(x)"]
    return "\n".join(out) + "\n"
