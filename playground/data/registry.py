"""The one registry of datasets, their options, and the torch-free planning behind `describe()`.

A `Plan` is everything `describe()` works out (task, vocabulary, resolved options); `load()` turns
the same plan into tensors, so the two can never disagree.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, NamedTuple

import numpy as np

from playground.core.files import elide
from playground.core.messages import counted
from playground.core.spec import FAMILY_TITLES, MAX_CONTEXT, DataSpec, Family, ModelSpec, shown
from playground.data import corpora, pronoun, user_files, wordpiece
from playground.data.base import DataError, DataInfo, ids_fingerprint
from playground.data.vocab import CLS, MASK, PAD, SEP, UNK, Vocab, word_tokens

Kind = Literal["text", "procedural", "classify", "images"]
OptionValue = int | float | str | bool
SYMBOLS = "0123456789abcdefghijklmnopqrstuvwxyz"
PROCEDURAL_VAL_SIZE = 512
DIGITS_COUNT = 1797  # sklearn's load_digits; known here so describe() never imports scikit-learn
SHAPE_CLASSES = ("circle", "square", "triangle", "cross")
# derived_seed purposes: each use of the run seed gets its own random stream.
SPLIT_PURPOSE, VAL_PURPOSE, GENERATE_PURPOSE = 0, 1, 2
MIN_CONTEXT = ModelSpec.model_fields["block_size"].metadata[0].ge  # the shortest context length a spec allows
FEW_CHARACTERS = 2_000  # a text file shorter than this gets a warning: too little to learn more than itself


@dataclass(frozen=True)
class Option:
    """A dataset option; default None means 'worked out from the model' (e.g. the sequence length)."""

    default: OptionValue | None
    help: str
    low: float | None = None
    high: float | None = None
    choices: tuple[OptionValue, ...] = ()
    same_task: bool = False  # changes only how much data there is or how it looks: losses stay comparable


@dataclass(frozen=True)
class Entry:
    key: str
    title: str
    families: tuple[Family, ...]
    description: str
    kind: Kind
    options: Mapping[str, Option] = field(default_factory=dict)
    needs_path: bool = False


@dataclass(frozen=True)
class Plan:
    entry: Entry
    info: DataInfo
    options: Mapping[str, OptionValue]  # every option, defaults filled in
    vocab: Vocab | None = None
    tokenizer: str | None = None  # a pretrained model's WordPiece tokenizer (ModelSpec.pretrained) instead of vocab

    def fingerprint(self) -> str:
        """What the ids of a model of this data stand for: the dataset's own `fingerprint`, without its tensors."""
        return ids_fingerprint(self.vocab.tokens if self.vocab else (), self.info.class_names)


# The options as the Data settings name them (and Compare A/B's differences)
OPTION_TITLES = {
    "length": "Sequence length",
    "n_symbols": "Symbols",
    "labels": "Labels",
    "n_images": "Images",
    "channels": "Channels",
    "text_column": "Text column",
    "label_column": "Label column",
}


def option_title(name: str) -> str:
    return OPTION_TITLES.get(name, name.replace("_", " ").capitalize())


_SEQ_OPTIONS = {
    "length": Option(None, "symbols per sequence (default: 8 for the decoder, the context length for the encoder)", 1, 4096),
    "n_symbols": Option(10, "how many different symbols (shown as 0-9, then a-z)", 2, len(SYMBOLS)),
}
_PROCEDURAL = {
    "copy": "repeat the sequence: attention looks a fixed distance back",
    "reverse": "reverse the sequence: attention draws the anti-diagonal",
    "sort": "sort the sequence: attention searches by content, not position",
    "shift": "rotate the sequence left by one: attention is a diagonal shifted by one",
}
_TEXT_FAMILIES: tuple[Family, ...] = ("decoder", "encoder")

