"""The data part of an exported training script: the run's dataset, regenerated, read or embedded.

Each kind reproduces playground/data exactly, random draws included: procedural tasks and generated shapes from
the same generators and derived seeds, Python's help pages from the same stdlib module, a text file from its path,
and small data (sentences, digits, an image folder's pixels) written into the script. A dataset that needs more
than torch and numpy (a pretrained model's tokenizer) is refused by script.py before this runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from playground.core.spec import RunSpec
from playground.data import images as image_data
from playground.data.registry import (
    PROCEDURAL_VAL_SIZE,
    SPLIT_PURPOSE,
    VAL_PURPOSE,
    Plan,
    classify_source,
    corpus_text,
)
from playground.data.text import MASK_RATE
from playground.data.vocab import CLS, MASK, PAD, SEP, UNK

MAX_EMBEDDED_CHARS = 8_000_000  # data written into the script beyond this makes an editor crawl: refused instead


class ScriptDataError(ValueError):
    """Data the script cannot carry; `str()` says why and what to do."""


@dataclass
class DataSource:
    code: str  # the data classes and functions, after the model
    build: str  # the expression that makes the dataset object in main(), e.g. "ReverseTask(SEED)"
    padded: bool  # batches carry a padding mask (batch() returns x, y, mask)
    embedded: str = ""  # constants written at the end of the script
    imports: set[str] = field(default_factory=set)  # "numpy", "re"
    note: str = ""  # one line for the docstring: where the data comes from


DERIVED_SEED = '''
def derived_seed(seed: int, purpose: int) -> int:
    """The playground's independent seed per purpose (0 the split, 1 the validation set, 2 generated data)."""
    return int(np.random.SeedSequence([seed, purpose]).generate_state(1, np.uint64)[0] >> 1)
