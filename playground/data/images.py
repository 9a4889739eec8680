"""Image classification for the ViT: built-in digits and shapes, or the student's image folder.

Images are float32 (N, C, S, S) at the model's image size, normalised per channel with the
training split's mean and standard deviation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F

from playground.core.files import elide
from playground.core.spec import ModelSpec
from playground.data import user_files
from playground.data.base import IGNORE_INDEX, Batch, DataError
from playground.data.indexed import IndexedDataset
from playground.data.registry import (
    GENERATE_PURPOSE,
    SHAPE_CLASSES,
    Plan,
    derived_seed,
    patch_names,
    stratified_split,
)

SHAPE_SIZE = 16
Background = Literal["dark", "light"]
CLEAR_SHARE = 0.9  # this share of the training images on one kind of background makes it the data's polarity
CLEAR_BORDER = 0.75  # this share of an image's border pixels on one side of mid-grey makes it its background
DRAWN_ON = {"dark": "a light drawing on a dark background", "light": "a dark drawing on a light background"}
TRAINED_ON = {"dark": "light drawings on a dark background", "light": "dark drawings on a light background"}


class ImageDataset(IndexedDataset):
    def __init__(self, plan: Plan, images: torch.Tensor, labels: torch.Tensor, model: ModelSpec, seed: int):
        """images: (N, C, H, W) floats in [0, 1] at any size; resized here to the model's image size."""
        self.image_size, self.patch_size = model.image_size, model.patch_size
        images = resize(images, self.image_size)
        train_rows, val_rows = stratified_split(labels.numpy(), plan.info.n_val, seed)
        train = images[torch.as_tensor(train_rows)]
        self.background = training_background(train)
        self._mean = train.mean(dim=(0, 2, 3), keepdim=True)
        self._std = train.std(dim=(0, 2, 3), keepdim=True).clamp_min(1e-6)
        super().__init__(plan.info, self._normalise(images), labels.long(), None, train_rows, val_rows)
        self.drawn_split = True

    def _normalise(self, images: torch.Tensor) -> torch.Tensor:
        return ((images - self._mean) / self._std).float()

    def display_image(self, x: torch.Tensor) -> np.ndarray:
        """A normalised (C, H, W) image as it was drawn: [0, 1], (H, W) grey or (H, W, C) colour. Not stretched to
        its own darkest and lightest pixel: a mid-green (0, 128, 0) read as full green (0, 255, 0) beside the
        heatmaps (QA)."""
        pixels = (x.float().cpu() * self._std[0] + self._mean[0]).clamp(0.0, 1.0)  # (C, H, W)
        arr = pixels.permute(1, 2, 0).numpy()
        return arr[..., 0] if arr.shape[-1] == 1 else arr

    def token_labels(self, x: torch.Tensor) -> list[str]:
        return ["CLS", *patch_names(self.image_size, self.patch_size)]

    def example(self, text: str) -> Batch:
        """`text` is the path of an image file; its class is unknown, so the target is ignored."""
        return self.example_with_notes(text)[0]

    def example_with_notes(self, text: str) -> tuple[Batch, tuple[str, ...]]:
        """`example`, and what was done to the image to read it as the training images are drawn (a transparent
        background filled in, the colours inverted), for the window and the command line to say."""
        image = user_files.read_image(text, self.image_size, self.info.channels)
        name = elide(Path(text).name, 60)
        if not image.drawn:
            raise DataError(f"{name} is fully transparent: nothing is drawn in it. Pick an image with a drawing")
        x = torch.from_numpy(image.pixels).permute(2, 0, 1)[None].float() / 255
        kind = int(backgrounds(x)[0])
        own: Background | None = "dark" if kind < 0 else "light" if kind > 0 else None
        inverted = self.background is not None and own is not None and own != self.background
        note, trained = "", f"the model learned {TRAINED_ON[self.background]}" if self.background else ""
        if inverted:
            x = 1 - x
        if image.filled:
            note = f"{name} has a transparent background: it was filled with {image.filled} to keep the drawing visible"
            note += f", then its colours were inverted, as {trained}" if inverted else ""
        elif inverted and own is not None:
            note = f"{name} is {DRAWN_ON[own]} and {trained}: its colours were inverted to match"
        width, height = image.size
        side = self.image_size
        stretched = (f"{name} is {width} x {height} pixels: it was stretched to the model's {side} x {side} square "
                     f"(crop it square to keep its shapes)") if width != height else ""  # (student QA: unsaid)
        return Batch(self._normalise(x), torch.tensor([IGNORE_INDEX])), tuple(n for n in (note, stretched) if n)