REGISTRY: dict[str, Entry] = {
    e.key: e
    for e in [
        Entry("pydoc", "Python help pages", _TEXT_FAMILIES,
              "character-level text of Python's built-in help (~465k characters)", "text"),
        Entry("zen", "The Zen of Python", _TEXT_FAMILIES,
              "the 19 aphorisms of `import this` (~850 characters): tiny, memorised fast", "text"),
        *[Entry(k, k.capitalize(), _TEXT_FAMILIES, d, "procedural", _SEQ_OPTIONS) for k, d in _PROCEDURAL.items()],
        Entry("sentiment", "Movie review sentiment", ("encoder",),
              "templated one-line reviews with negation ('was not great'): positive or negative", "classify"),
        Entry("pronoun", "Which noun is 'it'?", ("encoder",),
              "the lecture's 'The animal didn't cross the street because it was too tired / wide': does 'it' "
              "mean the first or the second noun? Validation uses nouns and adjectives never seen in training",
              "classify",
              {"labels": Option("position", "what a label names: 'position' (the first or the second noun) or "
                                "'kind' (the animal, or the place or thing)", choices=tuple(pronoun.LABELINGS))}),
        Entry("digits", "Handwritten digits", ("vit",),
              "scikit-learn's 1797 handwritten digits, 8x8 pixels, 10 classes", "images"),
        Entry("shapes", "Shapes", ("vit",),
              "generated 16x16 circles, squares, triangles and crosses with noise", "images",
              {"n_images": Option(2000, "how many images to generate", 100, 100_000, same_task=True)}),
        Entry("text_file", "Text file", _TEXT_FAMILIES,
              "your own UTF-8 .txt file, character by character", "text", needs_path=True),
        Entry("csv_file", "CSV file", ("encoder",),
              "your own CSV with a text column and a label column: word-level classification", "classify",
              {"text_column": Option("text", "column holding the text"),
               "label_column": Option("label", "column holding the class label")}, needs_path=True),
        Entry("image_folder", "Image folder", ("vit",),
              "your own folder with one sub-folder of images per class", "images",
              {"channels": Option(1, "1 for grayscale, 3 for colour", choices=(1, 3), same_task=True)}, needs_path=True),
    ]
}


def builtin_datasets() -> list[tuple[str, str, tuple[Family, ...], str]]:
    """(key, title, families, description) of the datasets that need no file, for menus."""
    return [(e.key, e.title, e.families, e.description) for e in REGISTRY.values() if not e.needs_path]


def plan(data: DataSpec, model: ModelSpec) -> Plan:
    entry = _entry(data, model)
    options = _resolve_options(entry, data.options)
    if model.pretrained:
        if entry.kind != "classify":
            raise DataError(_pretrained_mismatch(entry, model.pretrained))
        return _plan_wordpiece(entry, options, data, model, model.pretrained)
    if entry.kind == "text":
        return _plan_text(entry, options, data, model)
    if entry.kind == "procedural":
        return _plan_procedural(entry, options, model)
    if entry.kind == "classify":
        return _plan_classify(entry, options, data, model)
    return _plan_images(entry, options, data, model)


def check_options(data: DataSpec, family: Family) -> None:
    """Refuse an unknown dataset, or a known one's options of the wrong type, choice or range, reading no file: a
    preset is checked as it loads this way (a CSV's columns are checked when the file is read). QA: a preset of an
    unknown dataset loaded, with an empty Dataset list, while every other mistake in a file was refused."""
    entry = REGISTRY.get(data.name)
    if entry is None:
        raise DataError(_unknown(data.name, family))
    _resolve_options(entry, data.options)


