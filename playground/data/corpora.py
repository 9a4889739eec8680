"""Built-in text that ships with Python itself, and the generated sentiment sentences. Torch-free."""

from __future__ import annotations

import codecs
import contextlib
import functools
import importlib
import io
import itertools
import random


@functools.cache
def pydoc_text() -> str:
    """Python's own help topics (~465k characters): what `help('if')` shows."""
    from pydoc_data.topics import topics

    return "\n\n".join(topics[key].strip("\n") for key in sorted(topics))


@functools.cache
def zen_text() -> str:
    """The Zen of Python; the `this` module prints it on first import, so silence that."""
    with contextlib.redirect_stdout(io.StringIO()):
        this = importlib.import_module("this")
    return codecs.decode(this.s, "rot13") + "\n"


_SUBJECTS = ("the film", "the movie", "the story", "the acting", "the ending", "the music", "the plot", "the dialogue")
_GOOD = ("great", "good", "wonderful", "fun", "brilliant", "moving", "beautiful", "clever")
_BAD = ("bad", "boring", "awful", "dull", "terrible", "silly", "weak", "slow")
_INTENSIFIERS = ("", "very ", "really ", "quite ")
_LIKE = (("liked", "like", 1), ("loved", "love", 1), ("enjoyed", "enjoy", 1), ("hated", "hate", 0), ("disliked", "dislike", 0))
SENTIMENT_CLASSES = ("negative", "positive")


@functools.cache
def sentiment_examples() -> tuple[tuple[str, int], ...]:
    """Templated review sentences with their label (1 = positive).

    Negation ("was not great") and contrast ("... but the ending was dull", where the last clause
    decides) make the classifier look at more than one word, which shows in its attention.
    """
    adjectives = [(a, 1) for a in _GOOD] + [(a, 0) for a in _BAD]
    out: list[tuple[str, int]] = []
    for subject, (adj, good), intens in itertools.product(_SUBJECTS, adjectives, _INTENSIFIERS):
        out.append((f"{subject} was {intens}{adj}", good))
        out.append((f"{subject} was not {intens}{adj}", 1 - good))
    for subject, (past, present, good) in itertools.product(_SUBJECTS, _LIKE):
        out.append((f"i {past} {subject}", good))
        out.append((f"i did not {present} {subject}", 1 - good))
    # Every contrast pair would be 16k sentences; a fixed sample keeps the set small and stable.
    rng = random.Random(0)
    for _ in range(1000):
        s1, s2 = rng.sample(_SUBJECTS, 2)
        a2, g2 = rng.choice(adjectives)
        a1 = rng.choice(_BAD if g2 else _GOOD)  # the clauses disagree, so only the last one decides
        out.append((f"{s1} was {a1} but {s2} was {a2}", g2))
    return tuple(dict.fromkeys(out))  # drop duplicate samples, keep order
