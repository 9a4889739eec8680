"""The model card (README.md) written into an exported folder: what the model is, its vocabulary, context and
labels, and how to call it in the transformers pipeline of its task.

The front matter is the Hugging Face Hub's model-card metadata (library_name, pipeline_tag), so the folder
also shows the right widget if a user uploads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from playground.analysis.pronoun import LECTURE_SENTENCES
from playground.core.messages import counted
from playground.core.spec import RunSpec
from playground.data.base import DataInfo
from playground.data.vocab import Vocab

PIPELINE_TASKS = {
    "GPT2LMHeadModel": "text-generation",
    "BertForMaskedLM": "fill-mask",
    "BertForSequenceClassification": "text-classification",
    "BertForTokenClassification": "token-classification",
    "ViTForImageClassification": "image-classification",
}
FAMILY_WORDS = {
    "decoder": "a GPT-2-style decoder (each token sees itself and the tokens before it)",
    "encoder": "a BERT-style encoder (every token sees every token)",
    "vit": "a Vision Transformer (an image cut into patches, read through a [CLS] token)",
}
SHOWN = 40  # tokens or labels listed before the list is cut short
EXAMPLE_TEXTS = {"pronoun": LECTURE_SENTENCES[1], "sentiment": "This was a wonderful film."}


@dataclass(frozen=True)
class CardFacts:
    spec: RunSpec
    info: DataInfo
    architecture: str
    config: Any  # the transformers config written beside the card
    vocab: Vocab | None  # None: images, or a pretrained model's own tokenizer
    pretrained_tokenizer: bool
    step: int | None
    notes: list[str] = field(default_factory=list)
    sequence: str = ""  # a procedural task's input of the length it trained on (DataSide.sequence), or ""


def model_card(facts: CardFacts) -> str:
    spec, info, task = facts.spec, facts.info, PIPELINE_TASKS[facts.architecture]
    m = spec.model
    trained = f" for {facts.step:,} steps" if facts.step is not None else ""
    lines = [
        "---", "library_name: transformers", f"pipeline_tag: {task}", "tags: [transformer-playground]", "---", "",
        f"# {spec.name}", "",
        (f"{_sentence_start(FAMILY_WORDS[m.family])}, trained in Transformer Playground{trained} on "
         f"**{info.title}** and exported as `{facts.architecture}`: {counted(m.n_layer, 'layer')}, {counted(m.n_head, 'head')}, "
         f"embedding dimension {m.n_embd}, feed-forward width {m.d_ff}."),
    ]
    if spec.description:
        lines += ["", spec.description]
    lines += ["", "## How to call it", "", "```python", "from transformers import pipeline", "",
              f'pipe = pipeline("{task}", model="path/to/this/folder")', _example_call(task, facts), "```"]
    lines += ["", "## Input", "", *_input_lines(facts)]
    labels = _labels(facts)
    if labels:
        lines += ["", "## Labels", "", labels]
    if facts.notes:
        lines += ["", "## Notes", "", *[f"- {note}" for note in facts.notes]]
    return "\n".join(lines) + "\n"


def _example_call(task: str, facts: CardFacts) -> str:
    sequence = facts.sequence
    if task == "image-classification":
        return 'pipe("picture.png")  # any RGB or grey image file, PIL image or URL'
    if task == "text-generation":
        prompt = f"{sequence}[SEP]" if sequence else "The "
        return f'pipe("{prompt}", max_new_tokens=200, do_sample=False)[0]["generated_text"]'
    # Cut to the context the position table has: a longer input stopped these pipelines with "The expanded size of
    # the tensor (22) must match the existing size (16)" (QA)
    if task == "fill-mask":
        return 'pipe("The [MASK]ist of items.", tokenizer_kwargs={"truncation": True})'
    if task == "token-classification":
        return f'pipe("{sequence or "some text"}")'
    # A sentence of the task's own (QA: the pronoun model's card asked it about "a wonderful film")
    return f'pipe("{EXAMPLE_TEXTS.get(facts.spec.data.name, EXAMPLE_TEXTS["sentiment"])}", truncation=True)'


def _cuts(facts: CardFacts) -> bool:
    """The example call cuts its input to the context."""
    return PIPELINE_TASKS[facts.architecture] in ("fill-mask", "text-classification")


def _input_lines(facts: CardFacts) -> list[str]:
    m, info, vocab = facts.spec.model, facts.info, facts.vocab
    if info.unit == "images":
        colour = "grey" if info.channels == 1 else "RGB"
        return [(f"- images resized to {m.image_size}x{m.image_size} pixels, cut into "
                 f"{(m.image_size // m.patch_size) ** 2} patches of {m.patch_size}x{m.patch_size}; trained on "
                 f"{colour} images")]
    context = int(facts.config.max_position_embeddings)
    length = len(facts.sequence)
    lines = [f"- sequences: trained on {length} symbols each, and only that length, as in the example above"] \
        if length else []
    lines += [f"- context: trained on sequences of up to {m.block_size} tokens"
             + (f"; the position table has {context} rows" if context != m.block_size else
                ": cut a longer input to it (`truncation=True`, as above)" if _cuts(facts) else "")]
    if facts.pretrained_tokenizer:
        lines.append("- vocabulary: the pretrained model's own WordPiece tokenizer")
    elif vocab is not None:
        level = "lower-cased word or punctuation mark" if vocab.level == "word" else "character"
        ordinary = [t for t in vocab.tokens if t not in vocab.specials]
        shown = " ".join(_visible(t) for t in ordinary[:SHOWN]) + (" ..." if len(ordinary) > SHOWN else "")
        lines.append(f"- vocabulary: {len(vocab)} tokens: the special tokens {' '.join(vocab.specials) or '(none)'}, "
                     f"then one per {level}: {shown}")
        unknown = vocab.unknown
        lines.append("- anything outside the vocabulary is read as "
                     + (f"`{_visible(unknown)}`" if unknown else "nothing: the tokenizer raises an error"))
    return lines


def _labels(facts: CardFacts) -> str:
    names = getattr(facts.config, "id2label", None) or {}
    if facts.info.task not in ("classify", "tagging") or not names:
        return ""
    shown = ", ".join(f"{i}: `{_visible(n)}`" for i, n in list(names.items())[:SHOWN])
    more = f", ... ({len(names)} in all)" if len(names) > SHOWN else ""
    what = "the output symbol at each position" if facts.info.task == "tagging" else "one class per input"
    return f"{len(names)} labels, {what}: {shown}{more}"


def _sentence_start(text: str) -> str:
    return text[:1].upper() + text[1:]


def _visible(token: str) -> str:
    """A token as it reads in a Markdown list: blanks named, backticks kept out of the code spans."""
    return {" ": "␣ (space)", "\n": "⏎ (newline)", "\t": "⇥ (tab)", "`": "'"}.get(token, token)
