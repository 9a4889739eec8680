"""Lessons (issue 25): a preset may carry a guided tour of the window, one step per slide.

A step says what the class should look at (a tab, an Inside attention view, an input to probe, a layer and head),
which controls to hide, lock or highlight so that only the idea at hand is in view, which ablations to set, and how
far the model should have trained. Pure pydantic, no Qt: the window plays it (playground/ui/lesson_bar.py).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from playground.core.files import elide
from playground.core.messages import one_line_of

# The centre's tabs and the Inside attention tab's views, by the names a lesson uses, with the titles they show.
TABS: dict[str, str] = {
    "attention": "Attention", "samples": "Samples", "inside": "Inside attention", "architecture": "Architecture",
    "try_it": "Try it", "confusion": "Confusion", "runs": "Runs",
}
VIEWS: dict[str, str] = {
    "steps": "Step by step", "head_view": "Head view", "roles": "Head roles", "vit": "ViT: CLS attention",
    "embeddings": "Embeddings",
}
# Step by step's stages a lesson can scroll to, by the names its figure's heatmaps have (the figure shows v and the
# weights twice: a stage names the first).
Stage = Literal["q", "k", "v", "scores", "scaled", "mask", "masked", "weights", "output", "concat", "projected"]
STAGES: tuple[str, ...] = get_args(Stage)
# The settings panel's groups, by name and title, and its controls, by the dotted setting each one sets.
GROUPS: dict[str, str] = {
    "model": "Model", "ablations": "Ablations", "data": "Data", "training": "Training", "estimates": "Estimates",
}
SETTING_CONTROLS: tuple[str, ...] = (
    "model.family", "model.n_embd", "model.n_head", "model.n_layer", "model.d_ff", "model.dropout",
    "model.freeze_layers", "model.norm", "model.pos_encoding", "model.residual", "model.causal", "model.scale_scores",
    "data.name", "model.block_size", "model.image_size", "model.patch_size",
    "train.lr", "train.batch_size", "train.max_steps", "train.warmup_steps",
)
CONTROLS: tuple[str, ...] = (*GROUPS, *SETTING_CONTROLS)
# The ablations a step may set, with the values each takes (as ModelSpec's fields; a test keeps them equal).
ABLATION_VALUES: dict[str, tuple[Any, ...]] = {
    "model.residual": (True, False), "model.causal": (True, False), "model.scale_scores": (True, False),
    "model.norm": ("pre", "post", "none"), "model.pos_encoding": ("learned", "sinusoidal", "none"),
}
MAX_STEPS = 40
MAX_TEXT = 2000  # characters of a step's text: a few lines on a slide, with its HTML tags
MAX_PROBLEM = 200  # characters of one problem in a message, leaving room for the file's name


def _known_control(name: str) -> str:
    if name not in CONTROLS:
        raise ValueError(f"there is no control named '{elide(name, 40)}': name a setting as presets do "
                         f"(model.n_embd, train.lr, …) or a group ({', '.join(GROUPS)})")
    return name


Control = Annotated[str, AfterValidator(_known_control)]


class _Lesson(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LessonStep(_Lesson):
    """One slide of a lesson; every field but the text is optional (left out: the window stays as it is)."""

    text: str = Field(min_length=1, max_length=MAX_TEXT, description="a few lines; Qt rich text (<b>, <i>, <br>)")
    tab: Literal["attention", "samples", "inside", "architecture", "try_it", "confusion", "runs"] | None = None
    view: Literal["steps", "head_view", "roles", "vit", "embeddings"] | None = None
    stage: Stage | None = Field(None, description="the Step by step stage scrolled into view")
    probe: str | None = Field(None, max_length=500, description="the input to show; empty: the dataset's probe")
    layer: int | None = Field(None, ge=1, le=48, description="the layer to show, counted from 1 as in the window")
    head: int | None = Field(None, ge=1, le=64, description="the head to show, counted from 1")
    train_until: int | None = Field(None, ge=1, le=1_000_000, description="train until the model is at this step")
    sort: Literal["entropy", "distance", "previous", "next", "first", "self"] | None = Field(
        None, description="the head roles table sorted by this measure, the most first (entropy: the most focused)")
    settings: dict[str, Any] = Field(default_factory=dict, description="ablations set when the step shows")
    hidden: tuple[Control, ...] = ()
    locked: tuple[Control, ...] = ()
    highlighted: tuple[Control, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> LessonStep:
        if self.view is not None and self.tab not in (None, "inside"):
            raise ValueError(f"the view '{self.view}' is in the Inside attention tab, not in '{self.tab}': set tab "
                             f"to 'inside' or leave it out")
        if self.stage is not None and self.view != "steps":
            raise ValueError(f"the stage '{self.stage}' is in the Step by step view: set view to 'steps'")
        if self.sort is not None and self.view != "roles":
            raise ValueError("sort orders the head roles table: set view to 'roles' (or leave sort out)")
        for key, value in self.settings.items():
            allowed = ABLATION_VALUES.get(key)
            if allowed is None:
                raise ValueError(f"a step sets ablations only, not '{elide(key, 40)}': use one of "
                                 f"{', '.join(ABLATION_VALUES)}")
            if value not in allowed or type(value) is not type(allowed[0]):
                raise ValueError(f"{key} cannot be {elide(repr(value), 40)}: use "
                                 f"{' or '.join(json.dumps(v) for v in allowed)}")
        return self

    @property
    def shown_tab(self) -> str | None:
        """The tab the step shows: its own, or Inside attention for a view."""
        return self.tab or ("inside" if self.view else None)


class Lesson(_Lesson):
    """An ordered list of steps with a title; stored as a preset's `lesson`."""

    title: str = Field(min_length=1, max_length=120)
    steps: tuple[LessonStep, ...] = Field(max_length=MAX_STEPS)

    @model_validator(mode="after")
    def _check(self) -> Lesson:
        # Here rather than as the field's min_length, which pydantic also reports when a step is only mistyped.
        if not self.steps:
            raise ValueError("it needs at least one step: add one, or remove 'lesson' from the preset")
        return self

    def to_dict(self) -> dict[str, Any]:
        """As a preset stores it: each step with only the fields it sets."""
        return self.model_dump(mode="json", exclude_defaults=True)

    def trained_by(self, index: int) -> bool:
        """Whether a step up to `index` (0-based) trains: the steps before the first that does show a model at step
        0, and their texts say so ("[CLS] attention at step 0", "the weights are no longer uniform" after it)."""
        return any(step.train_until is not None for step in self.steps[:index + 1])

    def settings_at(self, index: int, base: dict[str, Any]) -> dict[str, Any]:
        """The ablations as they stand at step `index` (0-based): each set by the latest step up to it that sets it,
        else as in `base` (the preset's own values), so going back undoes a later step's ablation."""
        keys = {key for step in self.steps for key in step.settings}
        values = {key: base[key] for key in keys}
        for step in self.steps[:index + 1]:
            values.update(step.settings)
        return values

    def head_at(self, index: int) -> tuple[int | None, int | None]:
        """(layer, head), counted from 1, as they stand at step `index` (0-based): each set by the latest step up to
        it that sets it, else None (the window's own), so Back shows a step as Next showed it (QA: lesson 19.2's
        steps 5-6 showed layer 2 once step 7 had chosen it)."""
        layer = head = None
        for step in self.steps[:index + 1]:
            layer = step.layer if step.layer is not None else layer
            head = step.head if step.head is not None else head
        return layer, head


