"""Where does "it" look? The lecture's head view for one word, before and after fine-tuning.

    view = pronoun_attention(session, "The animal didn't cross the street because it was too tired.")
    view.weights            # (L, H, T): every head's attention from the token "it" to every token
    view.labels             # the word pieces: ['[CLS]', 'the', 'animal', 'didn', "'", 't', ...]
    view.to_word("animal")  # (L, H): weight on "animal" (summed over its pieces)
    view.mean_to("animal")  # one number: averaged over every layer and head

For "before vs after", pass the model as it was before training (`model=` a copy of its weights):
the sentence, the tokens and the positions are the same, only the weights differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

    from playground.training.session import TrainingSession

LECTURE_SENTENCES = (
    "The animal didn't cross the street because it was too tired.",
    "The animal didn't cross the street because it was too wide.",
)


@dataclass(frozen=True)
class PronounAttention:
    sentence: str
    labels: tuple[str, ...]  # one per position (word pieces, [CLS], [SEP])
    query: int  # position of the word whose attention this is ("it")
    weights: np.ndarray  # (L, H, T): weights[l, h, j] = attention of head h in layer l from `query` to j

    def positions(self, word: str) -> list[int]:
        """Positions of a word: its word pieces ('animal' -> [2]; 'giraffe' -> the 'gi', '##raf', '##fe' run)."""
        return _word_positions(self.labels, word)

    def to_word(self, word: str) -> np.ndarray:
        """(L, H): every head's weight from the query onto `word`, summed over its pieces."""
        where = self.positions(word)
        if not where:
            raise ValueError(f"'{word}' is not in {' '.join(self.labels)}")
        return self.weights[:, :, where].sum(-1)

    def mean_to(self, word: str) -> float:
        """The weight on `word` averaged over every layer and head (the lecture's 'averaged heads')."""
        return float(self.to_word(word).mean())


def pronoun_attention(session: TrainingSession, sentence: str, word: str = "it",
                      model: torch.nn.Module | None = None) -> PronounAttention:
    """Every head's attention from `word` (the first time it occurs) to every token of `sentence`.

    model: another model on the same dataset (e.g. the weights before fine-tuning); default session.model.
    """
    import torch

    batch = session.dataset.example(sentence).to(session.placement.device)
    labels = tuple(session.dataset.token_labels(batch.x[0].cpu()))
    where = _word_positions(labels, word)
    if not where:
        raise ValueError(f"'{word}' is not a token of this sentence ({' '.join(labels)}): type a sentence with it")
    net = model if model is not None else session.model
    was_training = net.training
    net.eval()
    with torch.no_grad():
        out = net(batch.x, batch.mask, output_attentions=True)
    net.train(was_training)
    weights = torch.stack([a[0, :, where[0], :] for a in out.attentions]).float().cpu().numpy()  # (L, H, T)
    return PronounAttention(sentence, labels, where[0], weights)


def _word_positions(labels: tuple[str, ...] | list[str], word: str) -> list[int]:
    """The first run of positions whose pieces spell `word` (case-insensitive; '##' continuations joined)."""
    target = word.lower()
    for start, label in enumerate(labels):
        if label.startswith("##"):
            continue
        spelled, end = label.lower(), start + 1
        while end < len(labels) and labels[end].startswith("##") and len(spelled) < len(target):
            spelled += labels[end][2:].lower()
            end += 1
        if spelled == target:
            return list(range(start, end))
    return []
