"""Which torch.nn module implements each layer of a checked spec, as data.

This module does not import torch. It turns a SpecReport into a tree of module calls (a class
name and its constructor arguments; containers for blocks, residual connections, concats and
repeats); `archcalc.pytorch.to_torch` instantiates them and `archcalc.export` writes them out
as source, so that the two can never disagree.
"""

from __future__ import annotations

import keyword
import math
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from archcalc import ir
from archcalc.errors import BackendError
from archcalc.geometry import number
from archcalc.report import LayerReport, SpecReport

# Modules a model may have; a repeat that keeps its shape is analysed however long it is, but
# a model has one module per layer.
MAX_MODULES = 100_000

# Attributes every torch.nn.Module has (and those archcalc's ArchModel adds); a layer with one of
# these names cannot become a submodule.
_MODULE_ATTRIBUTES = frozenset({
    "T_destination", "add_module", "apply", "bfloat16", "buffers", "call_super_init",
    "children", "compile", "cpu", "cuda", "double", "dump_patches", "eval", "extra_repr",
    "float", "forward", "get_buffer", "get_extra_state", "get_parameter", "get_submodule",
    "half", "ipu", "load_state_dict", "logits", "modules", "mtia", "named_buffers",
    "named_children", "named_modules", "named_parameters", "parameters",
    "register_backward_hook", "register_buffer", "register_forward_hook",
    "register_forward_pre_hook", "register_full_backward_hook",
    "register_full_backward_pre_hook", "register_load_state_dict_post_hook",
    "register_load_state_dict_pre_hook", "register_module", "register_parameter",
    "register_state_dict_post_hook", "register_state_dict_pre_hook", "requires_grad_",
    "set_extra_state", "set_submodule", "share_memory", "state_dict", "to", "to_empty",
    "train", "training", "type", "xpu", "zero_grad",
    "ends_in_softmax", "frozen_layers",
})

_ACTIVATIONS: dict[str, tuple[str, tuple[tuple[str, Any], ...]]] = {
    "relu": ("ReLU", ()), "relu6": ("ReLU6", ()), "leakyrelu": ("LeakyReLU", ()),
    "elu": ("ELU", ()), "selu": ("SELU", ()), "gelu": ("GELU", ()), "silu": ("SiLU", ()),
    "mish": ("Mish", ()), "hardswish": ("Hardswish", ()), "hardsigmoid": ("Hardsigmoid", ()),
    "sigmoid": ("Sigmoid", ()), "tanh": ("Tanh", ()), "softplus": ("Softplus", ()),
    "softmax": ("Softmax", (("dim", 1),)), "logsoftmax": ("LogSoftmax", (("dim", 1),)),
}


@dataclass(frozen=True)
class ModuleCall:
    """One torch.nn module: where it goes, its class and its constructor arguments."""

    name: str
    cls: str
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()
    layer: LayerReport | None = field(default=None, compare=False)  # None for padding helpers

    def source(self) -> str:
        """The constructor call as Python source: `nn.Conv2d(3, 96, kernel_size=11)`."""
        parts = [_literal(value) for value in self.args]
        parts += [f"{key}={_literal(value)}" for key, value in self.kwargs]
        return f"nn.{self.cls}({', '.join(parts)})"


def _literal(value: Any) -> str:
    if isinstance(value, float) and math.isinf(value):
        return 'float("-inf")' if value < 0 else 'float("inf")'
    return repr(value)


def _square(pair: tuple[int, int]) -> int | tuple[int, int]:
    return pair[0] if pair[0] == pair[1] else pair


def _window_padding(layer: LayerReport) -> tuple[tuple[int, int] | None, tuple[int, ...] | None]:
    """(symmetric padding for the layer itself, or asymmetric padding for a pad module)."""
    top, bottom, left, right = layer.padding or (0, 0, 0, 0)
    if top == bottom and left == right:
        return (top, left), None
    return None, (left, right, top, bottom)  # torch's pad order: last axis first


def _conv(layer: LayerReport, conv: ir.Conv, channels: int) -> list[ModuleCall]:
    symmetric, asymmetric = _window_padding(layer)
    kwargs: list[tuple[str, Any]] = [("kernel_size", _square(conv.kernel))]
    if conv.stride != (1, 1):
        kwargs.append(("stride", _square(conv.stride)))
    if symmetric and symmetric != (0, 0):
        kwargs.append(("padding", _square(symmetric)))
    if conv.dilation != (1, 1):
        kwargs.append(("dilation", _square(conv.dilation)))
    if conv.groups != 1:
        kwargs.append(("groups", conv.groups))
    if not conv.bias:
        kwargs.append(("bias", False))
    calls = []
    if asymmetric:  # `same` with an odd total: Keras puts the extra pixel after
        calls.append(ModuleCall(f"{layer.name}_pad", "ZeroPad2d", (asymmetric,)))
    calls.append(ModuleCall(layer.name, "Conv2d", (channels, conv.filters), tuple(kwargs), layer))
    return calls


def _pool(layer: LayerReport, pool: ir.Pool) -> list[ModuleCall]:
    symmetric, asymmetric = _window_padding(layer)
    cls = "MaxPool2d" if pool.kind == "maxpool" else "AvgPool2d"
    kwargs: list[tuple[str, Any]] = [("kernel_size", _square(pool.kernel)),
                                     ("stride", _square(pool.stride))]
    if symmetric and symmetric != (0, 0):
        kwargs.append(("padding", _square(symmetric)))
        if pool.padding == "same" and cls == "AvgPool2d":
            kwargs.append(("count_include_pad", False))  # Keras averages real pixels only
    if pool.ceil:
        kwargs.append(("ceil_mode", True))
    calls = []
    if asymmetric:
        # Max pooling pads with -inf so that padding never wins; average pooling with zeros.
        fill = float("-inf") if cls == "MaxPool2d" else 0.0
        calls.append(ModuleCall(f"{layer.name}_pad", "ConstantPad2d", (asymmetric, fill)))
    calls.append(ModuleCall(layer.name, cls, (), tuple(kwargs), layer))
    return calls


