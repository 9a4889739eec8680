"""The three model families of the playground and the one way to build them.

    model = build_model(spec, info)
    out = model(x, mask, output_attentions=True)   # ModelOutput(logits, attentions)
    steps = model.trace_attention(x, mask, layer=0) # AttentionTrace: q, k, v, scores, ... output
"""

from __future__ import annotations

from playground.core.spec import ModelSpec
from playground.data.base import DataInfo
from playground.models.attention import AttentionTrace, MultiHeadAttention, SelfAttention
from playground.models.base import ModelOutput, PlaygroundModel
from playground.models.decoder import Decoder
from playground.models.encoder import Encoder
from playground.models.pretrained import freeze_lower_layers, load_bert_folder, load_pretrained_encoder
from playground.models.vit import ViT

__all__ = [
    "AttentionTrace",
    "Decoder",
    "Encoder",
    "ModelOutput",
    "MultiHeadAttention",
    "PlaygroundModel",
    "SelfAttention",
    "ViT",
    "build_model",
    "freeze_lower_layers",
    "load_bert_folder",
    "load_pretrained_encoder",
]


def build_model(spec: ModelSpec, info: DataInfo) -> PlaygroundModel:
    """The model `spec` describes, shaped for the dataset `info` (vocabulary, classes, channels),
    with spec.freeze_layers lower layers frozen."""
    if spec.family == "vit" and info.unit != "images":
        raise ValueError(f"a vision transformer needs images, and '{info.title}' is text: choose an image dataset")
    if spec.family != "vit" and info.unit != "tokens":
        raise ValueError(f"'{info.title}' is a set of images: choose the vision transformer family")
    model: PlaygroundModel
    if spec.pretrained:
        model = load_pretrained_encoder(spec.pretrained, info, spec)
    elif spec.family == "encoder":
        model = Encoder(spec, info)
    elif spec.family == "decoder":
        model = Decoder(spec, info)
    else:
        model = ViT(spec, info)
    freeze_lower_layers(model, spec.freeze_layers)
    return model
