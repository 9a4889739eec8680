"""Size, compute and memory of a run, from the spec alone: pure arithmetic, no torch.

The window calls these on every slider move. count_parameters is exact (a test compares it with the
built models); flops_per_step and memory_estimate are documented approximations.

Symbols: B batch, T tokens per example (patches + 1 for the ViT), C n_embd, F d_ff, L n_layer,
nh n_head, V vocabulary, n output classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from playground.core.spec import ModelSpec, RunSpec

if TYPE_CHECKING:  # a type only: the data package may import torch
    from playground.data.base import DataInfo

# Tables a packaged pretrained model brings regardless of the dataset: (vocabulary, positions).
# playground.models.pretrained reads them from the model's config.json; a test keeps the two equal.
PRETRAINED_TABLES: dict[str, tuple[int, int]] = {"minilm": (30522, 512)}

FP32 = 4  # bytes per number: the estimates assume fp32 everywhere


def layer_norm_parameters(m: ModelSpec) -> int:
    """One LayerNorm's scale and shift, or nothing when the model has no LayerNorm (norm 'none')."""
    return 0 if m.norm == "none" else 2 * m.n_embd


def final_norm_parameters(m: ModelSpec) -> int:
    """The LayerNorm after the last block, which only pre-LN models have."""
    return layer_norm_parameters(m) if m.norm == "pre" else 0


def block_parameters(m: ModelSpec) -> int:
    """One transformer block: q, k, v and output projections, the two FFN layers, two LayerNorms."""
    C, F = m.n_embd, m.d_ff
    attention = 4 * (C * C + C)
    ffn = (C * F + F) + (F * C + C)
    norms = 2 * layer_norm_parameters(m)
    return attention + ffn + norms


def embedding_parameters(m: ModelSpec, info: DataInfo) -> int:
    """Everything before the first block (what freeze_layers freezes with the lower blocks)."""
    C = m.n_embd
    if m.family == "vit":
        patches = info.channels * m.patch_size**2 * C + C  # the patch conv, with bias
        positions = (m.n_patches + 1) * C if m.pos_encoding == "learned" else 0
        return patches + C + positions  # + the [CLS] vector
    vocab, n_positions = _token_tables(m, info)
    positions = n_positions * C if m.pos_encoding == "learned" or m.pretrained else 0
    if m.family == "decoder":
        return vocab * C + positions
    return vocab * C + positions + 2 * C + layer_norm_parameters(m)  # + token-type table (2 rows) + embedding LN


def head_parameters(m: ModelSpec, info: DataInfo) -> int:
    """After the last block: final LayerNorm (pre-LN) and the task head; tied weights not counted again."""
    C, n = m.n_embd, info.n_classes
    final = final_norm_parameters(m)
    if m.family == "decoder":
        return final  # lm_head is tok_emb
    if m.family == "vit":
        return final + C * n + n  # + classifier
    vocab, _ = _token_tables(m, info)
    if info.task == "mlm":  # dense + LayerNorm + decoder bias (decoder weight is tok_emb)
        return final + (C * C + C) + layer_norm_parameters(m) + vocab
    if info.task == "tagging":
        return final + C * n + n
    return final + (C * C + C) + C * n + n  # + pooler + classifier


def count_parameters(model: ModelSpec, info: DataInfo) -> int:
    """Exactly sum(p.numel() for p in build_model(model, info).parameters()) (tied weights once)."""
    return embedding_parameters(model, info) + model.n_layer * block_parameters(model) + head_parameters(model, info)


def trainable_parameters(model: ModelSpec, info: DataInfo) -> int:
    """Parameters the optimiser updates: all but the embeddings and the freeze_layers lower blocks."""
    if model.freeze_layers == 0:
        return count_parameters(model, info)
    frozen = embedding_parameters(model, info) + model.freeze_layers * block_parameters(model)
    return count_parameters(model, info) - frozen


def flops_per_step(spec: RunSpec, info: DataInfo) -> float:
    """Training FLOPs of one optimiser step (one batch), the usual "6 N D" estimate made explicit.

    Forward, per example: 2 FLOPs (multiply + add) per weight of every matmul per token it touches,
    plus the attention products q @ k^T and weights @ v, 2 * 2 * T^2 * C per layer (causal counted
    in full). Backward costs twice the forward of the part that needs gradients (blocks above the
    frozen ones and the head; nothing below them is differentiated). So with nothing frozen:
    6 * matmul_params * B * T + 12 * L * T^2 * C * B. LayerNorm, softmax, GELU and the embedding
    lookups are left out (a few percent).
    """
    m = spec.model
    B, T, C, L = spec.train.batch_size, m.seq_len, m.n_embd, m.n_layer
    per_block = 2 * T * (4 * C * C + 2 * C * m.d_ff) + 2 * 2 * T * T * C  # one example through one block
    head = 2 * _head_matmul_flops(m, info)  # one example through the head (and the ViT's patch conv)
    forward = B * (L * per_block + head)
    trainable = B * ((L - m.freeze_layers) * per_block + head)
    return float(forward + 2 * trainable)


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes of training memory (fp32): weights, their gradients, AdamW's two moments, saved activations."""

    params: int
    grads: int
    adam: int
    activations: int

    @property
    def total(self) -> int:
        return self.params + self.grads + self.adam + self.activations


