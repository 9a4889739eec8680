"""Text data in a pretrained model's own word pieces (ModelSpec.pretrained), and the pronoun task."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from playground.core.spec import DataSpec, ModelSpec
from playground.data import (
    DataError,
    builtin_datasets,
    describe,
    load,
    wordpiece,
)
from playground.data import pronoun as P
from playground.data.vocab import word_tokens

BERT = ModelSpec(family="encoder", pretrained="minilm", block_size=24)
SENTENCES = [
    "The animal didn't cross the street because it was too tired.",
    "A giraffe's wheelbarrow, its sledge -- and 3.5 CUMBERSOME pianos!",
    "Ünïcödé café naïve résumé",
    "",
]


def loaded(name: str = "pronoun", model: ModelSpec = BERT, path: str | None = None, **options):
    return load(DataSpec(name=name, path=path, options=options), model, 0)


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# ----- the tokenizer -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def hf_tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(wordpiece.model_folder("minilm")))


@pytest.mark.parametrize("text", SENTENCES)
def test_ids_equal_transformers_tokenizer(hf_tokenizer, text):
    ours = wordpiece.wordpiece("minilm")
    assert ours.encode(text) == hf_tokenizer(text)["input_ids"]
    assert ours.encode(text, 8) == hf_tokenizer(text, truncation=True, max_length=8)["input_ids"]
    assert ours.decode(ours.encode(text)) == hf_tokenizer.decode(hf_tokenizer(text)["input_ids"], skip_special_tokens=True)


@pytest.mark.slow
def test_padded_rows_equal_transformers_padding(hf_tokenizer):
    ds = loaded("sentiment")
    texts = [ds.decode(ds._x[i].tolist()) for i in range(5)]
    hf = hf_tokenizer(texts, padding="max_length", truncation=True, max_length=BERT.block_size, return_tensors="pt")
    assert torch.equal(ds._x[:5], hf["input_ids"])
    assert torch.equal(ds._mask[:5], hf["attention_mask"].bool())


def test_the_packages_table_matches_the_models_one():
    from playground.models.pretrained import PRETRAINED_PACKAGES, pretrained_path

    assert wordpiece.PRETRAINED_PACKAGES == PRETRAINED_PACKAGES
    assert wordpiece.model_folder("minilm") == pretrained_path("minilm")


# ----- describe and load ---------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("name", ["pronoun", "sentiment"])
def test_describe_is_torch_free_and_knows_the_pretrained_vocabulary(name):
    code = (
        "import sys\n"
        "from playground.core.spec import DataSpec, ModelSpec\n"
        "from playground.data import describe\n"
        f"info = describe(DataSpec(name='{name}'), ModelSpec(family='encoder', pretrained='minilm', block_size=24))\n"
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules, 'describe imported torch'\n"
        "print(info.vocab_size, info.n_classes, info.pad_id)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["30522", "2", "0"]


def test_describe_tokenizes_nothing_again_on_a_slider_move(monkeypatch):
    """describe() runs on every slider move: the sentences are tokenized once, on the first call."""
    from playground.data import wordpiece

    describe(DataSpec(name="pronoun"), BERT)  # the first call reads the tokenizer and the sentences
    calls = []
    encode_many = wordpiece.WordPiece.encode_many
    monkeypatch.setattr(wordpiece.WordPiece, "encode_many", lambda self, texts: calls.append(1) or encode_many(
        self, texts))
    for size in range(16, 48):
        describe(DataSpec(name="pronoun"), BERT.model_copy(update={"block_size": size}))
    assert calls == []


@pytest.mark.slow
def test_batches_are_cls_pieces_sep_then_padding():
    ds = loaded()
    info = ds.info
    assert info.task == "classify" and info.vocab_size == 30522 and info.class_names == P.PRONOUN_CLASSES
    b = ds.batch("train", 16, gen())
    assert b.x.shape == (16, 24) and b.y.shape == (16,) and b.mask.shape == (16, 24)
    tok = wordpiece.wordpiece("minilm")
    assert (b.x[:, 0] == tok.cls_id).all()
    lengths = b.mask.sum(1)
    assert (b.x[torch.arange(16), lengths - 1] == tok.sep_id).all()
    assert (b.x[~b.mask] == tok.pad_id).all() and (b.x[b.mask] != tok.pad_id).all()
    assert not (b.mask[:, 1:] & ~b.mask[:, :-1]).any(), "padding only at the end"


@pytest.mark.slow
def test_token_labels_are_word_pieces_and_example_builds_one_row():
    ds = loaded()
    batch = ds.example("The giraffe didn't cross the street because it was too drowsy.")
    labels = ds.token_labels(batch.x[0])
    assert labels[:4] == ["[CLS]", "the", "gi", "##raf"] and labels[-1] == "[SEP]"
    assert "##ows" in labels and "it" in labels
    assert batch.x.shape == (1, len(labels)) and batch.mask is None
    assert ds.decode(ds.encode("It was too WIDE")) == "it was too wide"
    with pytest.raises(DataError, match="type a sentence"):
        ds.example("   ")


@pytest.mark.slow
def test_long_texts_are_cut_with_sep_last_and_noted():
    short = BERT.model_copy(update={"block_size": 8})
    info = describe(DataSpec(name="pronoun"), short)
    assert any("cut to fit the max sequence length" in n for n in info.notes)
    ds = loaded(model=short)
    assert (ds._x[:, -1] == wordpiece.wordpiece("minilm").sep_id).all()
    assert ds.example("one two three four five six seven eight nine").x.shape == (1, 8)


@pytest.mark.parametrize("size", [2, 513])
def test_max_sequence_length_must_fit_the_model(size):
    with pytest.raises(DataError, match="max sequence length"):
        describe(DataSpec(name="pronoun"), BERT.model_copy(update={"block_size": size}))


@pytest.mark.parametrize(("name", "why"), [("pydoc", "masked-language-model head"), ("reverse", "classification"),
                                           ("zen", "masked-language-model head")])
def test_pretrained_model_refuses_what_it_cannot_learn(name, why):
    with pytest.raises(DataError, match=why) as err:
        describe(DataSpec(name=name), BERT)
    assert "pronoun" in str(err.value) and "switch the pretrained model off" in str(err.value)


def test_from_scratch_encoder_reads_pronoun_with_its_word_vocabulary():
    model = ModelSpec(family="encoder", block_size=24)
    ds = loaded(model=model)
    assert "pronoun" in {k for k, *_ in builtin_datasets()}
    assert ds.info.vocab_size < 1000 and ds.info.n_val == P.N_VAL
    assert ds.token_labels(ds.example("The animal was too tired").x[0])[:3] == ["[CLS]", "the", "animal"]


# ----- the pronoun task ------------------------------------------------------------------------------------
def test_held_out_words_never_appear_in_training():
    task = P.pronoun_task()
    assert task.val_words and not task.val_words & task.train_words
    train_tokens = {w for text, _ in task.train for w in word_tokens(text)}
    val_tokens = {w for text, _ in task.val for w in word_tokens(text)}
    assert not task.val_words & train_tokens
    assert task.val_words <= val_tokens, "every held-out word is used in validation"
    assert not task.train_words & val_tokens, "validation sentences use only held-out nouns and adjectives"
    for text, _ in task.val:
        assert len(set(word_tokens(text)) & task.val_words) == 3  # an animal, a place or load, an adjective


@pytest.mark.slow
def test_the_validation_split_is_the_held_out_sentences():
    ds = loaded()
    task = P.pronoun_task()
    assert (ds.info.n_train, ds.info.n_val) == (len(task.train), len(task.val))
    tok = wordpiece.wordpiece("minilm")
    val_rows = ds._rows["val"].tolist()
    for row, (text, label) in zip(val_rows, task.val, strict=True):
        ids = tok.encode(text, 24)
        assert ds._x[row, : len(ids)].tolist() == ids and int(ds._y[row]) == label
    assert any("held-out" in n for n in ds.info.notes)


def test_labels_say_which_noun_it_means():
    task = P.pronoun_task()
    for text, label in task.train + task.val:
        words = word_tokens(text)
        first_is_animal = words[1] in P.ANIMALS
        adjective_of_animal = words[-2] in P.ANIMAL_STATES
        assert label == (0 if first_is_animal == adjective_of_animal else 1), text
    labels = [y for _, y in task.train]
    assert 0.4 < sum(labels) / len(labels) < 0.6
    for first in (True, False):  # the word order alone does not give the answer
        subset = [y for t, y in task.train if (word_tokens(t)[1] in P.ANIMALS) == first]
        assert 0.4 < sum(subset) / len(subset) < 0.6


def test_the_lecture_sentences_follow_the_task():
    tired, wide = P.LECTURE_PAIR
    assert "animal" in P.pronoun_task().train_words and "street" in P.pronoun_task().train_words
    assert "tired" in P.ANIMAL_STATES and "wide" in P.PLACE_STATES
    assert tired.replace("tired", "wide") == wide


# ----- CSV files with the tokenizer --------------------------------------------------------------------------
def write(tmp_path: Path, text: str, name: str = "data.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_csv_with_the_pretrained_tokenizer(tmp_path):
    rows = "\n".join(f"{'a lovely film' if i % 2 else 'an awful film'} number {i},{'pos' if i % 2 else 'neg'}"
                     for i in range(40))
    path = write(tmp_path, "review,mood\n" + rows + "\n,pos\nonly text,\n")
    ds = loaded("csv_file", path=path, text_column="review", label_column="mood")
    assert ds.info.vocab_size == 30522 and ds.info.class_names == ("neg", "pos")
    assert any("2 row(s) without text or label skipped" in n for n in ds.info.notes)
    assert ds.info.n_train + ds.info.n_val == 40
    assert ds.token_labels(ds.example("a lovely film").x[0]) == ["[CLS]", "a", "lovely", "film", "[SEP]"]


@pytest.mark.parametrize(("content", "options", "message"), [
    ("text,label\nhi,a\n", {"text_column": "review"}, r"no column 'review' \(columns found: 'text', 'label'\)"),
    ("text,label\nhi,a\n", {"label_column": "mood"}, "set the option label_column"),
    ("text,label\n" + "".join(f"row {i},{i}\n" for i in range(150)), {}, "the limit is 100 classes"),
    ("text,label\n,\n,\n", {}, "no rows with both a 'text' and a 'label'"),
    ("text,label\nhi,a\nho,a\n", {}, "at least two classes"),
    ("", {}, "is empty"),
])
def test_csv_errors_give_messages(tmp_path, content, options, message):
    path = write(tmp_path, content)
    with pytest.raises(DataError, match=message):
        describe(DataSpec(name="csv_file", path=path, options=options), BERT)


def test_kind_labels_name_the_referent_and_keep_the_sentences():
    position, kind = P.pronoun_task("position"), P.pronoun_task("kind")
    assert [t for t, _ in kind.train + kind.val] == [t for t, _ in position.train + position.val]
    for text, label in kind.train[:500] + kind.val[:500]:
        assert label == (0 if word_tokens(text)[-2] in P.ANIMAL_STATES else 1), text
    info = describe(DataSpec(name="pronoun", options={"labels": "kind"}), BERT)
    assert info.class_names == ("the animal", "the place or thing")
    with pytest.raises(DataError, match="must be one of"):
        describe(DataSpec(name="pronoun", options={"labels": "colour"}), BERT)