def backgrounds(images: torch.Tensor) -> torch.Tensor:
    """(N,) -1 for an image (N, C, S, S in [0, 1]) on a dark background, 1 on a light one, 0 when its outermost ring
    of pixels is no clear background (noise, a photograph): most of the ring on one side of mid-grey decides."""
    gray = images.mean(dim=1)
    ring = torch.cat([gray[:, 0, :], gray[:, -1, :], gray[:, 1:-1, 0], gray[:, 1:-1, -1]], dim=1)
    light = (ring > 0.5).float().mean(dim=1)
    return (light >= CLEAR_BORDER).long() - (light <= 1 - CLEAR_BORDER).long()


def training_background(images: torch.Tensor) -> Background | None:
    """"dark" or "light" when nearly all training images (N, C, S, S in [0, 1]) share one kind of background (the
    built-in digits and shapes are light on dark); None for a mix, such as photographs."""
    if not len(images):
        return None
    kinds = backgrounds(images)
    if float((kinds == -1).float().mean()) >= CLEAR_SHARE:
        return "dark"
    return "light" if float((kinds == 1).float().mean()) >= CLEAR_SHARE else None


def resize(images: torch.Tensor, size: int) -> torch.Tensor:
    if images.shape[-1] == size and images.shape[-2] == size:
        return images
    return F.interpolate(images, size=(size, size), mode="bilinear", antialias=True, align_corners=False)


def digits() -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's 8x8 digits (pixel values 0-16), shipped with the package: nothing downloaded."""
    from sklearn.datasets import load_digits  # slow to import: only when the digits are used

    bunch = load_digits()
    return torch.tensor(bunch.images, dtype=torch.float32)[:, None] / 16, torch.tensor(bunch.target)


def shapes(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """n noisy 16x16 shapes with random position, size and brightness, balanced over the classes."""
    rng = np.random.default_rng(derived_seed(seed, GENERATE_PURPOSE))
    labels = np.arange(n) % len(SHAPE_CLASSES)
    radius = rng.uniform(3.0, 6.5, (n, 1, 1))
    cx, cy = (rng.uniform(radius, SHAPE_SIZE - 1 - radius) for _ in range(2))
    yy, xx = np.mgrid[0:SHAPE_SIZE, 0:SHAPE_SIZE].astype(np.float64)
    dx, dy = np.abs(xx - cx), np.abs(yy - cy)
    top = cy - radius
    drawn = np.stack([
        dx**2 + dy**2 <= radius**2,  # circle
        (dx <= radius * 0.8) & (dy <= radius * 0.8),  # square
        (dy <= radius) & (dx <= (yy - top) / 2),  # triangle, apex up
        ((dx <= radius / 3) & (dy <= radius)) | ((dy <= radius / 3) & (dx <= radius)),  # cross
    ])[labels, np.arange(n)]
    brightness = rng.uniform(0.6, 1.0, (n, 1, 1))
    pixels = np.clip(drawn * brightness + rng.normal(0.0, 0.1, drawn.shape), 0.0, 1.0)
    return torch.tensor(pixels, dtype=torch.float32)[:, None], torch.tensor(labels)


def folder(path: str, model: ModelSpec, channels: int) -> tuple[torch.Tensor, torch.Tensor]:
    table = user_files.read_image_folder(path, model.image_size, channels)
    # Copies (float(), tensor()): the cached table must stay untouched by later training code.
    return torch.from_numpy(table.images).permute(0, 3, 1, 2).float() / 255, torch.tensor(table.labels)
