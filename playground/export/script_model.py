"""The model part of an exported training script: the run's family written out as plain PyTorch classes.

Only the branches the run's settings use are written (its LayerNorm place, residuals, positions, mask, heads).
The classes keep the playground's module names and construction order, so the run's weights load by name and
`torch.manual_seed(seed)` gives the very same initial weights (every nn.Linear draws its default init before
`init_weights` draws again, as in the app).
"""

from __future__ import annotations

import textwrap

from playground.core.spec import ModelSpec
from playground.data.base import DataInfo

GPT2_EPS, BERT_EPS = "1e-5", "1e-12"  # LayerNorm eps of GPT-2, and of BERT and ViT (models/decoder.py, encoder.py)


def model_source(spec: ModelSpec, info: DataInfo, padded: bool) -> str:
    """The model classes for `spec` on data `info`; `padded`: the data has padding, so attention takes a key mask."""
    parts = [
        _init_weights(spec),
        _feed_forward(spec),
        _attention(spec, padded),
        _block(spec, padded),
    ]
    if spec.pos_encoding == "sinusoidal":
        parts.append(SINUSOIDAL)
    if spec.family == "decoder":
        parts.append(_decoder(spec, padded))
    elif spec.family == "encoder":
        parts.extend(_encoder_heads(spec, info))
        parts.append(_encoder(spec, info, padded))
    else:
        parts.append(PATCH_EMBEDDING)
        parts.append(_vit(spec))
    return "\n\n\n".join(p.strip("\n") for p in parts) + "\n"


def docstring(text: str, indent: int = 4) -> str:
    """`text` as a class's docstring, wrapped to the script's 120 columns."""
    pad = " " * indent
    lines = textwrap.wrap(text, 113 - indent, subsequent_indent=pad)
    return f'{pad}"""' + "\n".join(lines) + ('"""' if len(lines) == 1 else f'\n{pad}"""')


def _eps(spec: ModelSpec) -> str:
    return GPT2_EPS if spec.family == "decoder" else BERT_EPS


def _has_norm(spec: ModelSpec) -> bool:
    return spec.norm != "none"


def _init_weights(spec: ModelSpec) -> str:
    layers = "(nn.Linear, nn.Conv2d)" if spec.family == "vit" else "nn.Linear"
    norm = """
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)""" if _has_norm(spec) else ""
    return f'''
def init_weights(module: nn.Module) -> None:
    """GPT-2's and BERT's init: weights normal(0, 0.02), biases 0{", LayerNorm gain 1 and shift 0" if norm else ""}."""
    if isinstance(module, {layers}):
        nn.init.normal_(module.weight, std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Embedding):
        nn.init.normal_(module.weight, std=0.02){norm}
'''


def _dropout(spec: ModelSpec, name: str) -> str:
    return f"\n        self.{name} = nn.Dropout(config.dropout)" if spec.dropout else ""


def _dropped(spec: ModelSpec, name: str, expr: str) -> str:
    return f"self.{name}({expr})" if spec.dropout else expr


def _feed_forward(spec: ModelSpec) -> str:
    gelu = ('nn.GELU(approximate="tanh")  # GPT-2\'s tanh approximation of GELU' if spec.family == "decoder"
            else "nn.GELU()  # the exact (erf) GELU of BERT and ViT")
    return f'''
class FeedForward(nn.Module):
    """Position-wise MLP: C -> d_ff -> GELU -> C, applied to every token on its own."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.fc1 = nn.Linear(config.n_embd, config.d_ff)
        self.act = {gelu}
        self.fc2 = nn.Linear(config.d_ff, config.n_embd){_dropout(spec, "drop")}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return {_dropped(spec, "drop", "self.fc2(self.act(self.fc1(x)))")}  # (B, T, C) -> (B, T, d_ff) -> (B, T, C)
'''