def parse_lesson(value: Any) -> Lesson | None:
    """A preset's `lesson` as a Lesson (None stays None); a ValueError naming the step and the fix otherwise."""
    if value is None or isinstance(value, Lesson):
        return value
    try:
        return Lesson.model_validate(value)
    except ValidationError as err:
        # each named, as far as a line holds them (QA: "(and 1 more problem(s))" hid the second)
        raise ValueError(one_line_of([_problem(item) for item in err.errors()])) from None


def _problem(item: Any) -> str:
    """One pydantic problem of a lesson in the teacher's words: where (step number, field) and the fix."""
    loc = list(item["loc"])
    where = "lesson"
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
        where = f"lesson step {loc[1] + 1}"
        loc = loc[2:]
    field = ".".join(str(p) if str(p).isprintable() else repr(str(p)) for p in loc)
    kind, msg = item["type"], item["msg"]
    if kind == "value_error":
        text = msg.removeprefix("Value error, ")
    elif kind == "extra_forbidden":
        text = (f"unknown field '{field}': a step has {', '.join(LessonStep.model_fields)}" if where != "lesson"
                else f"unknown field '{field}': a lesson has a title and steps")
    elif kind == "missing":
        text = f"'{field}' is missing: add it"
    elif kind in ("model_type", "dict_type"):
        text = f"{field or 'it'} must be an object {{...}}, got {elide(repr(item.get('input')), 40)}"
    else:
        text = f"{field}: {msg[0].lower()}{msg[1:]}, got {elide(repr(item.get('input')), 40)}"
    return elide(f"{where}: {text}", MAX_PROBLEM)
