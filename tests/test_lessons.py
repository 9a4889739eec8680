"""Lessons in presets (issue 25): the model round trips as JSON, a bad lesson is refused in one line naming the file,
the step and the fix, and every built-in lesson is one the window can play."""

import json
import typing

import pytest

from playground.core import presets
from playground.core.lessons import ABLATION_VALUES, CONTROLS, Lesson, LessonStep, parse_lesson
from playground.core.spec import ModelSpec, RunSpec

LESSONS = [info for info in presets.builtin_presets() if info.lesson]
STEP = {"text": "<b>Look</b> at the grid", "tab": "attention", "hidden": ["ablations"], "locked": ["model.n_embd"],
        "highlighted": ["model.causal", "training"]}


def with_lesson(lesson: object) -> dict:
    return {**presets.load_preset("decoder-reverse").to_dict(), "lesson": lesson}


def test_a_lesson_round_trips_through_a_preset_file_writing_only_what_each_step_sets(tmp_path):
    lesson = {"title": "Masks", "steps": [STEP, {"text": "Inside", "view": "steps", "probe": "abc", "layer": 2,
                                                  "train_until": 50, "settings": {"model.causal": False}}]}
    spec = presets.spec_from_dict(with_lesson(lesson))
    path = presets.save_preset(spec, tmp_path / "masks.json")
    assert json.loads(path.read_text())["lesson"] == lesson
    again = presets.load_preset(path)
    assert again == spec and again.lesson.steps[1].shown_tab == "inside"
    assert again.updated({"model.n_layer": 3}).lesson == spec.lesson  # a slider keeps the lesson


def test_presets_without_a_lesson_load_and_save_as_before(tmp_path):
    for info in presets.builtin_presets():
        if info.lesson:
            continue
        spec = presets.load_preset(info.path)
        assert spec.lesson is None and "lesson" not in spec.to_dict()
        assert set(json.loads(presets.to_json(spec))) == {"schema_version", "name", "description", "model", "data",
                                                          "train"}


@pytest.mark.parametrize("lesson, expected", [
    ({"title": "T", "steps": [STEP, {**STEP, "tab": "graphs"}]}, "lesson step 2: tab: input should be 'attention'"),
    ({"title": "T", "steps": [{**STEP, "hidden": ["model.colour"]}]},
     "lesson step 1: there is no control named 'model.colour': name a setting as presets do"),
    ({"title": "T", "steps": [{**STEP, "view": "roles"}]},
     "lesson step 1: the view 'roles' is in the Inside attention tab, not in 'attention': set tab to 'inside'"),
    ({"title": "T", "steps": [{**STEP, "stage": "scores"}]},
     "lesson step 1: the stage 'scores' is in the Step by step view: set view to 'steps'"),
    ({"title": "T", "steps": [STEP, STEP, {**STEP, "settings": {"model.residual": "no"}}]},
     "lesson step 3: model.residual cannot be 'no': use true or false"),
    ({"title": "T", "steps": [{**STEP, "settings": {"model.n_embd": 64}}]},
     "lesson step 1: a step sets ablations only, not 'model.n_embd'"),
    ({"title": "T", "steps": [{**STEP, "train_until": 0}]}, "lesson step 1: train_until: input should be greater"),
    ({"title": "T", "steps": [{**STEP, "sort": "distance"}]},
     "lesson step 1: sort orders the head roles table: set view to 'roles'"),
    ({"title": "T", "steps": [{**STEP, "tab": None, "view": "roles", "sort": "height"}]},
     "lesson step 1: sort: input should be 'entropy', 'distance'"),
    ({"title": "T", "steps": [{**STEP, "txet": "typo"}]}, "lesson step 1: unknown field 'txet': a step has text,"),
    ({"title": "T", "steps": []}, "lesson: it needs at least one step: add one, or remove 'lesson'"),
    ({"steps": [STEP]}, "lesson: 'title' is missing: add it"),
    ([STEP], "lesson: it must be an object {...}"),
])
def test_a_bad_lesson_is_refused_in_one_line_naming_the_file_the_step_and_the_fix(tmp_path, lesson, expected):
    path = tmp_path / "my lesson.json"
    path.write_text(json.dumps(with_lesson(lesson)))
    with pytest.raises(presets.PresetError) as err:
        presets.load_preset(path)
    message = str(err.value)
    assert message.startswith(f"my lesson.json: {expected}")
    assert "\n" not in message and len(message) <= 300 and "Error" not in message


