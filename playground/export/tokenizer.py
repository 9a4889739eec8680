"""Our character or word vocabularies as a Hugging Face tokenizer (tokenizer.json + tokenizer_config.json).

The tokenizer is a `tokenizers` WordLevel model whose vocabulary *is* ours, wrapped in
PreTrainedTokenizerFast, so `AutoTokenizer.from_pretrained(folder)` gives back exactly our ids:

- character vocabularies (running text, procedural tasks): every character is one token;
- word vocabularies (sentiment, CSV files): lower-cased words and single punctuation marks, unknown
  words become [UNK], and `[CLS]` is put in front as our classification data does.

Special tokens ([PAD], [MASK], [CLS], [SEP], [UNK]) typed literally in the text are kept whole.

A token outside the vocabulary is read as the vocabulary's stand-in (Vocab.unknown: [UNK] for words, a
space in running text, [PAD] in the symbol tasks, whose whitespace is skipped as the playground skips it).

Limits (written to the folder's README.md too): the encoder's masked-LM text is fed without [CLS]/[SEP],
as it was trained; decoding joins characters without spaces and words with one.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from playground.data.vocab import _WORD, CLS, MASK, PAD, SEP, UNK, Vocab

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerFast

SPECIAL_ROLES = {PAD: "pad_token", MASK: "mask_token", CLS: "cls_token", SEP: "sep_token", UNK: "unk_token"}
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")
PRETRAINED_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")


def build_tokenizer(vocab: Vocab, *, prepend_cls: bool, max_length: int,
                    skip_whitespace: bool = False) -> PreTrainedTokenizerFast:
    """A PreTrainedTokenizerFast that maps text to our ids (and back); skip_whitespace drops blanks between
    symbols ("3 1 4" is "314"), as the procedural tasks do."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    table = {token: index for index, token in enumerate(vocab.tokens)}
    tokenizer = Tokenizer(models.WordLevel(table, unk_token=vocab.unknown))
    if vocab.level == "word":
        tokenizer.normalizer = normalizers.Lowercase()
        tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
            [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Split(Regex(_WORD), behavior="isolated")]
        )
        tokenizer.decoder = decoders.WordPiece(prefix="##", cleanup=False)  # joins words with one space
    else:
        if skip_whitespace:
            tokenizer.normalizer = normalizers.Replace(Regex(r"\s+"), "")
        tokenizer.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")  # every character
        tokenizer.decoder = decoders.Fuse()  # characters joined back without spaces
    tokenizer.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in vocab.specials])
    if prepend_cls:
        cls_id = table[CLS]
        tokenizer.post_processor = processors.TemplateProcessing(
            single=f"{CLS} $A", pair=f"{CLS} $A $B", special_tokens=[(CLS, cls_id)]
        )
    # A space standing in for unknown characters is no special token: decoding would drop every space.
    roles = {SPECIAL_ROLES[s]: s for s in vocab.specials if s in SPECIAL_ROLES}
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, model_max_length=max_length,
                                   clean_up_tokenization_spaces=False, **roles)


def save_tokenizer(vocab: Vocab, folder: Path, *, prepend_cls: bool, max_length: int,
                   skip_whitespace: bool = False) -> list[str]:
    """Write the tokenizer files into `folder`; returns the names written."""
    before = set(p.name for p in folder.iterdir())
    tokenizer = build_tokenizer(vocab, prepend_cls=prepend_cls, max_length=max_length, skip_whitespace=skip_whitespace)
    tokenizer.save_pretrained(str(folder))
    # transformers 5 writes its new class name; the older name loads the same tokenizer in 4.x and 5.x alike.
    config_file = folder / "tokenizer_config.json"
    config = json.loads(config_file.read_text(encoding="utf-8"))
    config["tokenizer_class"] = "PreTrainedTokenizerFast"
    config_file.write_text(json.dumps(config, indent=2), encoding="utf-8")
    return sorted(p.name for p in folder.iterdir() if p.name not in before or p.name in TOKENIZER_FILES)


def copy_tokenizer(source: Path, folder: Path) -> list[str]:
    """Copy a pretrained model's own tokenizer files (its ids are the ones the run was trained on)."""
    copied = []
    for name in PRETRAINED_TOKENIZER_FILES:
        if (source / name).is_file():
            shutil.copyfile(source / name, folder / name)
            copied.append(name)
    return copied
