"""The student's own files: text, CSV, image folders, and a helpful DataError for every bad one."""

from __future__ import annotations

import json
import os
import string
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from playground.core.spec import DataSpec, ModelSpec
from playground.data import IGNORE_INDEX, DataError, describe, load

# tiny Shakespeare's 65 characters: newline, space, !$&',-.3:;? and both cases of the alphabet.
PLAY_CHARACTERS = "\n !$&',-.3:;?" + "".join(chr(c) for c in range(ord("A"), ord("Z") + 1)) + "abcdefghijklmnopqrstuvwxyz"
DEC, ENC, VIT = ModelSpec(family="decoder"), ModelSpec(family="encoder"), ModelSpec(family="vit")


def text_spec(path: Path) -> DataSpec:
    return DataSpec(name="text_file", path=str(path))


def csv_spec(path: Path, **options: str) -> DataSpec:
    return DataSpec(name="csv_file", path=str(path), options=options)


def folder_spec(path: Path, val_fraction: float = 0.1, **options: int) -> DataSpec:
    return DataSpec(name="image_folder", path=str(path), val_fraction=val_fraction, options=options)


@pytest.fixture(scope="module")
def play(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated play script of 1.1 MB in tiny Shakespeare's layout and character set: speeches of 5 to 39 words
    in lines of seven under a name in capitals (tests read nothing outside the repository). The letters are drawn in
    one go and cut into words: a second, where drawing each word took a minute."""
    rng = np.random.default_rng(0)
    letters = np.frombuffer(PLAY_CHARACTERS[2:].encode(), dtype=np.uint8)
    text = rng.choice(letters, 1_100_000).tobytes().decode()
    capitals = rng.choice(np.frombuffer(string.ascii_uppercase.encode(), dtype=np.uint8), (20_000, 6))
    speeches, size, start = [], 0, 0
    while size < 1_100_000:
        words = []
        for length in rng.integers(1, 8, rng.integers(5, 40)).tolist():
            words.append(text[start:start + length])
            start += length
        lines = "\n".join(" ".join(words[at:at + 7]) for at in range(0, len(words), 7))
        speeches.append(f"{capitals[len(speeches)].tobytes().decode()}:\n{lines}\n\n")
        size += len(speeches[-1])
    path = tmp_path_factory.mktemp("corpus") / "play.txt"
    path.write_text(PLAY_CHARACTERS + "".join(speeches), encoding="utf-8")
    return path


@pytest.mark.slow
def test_a_play_script_as_text_file(play: Path):
    info = describe(text_spec(play), DEC)
    assert info.task == "lm" and info.vocab_size == 65 and info.n_train + info.n_val > 1_000_000
    ds = load(text_spec(play), DEC, 0)
    b = ds.batch("train", 8, torch.Generator().manual_seed(0))
    assert b.x.shape == (8, 64) and torch.equal(b.x[:, 1:], b.y[:, :-1])
    assert ds.decode(ds.encode("ROMEO:\nWhat?")) == "ROMEO:\nWhat?"
    assert "\n" in ds.decode(ds.probe().x[0].tolist())
    mlm = load(text_spec(play), ENC, 0)
    assert mlm.info.task == "mlm" and mlm.info.vocab_size == 68


def test_a_text_file_too_short_to_learn_from_is_warned(tmp_path: Path):
    """Newcomer QA: an 80-character file trained with nothing said, its validation loss climbing from 4.3 to 5.9."""
    from playground.data.registry import FEW_CHARACTERS

    tiny = tmp_path / "tiny.txt"
    tiny.write_text("the cat sat on the mat. " * 4, encoding="utf-8")  # 96 characters
    model = ModelSpec(family="decoder", block_size=8)
    info = describe(text_spec(tiny), model)
    assert info.warnings == (f"tiny.txt has 96 characters: a model learns little from it but to repeat it (its "
                             f"validation part is {info.n_val} characters); give it at least {FEW_CHARACTERS:,} characters",)
    tiny.write_text("the cat sat on the mat. " * 100, encoding="utf-8")
    assert describe(text_spec(tiny), model).warnings == ()


def test_text_file_cache_follows_edits(tmp_path: Path):
    f = tmp_path / "t.txt"
    f.write_text("ab" * 200)
    assert describe(text_spec(f), DEC).vocab_size == 2
    f.write_text("abc" * 200)
    os.utime(f, ns=(1, 10**18))  # a different mtime even on coarse clocks
    assert describe(text_spec(f), DEC).vocab_size == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "x.txt is empty: put some text in it"),
     (b"\n  \n\t\n", "x.txt holds only blank lines: put some text in it"),
     (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", r"x.txt is not UTF-8 text \(it looks like a PDF\)"),
     (b"PK\x03\x04\x14\x00", "looks like a ZIP archive"),
     (b"\xd0\xcf\x11\xe0\xa1\xb1", "looks like an old Microsoft Office document"),  # (review: "a old")
     ("hello world".encode("utf-16"), "NUL bytes"),
     (b"caf\xe9 au lait " * 20, r"not UTF-8 text \(byte 4, counted from 1, cannot be read\): re-save it with UTF-8"),
     (b"a tiny text", r"too few.*lower Context length \(model.block_size\) to at most 4,"),
     ("".join(chr(0x4E00 + i) for i in range(2500)).encode(), "2500 different characters.*at most 2000")],
)
def test_bad_text_files(tmp_path: Path, content: bytes, message: str):
    f = tmp_path / "x.txt"
    f.write_bytes(content)
    with pytest.raises(DataError, match=message):
        describe(text_spec(f), DEC)


def test_missing_and_directory_text_file(tmp_path: Path):
    with pytest.raises(DataError, match="no text file at .*nope.txt: check the path"):
        describe(text_spec(tmp_path / "nope.txt"), DEC)
    with pytest.raises(DataError, match="is a folder"):
        describe(text_spec(tmp_path), DEC)


@pytest.mark.parametrize("size", [201_000_000, 200_000_001])  # (newcomer QA: "200 MB: the limit is 200 MB")
def test_huge_text_file_names_the_limit(tmp_path: Path, size: int):
    f = tmp_path / "big.txt"
    with open(f, "wb") as fh:
        fh.truncate(size)  # sparse: no disk used
    with pytest.raises(DataError, match=f"big.txt is {size:,} bytes, over the limit of 200,000,000 \\(200 MB\\): use "
                                        f"a part of it"):
        describe(text_spec(f), DEC)


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_csv_classification(tmp_path: Path):
    rows = ["text,label"] + [f"good thing number {i},pos" if i % 2 else f"bad thing {i},neg" for i in range(40)]
    rows += [",pos", "no label,", "  ,  "]
    f = write_csv(tmp_path / "r.csv", rows)
    info = describe(csv_spec(f), ENC)
    assert info.task == "classify" and info.class_names == ("neg", "pos") and info.n_train + info.n_val == 40
    assert any("2 row(s) without text or label skipped" in n for n in info.notes)
    ds = load(csv_spec(f), ENC, 0)
    b = ds.batch("train", 6, torch.Generator().manual_seed(0))
    assert b.x.shape == (6, 64) and b.y.shape == (6,) and (b.x[:, 0] == ds.vocab.id("[CLS]")).all()
    assert ds.example("good unseenword").x.tolist()[0][-1] == ds.vocab.id("[UNK]")


def test_a_row_with_an_unquoted_comma_in_its_text_is_skipped_and_said_not_read_as_a_class(tmp_path: Path):
    """QA: "the plot was slow, the acting great,pos" became the text "the plot was slow" of a class "the acting
    great", without a note."""
    rows = ["text,label"] + [f"good thing number {i},pos" if i % 2 else f"bad thing {i},neg" for i in range(40)]
    rows += ["the plot was slow, the acting great,pos", '"slow, but great",pos', "a trailing empty cell,neg,"]
    info = describe(csv_spec(write_csv(tmp_path / "commas.csv", rows)), ENC)
    assert info.class_names == ("neg", "pos") and info.n_train + info.n_val == 42
    assert any("1 row(s) with more cells than the header skipped (line 42): a comma in a text? Put such texts in "
               "double quotes" in note for note in info.notes)
    every = write_csv(tmp_path / "all.csv", ["text,label", "slow, but great,pos", "dull, and long,neg"])
    with pytest.raises(DataError, match=r"every row of all.csv has more cells than its header \(line 2 first\)"):
        describe(csv_spec(every), ENC)  # (review: "has no rows with both a text and a label")


def test_a_csv_too_small_to_train_and_validate_every_class_is_warned(tmp_path: Path):
    info = describe(csv_spec(write_csv(tmp_path / "two.csv", ["text,label", "great film,pos", "awful film,neg"])), ENC)
    assert (info.n_train, info.n_val) == (1, 1)
    assert info.warnings == (
        "classes 'neg', 'pos' have a single row each, which is either trained on or validated, never both: add more "
        "rows per class (at least 10)",
        "validation holds 1 row(s) for 2 classes, so its accuracy says little: add more rows per class (at least 10), "
        "or raise data.val_fraction (0.1 now: in the preset file, or --set data.val_fraction=0.2)",
    )
    rows = ["text,label"] + [f"text {i},{'pos' if i < 19 else 'neg'}" for i in range(20)]
    assert describe(csv_spec(write_csv(tmp_path / "one.csv", rows)), ENC).warnings == (
        "class 'neg' has a single row, which is either trained on or validated, never both: add more rows per class "
        "(at least 10)",)
    rows = ["text,label"] + [f"text {i},{i % 2}" for i in range(20)]  # two validation rows for two classes: each
    assert describe(csv_spec(write_csv(tmp_path / "few.csv", rows)), ENC).warnings == (  # moves it by half (QA)
        "validation holds only 2 rows, so its accuracy moves in steps of 50 %: add more rows per class (at least 10)",)
    rows = ["text,label"] + [f"text {i},{i % 2}" for i in range(200)]  # twenty validation rows: fine
    assert describe(csv_spec(write_csv(tmp_path / "fine.csv", rows)), ENC).warnings == ()


def test_csv_other_columns_and_semicolons(tmp_path: Path):
    f = write_csv(tmp_path / "r.csv", ["review;stars"] + [f"text {i};{i % 3 + 1}" for i in range(30)])
    info = describe(csv_spec(f, text_column="review", label_column="stars"), ENC)
    assert info.class_names == ("1", "2", "3")


def test_long_csv_texts_are_cut_and_noted(tmp_path: Path):
    f = write_csv(tmp_path / "r.csv", ["text,label"] + [f"{'word ' * 20},{i % 2}" for i in range(10)])
    model = ModelSpec(family="encoder", block_size=8)
    assert any("cut to fit" in n for n in describe(csv_spec(f), model).notes)
    assert load(csv_spec(f), model, 0).batch("val", 2, torch.Generator()).mask.all()


@pytest.mark.parametrize(
    ("rows", "message"),
    [(["sentence,category", "hi,a"], r"no column 'text' \(columns found: 'sentence', 'category'\)"),
     (["text,label"], "no rows with both"),
     (["text,label", "a,x", "b,x", "c,x"], "label 'x': a classifier needs at least two classes"),
     (["text,label"] + [f"t{i},{i}" for i in range(150)], "150 different labels; the limit is 100")],
)
def test_bad_csv_files(tmp_path: Path, rows: list[str], message: str):
    with pytest.raises(DataError, match=message):
        describe(csv_spec(write_csv(tmp_path / "bad.csv", rows)), ENC)


@pytest.mark.parametrize(
    ("rows", "val_fraction", "message"),
    [(["hello world,a", "another one,a", "no label here,", ",b"], 0.1,
      "bad.csv: 2 rows were left out (line 4: no label, line 5: no text); the 2 kept all have the label 'a': a "
      "classifier needs at least two classes among the rows kept: fix the rows left out, or add rows with another "
      "label"),
     (["hello,a", "hi,a", ",a"], 0.1,  # its one row left out has the same label: fixing it adds no class
      "bad.csv: 1 row was left out (line 4: no text); the 2 kept all have the label 'a': a classifier needs at least "
      "two classes among the rows kept: add rows with another label"),
     (["hello,a", "no label,", "  ,  ,", ",,"], 0.1,
      "bad.csv: 1 row was left out (line 3: no label); the only row kept has the label 'a': a classifier needs at "
      "least two classes among the rows kept: fix the rows left out, or add rows with another label"),
     (["no label,", ",b", "slow, but great,pos"], 0.1,
      "bad.csv has no rows with both a 'text' and a 'label': 3 rows were left out (line 2: no label, line 3: no text, "
      "line 4: too many cells): fix them, or add examples"),
     (["hello,a", "world,b", "no label,"], 0.8,
      "CSV file has only 2 example(s); 1 row was left out (line 4: no label): add more, at least 10 per class")],
    ids=["one-class-kept", "only-its-label-left-out", "one-row-kept", "no-row-kept", "too-few-kept"],
)
def test_a_csv_refusal_says_which_rows_it_left_out(tmp_path: Path, rows: list[str], val_fraction: float,
                                                   message: str):
    """QA: a file whose only 'b' row had no text was refused as "every row of bad2.csv has the label 'a'"."""
    from playground.cli import _error_line

    spec = DataSpec(name="csv_file", path=str(write_csv(tmp_path / "bad.csv", ["text,label", *rows])),
                    val_fraction=val_fraction)
    with pytest.raises(DataError) as refused:
        describe(spec, ENC)
    assert str(refused.value) == message  # what the window shows after "Not applied, ..."
    assert _error_line(refused.value) == f"playground: error: {message}"  # whole on the command line too


def test_csv_needs_the_encoder(tmp_path: Path):
    f = write_csv(tmp_path / "r.csv", ["text,label", "a,1", "b,2"])
    with pytest.raises(DataError, match="needs the Encoder"):
        describe(csv_spec(f), DEC)


# What a folder of a dozen images is told of its validation set (two images)
FEW_IMAGES = ("validation holds only 2 images, so its accuracy moves in steps of 50 %: add more images per class "
              "(at least 10)")


def make_folder(root: Path, per_class: int = 6, mode: str = "L") -> Path:
    rng = np.random.default_rng(0)
    for name in ("cats", "dogs"):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            shape = (12, 10) if mode == "L" else (12, 10, 3)
            Image.fromarray(rng.integers(0, 255, shape, dtype=np.uint8), mode).save(root / name / f"{i}.png")
    return root


def test_image_folder(tmp_path: Path):
    root = make_folder(tmp_path / "pets", mode="RGB")
    model = ModelSpec(family="vit", image_size=16, patch_size=4)
    info = describe(folder_spec(root, channels=3), model)
    assert info.class_names == ("cats", "dogs") and info.channels == 3 and info.n_train + info.n_val == 12
    ds = load(folder_spec(root, channels=3), model, 0)
    b = ds.batch("train", 4, torch.Generator().manual_seed(0))
    assert b.x.shape == (4, 3, 16, 16) and b.x.dtype == torch.float32 and b.y.dtype == torch.long
    ex = ds.example(str(root / "cats" / "0.png"))
    assert ex.x.shape == (1, 3, 16, 16) and ex.y.tolist() == [IGNORE_INDEX]
    assert describe(folder_spec(root), model).channels == 1
    with pytest.raises(DataError, match="not a readable image"):
        ds.example(__file__)


def test_corrupt_images_are_skipped_and_noted(tmp_path: Path):
    root = make_folder(tmp_path / "pets")
    (root / "dogs" / "broken.png").write_bytes(b"\x89PNG not really")
    info = describe(folder_spec(root), VIT)
    assert info.n_train + info.n_val == 12 and "skipped 1 unreadable image(s): dogs/broken.png" in info.notes


def test_bad_image_folders(tmp_path: Path):
    cases = []
    empty = tmp_path / "empty"
    empty.mkdir()
    cases.append((empty, "the folder 'empty' holds no class folders: add one sub-folder"))
    loose = tmp_path / "loose"
    loose.mkdir()
    Image.new("L", (4, 4)).save(loose / "a.png")
    cases.append((loose, "no class folders: put them in one sub-folder per class"))
    one = make_folder(tmp_path / "one")
    os.rename(one / "dogs", tmp_path / "elsewhere")
    cases.append((one, "only one class folder \\('cats'\\)"))
    hollow = make_folder(tmp_path / "hollow")
    (hollow / "birds").mkdir()
    cases.append((hollow, "class folder 'birds' has no images"))
    broken = tmp_path / "broken"
    for name in ("a", "b"):
        (broken / name).mkdir(parents=True)
        (broken / name / "x.jpg").write_bytes(b"garbage")
    cases.append((broken, "none of the 2 images could be read: are they really images (.png, .jpg, .jpeg, .bmp, .gif, .webp)?"))
    cases.append((tmp_path / "missing", "no folder at"))
    for path, message in cases:
        with pytest.raises(DataError, match=message):
            describe(folder_spec(path), VIT)
    with pytest.raises(DataError, match=r"must be one of \(1, 3\)"):
        describe(folder_spec(empty, channels=2), VIT)


@pytest.mark.parametrize("special", ["/dev/zero", "/dev/null"])
def test_devices_are_refused_by_name_as_text_or_csv(special: str):
    with pytest.raises(DataError, match=f"{special} is not a regular file"):
        describe(text_spec(Path(special)), DEC)
    with pytest.raises(DataError, match=f"{special} is not a regular file"):
        describe(csv_spec(Path(special)), ENC)


def test_a_fifo_data_file_is_refused_without_waiting_for_a_writer(tmp_path: Path):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    with pytest.raises(DataError, match="pipe.txt is not a regular file"):
        describe(text_spec(fifo), DEC)


def test_special_and_huge_images_are_skipped_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    root = make_folder(tmp_path / "pets")
    os.mkfifo(root / "cats" / "pipe.png")  # never opened: listing keeps regular files only
    os.symlink("/dev/zero", root / "dogs" / "zero.png")
    monkeypatch.setattr("playground.data.user_files.MAX_IMAGE_BYTES", 1000)  # the 12x10 noise PNGs are ~200 bytes
    (root / "dogs" / "big.png").write_bytes(b"\x89PNG" + b"\0" * 1000)
    info = describe(folder_spec(root, val_fraction=0.2), VIT)  # (two validated: no fewer than the classes)
    assert info.n_train + info.n_val == 12 and info.notes == ("skipped 1 unreadable image(s): dogs/big.png", FEW_IMAGES)
    with pytest.raises(DataError, match="big.png is larger than 1 kB"):
        load(folder_spec(root), VIT, 0).example(str(root / "dogs" / "big.png"))


def test_data_path_for_a_built_in_dataset_is_refused():
    with pytest.raises(DataError, match="the built-in dataset 'zen' reads no file, but data.path is set"):
        describe(DataSpec(name="zen", path="/etc/passwd"), DEC)


@pytest.mark.parametrize("content", ["a", "ab", "abcde"])
def test_a_text_too_short_for_any_context_asks_for_a_longer_text(tmp_path: Path, content: str):
    f = tmp_path / "x.txt"
    f.write_text(content)
    with pytest.raises(DataError, match="use a text of at least 6 characters") as err:
        describe(text_spec(f), ModelSpec(family="decoder", block_size=2))
    assert "-1" not in str(err.value)


def test_long_names_and_columns_are_elided(tmp_path: Path):
    f = write_csv(tmp_path / ("n" * 200 + ".csv"), [",".join("c" * 5000 for _ in range(3)), "a,b,c"])
    with pytest.raises(DataError) as err:
        describe(csv_spec(f, text_column="t" * 10_000), ENC)
    assert len(str(err.value)) <= 300


def test_an_unclosed_quote_is_named_with_its_line_not_taken_for_missing_rows(tmp_path: Path):
    rows = ["text,label", '"unterminated,1'] + [f"great movie {i},{i % 2}" for i in range(100)]
    with pytest.raises(DataError) as err:
        describe(csv_spec(write_csv(tmp_path / "q.csv", rows)), ENC)
    assert str(err.value) == ("q.csv has an unclosed quote (line 2): every row after it was read as one text. "
                              "Close the quote, or remove it")


def test_a_closed_quote_over_several_lines_in_the_last_row_is_no_unclosed_quote(tmp_path: Path):
    rows = ["text,label"] + [f"film {i},{i % 2}" for i in range(20)] + ['"a review\nover two lines",1']
    info = describe(csv_spec(write_csv(tmp_path / "q.csv", rows)), ENC)
    assert info.n_train + info.n_val == 21


def test_a_field_over_the_csv_limit_is_named_with_its_length_and_line(tmp_path: Path):
    rows = ["text,label", "fine,1", '"' + "x" * 200_000 + '",0']
    with pytest.raises(DataError) as err:
        describe(csv_spec(write_csv(tmp_path / "big.csv", rows)), ENC)
    assert str(err.value) == ("big.csv has a field longer than 131,072 characters (line 3), likely an unclosed quote: "
                              "close the quote, or shorten the field")


def test_skipped_rows_cut_texts_and_skipped_images_are_warnings_and_facts_are_not(tmp_path: Path):
    rows = ["text,label"] + [f"{'word ' * (3 + i % 20)},{i % 2}" for i in range(200)] + ["no label,"]
    info = describe(csv_spec(write_csv(tmp_path / "r.csv", rows)), ModelSpec(family="encoder", block_size=8))
    assert info.warnings == ("1 row(s) without text or label skipped",
                             "150 text(s) longer than 7 words are cut to fit the context")
    root = make_folder(tmp_path / "pets")
    (root / "dogs" / "broken.png").write_bytes(b"\x89PNG not really")
    assert describe(folder_spec(root, val_fraction=0.2), VIT).warnings == ("skipped 1 unreadable image(s): "
                                                                          "dogs/broken.png", FEW_IMAGES)
    procedural = describe(DataSpec(name="reverse"), DEC)
    assert procedural.notes and procedural.warnings == ()  # "generated fresh at every step" is no problem


def test_a_too_short_text_names_the_length_that_trains_at_its_context_and_the_context_that_fits(tmp_path: Path):
    five, six = tmp_path / "five.txt", tmp_path / "six.txt"
    five.write_text("abcde")
    six.write_text("abcdef")
    with pytest.raises(DataError) as err:
        describe(text_spec(five), DEC)  # context 64: 130 characters train; 6 would with the shortest context
    assert str(err.value) == ("five.txt has 5 characters, too few for a training and a validation block of 65: use a "
                              "text of at least 130 characters, or of at least 6 with Context length "
                              "(model.block_size) lowered to 2")
    with pytest.raises(DataError) as err:
        describe(text_spec(six), DEC)
    assert str(err.value) == ("six.txt has 6 characters, too few for a training and a validation block of 65: lower "
                              "Context length (model.block_size) to at most 2, or use a text of at least 130 characters")
    describe(text_spec(six), ModelSpec(family="decoder", block_size=2))  # both remedies train
    one = tmp_path / "one.txt"
    one.write_text("a")
    with pytest.raises(DataError, match="^one.txt has 1 character, too few"):  # (QA: "1 characters")
        describe(text_spec(one), DEC)
    six.write_text("abcdef" * 21 + "abcd")  # 130 characters
    describe(text_spec(six), DEC)


def test_the_context_suggested_for_a_short_text_fits_a_large_validation_fraction(tmp_path: Path):
    f = tmp_path / "t.txt"
    f.write_text("ab" * 100)
    spec = DataSpec(name="text_file", path=str(f), val_fraction=0.7)  # 140 characters validate, 60 train
    with pytest.raises(DataError, match=r"lower Context length \(model.block_size\) to at most 59, or use a text of "
                                        r"at least 429 characters"):
        describe(spec, ModelSpec(family="decoder", block_size=128))
    assert describe(spec, ModelSpec(family="decoder", block_size=59)).n_train == 60
    f.write_text("ab" * 214 + "a")  # 429 characters: 129 train
    describe(spec, ModelSpec(family="decoder", block_size=128))


def sixteen_bit_ramp(width: int = 64) -> np.ndarray:
    """A left-to-right ramp over the whole 16-bit range: mean 32767.5, so 127.5 once scaled to 8 bits."""
    return np.tile(np.linspace(0, 65535, width).round().astype(np.uint16), (width, 1))


def test_16_bit_grayscale_is_scaled_to_8_bits_not_clipped(tmp_path: Path):
    from playground.data.user_files import read_image

    png = tmp_path / "ramp.png"
    Image.fromarray(sixteen_bit_ramp()).save(png)
    assert Image.open(png).mode == "I;16"
    for channels in (1, 3):
        pixels = read_image(str(png), 64, channels).pixels
        assert pixels.shape == (64, 64, channels) and abs(pixels.mean() - 127.5) < 1
        assert pixels[:, 0].max() == 0 and pixels[:, -1].min() == 255
    tiff = tmp_path / "ramp.tif"  # 32-bit integer samples ("I"), as other tools write 16-bit grayscale
    Image.fromarray(sixteen_bit_ramp().astype(np.int32)).save(tiff)
    assert Image.open(tiff).mode == "I" and abs(read_image(str(tiff), 64, 1).pixels.mean() - 127.5) < 1


# ----- where a file named relative to something is read from ----------------------------------------------------
def test_a_preset_reads_a_data_file_named_relative_to_its_own_folder_and_saves_it_so(tmp_path: Path, monkeypatch):
    """A preset handed out in a folder with its data read it only when started from that folder ("no text file at
    corpus.txt"); saved from the window, the path named the lecturer's disk."""
    from playground.core.presets import load_preset, save_preset, to_json

    handout = tmp_path / "handout"
    handout.mkdir()
    (handout / "corpus.txt").write_text("to be or not to be " * 50, encoding="utf-8")
    preset = handout / "mine.json"
    preset.write_text(to_json(load_preset("decoder-pydoc").updated(
        {"data.name": "text_file", "data.path": "corpus.txt"})), encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # not the preset's folder
    spec = load_preset(preset)
    assert spec.data.path == str(handout / "corpus.txt")
    assert describe(spec.data, spec.model).n_train > 0
    copy = save_preset(spec, tmp_path / "handout" / "again.json")
    assert '"path": "corpus.txt"' in copy.read_text(encoding="utf-8")  # inside the folder: named from it
    elsewhere = save_preset(spec, tmp_path / "elsewhere.json")
    assert load_preset(elsewhere).data.path == str(handout / "corpus.txt")
    # Not beside the preset: read from the working folder as before, kept absolute
    (tmp_path / "here.txt").write_text("abc " * 100, encoding="utf-8")
    preset.write_text(to_json(spec.updated({"data.path": "here.txt"})), encoding="utf-8")
    assert load_preset(preset).data.path == str(tmp_path / "here.txt")
    # In neither: looked for beside the preset, and the message names that place (QA: it named the working folder)
    preset.write_text(to_json(spec.updated({"data.path": "missing.txt"})), encoding="utf-8")
    missing = load_preset(preset)
    assert missing.data.path == str(handout / "missing.txt")
    with pytest.raises(DataError, match="no text file at .*/handout/missing.txt"):
        describe(missing.data, missing.model)


def test_train_says_when_a_preset_reads_a_file_outside_its_folder(tmp_path: Path):
    """QA: a preset handed out with "path": "../../../../etc/shadow" trained on it without a word, and its samples
    showed pieces of it."""
    from conftest import CLI_TINY, run_cli

    from playground.core.presets import load_preset, to_json

    (tmp_path / "private.txt").write_text("the quick brown fox jumps over the lazy dog " * 40, encoding="utf-8")
    handout = tmp_path / "handout"
    handout.mkdir()
    preset = handout / "given.json"
    preset.write_text(to_json(load_preset("decoder-pydoc").updated(
        {"data.name": "text_file", "data.path": "../private.txt", "model.block_size": 16})), encoding="utf-8")
    trained = run_cli("train", str(preset), "--steps", "1", "--out", str(tmp_path / "run"), *CLI_TINY)
    assert trained.returncode == 0, trained.stderr
    assert "playground: note: given.json reads its data from " in trained.stderr
    assert "/private.txt, outside its own folder" in trained.stderr  # (a long path is elided in its middle)
    (handout / "mine.txt").write_text("a text of my own to train on " * 40, encoding="utf-8")
    chosen = run_cli("train", str(preset), "--steps", "1", "--out", str(tmp_path / "run2"), *CLI_TINY,
                     "--set", f"data.path={handout / 'mine.txt'}")
    assert chosen.returncode == 0 and "outside its own folder" not in chosen.stderr  # (review: the file not read)


def test_a_run_trained_on_a_relative_path_resumes_from_another_folder(tmp_path: Path, monkeypatch):
    """A newcomer's `playground resume` from another folder said "no text file at big.txt"."""
    from conftest import CLI_TINY, run_cli

    (tmp_path / "big.txt").write_text("the quick brown fox jumps over the lazy dog " * 40, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    trained = run_cli("train", "decoder-pydoc", "--steps", "2", "--out", "run", *CLI_TINY, "--set",
                      "data.name=text_file", "--set", "data.path=big.txt", "--set", "model.block_size=16")
    assert trained.returncode == 0, trained.stderr
    # named for what it trained on, as the window names it (it was listed and exported as "Decoder on Python's help
    # text", with that preset's description)
    preset = json.loads((tmp_path / "run" / "preset.json").read_text(encoding="utf-8"))
    assert preset["name"] == "Decoder (GPT-like) on big.txt" and preset["description"] == ""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    resumed = run_cli("resume", str(tmp_path / "run"), "--steps", "1")
    assert resumed.returncode == 0, resumed.stderr


def test_a_run_whose_text_file_was_edited_since_is_refused_not_read_with_other_ids(tmp_path: Path, monkeypatch):
    """QA: after '!' became '~' in the corpus a run trained on, `sample` read "The " as "The uif uif", and `resume`
    trained on the shifted ids, both without a word; a CSV whose label was renamed swapped an export's classes."""
    from conftest import CLI_TINY, run_cli

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("Hello there! The quick brown fox jumps over the lazy dog. " * 40, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    trained = run_cli("train", "decoder-pydoc", "--steps", "2", "--out", "run", *CLI_TINY, "--set",
                      "data.name=text_file", "--set", "data.path=corpus.txt", "--set", "model.block_size=16")
    assert trained.returncode == 0, trained.stderr
    assert run_cli("sample", "run", "--prompt", "The ", "--tokens", "5").returncode == 0
    corpus.write_text(corpus.read_text(encoding="utf-8").replace("!", "~"), encoding="utf-8")  # as many characters
    for command in (("sample", "run", "--prompt", "The ", "--tokens", "5"), ("resume", "run", "--steps", "1"),
                    ("export", "run", "--out", "hf"), ("export", "run", "--format", "script", "--out", "s.py")):
        refused = run_cli(*command)
        assert refused.returncode != 0 and "corpus.txt has changed since this run trained" in refused.stderr, (
            command, refused.stderr)
    assert not (tmp_path / "hf").exists() and not (tmp_path / "s.py").exists()


def test_every_dataset_kind_fingerprints_its_ids_alike_from_its_plan_and_its_tensors(tmp_path: Path):
    """The export reads the fingerprint from the data's plan, the session from the dataset it trains on: the two
    must agree, or every export would be refused."""
    from playground.core.presets import load_preset
    from playground.data import load
    from playground.data.registry import plan

    (tmp_path / "mine.txt").write_text("some text of my own, " * 50, encoding="utf-8")
    cases = [load_preset("encoder-reverse"), load_preset("vit-digits"), load_preset("encoder-sentiment"),
             load_preset("decoder-pydoc").updated({"data.name": "text_file", "data.path": str(tmp_path / "mine.txt")})]
    prints = set()
    for spec in cases:
        dataset = load(spec.data, spec.model, spec.train.seed)
        assert plan(spec.data, spec.model).fingerprint() == dataset.fingerprint()
        prints.add(dataset.fingerprint())
    assert len(prints) == len(cases)
    # A built-in dataset has no file to put back (review): the message says what changed instead
    from playground.training.checkpoint_state import CheckpointError, check_same_data

    with pytest.raises(CheckpointError, match="the dataset 'digits' reads differently here than where this run "
                                              "trained .* use the versions it trained with, or train a new run"):
        check_same_data(cases[1], {"data_fingerprint": "another"}, cases[1].data.name)
    check_same_data(cases[1], {}, "any")  # a checkpoint from before fingerprints: not checked


def test_images_much_larger_than_the_model_reads_them_say_so(tmp_path: Path):
    """QA: a folder of 32-pixel images trained at the digits preset's 8 pixels, without a word."""
    root = tmp_path / "big"
    rng = np.random.default_rng(0)
    for name in ("cats", "dogs"):
        (root / name).mkdir(parents=True)
        for i in range(100):
            Image.fromarray(rng.integers(0, 255, (32, 40), dtype=np.uint8), "L").save(root / name / f"{i}.png")
    small = describe(folder_spec(root), ModelSpec(family="vit", image_size=8, patch_size=2))
    assert small.warnings == ("the images (about 32 pixels a side) are shrunk to 8 x 8: a larger Image size "
                              "(model.image_size) keeps more of what sets them apart",)
    assert describe(folder_spec(root), ModelSpec(family="vit", image_size=16, patch_size=4)).warnings == ()