def test_a_lessons_second_problem_is_named_not_only_counted():
    """QA: "lesson: title: … (and 1 more problem(s))" hid the second problem."""
    with pytest.raises(ValueError) as err:
        parse_lesson({"steps": [{**STEP, "tab": "graphs"}]})
    assert str(err.value) == ("lesson: 'title' is missing: add it; lesson step 1: tab: input should be 'attention', "
                              "'samples', 'inside', 'architecture', 'try_it', 'confusion' or 'runs', got 'graphs'")


def test_a_huge_or_hostile_lesson_still_gets_a_short_line():
    hostile = {"title": "T", "steps": [{**STEP, "hidden": ["x" * 100_000, "\n" * 3]}] * 100}
    with pytest.raises(ValueError) as err:
        parse_lesson(hostile)
    assert len(str(err.value)) <= 260 and "\n" not in str(err.value)


def test_the_ablations_a_step_sets_take_the_values_of_the_model_settings():
    for key, values in ABLATION_VALUES.items():
        annotation = ModelSpec.model_fields[key.removeprefix("model.")].annotation
        allowed = typing.get_args(annotation) or (True, False)
        assert set(values) == set(allowed) and type(values[0]) is type(allowed[0]), key
    assert set(ABLATION_VALUES) <= set(CONTROLS)


def test_going_back_undoes_a_later_steps_ablation():
    lesson = Lesson(title="T", steps=[LessonStep(text="a"), LessonStep(text="b", settings={"model.residual": False}),
                                      LessonStep(text="c", settings={"model.norm": "none"})])
    base = {"model.residual": True, "model.norm": "post"}
    assert lesson.settings_at(0, base) == base
    assert lesson.settings_at(1, base) == {"model.residual": False, "model.norm": "post"}
    assert lesson.settings_at(2, base) == {"model.residual": False, "model.norm": "none"}


def test_one_builtin_lesson_per_lecture_section_and_each_can_be_played():
    sections = sorted(info.name.split("-")[1] for info in LESSONS)
    assert sections == ["19.2", "19.3", "19.4", "19.5", "19.6", "19.7"]
    for info in LESSONS:
        spec = presets.load_preset(info.path)
        base = {key: getattr(spec.model, key.removeprefix("model.")) for key in ABLATION_VALUES}
        trains = [step.train_until for step in spec.lesson.steps if step.train_until]
        assert trains and max(trains) <= spec.train.max_steps, info.name  # every lesson shows training
        for index in range(len(spec.lesson.steps)):
            assert isinstance(spec.updated(spec.lesson.settings_at(index, base)), RunSpec)  # every step's model


def test_every_presets_menu_entry_a_lesson_names_is_in_that_menu():
    """QA: lesson 19.2 sent the class to Presets > Encoder (BERT-like) > "Ablation: attention scores not divided by
    sqrt(d)", a preset's title; the menu lists presets by the name `playground NAME` opens."""
    import re

    from playground.core.spec import FAMILY_TITLES

    menus = {title: {info.name for info in presets.builtin_presets() if info.family == family and not info.lesson}
             for family, title in FAMILY_TITLES.items()}
    named = [(info.name, match) for info in LESSONS for step in presets.load_preset(info.path).lesson.steps
             for match in re.finditer(r"Presets &gt; (.+?) &gt; (\S+)", step.text)]
    assert named  # (the pattern still finds the references)
    for lesson, match in named:
        assert match[2] in menus.get(match[1], set()), (lesson, match[0])
