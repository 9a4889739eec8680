"""Undo and Redo in the main window: the trained models an action replaced (a rebuild, Reset, a preset opened; each
run folder keeps its checkpoint and curve) and the changes of settings that replaced none, newest last.

`UndoesModels` is a part of `MainWindow` (a mixin): it reads the window's settings, live run, status bar, lesson bar
and run tools, and puts a model back with the window's own `reset` and `config.set_spec`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QFontMetricsF

from playground.core.differences import changes, distinguishing_label
from playground.core.messages import cut_at_word
from playground.core.presets import OTHER_MODEL_KEYS, PresetError, builtin_holding, load_preset
from playground.core.spec import PROSE, PROSE_KEYS, RunSpec, SpecError
from playground.training.changes import LIVE_SETTINGS, setting
from playground.training.run_labels import started_text
from playground.training.runs import read_run_info
from playground.ui.status_bar import STATUS_MS

if TYPE_CHECKING:
    from playground.core.lessons import Lesson
    from playground.ui.worker import TrainingWorker

EDIT_MERGE_S = 1.0  # changes of the same settings this close together are one for Undo (a drag, taps of a key)


@dataclass(frozen=True)
class PastModel:
    """A trained model an action replaced: its run folder keeps its checkpoint and curve; Undo brings it back. Without
    a run folder, the settings of an untrained model an Undo replaced, for Redo to put back."""

    spec: RunSpec
    preset_path: Path | None
    saved_spec: RunSpec | None
    run_dir: Path | None
    step: int
    label: str  # its name, and what sets it apart from the model that replaced it where the names are the same
    renamed: bool = False  # `label` is the name the user gave its run in the Runs tab


def _kept_in(past: PastModel | SettingsEdit, folder: Path) -> bool:
    """Whether `past` is a trained model kept in the run folder `folder`."""
    return isinstance(past, PastModel) and past.run_dir is not None and Path(past.run_dir) == Path(folder)


@dataclass
class SettingsEdit:
    """Settings changed without replacing a trained model (a run's learning rate, an untrained model's heads): Undo
    puts their values in `before` back, Redo those in `after`, on whatever the window shows then (QA: Ctrl+Z after a
    learning rate change brought back an older trained model, and after a batch size change the preset opened
    before). Changes of overlapping settings in a row merge into one (a slider's drag, taps of its arrow keys)."""

    before: RunSpec
    after: RunSpec
    keys: frozenset[str]
    at: float  # time.monotonic() of the last change merged in

    def words(self, undoing: bool) -> str:
        """'learning rate 2e-3 → 1e-4', 'name “Lecture 3” → “Demo”': what Undo (or Redo) changes."""
        was, now = (self.after, self.before) if undoing else (self.before, self.after)
        said = changes(was, now)  # (the settings: the name and description are none)
        for key in [key for key in PROSE if key in self.keys]:
            if setting(was, key) != setting(now, key):
                said.append(f"{key} {_quoted(setting(was, key))} → {_quoted(setting(now, key))}")
        return "; ".join(said)


PROSE_QUOTED = 24  # characters of a name or description an Undo names


def _quoted(text: str) -> str:
    """“The first words…” of `text` on one line (a description's lines ran into the Edit menu: review), or none."""
    return f"“{cut_at_word(' '.join(text.split()), PROSE_QUOTED)}”" if text.strip() else "none"


History = list[PastModel | SettingsEdit]
# The settings a run's weights are trained under, step by step: undone on a run that trained, they change from the next
# step, and the steps trained meanwhile stay
TRAINED_UNDER = frozenset(LIVE_SETTINGS) - {"train.max_steps"}
KEPT_STEPS = " The steps trained meanwhile stay as they are."


def held_by(path: Path | None, kept: RunSpec | None) -> RunSpec | None:
    """What the preset file at `path` holds now (None when it cannot be read: then the settings count as unsaved);
    `kept`, the settings as last saved, for a built-in preset. A model brought back by Undo is compared with the
    file as it is, which may have been saved since (its title said saved while the file held another model)."""
    if path is None:
        return kept
    try:
        return load_preset(path)
    except PresetError:
        return None


class UndoesModels:
    """Edit > Undo and Redo of `MainWindow` (see the module's docstring)."""

    past_models: History  # the models actions replaced and the settings changed, newest last (Undo)
    undone_models: History  # the models and settings Undo replaced, newest last (Edit > Redo)
    _travelling: bool  # an Undo or Redo is replacing the model: the models it sets aside stay reachable
    _arriving: RunSpec | None = None  # the settings an Undo or Redo is bringing back, as it sets the model shown aside
    _undoing = False  # an Undo (not a Redo) is replacing the model: the one set aside goes to Redo

    def _start_history(self) -> None:
        self.past_models, self.undone_models, self._travelling = [], [], False

    def _forget(self, which: Callable[[PastModel | SettingsEdit], bool]) -> None:
        """Undo and Redo no longer offer what `which` picks."""
        for models in (self.past_models, self.undone_models):  # in place: Undo and Redo hold them as they travel
            models[:] = [past for past in models if not which(past)]
        self._name_undo()

    def _forget_edits(self, which: Callable[[SettingsEdit], bool]) -> None:
        """Undo and Redo no longer offer the changes of settings `which` picks."""
        self._forget(lambda past: isinstance(past, SettingsEdit) and which(past))

    def _record_edit(self, before: RunSpec, after: RunSpec, keys: set[str]) -> None:
        """Keep a change of settings that replaced no trained model for Undo, merged into the last one where it
        changed some of the same settings within EDIT_MERGE_S (a width's drag changes the heads now and then too;
        dropped where they came back to where they were)."""
        now, top = time.monotonic(), self.past_models[-1] if self.past_models else None
        if isinstance(top, SettingsEdit) and top.keys & keys and top.after == before and now - top.at < EDIT_MERGE_S:
            top.after, top.at, top.keys = after, now, top.keys | keys
            if top.after == top.before:
                self.past_models.pop()
        else:
            self.past_models.append(SettingsEdit(before, after, frozenset(keys), now))
        self.undone_models.clear()  # a new change: what Undo set aside is a past run now (the Runs tab has it)
        self._name_undo()

    def _keep_past_model(self, worker: TrainingWorker) -> None:
        """Remember a trained model that is being replaced, so Undo can bring it back (its run folder holds it)."""
        if not self._travelling:
            self.undone_models.clear()  # a new change: what Undo set aside is a past run now (the Runs tab has it)
        if worker.run_dir is None or worker.step == 0:
            self._name_undo()
            return
        # Under the name and lesson the window gave it (Save As renames the preset, not the run: Undo brought back
        # "Lesson 19.5…" into the title of the file it had been saved as, QA; a lesson edited and saved came back as
        # its earlier text, and Next trained anew a model set aside under it, QA), unless another family or dataset is
        # being shown, which brings prose of its own
        same = all(setting(self.spec, key) == setting(worker.spec, key) for key in OTHER_MODEL_KEYS)
        prose = {"name": self.spec.name, "description": self.spec.description,
                 "lesson": self.spec.lesson.to_dict() if self.spec.lesson else None}
        spec = worker.spec.updated(prose) if same else worker.spec
        # "Lesson 19.3… — number of heads 4": which one, against the settings replacing it (an Undo's: QA, Redo said
        # "Brought back “Vision Transformer tells shapes apart”" of the patch-size-8 model, set aside as Undo began)
        label = distinguishing_label(spec, [self._arriving or self.spec])
        # the name the user gave its run in the Runs tab, if any (review: a run renamed on screen, then replaced)
        named = read_run_info(Path(worker.run_dir)).get("name")
        given = named if isinstance(named, str) and named != worker.spec.name else ""
        self.past_models.append(PastModel(spec, self.preset_path, self._saved_spec, Path(worker.run_dir),
                                          worker.step, given or label, renamed=bool(given)))
        self._name_undo()

    def _steps_landed(self, stopped: list[TrainingWorker]) -> None:
        """The step each kept model was saved at, once its thread has ended: a step in flight as it was kept lands
        after it (QA: Undo offered a model "at step 77" and brought it back "at step 78")."""
        saved: dict[Path, int] = {}
        for worker in stopped:
            if worker.saved_to is not None:
                folder = Path(worker.run_dir)
                saved[folder] = max(worker.step, saved.get(folder, 0))
        landed = False
        for models in (self.past_models, self.undone_models):
            for i, past in enumerate(models):
                if isinstance(past, PastModel) and past.run_dir in saved and saved[past.run_dir] > past.step:
                    models[i] = replace(past, step=saved[past.run_dir])
                    landed = True
        if landed:
            self._name_undo()

    def _travel(self, source: History, to: History, nothing: str) -> None:
        """Bring back `source`'s newest model or settings, the model it replaces kept in `to`."""
        self._undoing = source is self.past_models  # (what the messages meanwhile say of the model set aside)
        try:
            self._travel_from(source, to, nothing)
        finally:
            self._undoing = False

    def _travel_from(self, source: History, to: History, nothing: str) -> None:
        if source and isinstance(source[-1], SettingsEdit):
            edit, kept = source.pop(), len(self.past_models)
            if spent := self._trained_past(edit, source is self.past_models):
                self.statusBar().showMessage(spent, STATUS_MS)  # (dropped: it would stand before every older entry)
                self._name_undo()
                return
            if not self._edit_back(edit, source is self.past_models):
                source.append(edit)  # refused: kept where it was, to try once the settings allow it
            elif len(self.past_models) > kept:  # a model trained since the edit, set aside: it takes the edit's place
                if to is not self.past_models:  # (QA: Redo brought the edit's settings back untrained, 23 steps gone)
                    to.append(self.past_models.pop())
            else:
                to.append(edit)
            self._name_undo()
            return
        named = source[-1] if source else None
        self._forget_deleted_models()
        if named is not None and all(past is not named for past in source):  # deleted outside the window
            # Not an older model in its place, unannounced (QA: Ctrl+Z brought back the decoder instead of the
            # deleted BERT the menu named).
            self.statusBar().showMessage(f"“{named.label}” cannot come back: its run folder was deleted.", STATUS_MS)
            return
        if not source:
            self.statusBar().showMessage(nothing, 4000)
            return
        refused = self._cannot_come_back(source[-1])
        if refused:  # kept where it is, for once its data is back (QA: the model on screen went for nothing)
            self.statusBar().showMessage(f"“{source[-1].label}” cannot come back now: {refused}", STATUS_MS)
            return
        self._travelling = True
        try:
            past = source.pop()
            kept = len(self.past_models)
            untrained = self._untrained_settings(past.spec)
            self._arriving = past.spec
            self._bring_back(past)  # (its reset keeps the current model in past_models, if trained)
            if len(self.past_models) > kept:
                if to is not self.past_models:
                    to.append(self.past_models.pop())
            elif untrained is not None:  # QA: Redo never came back to the last settings, untrained
                to.append(untrained)
        finally:
            self._travelling, self._arriving = False, None
        self._name_undo()

    def _trained_past(self, edit: SettingsEdit, undoing: bool) -> str:
        """Why `edit` can no longer be undone (or redone), "" where it can: it would end the run on screen before the
        steps it has taken. Lowered so, Training steps rebuilds the model: Undo put an untrained model in place of one
        trained on past the end it had before a raise (QA: "no undo step leads back to the 1,500-step model", which
        trained on in its run)."""
        values = edit.before if undoing else edit.after
        end, step = values.train.max_steps, self.worker.step if self.worker is not None else 0
        if "train.max_steps" not in edit.keys or end >= step:
            return ""
        # (no ": " before the reason: the status bar's headline is cut at the first, and read "Not undone (Ctrl+I…)")
        what, key, other = ("Undo", "Ctrl+Z", "before") if undoing else ("Redo", "Ctrl+Shift+Z", "after")
        return (f"{what} skipped — {edit.words(undoing)} would end this run before step {step:,}, which it has "
                f"reached; {key} again {what.lower()}es the change {other} it. Training steps set to {end:,} by hand "
                f"trains a new, shorter run.")

    def _cannot_come_back(self, past: PastModel) -> str:
        """Why the run of `past` would be refused as it loads ("" for none, or for settings alone)."""
        return self.runTools.why_not_resumable(past.run_dir) if past.run_dir is not None else ""

    def _edit_back(self, edit: SettingsEdit, undoing: bool) -> bool:
        """Put `edit`'s settings as they were before it (`undoing`) or after it, as the sliders would, into the
        settings shown: those alone (the rest stay: a name saved since), or the whole of them where the edit switched
        the family or dataset, which brings its own name and lesson. False where the settings shown refuse them."""
        values = edit.before if undoing else edit.after
        keys = {key for key in edit.keys if setting(values, key) != setting(self.spec, key)}
        try:
            spec = values if keys & OTHER_MODEL_KEYS else self.spec.updated({key: setting(values, key) for key in keys})
        except SpecError as err:  # (a width the heads shown now do not divide)
            self.statusBar().showMessage(f"Cannot {'undo' if undoing else 'redo'} {edit.words(undoing)}: {err}",
                                         STATUS_MS)
            return False
        before = self.statusBar().currentMessage()
        self._travelling = True
        try:
            if keys and keys <= PROSE_KEYS:  # words: nothing to rebuild
                self._show_prose(spec.name, spec.description)
            else:
                self.config.set_spec(spec)
                if keys:  # (nothing to rebuild for settings already so)
                    self._on_spec_changed(spec, keys)
                    self._send_live_changes(now=True)  # (what a run makes of it: from the next step, or the next run)
        finally:
            self._travelling = False
        said = self.statusBar().currentMessage()  # what the change did, said meanwhile (not an older message)
        # (QA: Undo of a learning rate that made the loss spike was taken to remove the spike)
        kept = KEPT_STEPS if keys and keys <= TRAINED_UNDER and self.worker is not None and self.worker.step else ""
        # (no ": " after Undo: a message too long for the bar is cut at its first, and read "Undo (Ctrl+I for more)")
        self.statusBar().showMessage(f"{'Undo' if undoing else 'Redo'} — {edit.words(undoing)}."
                                     + (f" {said}" if said and said != before else "") + kept, STATUS_MS)
        return True

    def relesson(self, path: Path | None, before: Lesson | None, after: Lesson) -> None:
        """This preset's models set aside under lesson `before` (the preset at `path` then) kept under `after`, in the
        file it is saved as now: the same lesson, edited and saved (review: Back set the trained model aside under the
        text before, and after the save Next trained anew; Undo put that text back, the file marked changed; QA: Next
        brought the model back into the preset the lesson came from, not the file it was saved as)."""
        this = (path, self.spec.model.family, self.spec.data, before)
        for history in (self.past_models, self.undone_models):
            for index, past in enumerate(history):
                # this preset's own (another preset's, with no lesson either, was given this one's: self-review)
                if isinstance(past, PastModel) and (past.preset_path, past.spec.model.family, past.spec.data,
                                                    past.spec.lesson) == this:
                    history[index] = replace(past, spec=past.spec.updated({"lesson": after.to_dict()}),
                                             preset_path=self.preset_path, saved_spec=self._saved_spec)

    def reprose(self, before: RunSpec) -> None:
        """This preset's models set aside under the name and description of `before` kept under the ones shown now:
        renamed, Undo brought the old name back with them, and a lesson's Back trained its model anew (review)."""
        words = {key: getattr(self.spec, key) for key in PROSE}
        this = (self.preset_path, before.model.family, before.data, before.name, before.description)
        for history in (self.past_models, self.undone_models):
            for index, past in enumerate(history):
                if isinstance(past, PastModel) and (past.preset_path, past.spec.model.family, past.spec.data,
                                                    past.spec.name, past.spec.description) == this:
                    # its label too: the Edit menu named the new name, the Undo's message the old (review)
                    label = self.spec.name + past.label.removeprefix(before.name) \
                        if past.label.startswith(before.name) and not past.renamed else past.label
                    history[index] = replace(past, spec=past.spec.updated(words), label=label)

    def bring_back_model_of(self, spec: RunSpec, up_to: int | None = None) -> bool:
        """Bring back the newest model an action replaced, or else one Undo set aside for Redo, that has `spec`'s
        settings (and was trained to step `up_to` at most), as Undo would; False when there is none. A lesson's Back
        (and Next again) shows the model it trained there, not a new one."""
        self._forget_deleted_models()
        # Redo's too: an Undo mid-lesson set the next step's model aside there (QA: Next then trained it anew)
        for models in (self.past_models, self.undone_models):
            for index in range(len(models) - 1, -1, -1):
                past = models[index]
                if isinstance(past, SettingsEdit):
                    continue
                if past.run_dir is not None and past.spec == spec and (up_to is None or past.step <= up_to):
                    if self._cannot_come_back(past):
                        return False  # (trained anew, the model on screen kept till then)
                    self._bring_back(models.pop(index))
                    return True
        return False

    def relabel_run(self, folder: Path, name: str) -> None:
        """A run renamed in the Runs tab: Undo and Redo call the model kept in it by its new name (QA: the Edit menu
        and Undo's message still named it as it trained)."""
        for models in (self.past_models, self.undone_models):
            models[:] = [replace(past, label=name, renamed=True) if _kept_in(past, folder) else past for past in models]
        self._name_undo()

    def keeps_for_undo(self, folder: Path) -> bool:
        """Whether Undo or Redo would bring back a model trained in `folder`."""
        return any(_kept_in(past, folder) for past in (*self.past_models, *self.undone_models))

    def _forget_deleted_models(self) -> None:
        """Past models whose run folder was deleted (the Runs tab) cannot come back (review: a lesson's Back brought
        one back as "trained to step 3" while its worker failed to load it). Only a folder that is gone: a model
        just replaced may still be saving its checkpoint there, in the background. Undo's name follows (QA: it still
        offered a run deleted in the Runs tab)."""
        self._forget(lambda past: isinstance(past, PastModel) and past.run_dir is not None and not past.run_dir.is_dir())

    def keep_untrained_settings(self, arriving: RunSpec) -> None:
        """The settings on screen, untrained, as another preset or run (`arriving`) replaces them: Undo puts them back
        (QA: a preset opened over an untrained one could not be undone, and Ctrl+Z went two presets back). A trained
        model is kept as it goes (`_keep_past_model`)."""
        top = self.past_models[-1] if self.past_models else None
        if self._travelling or arriving == self.spec or isinstance(top, PastModel) and top.spec == self.spec:
            return  # (after a Reset, Undo brings back the trained model of these very settings)
        untrained = self._untrained_settings(arriving)
        if untrained is None:
            return
        self.undone_models.clear()  # a new change: what Undo set aside is a past run now (the Runs tab has it)
        self.past_models.append(untrained)
        self._name_undo()

    def _untrained_settings(self, replacing: RunSpec) -> PastModel | None:
        """The window's settings, when no trained model goes with them, as `replacing` would replace them."""
        if self.worker is not None and self.worker.step > 0:
            return None
        label = distinguishing_label(self.spec, [replacing])
        return PastModel(self.spec, self.preset_path, self._saved_spec, None, 0, label)

    def _bring_back(self, past: PastModel) -> None:
        # A model of the same data keeps what the user typed to ask it (QA: Undo of a context change put the preset's
        # sentence back in Try it over the one typed)
        same_data = (past.spec.model.family, past.spec.data) == (self.spec.model.family, self.spec.data)
        self.reset()
        self.preset_path, self._saved_spec = past.preset_path, held_by(past.preset_path, past.saved_spec)
        # the built-in it came from in bold again (QA: the Presets menu marked the one opened since)
        self.presetsMenu.mark(builtin_holding(past.saved_spec) if past.preset_path is None else None)
        self.config.set_spec(past.spec)
        # another lesson's model (QA: Undo brought 19.6's decoder back under lesson 19.7's bar), or untrained settings
        # of another step of it (review: a lesson's settings opened over put back under its first step's text); a
        # trained model of another step of it is shown under that step's text, once it is on screen (below)
        other_step = self.lessonBar.playing and not self.lessonBar.shows(past.spec)
        if self.lessonBar.playing and (self.lessonBar.lesson != past.spec.lesson or other_step and past.run_dir is None):
            self.lessonBar.stand_down()
        self._reset_progress()
        self._update_family_tabs()
        if same_data:
            self.runTools.tryIt.clear()  # the other model's answers, not the question
        else:
            self._show_other_model()
        self._update_title()
        if past.run_dir is None:
            # (review: "press Play" was said of settings whose data file had gone since)
            then = "it cannot train (see the message on the left)" if self.config.error_shown() else \
                "press Play to train it"
            self.statusBar().showMessage(f"Settings back: “{past.label}”, untrained: {then}.", STATUS_MS,
                                         until_training=True)
            self._name_undo()
            return
        step = self.runTools.continue_run(past.run_dir, past.spec, past.step) or past.step
        if other_step and self.lessonBar.playing and not self.lessonBar.go_to_step_showing(past.spec):
            self.lessonBar.stand_down()
        self.runTools.runs.say("")  # (QA: a refusal of this run, its data since put back, stood there)
        self.runTools.runs.refresh()
        told = self._when_twin(past, past.label)
        # (QA: "press Play to continue it" of a run at its last step)
        if step >= past.spec.train.max_steps:
            more = "raise Training steps to train it on, or " if past.spec.train.min_lr_ratio > 0 else ""
            self.statusBar().showMessage(f"Brought back “{told}” at step {step:,}: finished: {more}Reset "
                                         f"(Ctrl+R) trains a new one.", STATUS_MS)
        else:
            self.statusBar().showMessage(f"Brought back “{told}” at step {step:,}: press Play to continue it.",
                                         STATUS_MS, until_training=True)
        self._name_undo()

    def _name_undo(self) -> None:
        """The Edit menu's Undo and Redo say which model they bring back (after an Undo, the one below: it said the
        model just brought back)."""
        for action, models, title in ((self.undoAction, self.past_models, "&Undo"),
                                      (self.redoAction, self.undone_models, "&Redo")):
            past = models[-1] if models else None
            action.setEnabled(past is not None)
            if past is None:
                action.setText(title)
                continue
            if isinstance(past, SettingsEdit):
                action.setText(f"{title}: {past.words(models is self.past_models)}")
                continue
            where = "untrained" if past.run_dir is None else f"at step {past.step:,}"
            same = " (the settings shown)" if self._views_built and past.spec == self.spec else ""
            action.setText(f"{title}: bring back “{self._when_twin(past, self._told_apart(past))}” {where}{same}")

    def _when_twin(self, past: PastModel, label: str) -> str:
        """`label`, with when its run started where another model kept for Undo or Redo has the same settings (QA: two
        Ctrl+Z in a row both said "Brought back “Ablation: …” at step 300", two runs of one preset)."""
        kept = (*self.past_models, *self.undone_models)
        if past.run_dir is None or not any(isinstance(other, PastModel) and other is not past and other.run_dir
                                           is not None and other.spec == past.spec for other in kept):
            return label
        created = read_run_info(past.run_dir).get("created")
        return f"{label}, started {started_text(created)}" if isinstance(created, (int, float)) else label

    def _told_apart(self, past: PastModel) -> str:
        """`past`'s name and what sets it apart from the settings shown now (QA: the Edit menu's "Lesson 19.2…" did
        not say 2 heads or 4: its label was made against the settings when it was kept)."""
        if not self._views_built:
            return past.label
        from playground.ui.plotting import elided_name  # loaded with the views

        # In half the screen: at 175 % the Edit menu's item ran past a 1280-px one, its Ctrl+Z hidden (lecturer QA)
        label = past.label if past.renamed else distinguishing_label(past.spec, [self.spec])
        return elided_name(label, QFontMetricsF(self.undoAction.font()), self.screen().availableGeometry().width() / 2)
