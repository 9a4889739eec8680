"""Datasets for the playground: `describe()` is cheap and torch-free, `load()` builds the tensors.

    info = describe(spec.data, spec.model)        # on every slider move: vocab size, task, classes
    dataset = load(spec.data, spec.model, seed)   # when training starts
    batch = dataset.batch("train", 32, generator)
"""

from __future__ import annotations

from playground.core.estimates import format_bytes, image_loading_bytes
from playground.core.free_memory import HEADROOM, free_cpu_memory
from playground.core.spec import DataSpec, ModelSpec
from playground.data.base import IGNORE_INDEX, Batch, DataError, DataInfo, Dataset, Split, Task
from playground.data.registry import REGISTRY, Entry, Option, builtin_datasets, classify_source, corpus_text, plan

__all__ = [
    "IGNORE_INDEX", "REGISTRY", "Batch", "DataError", "DataInfo", "Dataset", "Entry", "Option", "Split", "Task",
    "builtin_datasets", "describe", "load",
]


def describe(data: DataSpec, model: ModelSpec) -> DataInfo:
    """What the model and the window need to know, without tensors. Raises DataError for unusable data."""
    return plan(data, model).info


def load(data: DataSpec, model: ModelSpec, seed: int) -> Dataset:
    """The dataset as tensors; the same seed gives the same split and the same validation set."""
    p = plan(data, model)
    kind = p.entry.kind
    # Imported here: these modules import torch, which describe() must not.
    if kind == "text":
        from playground.data.text import TextDataset

        return TextDataset(p, corpus_text(p.entry, data), model)
    if kind == "procedural":
        from playground.data.procedural import ProceduralDataset

        return ProceduralDataset(p, model, seed)
    if kind == "classify":
        from playground.data.classification import TextClassificationDataset, WordPieceClassificationDataset

        source = classify_source(p.entry, p.options, data)
        if p.tokenizer:
            return WordPieceClassificationDataset(p, source, model, seed)
        return TextClassificationDataset(p, source.texts, source.labels, model, seed, source.held_out)
    from playground.data import images

    _check_images_fit(p.info.n_train + p.info.n_val, p.info.channels, model.image_size)
    if p.entry.key == "digits":
        pixels, labels = images.digits()
    elif p.entry.key == "shapes":
        pixels, labels = images.shapes(int(p.options["n_images"]), seed)
    else:
        pixels, labels = images.folder(data.path or "", model, int(p.options["channels"]))
    return images.ImageDataset(p, pixels, labels, model, seed)


def _check_images_fit(n: int, channels: int, side: int) -> None:
    """Refuse images that would not fit the memory free now once resized, before they are loaded (QA: the
    digits at 1000 x 1000 pixels took 20 GB and were killed by the system, unsaid, before the model's memory was
    checked). Only here, where images load: describing the data (every settings change) refuses nothing for it."""
    need, free = image_loading_bytes(n, channels, side), free_cpu_memory()
    if free is not None and need > free * HEADROOM:
        raise DataError(f"{n:,} images at {side} x {side} pixels need about {format_bytes(need)} of memory to load, "
                        f"more than can be spared of the {format_bytes(free)} free: try a smaller image size")