def memory_estimate(spec: RunSpec, info: DataInfo) -> MemoryEstimate:
    """Training memory for one step, fp32, no activation checkpointing.

    Gradients and AdamW moments exist for trainable parameters only. Activations are what backward
    needs, per example and trainable block: about 9 C + 2 F numbers per token (LayerNorm inputs and
    outputs, q, k, v, concatenated heads, projection output, the two FFN activations) plus the
    softmax weights and their dropout copy, 2 * nh * T^2 (the explicit path and PyTorch's math
    fallback store them; fused kernels store less, so this part is an upper bound); plus the
    embeddings output and the logits with their gradient. Framework overhead (CUDA context,
    allocator slack, a few hundred MB on a GPU) is not included.
    """
    m = spec.model
    B, T, C, L = spec.train.batch_size, m.seq_len, m.n_embd, m.n_layer
    n_params = count_parameters(m, info)
    n_trainable = trainable_parameters(m, info)
    per_block = T * (9 * C + 2 * m.d_ff) + 2 * m.n_head * T * T
    logits = 2 * _logits_per_example(m, info)  # logits and their gradient in the cross-entropy
    activations = B * ((L - m.freeze_layers) * per_block + T * C + logits)
    return MemoryEstimate(
        params=FP32 * n_params,
        grads=FP32 * n_trainable,
        adam=2 * FP32 * n_trainable,
        activations=FP32 * activations,
    )


# Loading images at the model's size holds them about four times at its peak: resized, the training split's copy,
# and the normalised ones with their intermediate (measured, docs/performance.md).
IMAGE_LOADING_COPIES = 4


def image_loading_bytes(n_images: int, channels: int, side: int) -> int:
    """The most memory loading `n_images` images resized to `side` x `side` pixels takes (fp32)."""
    return IMAGE_LOADING_COPIES * FP32 * n_images * channels * side * side


def format_count(n: float) -> str:
    """950 -> '950', 12_345 -> '12.3 k', 1_234_567 -> '1.2 M', 7e9 -> '7.0 B'."""
    if abs(n) < 1000:
        return str(int(n)) if float(n).is_integer() else f"{n:.1f}"
    units = ("", "k", "M", "B", "T")
    value, i = float(n), 0
    while abs(value) >= 999.95 and i < len(units) - 1:  # 999_960 rounds to '1.0 M', not '1000.0 k'
        value /= 1000
        i += 1
    return f"{value:.1f} {units[i]}"


def format_bytes(n: float) -> str:
    """Binary units, as GPU tools report: 512 -> '512 B', 1536 -> '1.5 KiB', 3 * 2**30 -> '3.0 GiB'."""
    if abs(n) < 1024:
        return f"{int(n)} B"
    units = ("B", "KiB", "MiB", "GiB", "TiB")
    value, i = float(n), 0
    while abs(value) >= 1023.95 and i < len(units) - 1:
        value /= 1024
        i += 1
    return f"{value:.1f} {units[i]}"


def _token_tables(m: ModelSpec, info: DataInfo) -> tuple[int, int]:
    """(vocabulary, position rows) of a text model: the dataset's and spec's, or the pretrained model's own."""
    if m.pretrained:
        return PRETRAINED_TABLES[m.pretrained]
    return info.vocab_size, m.block_size


def _head_matmul_flops(m: ModelSpec, info: DataInfo) -> int:
    """Multiply-adds per example outside the blocks."""
    C, T, n = m.n_embd, m.seq_len, info.n_classes
    if m.family == "decoder":
        return T * C * info.vocab_size  # lm_head at every position
    if m.family == "vit":
        return m.n_patches * info.channels * m.patch_size**2 * C + C * n  # patch conv + classifier on [CLS]
    vocab, _ = _token_tables(m, info)
    if info.task == "mlm":
        return T * (C * C + C * vocab)  # transform + decoder at every position
    if info.task == "tagging":
        return T * C * n
    return C * C + C * n  # pooler + classifier on [CLS]


def _logits_per_example(m: ModelSpec, info: DataInfo) -> int:
    if m.family == "decoder":
        return m.seq_len * info.vocab_size
    if info.task == "mlm":
        return m.seq_len * _token_tables(m, info)[0]
    if info.task == "tagging":
        return m.seq_len * info.n_classes
    return info.n_classes
