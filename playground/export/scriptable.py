"""Whether a run can be exported as a plain PyTorch script, said without PyTorch: the window greys its menu item
with the reason as the menu opens (importing torch there would freeze it, or race the warm-up's import)."""

from __future__ import annotations

from playground.core.spec import RunSpec
from playground.data.wordpiece import PRETRAINED_TITLES


class ScriptExportError(ValueError):
    """A run that cannot be exported as a script; `str()` says why and what to do."""


def check_scriptable(spec: RunSpec) -> None:
    """Refuse a run that a script with only torch and numpy cannot rebuild."""
    if spec.model.pretrained:
        title = PRETRAINED_TITLES.get(spec.model.pretrained, spec.model.pretrained)
        raise ScriptExportError(
            f"this run fine-tunes the pretrained {title}, whose weights and WordPiece tokenizer need "
            f"the transformers library, not only torch: export it as a Hugging Face folder instead "
            f"(File > Export > Model as Hugging Face folder; playground export RUN --out FOLDER)")