'''

INDEXED_BATCH = '''
    def batch(self, split: str, batch_size: int, generator: torch.Generator) -> tuple[torch.Tensor, ...]:
        """A random draw of rows from one split; the same generator state gives the same batch."""
        rows = self.rows[split]
        return self.take(rows[torch.randint(len(rows), (batch_size,), generator=generator)])

    def take(self, rows: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return {fields}
'''

SPLIT = '''
def split_rows(labels: torch.Tensor, n_val: int, seed: int) -> dict[str, torch.Tensor]:
    """Shuffled training and validation rows: one row of every class of two rows or more first, then each class in
    proportion to its share; the same seed gives the playground's split."""
    labels = labels.numpy()
    rng = np.random.default_rng(derived_seed(seed, SPLIT_PURPOSE))
    order = rng.permutation(len(labels))
    shuffled = labels[order]
    place = np.empty(len(labels))  # each row's place within its class, as a share of the class
    for label in np.unique(shuffled):
        where = np.flatnonzero(shuffled == label)
        place[where] = (np.arange(len(where)) + 0.5) / len(where)
        if len(where) > 1:
            place[where[0]] = -1.0  # (a class's first row before all: a small class is validated too)
    val = order[np.lexsort((rng.random(len(labels)), place))][:n_val]
    return {"train": torch.from_numpy(order[~np.isin(order, val)]), "val": torch.from_numpy(val)}
'''


def data_source(spec: RunSpec, plan: Plan, padded: bool) -> DataSource:
    kind = plan.entry.kind
    if kind == "procedural":
        return _procedural(spec, plan, padded)
    if kind == "text":
        return _text(spec, plan)
    if kind == "classify":
        return _classify(spec, plan)
    return _images(spec, plan)


def _batch_fields(padded: bool) -> str:
    return "x, y, mask" if padded else "x, y"


# ----- procedural tasks ---------------------------------------------------------------------------------
ANSWERS = {
    "copy": ("prompts.clone()", "copy: the answer repeats the prompt"),
    "reverse": ("prompts.flip(1)", "reverse: the answer is the prompt backwards"),
    "sort": ("prompts.sort(1).values", "sort: the answer is the prompt in ascending order"),
    "shift": ("prompts.roll(-1, 1)", "shift: the answer is the prompt rotated left by one"),
}


def _procedural(spec: RunSpec, plan: Plan, padded: bool) -> DataSource:
    assert plan.vocab is not None
    task = plan.entry.key
    answer, what = ANSWERS[task]
    length, n_symbols = int(plan.options["length"]), int(plan.options["n_symbols"])
    decoder = spec.model.family == "decoder"
    mask = ("\n    mask = (torch.arange(BLOCK_SIZE) < {used}).expand(n, -1).clone()  # real tokens; the rest is "
            "padding").format(used="2 * L + 1" if decoder else "L") if padded else ""
    if decoder:
        body = '''
    """Prompts (n, L) -> rows "prompt [SEP] answer" padded to the context, and targets: only the answer is scored."""
    n, L = prompts.shape
    x = torch.full((n, BLOCK_SIZE), PAD)
    y = torch.full_like(x, IGNORE)
    x[:, :L] = prompts
    x[:, L] = SEP
    x[:, L + 1 : 2 * L + 1] = answer(prompts)
    y[:, L : 2 * L] = answer(prompts)  # position t predicts token t + 1: from [SEP] on, the answer'''
    else:
        body = '''
    """Prompts (n, L) -> rows padded to the context, each position tagged with the answer's symbol there."""
    n, L = prompts.shape
    x = torch.full((n, BLOCK_SIZE), PAD)
    y = torch.full_like(x, IGNORE)
    x[:, :L] = prompts
    y[:, :L] = answer(prompts)'''
    title = plan.entry.title
    code = f'''
# Token ids: [PAD] {plan.vocab.id(PAD)}, [SEP] {plan.vocab.id(SEP)}, then the symbols {
        "".join(plan.vocab.tokens[len(plan.vocab.specials):])!r} from {len(plan.vocab.specials)} on.
PAD, SEP, FIRST_SYMBOL = {plan.vocab.id(PAD)}, {plan.vocab.id(SEP)}, {len(plan.vocab.specials)}
LENGTH = {length}  # symbols per sequence
N_SYMBOLS = {n_symbols}
VAL_SIZE = {PROCEDURAL_VAL_SIZE}  # a fixed validation set; training draws fresh sequences at every step
VAL_PURPOSE = {VAL_PURPOSE}

{DERIVED_SEED}

def answer(prompts: torch.Tensor) -> torch.Tensor:
    """The task, {what}: (n, L) -> (n, L)."""
    return {answer}


def random_prompts(n: int, generator: torch.Generator) -> torch.Tensor:
    return torch.randint(N_SYMBOLS, (n, LENGTH), generator=generator) + FIRST_SYMBOL  # (n, L) symbol ids


def layout(prompts: torch.Tensor) -> tuple[torch.Tensor, ...]:{body}{mask}
    return {_batch_fields(padded)}


class {title}Task:
    """Fresh random sequences for training, a fixed set of {PROCEDURAL_VAL_SIZE} for validation."""

    def __init__(self, seed: int) -> None:
        self.val = layout(random_prompts(VAL_SIZE, torch.Generator().manual_seed(derived_seed(seed, VAL_PURPOSE))))

    def batch(self, split: str, batch_size: int, generator: torch.Generator) -> tuple[torch.Tensor, ...]:
        if split == "train":
            return layout(random_prompts(batch_size, generator))
        rows = torch.randint(VAL_SIZE, (batch_size,), generator=generator)
        return tuple(t[rows] for t in self.val)
'''
    return DataSource(code, f"{title}Task(SEED)", padded, imports={"numpy"},
                      note=f"{title}: generated afresh by the playground's generator ({what})")


# ----- running text ---------------------------------------------------------------------------------------
def _text(spec: RunSpec, plan: Plan) -> DataSource:
    assert plan.vocab is not None
    key = plan.entry.key
    masked = plan.info.task == "mlm"
    chars = "".join(plan.vocab.tokens[len(plan.vocab.specials):])
    embedded = ""
    if key == "pydoc":
        load = '''
def load_text() -> str:
    """Python's own help pages (what `help('if')` shows), joined as the playground joins them."""
    from pydoc_data.topics import topics

    return "\\n\\n".join(topics[key].strip("\\n") for key in sorted(topics))
'''
        note = "Python's help pages, read from this Python's pydoc_data (another Python version's differ a little)"
    elif key == "zen":
        text = corpus_text(plan.entry, spec.data)
        load = '''
def load_text() -> str:
    return ZEN
'''
        lines = "\n".join(f"    {line!r}" for line in text.splitlines(keepends=True))
        embedded = f"# The Zen of Python (`import this`)\nZEN = (\n{lines}\n)\n"
        note = "The Zen of Python, written at the end of this file"
    else:
        load = f'''
TEXT_FILE = {spec.data.path!r}  # the run's text file; --data PATH reads another


def load_text(path: str = TEXT_FILE) -> str:
    """The text file as the playground reads it: UTF-8 (a BOM dropped), every line ending as \\\\n."""
    text = Path(path).expanduser().read_text(encoding="utf-8-sig")
    return text.replace("\\r\\n", "\\n").replace("\\r", "\\n")
'''
        note = f"the text file {spec.data.path}, read from its path"
    specials = "".join(f"{s!r}, " for s in plan.vocab.specials)
    special_ids = (f"\nPAD, MASK = {plan.vocab.id(PAD)}, {plan.vocab.id(MASK)}  # [CLS] is in the vocabulary for "
                   f"BERT's sake but unused\nMASK_RATE = {MASK_RATE}  # the share of characters hidden for the "
                   f"model to fill in" if masked else "")
    if masked:
        window = '''
        x = src[idx]
        # Hide MASK_RATE of the characters (always as [MASK]; at least one per row) and score only those.
        chosen = torch.rand(x.shape, generator=generator) < MASK_RATE
        fallback = torch.randint(x.shape[1], (x.shape[0],), generator=generator)
        chosen[torch.arange(x.shape[0]), fallback] |= ~chosen.any(1)
        return torch.where(chosen, MASK, x), torch.where(chosen, x, IGNORE)'''
        room = "len(src) - BLOCK_SIZE + 1"
    else:
        window = "\n        return src[idx], src[idx + 1]  # each position's target is the next character"
        room = "len(src) - BLOCK_SIZE"
    tokens = f"({specials}*CHARS)" if specials else "tuple(CHARS)"
    which = f"{'the specials, then ' if specials else ''}the characters of the run's text"
    code = f'''
CHARS = {_string_literal(chars)}
TOKENS = {tokens}  # id -> token: {which}{special_ids}
{load}

class Text:
    """Running text, character by character; the last VAL_FRACTION of it is the validation text (not shuffled:
    windows of a shuffled split would overlap it)."""

    def __init__(self, text: str) -> None:
        unknown = sorted(set(text) - set(CHARS))
        if unknown:
            raise SystemExit(f"the text has characters the run never saw ({{''.join(unknown[:20])!r}}): "
                             f"train on text with the run's characters")
        ids = {{token: i for i, token in enumerate(TOKENS)}}
        data = torch.tensor([ids[c] for c in text])
        n_val = max(round(len(data) * VAL_FRACTION), BLOCK_SIZE + 1)
        self.splits = {{"train": data[: len(data) - n_val], "val": data[len(data) - n_val :]}}

    def batch(self, split: str, batch_size: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Random windows of BLOCK_SIZE characters; the same generator state gives the same batch."""
        src = self.splits[split]
        {"" if masked else "# one character more than the window: the last position's target"}
        starts = torch.randint({room}, (batch_size, 1), generator=generator)
        idx = starts + torch.arange(BLOCK_SIZE)  # (B, T) positions in the text{window}

    def decode(self, ids: list[int]) -> str:
        return "".join(TOKENS[i] for i in ids)
'''
    build = "Text(load_text(args.data))" if key == "text_file" else "Text(load_text())"
    return DataSource(code, build, False, embedded, note=note)


# ----- sentence classification ------------------------------------------------------------------------------
def _classify(spec: RunSpec, plan: Plan) -> DataSource:
    assert plan.vocab is not None
    source = classify_source(plan.entry, plan.options, spec.data)
    words = plan.vocab.tokens[len(plan.vocab.specials):]
    lines = "\n".join(f"    ({text!r}, {label})," for text, label in zip(source.texts, source.labels))
    word_lines = _wrapped(" ".join(words))
    embedded = (f"# The run's {len(source.texts)} sentences and their labels "
                f"({', '.join(f'{i} = {n}' for i, n in enumerate(source.class_names))}).\n"
                f"EXAMPLES = [\n{lines}\n]\n\n# The vocabulary after the specials, in id order.\n"
                f'WORDS = """\n{word_lines}\n""".split()\n')
    _check_size(embedded, f"{len(source.texts)} sentences")
    if source.held_out:
        split = f'''
VAL_HELD_OUT = {source.held_out}  # the last sentences validate: their nouns and adjectives never occur in training


def split_rows(labels: torch.Tensor, n_val: int, seed: int) -> dict[str, torch.Tensor]:
    n = len(labels)
    return {{"train": torch.arange(n - n_val), "val": torch.arange(n - n_val, n)}}
'''
        n_val = "VAL_HELD_OUT"
    else:
        split = f"SPLIT_PURPOSE = {SPLIT_PURPOSE}\n\n{DERIVED_SEED}\n{SPLIT}"
        n_val = "max(round(len(EXAMPLES) * VAL_FRACTION), 1)"
    specials = ", ".join(repr(s) for s in plan.vocab.specials)
    code = f'''
CLASSES = {tuple(source.class_names)!r}
SPECIALS = ({specials},)
PAD, CLS, UNK = {plan.vocab.id(PAD)}, {plan.vocab.id(CLS)}, {plan.vocab.id(UNK)}
# Words are runs of letters, digits and apostrophes, or single punctuation marks (a special token stays whole).
WORD = re.compile("|".join(re.escape(s) for s in SPECIALS) + r"|[\\w']+|[^\\w\\s]")
{split}

def encode(text: str, ids: dict[str, int]) -> list[int]:
    """"[CLS] w1 w2 ...": lower-case words, unknown ones as [UNK], cut to the context."""
    words = [w if w in SPECIALS else w.lower() for w in WORD.findall(text)]
    return [CLS] + [ids.get(w, UNK) for w in words][: BLOCK_SIZE - 1]


class Sentences:
    """One sentence a row, "[CLS] words [PAD] ..."; the model classifies from [CLS]."""

    def __init__(self, seed: int) -> None:
        ids = {{token: i for i, token in enumerate((*SPECIALS, *WORDS))}}
        self.x = torch.full((len(EXAMPLES), BLOCK_SIZE), PAD)
        for row, (text, _) in enumerate(EXAMPLES):
            tokens = encode(text, ids)
            self.x[row, : len(tokens)] = torch.tensor(tokens)
        self.y = torch.tensor([label for _, label in EXAMPLES])
        self.mask = self.x != PAD  # (N, T) True for real tokens
        self.rows = split_rows(self.y, {n_val}, seed)
{INDEXED_BATCH.format(fields="self.x[rows], self.y[rows], self.mask[rows]")}'''
    return DataSource(code, "Sentences(SEED)", True, embedded, {"numpy", "re"} if not source.held_out else {"re"},
                      note=f"{plan.entry.title}: {len(source.texts)} sentences, written at the end of this file")


def _string_literal(text: str, width: int = 100) -> str:
    """`text` as a Python string literal, in parenthesised pieces when it is long."""
    if len(repr(text)) <= width:
        return repr(text)
    pieces = "\n".join(f"    {text[i:i + width // 2]!r}" for i in range(0, len(text), width // 2))
    return f"(\n{pieces}\n)"


def _wrapped(text: str, width: int = 110) -> str:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return "\n".join([*lines, line] if line else lines)


def _check_size(embedded: str, what: str) -> None:
    if len(embedded) > MAX_EMBEDDED_CHARS:
        raise ScriptDataError(f"the run's data ({what}, {len(embedded) / 1e6:.0f} MB as text) is too large to write "
                              f"into a script (the limit is {MAX_EMBEDDED_CHARS / 1e6:.0f} MB): train on less data "
                              f"to export it")


# ----- images ------------------------------------------------------------------------------------------
SHAPES = '''
SHAPE_SIZE = 16
GENERATE_PURPOSE = 2


def shapes(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """n noisy 16x16 circles, squares, triangles and crosses, balanced over the classes, as the playground draws."""
    rng = np.random.default_rng(derived_seed(seed, GENERATE_PURPOSE))
    labels = np.arange(n) % len(CLASSES)
    radius = rng.uniform(3.0, 6.5, (n, 1, 1))
    cx, cy = (rng.uniform(radius, SHAPE_SIZE - 1 - radius) for _ in range(2))
    yy, xx = np.mgrid[0:SHAPE_SIZE, 0:SHAPE_SIZE].astype(np.float64)
    dx, dy = np.abs(xx - cx), np.abs(yy - cy)
    top = cy - radius
    drawn = np.stack([
        dx**2 + dy**2 <= radius**2,  # circle
        (dx <= radius * 0.8) & (dy <= radius * 0.8),  # square
        (dy <= radius) & (dx <= (yy - top) / 2),  # triangle, apex up
        ((dx <= radius / 3) & (dy <= radius)) | ((dy <= radius / 3) & (dx <= radius)),  # cross
    ])[labels, np.arange(n)]
    brightness = rng.uniform(0.6, 1.0, (n, 1, 1))
    pixels = np.clip(drawn * brightness + rng.normal(0.0, 0.1, drawn.shape), 0.0, 1.0)
    return torch.tensor(pixels, dtype=torch.float32)[:, None], torch.tensor(labels)
'''

PIXELS = '''
def embedded_images() -> tuple[torch.Tensor, torch.Tensor]:
    """PIXELS: one image a line, two hex digits a pixel value -> (N, ch, S, S) in [0, 1]."""
    rows = [bytes.fromhex(line) for line in PIXELS.split()]
    pixels = torch.tensor(np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(len(rows), *IMAGE_SHAPE)){permute}
    return pixels.float() / LEVELS, torch.tensor(LABELS)
'''


def _images(spec: RunSpec, plan: Plan) -> DataSource:
    key = plan.entry.key
    embedded = ""
    if key == "shapes":
        n = int(plan.options["n_images"])
        load, make = SHAPES, f"shapes({n}, seed)"
        note = f"{n} shapes generated by the playground's generator"
    else:
        permute = ""
        if key == "digits":
            pixels, labels = image_data.digits()
            levels = 16  # scikit-learn's digits are 0..16
            what = "scikit-learn's handwritten digits"
        else:
            pixels, labels = image_data.folder(spec.data.path or "", spec.model, int(plan.options["channels"]))
            pixels = pixels.permute(0, 2, 3, 1)  # back to the file's (N, S, S, ch), which the playground permutes
            permute = "\n    pixels = pixels.permute(0, 3, 1, 2)  # (N, S, S, ch) -> (N, ch, S, S)"
            levels = 255
            what = f"the images of {spec.data.path}"
        values = (pixels * levels).round().to(torch.uint8).numpy()
        hex_rows = "\n".join(row.tobytes().hex() for row in values.reshape(len(values), -1))
        labels_text = _wrapped(" ".join(str(int(v)) for v in labels))
        embedded = (f"# {what}: {len(values)} images of shape {tuple(values.shape[1:])}, pixel value = "
                    f"hex / {levels}.\nIMAGE_SHAPE = {tuple(values.shape[1:])}\nLEVELS = {levels}\n"
                    f'LABELS = [int(v) for v in """\n{labels_text}\n""".split()]\nPIXELS = """\n{hex_rows}\n"""\n')
        _check_size(embedded, f"{len(values)} images")
        load, make = PIXELS.format(permute=permute), "embedded_images()"
        note = f"{what}, written at the end of this file"
    code = f'''
CLASSES = {tuple(plan.info.class_names)!r}
SPLIT_PURPOSE = {SPLIT_PURPOSE}

{DERIVED_SEED}
{SPLIT}
{load}

class Images:
    """Images at the model's size, normalised per channel with the training images' mean and standard deviation."""

    def __init__(self, seed: int) -> None:
        images, self.y = {make}
        if images.shape[-1] != IMAGE_SIZE:
            images = F.interpolate(images, size=(IMAGE_SIZE, IMAGE_SIZE), mode="bilinear", antialias=True,
                                   align_corners=False)
        self.rows = split_rows(self.y, max(round(len(images) * VAL_FRACTION), 1), seed)
        train = images[self.rows["train"]]
        mean = train.mean(dim=(0, 2, 3), keepdim=True)
        std = train.std(dim=(0, 2, 3), keepdim=True).clamp_min(1e-6)
        self.x = ((images - mean) / std).float()  # (N, ch, S, S)
{INDEXED_BATCH.format(fields="self.x[rows], self.y[rows]")}'''
    return DataSource(code, "Images(SEED)", False, embedded, {"numpy"}, note=note)
