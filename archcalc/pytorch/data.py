"""Training data, nothing downloaded: scikit-learn's digits, generated shapes, a folder of class
folders, or an .npz file. Images are kept as uint8 N x C x H x W tensors at the spec's size and
turned into floats a batch at a time."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
SHAPE_CLASSES = ("disk", "square", "triangle", "ring", "plus", "cross", "hbar", "vbar",
                 "diamond", "frame")


class DataError(Exception):
    """Data that cannot be used for this spec; the message says why."""


@dataclass
class Dataset:
    images: torch.Tensor  # uint8, N x C x H x W (or N x F for a flat input)
    labels: torch.Tensor  # int64, N
    class_names: list[str]

    def __len__(self) -> int:
        return len(self.labels)


def image_size(input_shape: list[int]) -> tuple[int, int, int, bool]:
    """(H, W, C, flat) to make images at; a flat input of N takes square s x s x 1 images."""
    if len(input_shape) == 3:
        return input_shape[0], input_shape[1], input_shape[2], False
    side = round(input_shape[0] ** 0.5)
    if side * side != input_shape[0]:
        raise DataError(f"a flat input of {input_shape[0]} is not a square image (s x s x 1); "
                        "use an image input such as `input 28x28x1`")
    return side, side, 1, True


def _fit(images: np.ndarray, height: int, width: int, channels: int) -> torch.Tensor:
    """N x H' x W' x C' images in [0, 255] to uint8 N x C x H x W at the spec's size."""
    tensor = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32)).permute(0, 3, 1, 2)
    if tensor.shape[1] != channels:
        if tensor.shape[1] == 1:
            tensor = tensor.expand(-1, channels, -1, -1)
        elif channels == 1:  # luminance, as Pillow's "L" mode computes it
            weights = torch.tensor([0.299, 0.587, 0.114])[: tensor.shape[1]].view(1, -1, 1, 1)
            tensor = (tensor * weights).sum(dim=1, keepdim=True)
        else:
            raise DataError(f"images with {tensor.shape[1]} channels cannot be fitted to "
                            f"{channels} channels")
    if tuple(tensor.shape[2:]) != (height, width):
        tensor = F.interpolate(tensor, size=(height, width), mode="bilinear",
                               align_corners=False, antialias=True)
    return tensor.round().clamp(0, 255).to(torch.uint8)


def _shapes(count: int, height: int, width: int, channels: int, seed: int) -> Dataset:
    """Ten classes of drawn shapes at random places, sizes and colours, with noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    labels = np.arange(count) % len(SHAPE_CLASSES)
    rng.shuffle(labels)
    images = np.empty((count, height, width, channels), dtype=np.float32)
    for i, label in enumerate(labels):
        r = rng.uniform(0.22, 0.38) * min(height, width)
        cy = rng.uniform(r, height - r) if height > 2 * r else height / 2
        cx = rng.uniform(r, width - r) if width > 2 * r else width / 2
        dy, dx = yy - cy, xx - cx
        ady, adx, t = np.abs(dy), np.abs(dx), 0.3 * r
        box = (adx <= r) & (ady <= r)
        mask = [
            dx**2 + dy**2 <= r**2,
            box,
            (dy <= 0.8 * r) & (dy >= -r) & (adx <= (dy + r) / 1.8 * 1.0),
            (dx**2 + dy**2 <= r**2) & (dx**2 + dy**2 >= (0.55 * r) ** 2),
            ((adx <= t) & (ady <= r)) | ((ady <= t) & (adx <= r)),
            (np.abs(adx - ady) <= t) & box,
            (ady <= t) & (adx <= r),
            (adx <= t) & (ady <= r),
            adx + ady <= r,
            box & ~((adx <= 0.55 * r) & (ady <= 0.55 * r)),
        ][label]
        background = rng.uniform(0, 0.35, channels)
        colour = rng.uniform(0.55, 1.0, channels)
        image = np.where(mask[..., None], colour, background)
        images[i] = np.clip(image + rng.normal(0, 0.06, image.shape), 0, 1) * 255
    return Dataset(_fit(images, height, width, channels), torch.from_numpy(labels).long(),
                   list(SHAPE_CLASSES))


def _digits(height: int, width: int, channels: int) -> Dataset:
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise DataError("`--data digits` needs scikit-learn, which ships the digits: "
                        "pip install 'archcalc[digits]'") from None
    digits = load_digits()
    images = digits.images[..., None] * (255 / 16)  # 8x8, values 0..16
    return Dataset(_fit(images, height, width, channels), torch.from_numpy(digits.target).long(),
                   [str(n) for n in range(10)])


