"""The textbook reference the benchmark compares the playground against.

A plain PyTorch transformer of the same shape as a playground model, written the way a tutorial writes it:
explicit softmax attention in float32, `torch.optim.AdamW` with its default implementation, and an
ordinary loop (forward, cross-entropy, backward, clip, step, zero_grad, `loss.item()`). No autocast,
no compilation, no fused kernels. It learns the same task from the same batches with the same
learning-rate schedule, init and AdamW settings as the playground, so the two validation losses
after the same number of steps are comparable.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from playground.core.spec import RunSpec
from playground.data.base import IGNORE_INDEX, Batch, DataInfo, Dataset
from playground.models.decoder import GPT2_EPS
from playground.models.encoder import BERT_EPS
from playground.models.vit import VIT_EPS


class Attention(nn.Module):
    def __init__(self, C: int, n_head: int, causal: bool) -> None:
        super().__init__()
        self.n_head, self.causal = n_head, causal
        self.q, self.k, self.v, self.proj = (nn.Linear(C, C) for _ in range(4))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        B, T, C = x.shape
        hs = C // self.n_head
        q, k, v = (p(x).view(B, T, self.n_head, hs).transpose(1, 2) for p in (self.q, self.k, self.v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hs)  # (B, nh, T, T)
        if self.causal:
            causal = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
            att = att.masked_fill(causal.logical_not(), float("-inf"))
        if mask is not None:
            att = att.masked_fill(~mask[:, None, None, :], float("-inf"))
        att = torch.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.proj(y)


class Block(nn.Module):
    def __init__(self, C: int, n_head: int, d_ff: int, causal: bool, post_ln: bool, gelu: str, eps: float) -> None:
        super().__init__()
        self.post_ln = post_ln
        self.ln1, self.ln2 = nn.LayerNorm(C, eps=eps), nn.LayerNorm(C, eps=eps)
        self.attn = Attention(C, n_head, causal)
        self.mlp = nn.Sequential(nn.Linear(C, d_ff), nn.GELU(approximate=gelu), nn.Linear(d_ff, C))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        if self.post_ln:  # BERT
            x = self.ln1(x + self.attn(x, mask))
            return self.ln2(x + self.mlp(x))
        x = x + self.attn(self.ln1(x), mask)  # GPT-2, ViT
        return x + self.mlp(self.ln2(x))


class TextbookTransformer(nn.Module):
    """Decoder (causal, tied head), encoder (post-LN, per-token or [CLS] head) or ViT (patches + [CLS])."""

    def __init__(self, spec: RunSpec, info: DataInfo) -> None:
        super().__init__()
        m = spec.model
        C = m.n_embd
        self.family, self.task = m.family, info.task
        if m.family == "vit":
            self.patch = nn.Conv2d(info.channels, C, m.patch_size, m.patch_size)
            self.cls = nn.Parameter(torch.zeros(1, 1, C))
            n_positions = m.n_patches + 1
        else:
            self.tok = nn.Embedding(info.vocab_size, C)
            n_positions = m.block_size
        self.pos = nn.Parameter(torch.zeros(n_positions, C))
        # BERT's token-type embedding: every token is segment A, so its first row is added everywhere
        self.segment = nn.Embedding(2, C) if m.family == "encoder" else None
        eps = {"decoder": GPT2_EPS, "encoder": BERT_EPS, "vit": VIT_EPS}[m.family]
        self.emb_ln = nn.LayerNorm(C, eps=eps) if m.family == "encoder" else nn.Identity()
        post_ln = m.family == "encoder"
        gelu = "tanh" if m.family == "decoder" else "none"
        self.blocks = nn.ModuleList(
            Block(C, m.n_head, m.d_ff, m.family == "decoder", post_ln, gelu, eps) for _ in range(m.n_layer)
        )
        self.ln_f = nn.Identity() if post_ln else nn.LayerNorm(C, eps=eps)
        n_out = info.vocab_size if info.task in ("lm", "mlm") else info.n_classes
        self.head = nn.Linear(C, n_out, bias=m.family != "decoder")
        if m.family == "decoder":
            self.head.weight = self.tok.weight
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Conv2d, nn.Embedding)):
                nn.init.normal_(module.weight, std=0.02)
                if getattr(module, "bias", None) is not None:
                    nn.init.zeros_(module.bias)
        nn.init.normal_(self.pos, std=0.02)
        if m.family == "decoder":  # GPT-2 (and nanoGPT): residual projections scaled down with depth
            for block in self.blocks:
                for linear in (block.attn.proj, block.mlp[2]):
                    nn.init.normal_(linear.weight, std=0.02 / math.sqrt(2 * m.n_layer))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        if self.family == "vit":
            h = self.patch(x).flatten(2).transpose(1, 2)  # (B, N, C)
            h = torch.cat([self.cls.expand(h.shape[0], -1, -1), h], dim=1)
        else:
            h = self.tok(x)
        h = h + self.pos[: h.shape[1]]
        if self.segment is not None:
            h = h + self.segment.weight[0]
        h = self.emb_ln(h)
        for block in self.blocks:
            h = block(h, mask)
        h = self.ln_f(h)
        if self.task == "classify":
            h = h[:, 0]  # [CLS]
        return self.head(h)


# reference parameter name -> the playground model's (models/*.py); the decoder's head is tied to tok_emb
_PLAYGROUND_NAMES = [
    (r"^pos$", "pos_emb.weight"), (r"^tok\.", "tok_emb."), (r"^cls$", "cls_token"), (r"^segment\.", "type_emb."),
    (r"^patch\.", "patch_emb.proj."),
    (r"^emb_ln\.", "emb_norm."), (r"\.ln1\.", ".norm1."), (r"\.ln2\.", ".norm2."), (r"\.mlp\.0\.", ".ffn.fc1."),
    (r"\.mlp\.2\.", ".ffn.fc2."), (r"^ln_f\.", "norm_f."), (r"^head\.", "classifier."),
]


def playground_name(name: str) -> str:
    for pattern, replacement in _PLAYGROUND_NAMES:
        name = re.sub(pattern, replacement, name)
    return name


class ReferenceTrainer:
    """The ordinary loop, with the playground's batches, schedule and AdamW settings, on the playground's device
    (a plain script on a GPU machine moves its model and batches to the GPU too)."""

    def __init__(self, spec: RunSpec, info: DataInfo, lr_at: Callable[[int], float],
                 device: torch.device | str = "cpu") -> None:
        torch.manual_seed(spec.train.seed)
        self.spec, self.device = spec, torch.device(device)
        self.model = TextbookTransformer(spec, info).to(self.device)
        params = [p for p in self.model.parameters() if p.requires_grad]
        groups = [
            {"params": [p for p in params if p.dim() >= 2], "weight_decay": spec.train.weight_decay},
            {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
        ]
        self.optimizer = torch.optim.AdamW(groups, lr=lr_at(0), betas=(0.9, 0.95))
        self.lr_at = lr_at
        self.step = 0

    @torch.no_grad()
    def start_from(self, model: nn.Module) -> float:
        """Copy the playground model's initial weights where the two models match; returns the share copied.

        Starting from the same numbers, the two validation losses after the same batches differ only by
        what the playground's path does (precision, attention kernel, compilation), not by the init's luck.
        """
        theirs = dict(model.named_parameters())
        copied = total = 0
        for name, param in self.model.named_parameters():
            total += param.numel()
            source = theirs.get(playground_name(name))
            if source is not None and source.shape == param.shape:
                param.copy_(source)
                copied += param.numel()
        return copied / total

    def loss(self, batch: Batch) -> torch.Tensor:
        batch = batch.to(self.device)
        return _cross_entropy(self.model(batch.x, batch.mask), batch)

    def train_step(self, batch: Batch) -> float:
        self.model.train()
        for group in self.optimizer.param_groups:
            group["lr"] = self.lr_at(self.step)
        loss = self.loss(batch)
        loss.backward()
        if self.spec.train.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.spec.train.grad_clip)
        self.optimizer.step()
        self.optimizer.zero_grad()
        self.step += 1
        return loss.item()

    @torch.no_grad()
    def evaluate(self, batches: list[Batch]) -> tuple[float, float | None]:
        """The mean validation loss and the accuracy over the scored targets, as TrainingSession.evaluate counts."""
        self.model.eval()
        loss = correct = counted = examples = 0.0
        for batch in (batch.to(self.device) for batch in batches):
            logits = self.model(batch.x, batch.mask)
            loss += _cross_entropy(logits, batch).item() * len(batch.y)
            examples += len(batch.y)
            scored = batch.y != IGNORE_INDEX
            correct += (logits.argmax(-1)[scored] == batch.y[scored]).sum().item()
            counted += scored.sum().item()
        return loss / examples, correct / counted if counted else None


def _cross_entropy(logits: torch.Tensor, batch: Batch) -> torch.Tensor:
    return F.cross_entropy(logits.flatten(0, -2), batch.y.flatten(), ignore_index=IGNORE_INDEX)


def validation_batches(dataset: Dataset, spec: RunSpec) -> list[Batch]:
    """The batches TrainingSession.evaluate scores, in its order."""
    return dataset.validation_batches(spec.train.batch_size, spec.train.eval_batches, spec.train.seed + 1)