def _attention(spec: ModelSpec, padded: bool) -> str:
    causal_buffer = '''
        # the causal mask: query t may look at keys 0..t only (a decoder must not read the future it predicts)
        causal = torch.ones(config.block_size, config.block_size, dtype=torch.bool).tril()
        self.register_buffer("causal", causal, persistent=False)''' if spec.causal else ""
    dropouts = (_dropout(spec, "attn_drop") + _dropout(spec, "resid_drop"))
    scores = "q @ k.transpose(-2, -1)"
    if spec.scale_scores:
        scores += " / math.sqrt(self.head_dim)"
        why = "how well each query matches each key, scaled so softmax does not saturate"
    else:
        why = "how well each query matches each key (not divided by sqrt(hs): this run's ablation)"
    masks = ""
    if spec.causal:
        masks += '\n        scores = scores.masked_fill(~self.causal[:T, :T], float("-inf"))  # no looking ahead'
    if padded:
        masks += ('\n        scores = scores.masked_fill(~key_mask[:, None, None, :], float("-inf"))  '
                  '# padding keys: hidden from every query')
    weights = "\n        weights = self.attn_drop(weights)" if spec.dropout else ""
    signature = "x: torch.Tensor, key_mask: torch.Tensor" if padded else "x: torch.Tensor"
    return f'''
class MultiHeadAttention(nn.Module):
    """n_head heads side by side, each with its own slice of the channels; an output projection mixes them."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.n_head = config.n_head
        self.head_dim = config.n_embd // config.n_head
        self.q = nn.Linear(config.n_embd, config.n_embd)  # every head's query projection, stacked
        self.k = nn.Linear(config.n_embd, config.n_embd)
        self.v = nn.Linear(config.n_embd, config.n_embd)
        self.proj = nn.Linear(config.n_embd, config.n_embd){dropouts}{causal_buffer}

    def forward(self, {signature}) -> torch.Tensor:
        B, T, C = x.shape
        # (B, T, C) -> (B, nh, T, hs): each head gets its own slice of the channels
        q = self.q(x).view(B, T, self.n_head, self.head_dim).transpose(1, 2)
        k = self.k(x).view(B, T, self.n_head, self.head_dim).transpose(1, 2)
        v = self.v(x).view(B, T, self.n_head, self.head_dim).transpose(1, 2)
        # (B, nh, T, T): {why}
        scores = {scores}{masks}
        weights = F.softmax(scores, dim=-1)  # each row sums to 1{weights}
        y = weights @ v  # (B, nh, T, hs): a weighted average of the values
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # the heads side by side again
        return {_dropped(spec, "resid_drop", "self.proj(y)")}
'''


BLOCK_LAYOUTS = {
    ("post", True): "post-LN, as in BERT: x = LN(x + attn(x)); x = LN(x + ffn(x))",
    ("pre", True): "pre-LN, as in GPT-2 and ViT: x = x + attn(LN(x)); x = x + ffn(LN(x))",
    ("none", True): "without LayerNorm (this run's ablation): x = x + attn(x); x = x + ffn(x)",
    ("post", False): "post-LN without residual connections (this run's ablation): x = LN(attn(x)); x = LN(ffn(x))",
    ("pre", False): "pre-LN without residual connections (this run's ablation): x = attn(LN(x)); x = ffn(LN(x))",
    ("none", False): "without LayerNorm or residual connections (this run's ablation): x = attn(x); x = ffn(x)",
}


def _sublayer(spec: ModelSpec, call: str, norm: str) -> str:
    """One sub-layer's line of Block.forward: `call` applied to the (normalised) stream, added back, normalised."""
    read = f"self.{norm}(x)" if spec.norm == "pre" else "x"
    out = call.format(read)
    new = f"x + {out}" if spec.residual else out
    return f"x = self.{norm}({new})" if spec.norm == "post" else f"x = {new}"


def _block(spec: ModelSpec, padded: bool) -> str:
    eps = _eps(spec)
    norm1 = f"\n        self.norm1 = nn.LayerNorm(config.n_embd, eps={eps})" if _has_norm(spec) else ""
    norm2 = f"\n        self.norm2 = nn.LayerNorm(config.n_embd, eps={eps})" if _has_norm(spec) else ""
    mask = ", key_mask" if padded else ""
    signature = "x: torch.Tensor, key_mask: torch.Tensor" if padded else "x: torch.Tensor"
    return f'''
class Block(nn.Module):
{docstring(f"One transformer layer, {BLOCK_LAYOUTS[(spec.norm, spec.residual)]}.")}

    def __init__(self, config: ModelConfig) -> None:
        super().__init__(){norm1}
        self.attn = MultiHeadAttention(config){norm2}
        self.ffn = FeedForward(config)

    def forward(self, {signature}) -> torch.Tensor:
        {_sublayer(spec, "self.attn({}" + mask + ")", "norm1")}  # (B, T, C)
        {_sublayer(spec, "self.ffn({})", "norm2")}
        return x
'''


SINUSOIDAL = '''
def sinusoidal_table(n_positions: int, n_embd: int) -> torch.Tensor:
    """The fixed table of "Attention Is All You Need": PE[t, 2i] = sin(t / 10000^(2i/C)), PE[t, 2i+1] = cos(...)."""
    t = torch.arange(n_positions, dtype=torch.float32)[:, None]  # (P, 1)
    freq = torch.exp(torch.arange(0, n_embd, 2, dtype=torch.float32) * (-math.log(10000.0) / n_embd))  # (C/2,)
    table = torch.zeros(n_positions, n_embd)
    table[:, 0::2] = torch.sin(t * freq)  # (P, C/2) into the even channels
    table[:, 1::2] = torch.cos(t * freq)  # and the odd ones
    return table
'''


