"""What differs between two run descriptions, in the student's words (issue 24's Compare A/B).

No torch and no Qt: the compare window labels its curves from this on every settings change.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from playground.core.spec import FAMILY_TITLES, FIELD_TITLES, RunSpec

# Not part of the experiment: names and prose (a lesson's title and steps too), and the seed, which a comparison always
# takes from A.
IGNORED = frozenset({"schema_version", "name", "description", "train.seed", "lesson"})
MAX_NAMED = 2  # differences a legend names before counting the rest
LEAD_EVALUATIONS = 3  # a comparison's lead is called only where it held over this many evaluations
RELATIVE_FROM = 0.1  # a validation loss from which a gap is also said as a share of it
NAME_SEPARATOR = " — "  # between a name and what tells it apart from others of that name ("… — 2 heads")


def ignored(key: str) -> bool:
    """Whether the dotted setting `key` is not part of the experiment (`IGNORED`, or a part of the lesson)."""
    return key in IGNORED or key.split(".")[0] in IGNORED


def flat(spec: RunSpec) -> dict[str, Any]:
    """Every setting by its dotted path (`model.n_layer`, `data.options.length`)."""
    out: dict[str, Any] = {}

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(f"{prefix}.{key}" if prefix else key, value)
        else:
            out[prefix] = node

    walk("", spec.to_dict())
    return out


# Settings only some families read: a ViT's context length is its patches', whatever block_size says; only a decoder
# may mask the future (a decoder against a ViT said "causal mask on → off", which the ViT has no choice in)
FAMILY_SETTINGS = {"model.block_size": {"encoder", "decoder"}, "model.image_size": {"vit"}, "model.patch_size": {"vit"},
                   "model.causal": {"decoder"}}


def differences(a: RunSpec, b: RunSpec) -> list[str]:
    """The dotted paths of the settings in which B differs from A, in the spec's order (A's first); one that a side's
    family does not read is none (a decoder against a ViT said "context length 17 → 64", the ViT's unused 64)."""
    fa, fb = flat(a), flat(b)
    keys = [*fa, *(k for k in fb if k not in fa)]
    read = {a.model.family, b.model.family}
    other_data = a.data.name != b.data.name  # one dataset's options are none of another's (QA: "length 8 → none")
    return [k for k in keys if not ignored(k) and fa.get(k) != fb.get(k) and read <= FAMILY_SETTINGS.get(k, read)
            and not (other_data and k.startswith("data.options."))]


def setting_text(key: str, spec: RunSpec) -> str:
    """'number of layers 4', 'residual connections off', 'learning rate 1e-3' for one dotted path."""
    return f"{_title(key)} {_value_text(flat(spec).get(key), key, spec.data.name)}"


def named_settings(spec: RunSpec, keys: Sequence[str]) -> str:
    """'number of layers 4, dropout 0.1 (+1 more)': `spec`'s values of the first MAX_NAMED of `keys`."""
    more = f" (+{len(keys) - MAX_NAMED} more)" if len(keys) > MAX_NAMED else ""
    return ", ".join(setting_text(key, spec) for key in keys[:MAX_NAMED]) + more


def side_label(side: str, spec: RunSpec, keys: list[str]) -> str:
    """A legend entry naming what sets this side apart: 'B: number of layers 4, dropout 0.1 (+1 more)'."""
    return f"{side}: {named_settings(spec, keys)}" if keys else f"{side}: the same settings"


def labels(a: RunSpec, b: RunSpec) -> tuple[str, str]:
    """The two legend entries, 'A: …' and 'B: …', each naming its own values of the settings that differ."""
    keys = differences(a, b)
    return side_label("A", a, keys), side_label("B", b, keys)


def changes(a: RunSpec, b: RunSpec) -> list[str]:
    """Each setting B changes from A, as 'number of layers 2 → 4'."""
    fa, fb = flat(a), flat(b)
    return [f"{_title(k)} {_value_text(fa.get(k), k, a.data.name)} → {_value_text(fb.get(k), k, b.data.name)}"
            for k in differences(a, b)]


def difference_line(a: RunSpec, b: RunSpec) -> str:
    """One sentence for a figure or the window: 'B differs from A in: number of layers 2 → 4; …'."""
    changed = changes(a, b)
    if not changed:
        # Not "their curves coincide": QA saw rounding on the two threads part them late in a run.
        return "A and B have the same settings: change something in B to compare it"
    return f"B differs from A in: {'; '.join(changed)}"


def not_compared_line(why: str) -> str:
    """The sentence that says two runs' losses are not on one scale, `why` from `why_not_compared`."""
    return f"Not compared: {why}, so their losses are not on one scale."


def gap_line(step: int, loss_a: float, loss_b: float, earlier: Sequence[float] = (), not_compared: str = "") -> str:
    """A's and B's validation losses at one `step`, and which is lower by how much (QA: the gap could only be read
    off the curves): 'Validation loss at step 400: A 1.834, B 1.712. B is 0.122 lower (6.7% below A).' `earlier`:
    B's losses less A's at the evaluations before, oldest first; where the lead changed sides over the last
    LEAD_EVALUATIONS, the line says so (QA: "B is 0.046 lower" at step 200 became "A is 0.008 lower" at 300).
    With `not_compared` (why, from `why_not_compared`) no side is said to be lower: the losses measure different tasks
    (QA: a reversal's 0.005 was "99.6% below" a ViT's 1.207 on digits)."""
    loss_a, loss_b = round(loss_a, 3), round(loss_b, 3)  # the gap between the numbers shown
    head = f"Validation loss at step {step:,}: A {loss_a:.3f}, B {loss_b:.3f}."
    if not_compared:
        return f"{head} {not_compared_line(not_compared)}"
    gap = loss_b - loss_a
    if abs(gap) < 5e-4:
        return f"{head} Level, to the third decimal."
    lower, higher = ("B", "A") if gap < 0 else ("A", "B")
    # a share of a loss near 0 says little ("A 0.000, B 0.002: 100.0% below B", QA): given from RELATIVE_FROM up
    share = f" ({abs(gap) / max(loss_a, loss_b):.1%} below {higher})" if max(loss_a, loss_b) >= RELATIVE_FROM else ""
    line = f"{head} {lower} is {abs(gap):.3f} lower{share}."
    recent = [*earlier[len(earlier) - (LEAD_EVALUATIONS - 1):], gap] if len(earlier) >= LEAD_EVALUATIONS - 1 else []
    if recent and min(recent) < -5e-4 and max(recent) > 5e-4:
        line += f" The lead changed sides over the last {LEAD_EVALUATIONS} evaluations: too close to call yet."
    return line


def last_gap_line(a: tuple[Sequence[float], Sequence[float]], b: tuple[Sequence[float], Sequence[float]],
                  not_compared: str = "") -> str:
    """`gap_line` at the last step both A and B were evaluated at, each side given as (steps, validation losses);
    "" where they share none yet."""
    at_b = dict(zip(*b))
    common = [(step, loss, at_b[step]) for step, loss in zip(*a) if step in at_b]
    if not common:
        return ""
    *before, (step, loss_a, loss_b) = common
    return gap_line(int(step), float(loss_a), float(loss_b), [float(lb - la) for _, la, lb in before], not_compared)


def why_not_compared(a: RunSpec, b: RunSpec, names: str = "A and B") -> str:
    """Why A's and B's losses are not on one scale, or "" where they are: other data, another task made of it (the
    next character against masked ones), or options that change what is learned (chance is ln 10 with 10 symbols,
    ln 26 with 26: QA saw such a pair compared). Options that change only how much there is (`Option.same_task`)
    keep them comparable. Reads the data's plan, which for a text is the whole text: ask once per pair of settings.
    `names` begins the sentence: the pair as its window calls them."""
    from playground.data.base import TASK_WORDS, DataError
    from playground.data.registry import plan

    if (a.data.name, a.data.path) != (b.data.name, b.data.path):
        return f"{names} learn from different data"
    try:
        plan_a, plan_b = plan(a.data, a.model), plan(b.data, b.model)
    except DataError:  # a side that cannot be planned trains nothing, and says why itself
        return ""
    if plan_a.info.task != plan_b.info.task:
        other = [f"{TASK_WORDS[plan_a.info.task]} against {TASK_WORDS[plan_b.info.task]}"]
    else:
        options = plan_a.entry.options
        other = [f"{_title(f'data.options.{name}')} {value} against {plan_b.options.get(name)}"
                 for name, value in plan_a.options.items()
                 if name in options and not options[name].same_task and value != plan_b.options.get(name)]
    return f"{names} learn different tasks from the data ({'; '.join(other)})" if other else ""


def _title(key: str) -> str:
    if key.startswith("data.options."):  # as the Data settings name it (QA: "dataset option n_symbols" by "Symbols")
        from playground.data.registry import option_title

        title = option_title(key.removeprefix("data.options."))
        return title[:1].lower() + title[1:]  # in a sentence, as the model's settings are (QA: "…, Sequence length 20")
    return FIELD_TITLES.get(key, key)


def short_number(value: float) -> str:
    """3e-3 as "3e-3" (a learning rate), 0.1 as "0.1", 64 as "64"."""
    if value and abs(value) < 0.01:
        mantissa, exponent = f"{value:.2e}".split("e")
        return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"
    return f"{value:g}"


def _value_text(value: Any, key: str = "", data_name: str = "") -> str:
    # In words, not the spec's keys (QA: "B: model family vit", "dataset reverse → digits", "length 8 → none")
    from playground.data.registry import REGISTRY

    if key == "model.family":
        return FAMILY_TITLES.get(value, str(value))
    if key == "data.name":
        entry = REGISTRY.get(value)
        return entry.title if entry else str(value)
    if key.startswith("data.options.") and value is None:
        # An option left out is its dataset's default, "auto" only where the model works it out (QA: "channels 3 →
        # auto" where the box showed 1)
        entry = REGISTRY.get(data_name)
        option = entry.options.get(key.removeprefix("data.options.")) if entry else None
        return "auto" if option is None or option.default is None else _value_text(option.default)
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return short_number(value)  # "3e-3", as the sliders and the loss curve's markers write it (QA: "5e-05")
    return "none" if value is None else str(value)


def _varying(flats: Sequence[dict[str, object]]) -> list[str]:
    """The dotted settings whose values are not the same in all of `flats` (names, prose and lessons aside)."""
    keys = dict.fromkeys(key for settings in flats for key in settings)
    return [key for key in keys if not ignored(key) and len({repr(settings.get(key)) for settings in flats}) > 1]


def apart_texts(specs: Sequence[RunSpec]) -> list[str]:
    """For each of `specs`, what sets it apart from the others: its values of the settings in which it differs from
    most of them ("residual connections off"), or, where it is like most, its values of every setting that varies
    ("residual connections on, LayerNorm placement post"); "" for each where all have the same settings."""
    flats = [flat(spec) for spec in specs]
    keys = _varying(flats)
    usual = {key: Counter(repr(settings.get(key)) for settings in flats).most_common(1)[0][0] for key in keys}
    return [named_settings(spec, [k for k in keys if repr(settings.get(k)) != usual[k]] or keys)
            for spec, settings in zip(specs, flats)]


def distinguishing_label(spec: RunSpec, others: Sequence[RunSpec]) -> str:
    """`spec`'s name, followed by what sets it apart from those of `others` with the same name:
    "Lesson 19.3: multi-head attention, heads specialising — number of heads 4" (only the name when none differs)."""
    group = [spec, *(other for other in others if other.name == spec.name)]
    apart = apart_texts(group)[0]
    return f"{spec.name}{NAME_SEPARATOR}{apart}" if apart else spec.name
