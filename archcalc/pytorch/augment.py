"""The lecture's augmentations, applied to a whole batch at once on tensors in [0, 1]:
flipping, random cropping, contrast and tint. Each image draws its own random change."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F


def flip(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Mirror half of the images left to right."""
    chosen = torch.rand(len(images), generator=generator, device=images.device) < 0.5
    return torch.where(chosen.view(-1, 1, 1, 1), images.flip(-1), images)


def crop(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Pad by an eighth of the size (reflecting the border) and cut out a random window of
    the original size, as in the classic CIFAR recipe."""
    n, _, height, width = images.shape
    pad_h, pad_w = max(1, height // 8), max(1, width // 8)
    mode = "reflect" if pad_h < height and pad_w < width else "replicate"
    padded = F.pad(images, (pad_w, pad_w, pad_h, pad_h), mode=mode)
    top = torch.randint(0, 2 * pad_h + 1, (n,), generator=generator, device=images.device)
    left = torch.randint(0, 2 * pad_w + 1, (n,), generator=generator, device=images.device)
    rows = (top.view(n, 1) + torch.arange(height, device=images.device)).view(n, 1, height, 1)
    cols = (left.view(n, 1) + torch.arange(width, device=images.device)).view(n, 1, 1, width)
    batch = torch.arange(n, device=images.device).view(n, 1, 1, 1)
    channel = torch.arange(images.shape[1], device=images.device).view(1, -1, 1, 1)
    return padded[batch, channel, rows, cols]


def contrast(images: torch.Tensor, generator: torch.Generator,
             strength: float = 0.3) -> torch.Tensor:
    """Scale each image's deviation from its mean by a factor in [1 - s, 1 + s]."""
    factor = 1 + strength * (2 * torch.rand(len(images), 1, 1, 1, generator=generator,
                                            device=images.device) - 1)
    mean = images.mean(dim=(1, 2, 3), keepdim=True)
    return ((images - mean) * factor + mean).clamp(0, 1)


def tint(images: torch.Tensor, generator: torch.Generator, strength: float = 0.1) -> torch.Tensor:
    """Shift each channel of each image by up to ±s: a colour cast."""
    shift = strength * (2 * torch.rand(len(images), images.shape[1], 1, 1, generator=generator,
                                       device=images.device) - 1)
    return (images + shift).clamp(0, 1)


AUGMENTATIONS = {"flip": flip, "crop": crop, "contrast": contrast, "tint": tint}


def augment(images: torch.Tensor, names: Sequence[str],
            generator: torch.Generator) -> torch.Tensor:
    """Apply the named augmentations, in the lecture's order, to N x C x H x W images."""
    for name in ("flip", "crop", "contrast", "tint"):
        if name in names:
            images = AUGMENTATIONS[name](images, generator)
    return images