def _module_calls(layer: LayerReport, shape: list[int]) -> list[ModuleCall]:
    node = layer.layer
    if isinstance(node, ir.Conv):
        return _conv(layer, node, shape[2])
    if isinstance(node, ir.Pool):
        return _pool(layer, node)
    one: tuple[str, tuple[Any, ...], tuple[tuple[str, Any], ...]]
    if isinstance(node, ir.AdaptivePool):
        cls = "AdaptiveAvgPool2d" if node.kind == "adaptiveavgpool" else "AdaptiveMaxPool2d"
        one = (cls, (_square(node.output),), ())
    elif isinstance(node, ir.GlobalPool):
        one = ("AdaptiveAvgPool2d" if node.kind == "gap" else "AdaptiveMaxPool2d", (1,), ())
    elif isinstance(node, ir.Flatten):
        one = ("Flatten", (), ())
    elif isinstance(node, ir.Identity):
        one = ("Identity", (), ())
    elif isinstance(node, ir.Dense):
        one = ("Linear", (shape[0], node.units), () if node.bias else (("bias", False),))
    elif isinstance(node, ir.BatchNorm):
        one = ("BatchNorm2d" if len(shape) == 3 else "BatchNorm1d", (shape[-1],), ())
    elif isinstance(node, ir.Dropout):
        one = ("Dropout", (node.rate,), ())
    elif isinstance(node, ir.Activation):
        cls, kwargs = _ACTIVATIONS[node.function]
        args = (node.slope,) if node.slope is not None else ()
        one = (cls, args, kwargs)
    else:
        raise BackendError(f"{layer.name}: `{layer.description}` has no PyTorch equivalent")
    return [ModuleCall(layer.name, one[0], one[1], one[2], layer)]


@dataclass(frozen=True)
class ContainerCall:
    """A module that holds others: `Sequential` (a block, a repeat, one time round, a residual's
    body or shortcut, a branch), `Residual` (body(x) + shortcut(x), or + x) or `Concat`."""

    name: str
    cls: str
    children: tuple[Call, ...]
    layer: LayerReport = field(compare=False)


Call = ModuleCall | ContainerCall


def _container(row: LayerReport) -> ContainerCall:
    children: list[Call] = []
    for child in row.children:
        made = _calls(child)
        if child.count > 1:  # a repeat's remaining times, all alike: one module each
            first = int(child.name)
            for k in range(child.count):
                children += [replace(call, name=str(first + k)) for call in made]
        else:
            children += made
    cls = {"residual": "Residual", "concat": "Concat"}.get(row.kind, "Sequential")
    return ContainerCall(row.name, cls, tuple(children), row)


def _calls(row: LayerReport) -> list[Call]:
    if row.layer is None:
        return [_container(row)]
    assert row.input_shape is not None  # a report without errors knows every shape
    return list(_module_calls(row, row.input_shape))


def _module_count(rows: list[LayerReport]) -> int:
    return sum((1 if row.layer is not None else _module_count(row.children)) * row.count
               for row in rows)


def module_calls(report: SpecReport) -> list[Call]:
    """The modules of the model, in order; raises BackendError for a spec with errors."""
    if report.input_formula is not None:
        raise BackendError(f"{report.source} leaves its input size open "
                           f"({'x'.join(report.input_formula)}); a model needs numbers, as in "
                           "`input 224x224x3`")
    errors = report.network_errors
    if errors:
        raise BackendError(f"{report.source} has {errors} error{'s' * (errors != 1)}; "
                           "`archcalc check` shows them")
    count = _module_count(report.layers)
    if count > MAX_MODULES:
        raise BackendError(f"{report.source} has {number(count)} layers; a PyTorch model of "
                           f"more than {number(MAX_MODULES)} is not built (`check` counts it "
                           "without building it)")
    calls = [call for row in report.layers for call in _calls(row)]
    _check_names(calls)
    return calls


def leaf_calls(calls: list[Call], prefix: str = "") -> Iterator[tuple[str, ModuleCall]]:
    """Every module that is not a container, with its dotted path, in the order they run."""
    for call in calls:
        path = f"{prefix}.{call.name}" if prefix else call.name
        if isinstance(call, ContainerCall):
            yield from leaf_calls(list(call.children), path)
        else:
            yield path, call


def _check_names(calls: list[Call]) -> None:
    seen: set[str] = set()
    for call in calls:
        name = call.name
        if keyword.iskeyword(name) or name in _MODULE_ATTRIBUTES:
            raise BackendError(
                f"a layer cannot be named `{name}` in a PyTorch model: it is "
                f"{'a Python keyword' if keyword.iskeyword(name) else 'an nn.Module attribute'}"
                "; rename it")
        if name in seen:
            raise BackendError(f"`{name}` would name two modules; rename the layer `{name}`")
        seen.add(name)
        if isinstance(call, ContainerCall):
            _check_names(list(call.children))


def final_softmax(calls: list[Call]) -> bool:
    """True when the spec ends in softmax (or log-softmax), which `logits` leaves out."""
    return bool(calls) and calls[-1].cls in ("Softmax", "LogSoftmax")


def input_shape_nchw(report: SpecReport) -> tuple[int, ...]:
    """The shape of one input as PyTorch takes it: C, H, W (or N for a flat vector)."""
    shape = report.input_shape or []
    return (shape[2], shape[0], shape[1]) if len(shape) == 3 else tuple(shape)