def _positions(spec: ModelSpec, n_positions: str, note: str = "") -> str:
    """__init__ lines for the position encoding."""
    if spec.pos_encoding == "learned":
        return (f"\n        self.pos_emb = nn.Embedding({n_positions}, config.n_embd)"
                f"  # learned: one vector per position{note}")
    if spec.pos_encoding == "sinusoidal":
        return (f"\n        # fixed sine and cosine waves, not trained\n        self.register_buffer(\"pos_table\", "
                f"sinusoidal_table({n_positions}, config.n_embd), persistent=False)")
    return ""


def _add_positions(spec: ModelSpec, tokens: str, T: str, device: str) -> str:
    """`tokens` (B, T, C) with the positions added."""
    if spec.pos_encoding == "learned":
        return f"{tokens} + self.pos_emb(torch.arange({T}, device={device}))"
    if spec.pos_encoding == "sinusoidal":
        return f"{tokens} + self.pos_table[:{T}]"
    return tokens


def _positions_note(spec: ModelSpec) -> str:
    return {"learned": "token + position embeddings", "sinusoidal": "token embeddings + sine-wave positions",
            "none": "token embeddings with no positional encoding (this run's ablation: attention sees a bag of "
                    "tokens)"}[spec.pos_encoding]


def _final_norm(spec: ModelSpec) -> tuple[str, str]:
    """(__init__ line, forward line) of the LayerNorm after the last block: pre-LN only."""
    if spec.norm != "pre":
        return "", ""
    return (f"\n        self.norm_f = nn.LayerNorm(config.n_embd, eps={_eps(spec)})"
            "  # pre-LN normalises once at the end",
            "\n        x = self.norm_f(x)")


def _blocks_loop(padded: bool) -> str:
    return f"""
        for block in self.blocks:
            x = block(x{", mask" if padded else ""})"""


def _decoder(spec: ModelSpec, padded: bool) -> str:
    norm_init, norm_forward = _final_norm(spec)
    signature = "idx: torch.Tensor, mask: torch.Tensor" if padded else "idx: torch.Tensor"
    x = _add_positions(spec, "self.tok_emb(idx)", "T", "idx.device")
    return f'''
class Decoder(nn.Module):
{docstring(f"GPT-like: {_positions_note(spec)}, n_layer {'causal ' if spec.causal else ''}blocks, logits for the "
           f"next token.")}

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.tok_emb = nn.Embedding(config.vocab_size, config.n_embd){_positions(spec, "config.block_size")}{
            _dropout(spec, "emb_drop")}
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layer)){norm_init}
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.lm_head.weight = self.tok_emb.weight  # tied, as in GPT-2: reading a token out uses its input vector
        self.apply(init_weights)
        # GPT-2: the projections that write into the residual stream start smaller, so it does not grow with depth
        for block in self.blocks:
            for linear in (block.attn.proj, block.ffn.fc2):
                nn.init.normal_(linear.weight, std=0.02 / math.sqrt(2 * config.n_layer))

    def forward(self, {signature}) -> torch.Tensor:
        B, T = idx.shape
        x = {_dropped(spec, "emb_drop", x)}  # (B, T, C){_blocks_loop(padded)}{norm_forward}
        return self.lm_head(x)  # (B, T, vocab_size)
'''


def _encoder_heads(spec: ModelSpec, info: DataInfo) -> list[str]:
    if info.task == "mlm":
        norm_init = "\n        self.norm = nn.LayerNorm(config.n_embd, eps=1e-12)" if _has_norm(spec) else ""
        hidden = "self.norm(self.act(self.dense(h)))" if _has_norm(spec) else "self.act(self.dense(h))"
        return [f'''
class MLMHead(nn.Module):
    """BERT's masked-token head: dense + GELU{" + LayerNorm" if norm_init else ""}, then a decoder that shares the word
    embeddings."""

    def __init__(self, config: ModelConfig, word_embeddings: nn.Embedding) -> None:
        super().__init__()
        self.dense = nn.Linear(config.n_embd, config.n_embd)
        self.act = nn.GELU(){norm_init}
        self.decoder = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.decoder.weight = word_embeddings.weight  # tied: reading a token out uses its input vector
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.decoder({hidden}) + self.bias  # (B, T, C) -> (B, T, vocab_size)
''']
    if info.task == "classify":
        return ['''
class Pooler(nn.Module):
    """BERT's pooler: the [CLS] vector (position 0) through dense + tanh."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.n_embd, config.n_embd)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.dense(h[:, 0]))  # (B, T, C) -> (B, C)
''']
    return []


