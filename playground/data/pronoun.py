"""The lecture's pronoun puzzle as a generated task. Torch-free.

    "The animal didn't cross the street because it was too tired."   -> "it" is the first noun
    "The animal didn't cross the street because it was too wide."    -> "it" is the second noun

Every sentence names two nouns of different kinds (an animal, and a place or a load) and ends with
"because it was too <adjective>"; the adjective fits only one kind, so it decides what "it" means.
Half the templates name the animal first, half second (passives). Two labelings (the dataset option
`labels`):
    position (default)  0 = "it" is the first noun, 1 = the second. Neither the adjective nor the word
                        order alone gives the answer: the model must combine them.
    kind                0 = "it" is the animal, 1 = the place or thing: the adjective alone decides.

Validation sentences use held-out nouns and adjectives that never appear in training: a model can
only get them right by knowing what the words mean (a pretrained model does; one trained from
scratch sees them as untrained embeddings). The held-out words are common ones the pretrained tokenizer
keeps whole (HELD_OUT).
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass

# What a label names: which noun "it" is by its place in the sentence, or by its kind.
LABELINGS = {"position": ("first noun", "second noun"), "kind": ("the animal", "the place or thing")}
PRONOUN_CLASSES = LABELINGS["position"]
N_TRAIN, N_VAL = 4000, 800
LECTURE_PAIR = (
    "The animal didn't cross the street because it was too tired.",
    "The animal didn't cross the street because it was too wide.",
)

# Animals ("it"), and adjectives that only an animal can be.
ANIMALS = (
    "animal", "dog", "cat", "horse", "cow", "sheep", "goat", "fox", "deer", "rabbit", "bear", "wolf",
    "elephant", "donkey", "pig", "chicken", "duck", "mouse", "lion", "tiger", "camel", "turtle", "squirrel",
    "monkey", "puppy", "kitten", "pony", "goose", "lamb", "ox", "mule", "zebra", "giraffe", "bull", "hen",
    "rat", "calf", "buffalo",
)
ANIMAL_STATES = (
    "tired", "exhausted", "sleepy", "scared", "frightened", "afraid", "nervous", "lazy", "weak", "sick",
    "hungry", "timid", "shy", "anxious", "weary", "fearful", "injured", "cautious", "ill", "drowsy",
    "terrified", "wounded", "startled", "feeble",
)
# Places to cross, and adjectives that only a place can be.
PLACES = (
    "street", "road", "river", "bridge", "highway", "field", "stream", "canal", "valley", "track", "path",
    "lane", "avenue", "railway", "square", "meadow", "creek", "ditch", "trail", "motorway", "boulevard",
    "desert", "swamp", "glacier",
)
PLACE_STATES = (
    "wide", "busy", "crowded", "icy", "muddy", "flooded", "steep", "long", "deep", "slippery", "marshy",
    "congested", "rocky", "snowy", "frozen", "broad", "vast", "dusty", "bumpy", "packed", "narrow", "stormy",
)
# Loads to pull, and adjectives that only a load can be.
LOADS = (
    "cart", "wagon", "sled", "trailer", "plough", "carriage", "barrel", "log", "boulder", "crate", "sledge",
    "cannon", "tractor", "piano", "trunk", "chest", "anchor", "wheelbarrow", "caravan", "beam",
)
LOAD_STATES = (
    "heavy", "large", "big", "loaded", "full", "bulky", "massive", "huge", "enormous", "overloaded",
    "weighty", "hefty", "tall", "cumbersome", "oversized",
)
# Held out for validation: common words the pretrained tokenizer keeps whole, about a quarter of each list.
HELD_OUT = frozenset({
    "horse", "fox", "tiger", "goose", "zebra", "rat", "monkey", "wolf", "lamb",
    "scared", "sleepy", "hungry", "lazy", "sick", "nervous",
    "bridge", "lane", "canal", "meadow", "valley", "desert",
    "icy", "crowded", "steep", "narrow", "frozen",
    "log", "trailer", "chest", "cannon", "barrel",
    "heavy", "huge", "large",
})

# (sentence with {a} = the animal, {o} = the other noun, {adj}; which noun comes first)
_CROSS = (
    ("The {a} didn't cross the {o} because it was too {adj}.", "animal"),
    ("The {a} refused to cross the {o} because it was too {adj}.", "animal"),
    ("The {a} would not walk across the {o} because it was too {adj}.", "animal"),
    ("The {o} was not crossed by the {a} because it was too {adj}.", "other"),
    ("The {o} was avoided by the {a} because it was too {adj}.", "other"),
    ("The {o} stopped the {a} because it was too {adj}.", "other"),
)
_PULL = (
    ("The {a} couldn't pull the {o} because it was too {adj}.", "animal"),
    ("The {a} could not move the {o} because it was too {adj}.", "animal"),
    ("The {o} could not be pulled by the {a} because it was too {adj}.", "other"),
    ("The {o} was too much for the {a} because it was too {adj}.", "other"),
)


@dataclass(frozen=True)
class PronounTask:
    train: tuple[tuple[str, int], ...]
    val: tuple[tuple[str, int], ...]
    train_words: frozenset[str]  # the nouns and adjectives that fill the templates
    val_words: frozenset[str]


def split_words(words: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(training words, held-out words) of one list."""
    return tuple(w for w in words if w not in HELD_OUT), tuple(w for w in words if w in HELD_OUT)


def _sentences(side: int, n: int, seed: int, labels: str) -> tuple[tuple[tuple[str, int], ...], frozenset[str]]:
    """n labelled sentences from the training (side 0) or held-out (side 1) words; no duplicates."""
    pick = {name: split_words(words)[side] for name, words in {
        "animals": ANIMALS, "animal_states": ANIMAL_STATES, "places": PLACES, "place_states": PLACE_STATES,
        "loads": LOADS, "load_states": LOAD_STATES,
    }.items()}
    families = (
        (_CROSS, pick["places"], pick["place_states"]),
        (_PULL, pick["loads"], pick["load_states"]),
    )
    rng = random.Random(seed)
    out: dict[str, int] = {}
    while len(out) < n:
        templates, others, other_states = families[rng.random() < 0.4]  # 60 % crossing, like the lecture
        template, first = rng.choice(templates)
        about_animal = rng.random() < 0.5
        adj = rng.choice(pick["animal_states"] if about_animal else other_states)
        text = template.format(a=rng.choice(pick["animals"]), o=rng.choice(others), adj=adj)
        if labels == "kind":
            out.setdefault(text, 0 if about_animal else 1)
        else:  # "it" is the first noun exactly when the adjective describes the noun written first
            out.setdefault(text, 0 if about_animal == (first == "animal") else 1)
    return tuple(out.items()), frozenset(w for words in pick.values() for w in words)


@functools.cache
def pronoun_task(labels: str = "position") -> PronounTask:
    """The fixed training and held-out validation sentences (the same on every machine and for both labelings)."""
    if labels not in LABELINGS:
        raise ValueError(f"labels must be one of {', '.join(LABELINGS)}, got {labels!r}")
    train, train_words = _sentences(0, N_TRAIN, 0, labels)
    val, val_words = _sentences(1, N_VAL, 1, labels)
    return PronounTask(train, val, train_words, val_words)
