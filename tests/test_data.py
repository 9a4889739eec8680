"""Built-in datasets: shapes, targets, determinism and the torch-free describe()."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from playground.core.spec import DataSpec, ModelSpec
from playground.data import IGNORE_INDEX, REGISTRY, DataError, builtin_datasets, describe, load

BUILTIN_PAIRS = [(key, fam) for key, _t, fams, _d in builtin_datasets() for fam in fams]
_CACHE: dict[tuple[str, str, int], object] = {}


def loaded(name: str, family: str, seed: int = 0, **model: int):
    """Loading digits imports scikit-learn; share loads between tests to keep the file fast."""
    key = (name, family, seed, tuple(sorted(model.items())))
    if key not in _CACHE:
        _CACHE[key] = load(DataSpec(name=name), ModelSpec(family=family, **model), seed)
    return _CACHE[key]


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_registry_lists_every_required_dataset():
    keys = {k for k, *_ in builtin_datasets()}
    assert {"pydoc", "zen", "copy", "reverse", "sort", "shift", "sentiment", "digits", "shapes"} <= keys
    assert {"text_file", "csv_file", "image_folder"} <= set(REGISTRY)
    assert not keys & {"text_file", "csv_file", "image_folder"}  # those need a path, so no menu entry


@pytest.mark.slow
@pytest.mark.parametrize(("name", "family"), BUILTIN_PAIRS)
def test_batch_shapes_and_types(name: str, family: str):
    model = ModelSpec(family=family)
    info = describe(DataSpec(name=name), model)
    ds = loaded(name, family)
    assert ds.info == info
    for split in ("train", "val"):
        b = ds.batch(split, 5, gen())
        assert b.y.dtype == torch.long
        if family == "vit":
            assert b.x.shape == (5, info.channels, model.image_size, model.image_size)
            assert b.x.dtype == torch.float32 and b.y.shape == (5,) and b.mask is None
            assert info.task == "classify" and 0 <= b.y.min() and b.y.max() < info.n_classes
            continue
        assert b.x.shape == (5, model.block_size) and b.x.dtype == torch.long
        assert 0 <= b.x.min() and b.x.max() < info.vocab_size
        if info.task == "classify":
            assert b.y.shape == (5,) and b.y.max() < info.n_classes
        else:
            assert info.n_classes == info.vocab_size
            assert b.y.shape == (5, model.block_size)
            real = b.y[b.y != IGNORE_INDEX]
            assert len(real) > 0 and 0 <= real.min() and real.max() < info.vocab_size
        if b.mask is not None:
            assert b.mask.shape == b.x.shape and b.mask.dtype == torch.bool
    probe = ds.probe()
    assert probe.x.shape[0] == 1
    labels = ds.token_labels(probe.x[0])
    assert len(labels) == (model.n_patches + 1 if family == "vit" else model.block_size)


@pytest.mark.parametrize(("name", "family"), BUILTIN_PAIRS)
def test_same_seed_same_batches(name: str, family: str):
    a, b = loaded(name, family), load(DataSpec(name=name), ModelSpec(family=family), 0)
    for split in ("train", "val"):
        x, y = a.batch(split, 8, gen(3)), b.batch(split, 8, gen(3))
        assert torch.equal(x.x, y.x) and torch.equal(x.y, y.y)
    assert torch.equal(a.probe().x, b.probe().x)


@pytest.mark.parametrize("name", ["sentiment", "shapes"])
def test_split_depends_on_seed(name: str):
    family = "vit" if name == "shapes" else "encoder"
    a, b = loaded(name, family, seed=0), loaded(name, family, seed=1)
    assert not torch.equal(a.batch("val", 16, gen()).x, b.batch("val", 16, gen()).x)


def test_val_is_not_train():
    ds = loaded("sentiment", "encoder")
    train = {tuple(r) for r in ds.batch("train", 4000, gen()).x.tolist()}
    val = {tuple(r) for r in ds.batch("val", 4000, gen()).x.tolist()}
    assert train and val and not train & val


@pytest.mark.parametrize("name", ["pydoc", "zen"])
def test_lm_targets_are_next_characters(name: str):
    b = loaded(name, "decoder").batch("train", 4, gen())
    assert b.mask is None and (b.y != IGNORE_INDEX).all()
    assert torch.equal(b.x[:, 1:], b.y[:, :-1])


def test_mlm_scores_only_masked_positions():
    ds = loaded("pydoc", "encoder")
    mask_id = ds.vocab.id("[MASK]")
    b = ds.batch("train", 64, gen())
    scored = b.y != IGNORE_INDEX
    assert torch.equal(scored, b.x == mask_id)
    assert scored.any(1).all()  # every row has something to predict
    assert 0.10 < scored.float().mean() < 0.20
    assert (b.y[scored] >= len(ds.vocab.specials)).all()  # targets are real characters
    assert {"[PAD]", "[MASK]", "[CLS]"} <= set(ds.vocab.specials)


@pytest.mark.parametrize("task", ["copy", "reverse", "sort", "shift"])
def test_decoder_procedural_scores_only_the_answer(task: str):
    ds = loaded(task, "decoder")
    L = 8
    sep, pad = ds.vocab.id("[SEP]"), ds.vocab.id("[PAD]")
    b = ds.batch("train", 16, gen())
    prompt, answer = b.x[:, :L], b.x[:, L + 1 : 2 * L + 1]
    assert (b.x[:, L] == sep).all() and (b.x[:, 2 * L + 1 :] == pad).all()
    assert (b.y[:, :L] == IGNORE_INDEX).all() and (b.y[:, 2 * L :] == IGNORE_INDEX).all()
    assert torch.equal(b.y[:, L : 2 * L], answer)
    expected = {"copy": prompt, "reverse": prompt.flip(1), "sort": prompt.sort(1).values,
                "shift": prompt.roll(-1, 1)}[task]
    assert torch.equal(answer, expected)
    assert torch.equal(b.mask, b.x != pad)


def test_encoder_reverse_tags_each_position():
    ds = loaded("reverse", "encoder", block_size=16)
    b = ds.batch("val", 8, gen())
    assert b.mask is None and torch.equal(b.y, b.x.flip(1))
    assert ds.token_labels(ds.probe().x[0]) == list("0123456789012345")


def test_encoder_short_length_is_padded():
    ds = load(DataSpec(name="reverse", options={"length": 5}), ModelSpec(family="encoder", block_size=8), 0)
    b = ds.batch("train", 4, gen())
    assert torch.equal(b.y[:, :5], b.x[:, :5].flip(1))
    assert (b.y[:, 5:] == IGNORE_INDEX).all() and not b.mask[:, 5:].any() and b.mask[:, :5].all()


def test_procedural_probe_and_example_are_readable():
    ds = loaded("reverse", "decoder")
    assert "".join(ds.token_labels(ds.probe().x[0]))[:26] == "01234567[SEP]76543210[PAD]"
    ex = ds.example("3 1 4")
    assert "".join(ds.token_labels(ex.x[0])).startswith("314[SEP]413")
    with pytest.raises(DataError, match="symbols"):
        ds.example("3 1 x")


def test_a_context_too_short_for_the_length_pickles_and_says_the_same():
    """It is an error like the others: copied or sent between processes, it says what it said."""
    import pickle

    from playground.data.registry import ContextTooShort

    with pytest.raises(ContextTooShort) as refused:
        describe(DataSpec(name="reverse", options={"length": 40}), ModelSpec(family="decoder", block_size=64))
    again = pickle.loads(pickle.dumps(refused.value))
    assert str(again) == str(refused.value) and again.within(64) == refused.value.within(64)


def test_procedural_length_must_fit_the_context():
    # each named as the window names it, and by its setting for the command line's --set (QA: "set length
    # (data.options.length)" beside a box named Sequence length)
    with pytest.raises(DataError, match=r"set Sequence length \(data.options.length\) to at most 31 or raise Context "
                                         r"length \(model.block_size\) to 81$"):
        describe(DataSpec(name="reverse", options={"length": 40}), ModelSpec(family="decoder", block_size=64))
    with pytest.raises(DataError, match=r"needs a context of 9 tokens: set Sequence length \(data.options.length\) "
                                        r"to at most 8 or raise Context length \(model.block_size\) to 9$"):
        describe(DataSpec(name="copy", options={"length": 9}), ModelSpec(family="encoder", block_size=8))
    with pytest.raises(DataError, match=r"needs a context of 8193 tokens .*: set Sequence length "
                                        r"\(data.options.length\) to at most 31 \(or up to 4095 with Context length "
                                        r"\(model.block_size\) raised to 8192\)$"):  # no context could hold it
        describe(DataSpec(name="reverse", options={"length": 4096}), ModelSpec(family="decoder", block_size=64))


@pytest.mark.parametrize(
    ("options", "message"),
    [({"lenght": 4}, "unknown option 'lenght'.*length, n_symbols"), ({"length": "8"}, "whole number"),
     ({"n_symbols": 99}, "between 2 and 36"), ({"length": True}, "whole number")],
)
def test_bad_options(options: dict, message: str):
    with pytest.raises(DataError, match=message):
        describe(DataSpec(name="sort", options=options), ModelSpec())


def test_n_symbols_sets_the_vocabulary():
    info = describe(DataSpec(name="sort", options={"n_symbols": 4}), ModelSpec())
    assert info.vocab_size == 6  # 4 symbols + [PAD] + [SEP]


def test_text_round_trip_and_example():
    ds = loaded("pydoc", "decoder")
    text = "def f(x):\n    return [x] * 2"
    assert ds.decode(ds.encode(text)) == text
    ex = ds.example("a" * 100)
    assert ex.x.shape == (1, 64) and torch.equal(ex.x[0, 1:], ex.y[0, :-1])
    assert ds.token_labels(torch.tensor(ds.encode("a b\n"))) == ["a", "␣", "b", "⏎"]
    with pytest.raises(DataError, match="'€'"):
        ds.encode("price: 5€")


def test_encoder_example_keeps_typed_masks():
    ds = loaded("zen", "encoder")
    ex = ds.example("Beautiful is [MASK]etter")
    assert ds.token_labels(ex.x[0])[13] == "[MASK]" and ex.x.shape == (1, 19)


def test_sentiment_rows_start_with_cls():
    ds = loaded("sentiment", "encoder")
    info = ds.info
    assert info.class_names == ("negative", "positive") and info.task == "classify"
    b = ds.batch("train", 32, gen())
    assert (b.x[:, 0] == ds.vocab.id("[CLS]")).all()
    assert torch.equal(b.mask, b.x != ds.vocab.id("[PAD]"))
    ex = ds.example("the film was not great")
    assert ds.token_labels(ex.x[0]) == ["[CLS]", "the", "film", "was", "not", "great"]
    assert ds.decode(ds.encode("the film was not great")) == "the film was not great"
    assert ds.encode("the zorblax") == [ds.vocab.id("the"), ds.vocab.id("[UNK]")]


def test_images_are_normalised_and_resized():
    ds = loaded("digits", "vit")
    x = ds.batch("train", 512, gen()).x
    assert abs(x.mean()) < 0.1 and 0.8 < x.std() < 1.2
    big = loaded("digits", "vit", image_size=16, patch_size=4)
    assert big.batch("val", 2, gen()).x.shape == (2, 1, 16, 16)
    assert big.token_labels(big.probe().x[0]) == ["CLS"] + [f"r{r}c{c}" for r in range(4) for c in range(4)]
    shapes = loaded("shapes", "vit")
    assert shapes.info.class_names == ("circle", "square", "triangle", "cross")
    assert torch.bincount(shapes.batch("train", 2000, gen()).y).min() > 300  # balanced classes


@pytest.mark.parametrize(
    ("name", "family", "message"),
    [("pydoc", "vit", r"the Vision Transformer needs images: pick Handwritten digits, Shapes, Image folder "
                      r"\(data.name digits, shapes, image_folder\)"),
     ("digits", "decoder", r"not images.*switch to the Vision Transformer \(model.family vit\)"),
     ("sentiment", "decoder", r"needs the Encoder \(BERT-like, model.family encoder\)"),
     ("pydocs", "decoder", "unknown dataset 'pydocs': did you mean 'pydoc'"),
     ("text_file", "decoder", "needs a path")],
)
def test_refusals_name_a_fix(name: str, family: str, message: str):
    with pytest.raises(DataError, match=message):
        describe(DataSpec(name=name), ModelSpec(family=family))


@pytest.mark.parametrize(("name", "family", "what"),
                         [("text_file", "decoder", "text file"), ("csv_file", "encoder", "CSV file"),
                          ("image_folder", "vit", "image folder")])
def test_a_missing_path_names_data_path(name: str, family: str, what: str):
    with pytest.raises(DataError) as err:
        describe(DataSpec(name=name), ModelSpec(family=family))
    shape = "FOLDER" if name == "image_folder" else "FILE"
    assert str(err.value) == (f"the dataset '{name}' needs a path: choose your {what} in the window, or "
                              f"--set data.path={shape}")


def test_tiny_text_with_long_context_is_refused():
    with pytest.raises(DataError, match=r"lower Context length \(model.block_size\) to at most"):
        describe(DataSpec(name="zen"), ModelSpec(block_size=512))


@pytest.mark.slow
def test_describe_does_not_import_torch():
    code = (
        "import sys, playground.data as d\n"
        "from playground.core.spec import DataSpec, ModelSpec\n"
        "for name, fam in [('pydoc', 'decoder'), ('zen', 'encoder'), ('reverse', 'encoder'),"
        " ('sentiment', 'encoder'), ('digits', 'vit'), ('shapes', 'vit')]:\n"
        "    d.describe(DataSpec(name=name), ModelSpec(family=fam))\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
        "assert 'sklearn' not in sys.modules, 'sklearn imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)


def test_accuracy_is_shown_where_it_says_how_well_the_task_is_done():
    """QA: `playground train decoder-reverse` printed "acc 100%" and the window drew no accuracy; running text's
    next-character accuracy says little, a decoder's reversal all."""
    def shown(name: str, family: str) -> bool:
        return describe(DataSpec(name=name), ModelSpec(family=family, block_size=32)).has_accuracy

    assert shown("reverse", "decoder") and shown("reverse", "encoder") and shown("sentiment", "encoder")
    assert not shown("pydoc", "decoder") and not shown("pydoc", "encoder")
