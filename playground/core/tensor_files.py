"""Tensors written as safetensors: atomically, and without a second copy of them in memory."""

from __future__ import annotations

import os
import re

import torch
from safetensors import SafetensorError
from safetensors.torch import save_file

from playground.core.atomic import atomic_write_file


def write_safetensors(path: str | os.PathLike[str], tensors: dict[str, torch.Tensor],
                      metadata: dict[str, str] | None = None) -> None:
    """`tensors` into the safetensors file `path`, written from the tensors' own memory (QA: a 3 GB model's
    checkpoint, copied twice on the way, was killed for lack of memory after the step it had waited for)."""
    try:
        atomic_write_file(path, lambda tmp: save_file(_alone(tensors), tmp, metadata=metadata))
    except SafetensorError as err:  # its I/O errors as Python's: a full disk said "unexpected problem" (QA)
        found = re.search(r"(?:I/O error: )?([^:]*) \(os error (\d+)\)", str(err))
        if found is None:
            raise
        words, number = found[1], int(found[2])  # safetensors' words: Windows numbers its errors its own way
        if os.name == "nt":
            raise OSError(None, words, os.fspath(path), number) from None
        raise OSError(number, words, os.fspath(path)) from None


def _alone(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Each tensor as safetensors takes it: on the CPU, contiguous and alone in its storage. Only one that is not
    (tied weights, a view into a larger tensor) is copied."""
    seen: set[int] = set()
    alone = {}
    for name, tensor in tensors.items():
        tensor = tensor.detach().to("cpu").contiguous()
        storage = tensor.untyped_storage()
        whole = tensor.data_ptr() == storage.data_ptr() and tensor.nbytes == storage.nbytes()
        if not whole or storage.data_ptr() in seen:
            tensor = tensor.clone()
        seen.add(tensor.untyped_storage().data_ptr())
        alone[name] = tensor
    return alone
