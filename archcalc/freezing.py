"""Freezing layers by name for transfer learning: `--freeze conv1..conv3` or `conv1,fc1`."""

from __future__ import annotations

import difflib

from archcalc import ir


class FreezeError(Exception):
    """A --freeze selection that names no layer of the spec; the message says which."""


def _index(names: list[str], name: str) -> int:
    if name in names:
        return names.index(name)
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"; did you mean `{close[0]}`?" if close else f"; the layers are {', '.join(names)}"
    raise FreezeError(f"--freeze names `{name}`, which is not a layer of the spec{hint}")


def frozen_names(spec: ir.Spec, selections: list[str]) -> list[str]:
    """The layers that `A..B` ranges (both ends included, in spec order) and names select."""
    names = [layer.name for layer in spec.layers]
    chosen: set[str] = set()
    for selection in selections:
        for part in filter(None, (p.strip() for p in selection.split(","))):
            if ".." in part:
                first, _, last = part.partition("..")
                start, end = _index(names, first.strip()), _index(names, last.strip())
                if start > end:
                    raise FreezeError(f"--freeze {part}: `{first}` comes after `{last}`")
                chosen.update(names[start:end + 1])
            else:
                chosen.add(names[_index(names, part)])
    return [name for name in names if name in chosen]


def freeze(spec: ir.Spec, selections: list[str]) -> ir.Spec:
    """A copy of the spec with the selected layers marked `frozen`."""
    chosen = set(frozen_names(spec, selections))
    layers = [layer.model_copy(update={"frozen": True}) if layer.name in chosen else layer
              for layer in spec.layers]
    return spec.model_copy(update={"layers": layers})