def _folder(root: Path, height: int, width: int, channels: int) -> Dataset:
    from PIL import Image, UnidentifiedImageError

    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise DataError(f"{root} has no class folders: put each class's images in a folder "
                        "of its own (cats/, dogs/, ...)")
    images, labels = [], []
    mode = "L" if channels == 1 else "RGB"
    for label, name in enumerate(classes):
        files = sorted(p for p in (root / name).rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise DataError(f"{root / name} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
        for path in files:
            try:
                with Image.open(path) as image:
                    fitted = image.convert(mode).resize((width, height), Image.Resampling.BILINEAR)
            except (OSError, UnidentifiedImageError, ValueError) as exc:
                raise DataError(f"cannot read the image {path}: {exc}") from None
            array = np.asarray(fitted, dtype=np.float32)
            images.append(array[..., None] if array.ndim == 2 else array)
            labels.append(label)
    if channels not in (1, 3):
        raise DataError(f"images from a folder have 1 or 3 channels, not {channels}")
    return Dataset(_fit(np.stack(images), height, width, channels), torch.tensor(labels),
                   classes)


def _npz(path: Path, height: int, width: int, channels: int) -> Dataset:
    try:
        with np.load(path, allow_pickle=False) as archive:
            x, y = archive["x"], archive["y"]
    except KeyError:
        raise DataError(f"{path} must hold arrays named x (N x H x W x C) and y (N)") from None
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read {path}: {exc}") from None
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4 or y.ndim != 1 or len(x) != len(y) or not len(y):
        raise DataError(f"{path}: x must be N x H x W x C and y N labels; got {x.shape} and "
                        f"{y.shape}")
    if not np.issubdtype(y.dtype, np.integer) or y.min() < 0:
        raise DataError(f"{path}: y must hold class numbers 0, 1, 2, ...")
    x = x.astype(np.float32)
    if not np.isfinite(x).all():
        raise DataError(f"{path}: x holds NaN or infinite values")
    scale = 255.0 if x.max() <= 1.0 else 1.0  # floats in [0, 1] or bytes in [0, 255]
    classes = [str(n) for n in range(int(y.max()) + 1)]
    return Dataset(_fit(np.clip(x * scale, 0, 255), height, width, channels),
                   torch.from_numpy(y.astype(np.int64)), classes)


def load_data(source: str, input_shape: list[int], *, samples: int = 2000,
              seed: int = 0) -> Dataset:
    """The named data set at the spec's input size."""
    height, width, channels, flat = image_size(input_shape)
    if source == "digits":
        data = _digits(height, width, channels)
    elif source == "shapes":
        data = _shapes(samples, height, width, channels, seed)
    else:
        path = Path(source)
        if path.is_dir():
            data = _folder(path, height, width, channels)
        elif path.suffix == ".npz" and path.is_file():
            data = _npz(path, height, width, channels)
        else:
            raise DataError(f"--data {source}: expected digits, shapes, a folder of class "
                            "folders, or an existing .npz file")
    if flat:
        data.images = data.images.flatten(1)
    return data


def stratified_split(labels: torch.Tensor, fractions: tuple[float, float, float],
                     seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Train, validation and test indices with each class in the same proportions."""
    generator = torch.Generator().manual_seed(seed)
    parts: tuple[list[torch.Tensor], list[torch.Tensor], list[torch.Tensor]] = ([], [], [])
    for label in torch.unique(labels):
        members = (labels == label).nonzero().flatten()
        members = members[torch.randperm(len(members), generator=generator)]
        n_train = max(1, round(fractions[0] * len(members)))
        n_val = round(fractions[1] * len(members))
        parts[0].append(members[:n_train])
        parts[1].append(members[n_train:n_train + n_val])
        parts[2].append(members[n_train + n_val:])
    train, val, test = (torch.cat(p) for p in parts)
    if not len(val):
        raise DataError("too little data for a validation split; give more images or a "
                        "larger validation fraction")
    return (train[torch.randperm(len(train), generator=generator)], val, test)


def channel_statistics(images: torch.Tensor, chunk: int = 512) -> tuple[list[float],
                                                                          list[float]]:
    """Per-channel mean and standard deviation of uint8 images, scaled to [0, 1]."""
    dims = (0, 2, 3) if images.dim() == 4 else (0, 1)
    total = torch.zeros(images.shape[1] if images.dim() == 4 else 1, dtype=torch.float64)
    squares = torch.zeros_like(total)
    count = 0
    for start in range(0, len(images), chunk):
        batch = images[start:start + chunk].double() / 255
        total += batch.sum(dim=dims) if images.dim() == 4 else batch.sum()
        squares += (batch**2).sum(dim=dims) if images.dim() == 4 else (batch**2).sum()
        count += batch.numel() // len(total)
    mean = total / count
    std = (squares / count - mean**2).clamp_min(1e-12).sqrt()
    return mean.tolist(), std.tolist()