def _encoder(spec: ModelSpec, info: DataInfo, padded: bool) -> str:
    norm_init, norm_forward = _final_norm(spec)
    emb_norm = "\n        self.emb_norm = nn.LayerNorm(config.n_embd, eps=1e-12)" if _has_norm(spec) else ""
    emb = "self.emb_norm(x)" if _has_norm(spec) else "x"
    head_drop = _dropout(spec, "head_drop")
    if info.task == "mlm":
        what, head_init = "a masked token's logits", "\n        self.mlm_head = MLMHead(config, self.tok_emb)"
        head = "self.mlm_head(x)  # (B, T, vocab_size)"
    elif info.task == "tagging":
        what = "one label per token"
        head_init = f"{head_drop}\n        self.classifier = nn.Linear(config.n_embd, config.n_classes)"
        head = f"self.classifier({_dropped(spec, 'head_drop', 'x')})  # (B, T, n_classes)"
    else:
        what = "a label read from [CLS]"
        head_init = (f"\n        self.pooler = Pooler(config){head_drop}"
                     f"\n        self.classifier = nn.Linear(config.n_embd, config.n_classes)")
        head = f"self.classifier({_dropped(spec, 'head_drop', 'self.pooler(x)')})  # (B, n_classes) from [CLS]"
    signature = "idx: torch.Tensor, mask: torch.Tensor" if padded else "idx: torch.Tensor"
    layout = {"post": "post-LN", "pre": "pre-LN", "none": "LayerNorm-free"}[spec.norm]
    return f'''
class Encoder(nn.Module):
{docstring(f"BERT-like: {_positions_note(spec)}, n_layer {layout} blocks where every token sees every "
           f"{'real ' if padded else ''}token, {what}.")}

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.tok_emb = nn.Embedding(config.vocab_size, config.n_embd){_positions(spec, "config.block_size")}
        self.type_emb = nn.Embedding(2, config.n_embd)  # BERT's segments A and B; every token here is A{emb_norm}{
            _dropout(spec, "emb_drop")}
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layer)){norm_init}{head_init}
        self.apply(init_weights)

    def forward(self, {signature}) -> torch.Tensor:
        B, T = idx.shape
        x = {_add_positions(spec, "self.tok_emb(idx)", "T", "idx.device")}  # (B, T, C)
        x = x + self.type_emb.weight[0]  # segment A
        x = {_dropped(spec, "emb_drop", emb)}{_blocks_loop(padded)}{norm_forward}
        return {head}
'''


PATCH_EMBEDDING = '''
class PatchEmbedding(nn.Module):
    """Cut the image into patch x patch squares and project each to C numbers.

    A conv with kernel = stride = patch is exactly "flatten each patch, multiply by one matrix"."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.proj = nn.Conv2d(config.channels, config.n_embd, kernel_size=config.patch_size,
                              stride=config.patch_size)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        # (B, ch, H, W) -> (B, C, H/p, W/p) -> (B, C, N) -> (B, N, C), patches in row-major order
        return self.proj(images).flatten(2).transpose(1, 2)
'''


def _vit(spec: ModelSpec) -> str:
    norm_init, norm_forward = _final_norm(spec)
    n_positions = "config.n_patches + 1"
    return f'''
class ViT(nn.Module):
    """Vision Transformer: the image as a sequence of patches plus a [CLS] token that gathers the label."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.patch_emb = PatchEmbedding(config)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, config.n_embd)){_positions(spec, n_positions, " ([CLS] too)")}{
            _dropout(spec, "emb_drop")}
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layer)){norm_init}
        self.classifier = nn.Linear(config.n_embd, config.n_classes)
        self.apply(init_weights)
        nn.init.normal_(self.cls_token, std=0.02)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        patches = self.patch_emb(images)  # (B, N, C)
        cls = self.cls_token.expand(images.shape[0], -1, -1)  # (1, 1, C) -> (B, 1, C)
        x = torch.cat([cls, patches], dim=1)  # (B, N + 1, C), [CLS] at position 0
        x = {_dropped(spec, "emb_drop", _add_positions(spec, "x", "x.shape[1]", "x.device"))}{
            _blocks_loop(False)}{norm_forward}
        return self.classifier(x[:, 0])  # [CLS] (B, C) -> (B, n_classes)
'''
