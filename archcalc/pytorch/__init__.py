"""The PyTorch backend: the only package of archcalc that imports torch.

    model = archcalc.to_torch("input 28x28x1\\nconv 5 same 32 -> relu -> pool 2 ...")
    result = archcalc.verify("examples/alexnet.arch")   # PyTorch checks every static number
"""

from archcalc.pytorch.model import ArchModel, SpecLike, to_torch
from archcalc.pytorch.verification import LayerCheck, VerifyReport, verify

__all__ = ["ArchModel", "LayerCheck", "SpecLike", "VerifyReport", "to_torch", "verify"]