def _unknown(name: str, family: Family) -> str:
    """An unknown dataset's refusal: the closest name, and those `family` reads (what a preset's data.name takes;
    QA: every family's were listed)."""
    keys = [e.key for e in REGISTRY.values() if family in e.families]
    close = difflib.get_close_matches(name, keys, n=1) or difflib.get_close_matches(name, REGISTRY, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f"unknown dataset '{elide(name, 40)}': {hint}the {FAMILY_TITLES[family]} reads {', '.join(keys)}"


def _entry(data: DataSpec, model: ModelSpec) -> Entry:
    entry = REGISTRY.get(data.name)
    if entry is None:
        raise DataError(_unknown(data.name, model.family))
    if model.family not in entry.families:
        raise DataError(_family_mismatch(entry, model.family))
    if entry.needs_path and not data.path:
        what = "FOLDER" if entry.kind == "images" else "FILE"
        noun = entry.title if entry.title[:2].isupper() else entry.title.lower()  # "CSV file" keeps its capitals
        raise DataError(f"the dataset '{entry.key}' needs a path: choose your {noun} in the window, "
                        f"or --set data.path={what}")
    if data.path and not entry.needs_path:
        files = ", ".join(e.key for e in REGISTRY.values() if e.needs_path)
        raise DataError(f"the built-in dataset '{entry.key}' reads no file, but data.path is set to "
                        f"{elide(data.path, 60)}: remove data.path, or pick {files} to use that file")
    return entry


def _keys_for(family: Family) -> str:
    return ", ".join(e.key for e in REGISTRY.values() if family in e.families and not e.needs_path)


def _family_mismatch(entry: Entry, family: Family) -> str:
    """Named as the dataset list and the command line both know them (CLI QA: "an image folder", "switch to it"
    gave no `--set` to type; review: the window shows these too)."""
    if family == "vit":
        images = [e for e in REGISTRY.values() if e.kind == "images"]
        return (f"the Vision Transformer needs images: pick {', '.join(e.title for e in images)} (data.name "
                f"{', '.join(e.key for e in images)})")
    if entry.kind == "images":
        return (f"the {FAMILY_TITLES[family]} reads token sequences, not images: pick {_keys_for(family)}, "
                f"or switch to the Vision Transformer (model.family vit) for {entry.key}")
    return (f"{entry.key} is sequence classification, which needs the Encoder (BERT-like, model.family encoder): "
            f"switch to it, or pick {_keys_for(family)} for the {FAMILY_TITLES[family]}")


def _pretrained_mismatch(entry: Entry, name: str) -> str:
    title = wordpiece.PRETRAINED_TITLES.get(name, name)
    why = ("it has no masked-language-model head to fill in masked tokens" if entry.kind == "text"
           else "it fine-tunes a classification head on its [CLS] token")
    keys = ", ".join(e.key for e in REGISTRY.values() if e.kind == "classify" and "encoder" in e.families)
    return (f"the pretrained {title} cannot learn {entry.key}: {why}. Pick a sentence classification dataset "
            f"({keys}), or switch the pretrained model off to train an encoder from scratch on {entry.key}")


def _resolve_options(entry: Entry, given: Mapping[str, OptionValue]) -> dict[str, OptionValue]:
    unknown = sorted(set(given) - set(entry.options))
    if unknown:
        takes = ", ".join(entry.options) or "no options"
        raise DataError(f"unknown option {elide(', '.join(map(repr, unknown)), 80)} for {entry.key}: it takes {takes}")
    out: dict[str, OptionValue] = {}
    for name, opt in entry.options.items():
        value = given.get(name, opt.default)
        if value is None:
            continue  # filled in from the model by the plan
        if isinstance(opt.default, str):
            if not isinstance(value, str) or not value:
                raise DataError(f"option {name} of {entry.key} must be a non-empty name, got {shown(value)}")
        elif isinstance(value, bool) or not isinstance(value, int):  # every other option counts something
            raise DataError(f"option {name} of {entry.key} must be a whole number, got {shown(value)}")
        if opt.choices and value not in opt.choices:
            raise DataError(f"option {name} of {entry.key} must be one of {opt.choices}, got {shown(value)}")
        if opt.low is not None and opt.high is not None and not opt.low <= value <= opt.high:
            raise DataError(f"option {name} of {entry.key} must be between {opt.low} and {opt.high}, got {shown(value)}")
        out[name] = value
    return out


def split_sizes(n: int, val_fraction: float, min_val: int = 1) -> tuple[int, int]:
    """(n_train, n_val): at least `min_val` for validation, the rest for training."""
    n_val = max(round(n * val_fraction), min_val)
    return n - n_val, n_val


def patch_names(image_size: int, patch_size: int) -> list[str]:
    """The patches in reading order by row and column: 'r0c0', 'r0c1', …"""
    side = image_size // patch_size
    return [f"r{r}c{c}" for r in range(side) for c in range(side)]


SPLIT_VERSION = 2  # a classifier's rows as `stratified_split` parts them (1: a plain random split, before it)


def stratified_split(labels: Sequence[int], n_val: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Shuffled (train rows, validation rows) of examples of class `labels`, the same seed giving the same split: one row
    of every class of two rows or more first (as many as `n_val` holds), then each class in proportion to its share
    of the examples. A plain random split of a small folder left a class with no validation image at all (QA: 45
    images of 3 classes, 4 validated, none a square), and a proportional one a small class (review: 40, 40 and 4)."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(derived_seed(seed, SPLIT_PURPOSE))
    order = rng.permutation(len(labels))
    shuffled = labels[order]
    # Each row's place within its class (in the shuffled order), as a share of the class: the smallest shares first,
    # a class's first row before them all where the class has another to train on
    place = np.empty(len(labels))
    for label in np.unique(shuffled):
        where = np.flatnonzero(shuffled == label)
        place[where] = (np.arange(len(where)) + 0.5) / len(where)
        if len(where) > 1:
            place[where[0]] = -1.0
    ranked = order[np.lexsort((rng.random(len(labels)), place))]
    val = ranked[:n_val]
    return order[~np.isin(order, val)], val


def derived_seed(seed: int, purpose: int) -> int:
    """An independent seed per purpose (split, validation set, generation), so none repeats another's draws."""
    return int(np.random.SeedSequence([seed, purpose]).generate_state(1, np.uint64)[0] >> 1)


def corpus_text(entry: Entry, data: DataSpec) -> str:
    if entry.key == "pydoc":
        return corpora.pydoc_text()
    if entry.key == "zen":
        return corpora.zen_text()
    return user_files.read_text_file(data.path or "")


def _plan_text(entry: Entry, options: dict[str, OptionValue], data: DataSpec, model: ModelSpec) -> Plan:
    text = corpus_text(entry, data)
    chars = _distinct_chars(text)
    encoder = model.family == "encoder"
    vocab = Vocab(chars, (PAD, MASK, CLS) if encoder else ())
    need = model.block_size + 1  # one block plus its next-character targets
    n_train, n_val = split_sizes(len(text), data.val_fraction, min_val=need)
    name = elide(Path(data.path or '').name, 60) if entry.needs_path else entry.title
    if n_train < need:
        raise DataError(f"{name} has {counted(len(text), 'character')}, too few for a training and a validation block of "
                        f"{need}: {_short_text_fix(len(text), model.block_size, data.val_fraction)}")
    warnings = ()
    if entry.needs_path and len(text) < FEW_CHARACTERS:  # (newcomer QA: an 80-character file, said nothing of)
        warnings = (f"{name} has {counted(len(text), 'character')}: a model learns "
                    f"little from it but to repeat it (its validation part is {counted(n_val, 'character')}); give "
                    f"it at least {FEW_CHARACTERS:,} characters",)
    info = DataInfo(
        name=entry.key, title=entry.title, task="mlm" if encoder else "lm", vocab_size=len(vocab),
        n_classes=len(vocab), pad_id=vocab.id(PAD) if encoder else None, n_train=n_train, n_val=n_val,
        samples_text=not encoder, notes=warnings, warnings=warnings,
    )
    return Plan(entry, info, options, vocab)


CONTEXT_SETTING = "Context length (model.block_size)"  # as the window names it, and as --set sets it
LENGTH_SETTING = f"{OPTION_TITLES['length']} (data.options.length)"  # (QA: "set length (data.options.length)")


def _text_splits(n: int, block: int, val_fraction: float) -> bool:
    """Whether n characters split into a training and a validation part of at least block + 1 each."""
    return split_sizes(n, val_fraction, min_val=block + 1)[0] >= block + 1


def _short_text_fix(n: int, block: int, val_fraction: float) -> str:
    """What makes a text of n characters train: a context that fits it, or the length that fits this context."""
    longest = next((b for b in range(block - 1, MIN_CONTEXT - 1, -1) if _text_splits(n, b, val_fraction)), None)
    longer = f"use a text of at least {_shortest_text(block, val_fraction)} characters"
    if longest is not None:
        return f"lower {CONTEXT_SETTING} to at most {longest}, or {longer}"
    if block == MIN_CONTEXT:
        return longer
    return (f"{longer}, or of at least {_shortest_text(MIN_CONTEXT, val_fraction)} with {CONTEXT_SETTING} lowered "
            f"to {MIN_CONTEXT}")


def _shortest_text(block: int, val_fraction: float) -> int:
    n = 2 * (block + 1)  # a training and a validation block, each with its next-character targets
    while not _text_splits(n, block, val_fraction):
        n += 1
    return n


@functools.lru_cache(maxsize=8)
def _distinct_chars(text: str) -> tuple[str, ...]:
    # Cheap to look up again: the corpus string is itself cached, and Python caches a string's hash.
    return tuple(sorted(set(text)))


class ContextTooShort(DataError):
    """A sequence length the context cannot hold: `needed` is the context that would; `within(top)` the message for a
    context that can be raised to `top` at most (the window's slider stops at 256: review, its message offered 401).
    Its arguments are its `args`, so it pickles as other errors do."""

    def __init__(self, what: str, longest: int, needed: int, decoder: bool) -> None:
        super().__init__(what, longest, needed, decoder)
        self.what, self.longest, self.needed, self.decoder = what, longest, needed, decoder

    def __str__(self) -> str:
        return self.within(MAX_CONTEXT)

    def within(self, top: int) -> str:
        if self.needed <= top:
            raised = f" or raise {CONTEXT_SETTING} to {self.needed}"
        else:  # the longest sequence the top context holds, where that is more than this context's
            most = (top - 1) // 2 if self.decoder else top
            raised = f" (or up to {most} with {CONTEXT_SETTING} raised to {top})" if most > self.longest else ""
        return f"{self.what}: set {LENGTH_SETTING} to at most {self.longest}{raised}"


def _plan_procedural(entry: Entry, options: dict[str, OptionValue], model: ModelSpec) -> Plan:
    T = model.block_size
    decoder = model.family == "decoder"
    longest = (T - 1) // 2 if decoder else T
    if longest < 1:
        raise DataError(f"a context of {T} tokens is too short for {entry.key}: use a context length of at least 3")
    length = int(options.get("length", min(8, longest) if decoder else T))
    if length > longest:
        needed = 2 * length + 1 if decoder else length
        what = f"{entry.key} with a sequence length of {length} needs a context of {needed} tokens" + (
            " (prompt, separator, answer)" if decoder else "")
        raise ContextTooShort(what, longest, needed, decoder)
    symbols = SYMBOLS[: int(options["n_symbols"])]
    vocab = Vocab(symbols, (PAD, SEP))
    info = DataInfo(
        name=entry.key, title=entry.title, task="lm" if decoder else "tagging", vocab_size=len(vocab),
        n_classes=len(vocab), pad_id=vocab.id(PAD), n_train=0, n_val=PROCEDURAL_VAL_SIZE,
        notes=("training sequences are generated fresh at every step",),
    )
    return Plan(entry, info, {**options, "length": length}, vocab)


class ClassifySource(NamedTuple):
    texts: tuple[str, ...]
    labels: tuple[int, ...]
    class_names: tuple[str, ...]
    words: tuple[str, ...]  # word-level vocabulary (training from scratch)
    skipped: int  # rows without text or label
    held_out: int = 0  # > 0: the last held_out texts are the validation set (no random split)
    overfull: tuple[int, ...] = ()  # the lines of rows skipped for more cells than the header
    left_out: str = ""  # every row skipped, as a refusal says it: "2 rows were left out (line 4: no label, ...)"


def classify_source(entry: Entry, options: Mapping[str, OptionValue], data: DataSpec) -> ClassifySource:
    """Texts, labels, class names, words, skipped rows and fixed validation rows of a text classification dataset."""
    if entry.key in ("sentiment", "pronoun"):
        if entry.key == "sentiment":
            examples, class_names, held_out = corpora.sentiment_examples(), corpora.SENTIMENT_CLASSES, 0
        else:
            labels = str(options["labels"])
            task = pronoun.pronoun_task(labels)
            examples, class_names, held_out = task.train + task.val, pronoun.LABELINGS[labels], len(task.val)
        texts = tuple(t for t, _ in examples)
        return ClassifySource(texts, tuple(y for _, y in examples), class_names, _sorted_words(texts), 0, held_out)
    table = user_files.read_csv_file(data.path or "", str(options["text_column"]), str(options["label_column"]))
    return ClassifySource(table.texts, table.labels, table.class_names, table.words, table.skipped,
                          overfull=table.overfull, left_out=table.left_out)


@functools.lru_cache(maxsize=4)
def _sorted_words(texts: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted({w for t in texts for w in word_tokens(t)}))


def classify_sizes(entry: Entry, source: ClassifySource, data: DataSpec) -> tuple[int, int, list[str], list[str]]:
    """(n_train, n_val, notes, warnings) of a classification dataset, refusing one too small to split."""
    notes, warnings = [], []
    if source.held_out:
        n_train, n_val = len(source.texts) - source.held_out, source.held_out
        notes.append(f"validation: {n_val} sentences with held-out words (the validation fraction does not apply)")
    else:
        n_train, n_val = split_sizes(len(source.texts), data.val_fraction)
    if n_train < 1:
        # The count is of the rows kept: without the ones left out it reads as a miscount of the file (QA).
        left_out = f"; {source.left_out}" if source.left_out else ""
        raise DataError(f"{entry.title} has only {len(source.texts)} example(s){left_out}: add more, at least 10 per "
                        f"class")
    if source.skipped:
        warnings.append(f"{source.skipped} row(s) without text or label skipped")
    if source.overfull:
        lines = ", ".join(str(line) for line in source.overfull[:3]) + (", …" if len(source.overfull) > 3 else "")
        warnings.append(f"{len(source.overfull)} row(s) with more cells than the header skipped (line {lines}): a "
                        f"comma in a text? Put such texts in double quotes")
    if not source.held_out:
        warnings += _thin_split(source.labels, source.class_names, n_val, data.val_fraction)
    return n_train, n_val, notes, warnings


MIN_ROWS_PER_CLASS = 10  # what the advice asks for: enough to train on most and validate on some of each class
FEW_VALIDATION = 20  # fewer validation examples than this: each one moves the accuracy by 5 % or more


def _thin_split(labels: Sequence[int], class_names: Sequence[str], n_val: int, fraction: float,
                unit: str = "row") -> list[str]:
    """Warnings for a random split that cannot both train and check every class: a class of one row (or image) is
    only in training or only in validation, and a validation set smaller than the classes misses some of them."""
    out = []
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=len(class_names))
    single = [f"'{elide(class_names[i], 40)}'" for i in np.flatnonzero(counts == 1)]
    more = f"add more {unit}s per class (at least {MIN_ROWS_PER_CLASS})"
    if single:
        which = (f"class {single[0]} has a single {unit}" if len(single) == 1
                 else f"classes {elide(', '.join(single), 100)} have a single {unit} each")
        out.append(f"{which}, which is either trained on or validated, never both: {more}")
    if n_val < len(class_names):
        out.append(f"validation holds {n_val} {unit}(s) for {len(class_names)} classes, so its accuracy says "
                   f"little: {more}, or raise data.val_fraction ({fraction:g} now: in the preset file, or "
                   f"--set data.val_fraction={min(0.5, 2 * fraction):g})")
    elif n_val < FEW_VALIDATION and not single:  # (QA: 6 validation images, accuracy jumping from 17 % to 50 %)
        out.append(f"validation holds only {n_val} {unit}s, so its accuracy moves in steps of {100 / n_val:.0f} %: "
                   f"{more}")
    return out


def _plan_classify(entry: Entry, options: dict[str, OptionValue], data: DataSpec, model: ModelSpec) -> Plan:
    source = classify_source(entry, options, data)
    vocab = Vocab(source.words, (PAD, CLS, UNK), level="word")
    n_train, n_val, notes, warnings = classify_sizes(entry, source, data)
    too_long = _count_longer(source.texts, vocab, model.block_size - 1)
    if too_long:
        warnings.append(f"{too_long} text(s) longer than {model.block_size - 1} words are cut to fit the context")
    info = DataInfo(
        name=entry.key, title=entry.title, task="classify", vocab_size=len(vocab), n_classes=len(source.class_names),
        class_names=source.class_names, pad_id=vocab.id(PAD), n_train=n_train, n_val=n_val,
        notes=tuple(notes + warnings), warnings=tuple(warnings),
    )
    return Plan(entry, info, options, vocab)


def _plan_wordpiece(entry: Entry, options: dict[str, OptionValue], data: DataSpec, model: ModelSpec,
                    name: str) -> Plan:
    """Sentence classification in the pretrained model's own word pieces: '[CLS] pieces [SEP] [PAD] ...'."""
    longest = wordpiece.max_positions(name)
    T = model.block_size
    if not 3 <= T <= longest:
        raise DataError(
            f"a max sequence length of {T} tokens does not fit the pretrained model: use 3 to {longest} "
            f"([CLS], at least one word piece, [SEP])"
        )
    source = classify_source(entry, options, data)
    n_train, n_val, notes, warnings = classify_sizes(entry, source, data)
    lengths = wordpiece.lengths(name, source.texts)
    too_long = int((lengths > T).sum())
    if too_long:
        warnings.append(
            f"{too_long} text(s) longer than {T} word pieces (with [CLS] and [SEP]; the longest has "
            f"{int(lengths.max())}) are cut to fit the max sequence length"
        )
    info = DataInfo(
        name=entry.key, title=entry.title, task="classify", vocab_size=wordpiece.vocab_size(name),
        n_classes=len(source.class_names), class_names=source.class_names,
        pad_id=int(wordpiece.model_config(name).get("pad_token_id", 0)), n_train=n_train, n_val=n_val,
        notes=tuple(notes + warnings), warnings=tuple(warnings),
    )
    return Plan(entry, info, options, tokenizer=name)


def covering_context(data: DataSpec, model: ModelSpec, share: float = 0.95) -> int | None:
    """The context length, in the model's tokens, that holds `share` of a classification dataset's texts whole
    ([CLS] and, for word pieces, [SEP] included); None for datasets whose texts are not cut (running text,
    procedural tasks, images)."""
    entry = _entry(data, model)
    if entry.kind != "classify" or model.family != "encoder":
        return None
    source = classify_source(entry, _resolve_options(entry, data.options), data)
    if model.pretrained:
        lengths = wordpiece.lengths(model.pretrained, source.texts)
    else:
        vocab = Vocab(source.words, (PAD, CLS, UNK), level="word")
        lengths = np.array([len(vocab.split(t)) + 1 for t in source.texts])
    return int(np.ceil(np.quantile(lengths, share))) if len(lengths) else None


def _count_longer(texts: tuple[str, ...], vocab: Vocab, limit: int) -> int:
    return sum(len(vocab.split(t)) > limit for t in texts)


def _plan_images(entry: Entry, options: dict[str, OptionValue], data: DataSpec, model: ModelSpec) -> Plan:
    notes: tuple[str, ...] = ()
    if entry.key == "digits":
        n, channels, class_names = DIGITS_COUNT, 1, tuple(str(d) for d in range(10))
    elif entry.key == "shapes":
        n, channels, class_names = int(options["n_images"]), 1, SHAPE_CLASSES
    else:
        channels = int(options["channels"])
        table = user_files.read_image_folder(data.path or "", model.image_size, channels)
        n, class_names, notes = len(table.labels), table.class_names, table.notes
    n_train, n_val = split_sizes(n, data.val_fraction)
    if n_train < 1:
        raise DataError(f"{entry.title} has only {n} image(s): add more, at least 10 per class")
    if entry.key == "image_folder":  # (QA: 18 images, "b predicted as a (512x)" from a few validation images)
        notes += tuple(_thin_split(table.labels, class_names, n_val, data.val_fraction, "image"))
    info = DataInfo(
        name=entry.key, title=entry.title, task="classify", n_classes=len(class_names), class_names=class_names,
        unit="images", channels=channels, image_size=model.image_size, n_train=n_train, n_val=n_val, notes=notes,
        warnings=notes,  # every note of an image folder is about its images (skipped, or read without colour)
    )
    return Plan(entry, info, options)
