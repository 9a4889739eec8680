"""The window's half of fine-tuning and runs (issues 6 and 7), kept out of main_window.py.

`RunTools(window)` adds the "Try it", "Confusion" and "Runs" tabs, the File > Export… actions and
Train > Copy command for a cluster; the window calls `take(box)` with every drained buffer, `on_reset()`
when the run is dropped and `update_tabs(info)` when the data changes. Work that needs the model (export,
prediction, flushing the logs) is handed to the training thread with `TrainingWorker.submit`.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QLabel, QMenu, QProgressBar, QStatusBar, QTabWidget, QWidget

from playground.analysis.timeline import SnapshotTimeline
from playground.core.files import UnreadableFile, why_not_written
from playground.core.messages import in_window_words, one_line
from playground.core.spec import same_settings
from playground.training.changes import recorded_changes, spec_after
from playground.training.runs import (
    CHECKPOINT_DIR,
    METRICS_FILE,
    PRESET_FILE,
    lock_run_dir,
    preset_edited,
    read_metrics,
    read_run_info,
    read_samples,
    saved_step,
)
from playground.ui import file_dialogs
from playground.ui.confusion_panel import TIP as CONFUSION_TIP
from playground.ui.confusion_panel import ConfusionPanel
from playground.ui.exporting import ask_html_path, export_plot
from playground.ui.runs_panel import TIPS as RUNS_TIPS
from playground.ui.runs_panel import RunsPanel
from playground.ui.settings import last_run, last_run_preset, runs_root
from playground.ui.status_bar import STATUS_MS
from playground.ui.text_dialog import ask_go_or_keep
from playground.ui.try_it import JOB_KEY as TRY_IT_KEY
from playground.ui.try_it import TIPS as TRY_TIPS
from playground.ui.try_it import TryItPanel
from playground.ui.undo_history import held_by

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings

    from playground.core.spec import RunSpec
    from playground.ui.attention_grid import AttentionPanel
    from playground.ui.config_panel import ConfigPanel
    from playground.ui.inside_attention import InsideAttentionPanel
    from playground.ui.loss_panel import LossPanel
    from playground.ui.worker import TrainingWorker


ENLARGED_KEY = "view/tryItEnlarged"  # Try it's head views enlarged, remembered like the zoom
CLUSTER_PRESET_FILE = "cluster-preset.json"  # a built-in preset as the cluster command trains it


class Host(Protocol):
    """What RunTools needs of the main window: its public members, so neither module imports the other."""

    spec: RunSpec
    settings: QSettings
    preset_path: Path | None
    worker: TrainingWorker | None
    config: ConfigPanel
    loss: LossPanel
    attention: AttentionPanel
    inside: InsideAttentionPanel
    tabs: QTabWidget
    lossPlot: Any
    progressBar: QProgressBar
    stepLabel: QLabel
    speedLabel: QLabel

    def statusBar(self) -> QStatusBar: ...  # noqa: N802 - QMainWindow's
    def add_tab(self, widget: QWidget, title: str, tooltip: str = "") -> int: ...
    def make_action(self, text: str, shortcut: Any, slot: Any, name: str, tip: str = "") -> QAction: ...
    def ensure_worker(self) -> TrainingWorker: ...
    def start_worker(self, worker: TrainingWorker) -> None: ...
    def workers(self) -> list[TrainingWorker]: ...
    def load_spec(self, spec: RunSpec, path: Path | None, lesson: bool = ..., saved: RunSpec | None = ...) -> None: ...
    def maybe_save(self) -> bool: ...
    def is_modified(self) -> bool: ...
    def preset_spec(self) -> RunSpec: ...
    def save(self) -> bool: ...
    def save_as(self, caption: str = ...) -> bool: ...
    def hide_loss_plot_for(self, reason: str, hidden: bool) -> None: ...
    def keeps_for_undo(self, folder: Path) -> bool: ...

EXPORT_KEY = "export-model"
HTML_KEY = "export-attention-html"
METRICS_KEY = "export-metrics"
SCRIPT_KEY = "export-script"
SCRIPT_TIP = ("One readable Python file with the model, the data and the training loop (torch and numpy only), its "
              "trained weights beside it; run with --from-scratch it draws this run's loss curve again.")
ACCURACY_TIP = "The validation accuracy plot beside the loss plot as an image (PNG) or as vectors (SVG)."
CONFUSION_KEY = "confusion-at-resume"


def ask_export_folder(parent: QWidget, suggested: str) -> Path | None:
    """The folder to export the model into (a sub-folder `suggested` is created there); a function so
    tests can answer it. Where that folder holds files already, asked first (QA: an export again replaced the
    model's files without a word)."""
    # The caption names the sub-folder (QA: it said "choose where", and a folder appeared inside the chosen one)
    folder = file_dialogs.existing_folder(parent, f"Export the model as a Hugging Face folder: choose where to "
                                                  f"make its folder {suggested}")
    if not folder:
        return None
    target = Path(folder) / suggested
    if target.is_dir() and any(target.iterdir()) and not ask_go_or_keep(
            parent, "Replace the exported model?", f"{target} holds files already. Export this model over its model "
            f"files? (Files of your own there stay.)", "&Replace", "&Cancel"):
        return None
    return target


def ask_save_path(parent: QWidget, title: str, name: str, suffix: str) -> Path | None:
    """A save dialog for one file type (png, svg, csv); a function so tests can answer it."""
    filters = {"png": "PNG image (*.png)", "svg": "SVG vector image (*.svg)", "csv": "CSV file (*.csv)",
               "py": "Python script (*.py)"}
    path, _ = file_dialogs.save_file(parent, title, f"{name}.{suffix}", filters[suffix])
    return Path(path) if path else None


class RunTools:
    def __init__(self, window: Host) -> None:
        self.window = window
        self.confusion = ConfusionPanel(window)
        self.tryIt = TryItPanel(self._live_worker, window)
        self.tryIt.sigShowSnapshot.connect(self._show_in_grid)
        # the sentence for this dataset (the lecture's is the pronoun's)
        self.tryIt.show_model(window.config.info(), bool(window.spec.model.pretrained))
        # Enlarged, Try it's head views get the loss plots' height too: readable from the back of a room.
        self.tryIt.sigEnlarged.connect(lambda on: window.hide_loss_plot_for("enlarged", on))
        self.tryIt.set_enlarged(window.settings.value(ENLARGED_KEY, False, type=bool))  # as the user left it
        self.tryIt.enlargeButton.toggled.connect(lambda on: window.settings.setValue(ENLARGED_KEY, on))
        self.runs = RunsPanel(window.loss, runs_root, self._is_busy, self._on_screen, window, self._live_step,
                              window.keeps_for_undo)
        self._listed_live: Path | None = None  # the live run's folder the Runs tab was last listed for
        self.runs.sigReopen.connect(self.reopen_run)
        self.runs.sigResume.connect(self.resume_run)
        window.add_tab(self.tryIt, "Try it", TRY_TIPS["tab"])
        window.add_tab(self.confusion, "Confusion", CONFUSION_TIP)
        window.add_tab(self.runs, "Runs", RUNS_TIPS["table"])
        self.actions: dict[str, QAction] = {}

    # ----- menus ---------------------------------------------------------------------------------
    def add_menu_actions(self, file: QMenu, train: QMenu, before: QAction | None = None) -> None:
        A = self.window.make_action
        export = QMenu("&Export", self.window)
        export.setObjectName("exportMenu")
        for name, text, slot, tip in (
            ("exportModelAction", "&Model as Hugging Face folder…", self.export_model,
             "Save the current run's checkpoint and write a folder transformers loads with from_pretrained."),
            ("exportScriptAction", "Model as PyTorch &script…", self.export_script, SCRIPT_TIP),
            ("exportAttentionHtmlAction", "&Attention views as one HTML page…", self.export_attention_html,
             "The grid, the head view and the steps of the Inside attention tab's input in one file that opens "
             "in any browser, offline: to hand to students."),
            ("exportLossPngAction", "&Loss plot as PNG…", lambda: self.export_loss("png"), "The loss plot as an image."),
            ("exportLossSvgAction", "Loss plot as &SVG…", lambda: self.export_loss("svg"), "The loss plot as vectors."),
            ("exportAccuracyPngAction", "Acc&uracy plot as PNG…", lambda: self.export_accuracy("png"), ACCURACY_TIP),
            ("exportAccuracySvgAction", "Accuracy plot as SV&G…", lambda: self.export_accuracy("svg"), ACCURACY_TIP),
            ("exportMetricsAction", "Metrics as &CSV…", self.export_metrics,
             "A copy of the run's metrics.csv: one row per step (loss, validation, learning rate, speed)."),
            ("exportHeatmapPngAction", "Attention &heatmap as PNG…", lambda: self.export_heatmap("png"),
             "The enlarged head of the Attention tab as an image."),
            ("exportHeatmapSvgAction", "Attention heatmap as S&VG…", lambda: self.export_heatmap("svg"),
             "The enlarged head of the Attention tab as vectors."),
        ):
            self.actions[name] = A(text, None, slot, name, tip)
            export.addAction(self.actions[name])
        export.setToolTipsVisible(True)  # a greyed item says why in its tooltip
        export.aboutToShow.connect(self._offer_script)
        export.aboutToShow.connect(self._offer_accuracy)
        if before is not None:
            file.insertMenu(before, export)
            file.insertSeparator(before)
        else:
            file.addMenu(export)
        self.actions["copyClusterAction"] = A(
            "Copy &Command for a Cluster", None, self.copy_cluster_command, "copyClusterAction",
            "Put the torchrun command that trains this preset data-parallel on every GPU of a machine on the "
            "clipboard (see docs/scale-out.md for several machines).")
        train.addSeparator()
        train.addAction(self.actions["copyClusterAction"])

    # ----- window hooks --------------------------------------------------------------------------
    def take(self, box: Any) -> None:
        """Everything of a drained buffer these tabs use: confusion matrices, submitted jobs' answers, and the live
        run's checkpoints, which the Runs tab, if shown, lists as they are saved (it stood at the run's first steps),
        as it lists a new run at its first step (QA: Reset and Step on the Runs tab left the run out until Refresh)."""
        worker = self.window.worker
        live = worker.run_dir if worker is not None and box.metrics else None
        if self.runs.isVisible() and (box.checkpoints or (live is not None and live != self._listed_live)):
            self._listed_live = live or self._listed_live
            self.runs.refresh()
        elif self.runs.isVisible() and live is not None:
            evaluated = [m.val_loss for m in box.metrics if m.val_loss is not None]
            self.runs.follow_live(Path(live), box.metrics[-1].step, evaluated[-1] if evaluated else None)
        results = getattr(box, "results", {}) or {}
        confusions = [(m.step, m.confusion) for m in box.metrics if m.confusion is not None]
        resumed = results.get(CONFUSION_KEY)
        if isinstance(resumed, tuple) and resumed[1] is not None and not confusions:
            confusions = [resumed]
        if confusions:
            step, matrix = confusions[-1]
            info = self.window.config.info()
            self.confusion.set_confusion(matrix, info.class_names if info else (), step)
        if TRY_IT_KEY in results:
            self.tryIt.on_result(results[TRY_IT_KEY])
        if EXPORT_KEY in results:
            self._exported(results[EXPORT_KEY])
        if SCRIPT_KEY in results:
            self._script_written(results[SCRIPT_KEY])
        if HTML_KEY in results:
            self._html_written(results[HTML_KEY])
        if METRICS_KEY in results:
            self._metrics_copied(results[METRICS_KEY])

    def on_reset(self) -> None:
        self.confusion.clear()
        self.tryIt.clear_pending()

    def update_tabs(self, info: Any) -> None:
        tabs = self.window.tabs
        classify = bool(info and info.task == "classify")
        tabs.setTabVisible(tabs.indexOf(self.confusion), classify)
        tabs.setTabVisible(tabs.indexOf(self.tryIt), classify and info.unit == "tokens")

    # ----- helpers -------------------------------------------------------------------------------
    def _live_worker(self) -> Any:
        return self.window.ensure_worker()

    def _is_busy(self, folder: Path) -> bool:
        return any(not w.isFinished() for w in self._workers_of(folder))

    def _on_screen(self, folder: Path) -> bool:
        """Whether `folder` is the run the window shows (not one still saving after a Reset, review)."""
        return self.window.worker in self._workers_of(folder)

    def _live_step(self, folder: Path) -> int:
        """The step the run on screen has trained to, where `folder` is its (0 otherwise)."""
        return self.window.worker.step if self._on_screen(folder) else 0  # type: ignore[union-attr]

    def _workers_of(self, folder: Path) -> list[Any]:
        """The window's workers training in `folder` (the live run, or one still saving as it stops)."""
        return [w for w in self.window.workers() if w.run_dir is not None and Path(w.run_dir) == Path(folder)]

    def _refuse(self, text: str) -> None:
        """A run refused, said under the Runs table and kept in Help > Recent Messages (QA: a refusal there was not,
        and File > Resume Previous Run's was gone as the tab showed)."""
        self.runs.say(text, "error")
        self.window.statusBar().showMessage(text, 10000)

    def _say(self, text: str, level: str = "info", status_ms: int = 10000, until_training: bool = False,
             passing: bool = False) -> None:
        """`text` under the settings and in the status bar; one `until_training` goes from under the settings as
        training starts (it asks for it), one `passing` (a file saved) from both after `status_ms`."""
        self.window.config.show_message(text, level, until_training=until_training,
                                        fade_ms=status_ms if passing else 0)
        self.window.statusBar().showMessage(text, status_ms, until_training=until_training)

    def _show_in_grid(self, snapshot: Any, layer: int, head: int) -> None:
        """Try it's sentence in the Attention tab, the head picked there enlarged (QA: it enlarged layer 1, head 1)."""
        self.window.attention.set_snapshot(snapshot)
        self.window.attention.select_head(layer, head)
        self.window.tabs.setCurrentWidget(self.window.attention)

    def _current_run(self) -> Any:
        worker = self.window.worker
        if worker is None or worker.run_dir is None or worker.session is None:
            return None
        return worker

    # ----- exports -------------------------------------------------------------------------------
    def export_model(self) -> bool:
        from playground.export.hf import NoHFClassError, check_exportable

        try:
            check_exportable(self.window.spec)
        except NoHFClassError as err:  # (review: the command line offers the script export, the window did not)
            self._say(f"Export refused: {err}; or export it as its own PyTorch script (File > Export > Model as "
                      f"PyTorch script…)", "error")
            return False
        return self._export_current_run(
            EXPORT_KEY, "playground export RUN_FOLDER --out DIR",
            lambda worker: ask_export_folder(self.window, f"{worker.run_dir.name}-hf"), _export_hf,
            lambda out: f"Exporting to {out} (saving the checkpoint, converting, checking that transformers gives "
                        f"the same logits)…")

    def _export_current_run(self, key: str, hint: str, ask: Callable[[Any], Path | None],
                            export: Callable[[Path, Path], Any], status: Callable[[Path], str]) -> bool:
        """Save the current run at this very step and export it to where `ask` chose, on its worker thread (the
        answer comes back under `key`); `hint` is the command that exports a past run."""
        worker = self._current_run()
        if worker is None:
            self._say(f"Nothing to export yet: train at least one step (Play or Step), then export. A past run "
                      f"exports with: {hint}", "warning", until_training=True)
            return False
        target = ask(worker)
        if target is None:
            return False

        def job(session: Any) -> Any:
            session.save()  # the checkpoint the export reads is this very step
            return writing(target, lambda: export(session.run_dir, target))

        worker.submit(key, job)
        self.window.statusBar().showMessage(status(target))
        return True

    def _exported(self, result: Any) -> None:
        if isinstance(result, Exception):
            self._say(f"Export failed: {result}", "error")
            return
        self._say(f"Exported a {result.architecture} to {result.folder} (transformers loads it with from_pretrained; "
                  f"largest logit difference {result.max_abs_diff:.1e}).", "info", 15000)

    def _offer_script(self) -> None:
        """Greyed, its tooltip saying why, for a run a script cannot rebuild (QA: offered for a fine-tuned MiniLM,
        then refused)."""
        from playground.export.scriptable import ScriptExportError, check_scriptable

        action = self.actions["exportScriptAction"]
        try:
            check_scriptable(self.window.spec)
        except ScriptExportError as err:
            action.setEnabled(False)
            action.setToolTip(f"Not for this run: {err}.")
            return
        action.setEnabled(True)
        action.setToolTip(SCRIPT_TIP)

    def _offer_accuracy(self) -> None:
        """Greyed, its tooltip saying why, until the accuracy plot is shown: a classifier's, after an evaluation."""
        shown = self._accuracy_shown()
        for name in ("exportAccuracyPngAction", "exportAccuracySvgAction"):
            self.actions[name].setEnabled(shown)
            self.actions[name].setToolTip(ACCURACY_TIP if shown else f"{self._no_accuracy()}.")

    def _accuracy_shown(self) -> bool:
        return self.window.loss.accuracyPlot.isVisibleTo(self.window.loss)

    def _no_accuracy(self) -> str:
        if self.window.loss.show_accuracy:
            return "No accuracy plot yet: it is drawn from the run's first evaluation (train a few steps)"
        return "Not for this run: accuracy is plotted for classifiers and tasks, a language model's loss tells its story"

    def export_script(self) -> bool:
        from playground.export.scriptable import ScriptExportError, check_scriptable

        try:
            check_scriptable(self.window.spec)
        except ScriptExportError as err:
            self._say(f"Export refused: {err}", "error")
            return False
        # The script named after the run (QA: every export suggested train_mine.py)
        return self._export_current_run(
            SCRIPT_KEY, "playground export RUN_FOLDER --format script --out train_mine.py",
            lambda worker: ask_save_path(self.window, "Export the run as a PyTorch script",
                                         f"train-{worker.run_dir.name}", "py"),
            _export_script,
            lambda path: f"Writing {path.name} (saving the checkpoint, checking that the script rebuilds the run)…")

    def _script_written(self, result: Any) -> None:
        if isinstance(result, Exception):
            self._say(f"Export failed: {result}", "error")
            return
        self._say(f"Wrote {result.script} and its weights {result.weights.name}: run it with python "
                  f"{result.script.name} (--from-scratch trains it again).", "info", 15000)

    def export_attention_html(self) -> bool:
        worker = self._current_run()
        if worker is None:
            self._say("No attention yet: train at least one step (Play or Step), then save the page. A past run: "
                      "playground attention RUN_FOLDER --out views.html", "warning", until_training=True)
            return False
        path = ask_html_path(self.window, f"{worker.run_dir.name}-attention")
        if path is None:
            return False
        inside = self.window.inside
        text, layer, head = inside.inputEdit.text().strip() or None, inside.layer, inside.head

        def job(session: Any) -> Any:
            from playground.viz.html import save_attention_html

            return writing(path, lambda: save_attention_html(session, path, text, layer, head))

        worker.submit(HTML_KEY, job)
        self.window.statusBar().showMessage(f"Writing the attention page {path.name}…")
        return True

    def _html_written(self, result: Any) -> None:
        if isinstance(result, Exception):
            self._say(f"Could not write the attention page: {result}", "error")
            return
        self._say(f"Saved the attention views to {result}: one file, opens in any browser without a network.",
                  "info", 15000, passing=True)

    def export_loss(self, suffix: str) -> Path | None:
        return self._export_curves(self.window.lossPlot, "loss", "loss", suffix)

    def export_accuracy(self, suffix: str) -> Path | None:
        """The validation accuracy plot beside the loss plot (QA: a classifier's export left it out, a slide's
        most telling curve)."""
        if not self._accuracy_shown():  # (greyed in the menu; said all the same where it is triggered)
            self._say(f"{self._no_accuracy()}.", "warning", until_training=True)
            return None
        return self._export_curves(self.window.loss.accuracyPlot, "accuracy", "validation accuracy", suffix)

    def _export_curves(self, widget: Any, what: str, title_words: str, suffix: str) -> Path | None:
        # Named and titled after the run and the step drawn, as the heatmap is (QA: every export was "loss.png",
        # untitled); the step the train bar shows, which is the curve's (the worker's runs ahead of both)
        worker, drawn = self._current_run(), self.window.progressBar.value()
        name = f"{worker.run_dir.name}-{what}-step{drawn}" if worker is not None else what
        path = ask_save_path(self.window, f"Export the {what} plot as {suffix.upper()}", name, suffix)
        if path is None:
            return None
        # after the dialog: training may have gone on meanwhile
        title = f"{(worker or self.window).spec.name}: {title_words}" + (
            f" to step {self.window.progressBar.value():,}" if worker is not None else "")
        try:
            with self.window.loss.full_figure():  # its legend and titles, compact on screen or not
                export_plot(widget.getPlotItem(), path, title)
        except OSError as err:
            self._say(f"Could not export the {what} plot: {NotWritten(path, err)}", "error")
            return None
        self._say(f"Saved the {what} plot to {path}", status_ms=STATUS_MS, passing=True)  # (under the settings too:
        # an earlier export's "Saved …" stayed there, QA)
        return path

    def export_heatmap(self, suffix: str) -> Path | None:
        detail = self.window.attention.detail
        if detail.snapshot is None:
            self._say("No heatmap yet: train a step, then click a head in the Attention tab.", "warning",
                      until_training=True)
            return None
        snap, layer, head = detail.snapshot, detail.layer, detail.head
        where = f"layer{layer + 1}-head{head + 1}-step{snap.step}"
        worker = self._current_run()
        name = f"{worker.run_dir.name}-attention-{where}" if worker is not None else f"attention-{where}"
        path = ask_save_path(self.window, f"Export the heatmap as {suffix.upper()}", name, suffix)
        if path is None:
            return None
        latest = detail.snapshot
        if latest is not snap:  # trained on behind the dialog: the step its name says (QA: "step275" held a heatmap
            detail.show_head(snap, layer, head)  # of step 375), then the latest again (review: a paused run kept 275)
        title = f"{(worker or self.window).spec.name}: layer {layer + 1}, head {head + 1} at step {snap.step:,}"
        try:
            export_plot(detail.plot.getPlotItem(), path, title)
        except OSError as err:
            self._say(f"Could not export the heatmap: {NotWritten(path, err)}", "error")
            return None
        finally:
            if latest is not snap:
                detail.show_head(latest, layer, head)
        self._say(f"Saved the heatmap to {path}", status_ms=STATUS_MS, passing=True)
        return path

    def export_metrics(self) -> bool:
        worker = self._current_run()
        chosen = self.runs.selected()
        if worker is None and len(chosen) != 1:
            self._say("No metrics yet: train at least one step, or select one run in the Runs tab.", "warning",
                      until_training=True)
            return False
        source = Path(worker.run_dir) if worker is not None else chosen[0].folder
        path = ask_save_path(self.window, "Export metrics as CSV", f"{source.name}-metrics", "csv")
        if path is None:
            return False
        if worker is None:
            self._metrics_copied(_copy(source / METRICS_FILE, path))
            return True

        def job(_session: Any) -> Any:
            worker.flush_logs()  # rows after the last evaluation are still in the file's buffer
            return _copy(source / METRICS_FILE, path)

        worker.submit(METRICS_KEY, job)
        return True

    def _metrics_copied(self, result: Any) -> None:
        if isinstance(result, Exception):
            self._say(f"Could not export the metrics: {result}", "error")
        else:
            self._say(f"Saved the metrics to {result}", status_ms=STATUS_MS, passing=True)

    # ----- cluster -------------------------------------------------------------------------------
    def copy_cluster_command(self) -> str | None:
        """torchrun for the open preset on the clipboard; an unsaved preset is saved first (or, for a built-in
        one being trained, written beside its run's record). Both train the preset as saving writes it: without a
        lesson step's ablations, which are the lesson's."""
        from playground.core.atomic import atomic_write_text
        from playground.core.presets import to_json
        from playground.training.distributed import cluster_command

        window = self.window
        if window.preset_path is not None:
            if window.is_modified() and not window.save():
                return None
            preset = window.preset_path
        elif window.worker is not None and window.worker.run_dir is not None:
            preset = Path(window.worker.run_dir) / CLUSTER_PRESET_FILE  # preset.json stays the run's record
            atomic_write_text(preset, to_json(window.preset_spec()))
        else:
            why = "Save the preset first: the cluster command trains a preset file"
            if not window.save_as(why):  # the dialog's title says why it opens (it came bare, the reason after)
                window.statusBar().showMessage(f"No command copied. {why}.", STATUS_MS)
                return None
            preset = window.preset_path
        command = cluster_command(preset)
        QGuiApplication.clipboard().setText(command)
        window.statusBar().showMessage(f"Copied: {command}", 20000)
        return command

    # ----- runs ----------------------------------------------------------------------------------
    def _run_spec(self, folder: Path) -> Any:
        from playground.core.presets import PresetError, load_preset

        if not folder.is_dir():  # (QA: "no preset file at …/preset.json: check the path", of a path never typed)
            self._refuse("This run's folder is gone: it was moved or deleted after the Runs tab listed it. Refresh "
                         "lists the runs there now.")
            return None
        try:
            return load_preset(folder / PRESET_FILE)
        except PresetError as err:
            self._refuse(f"Cannot read this run's settings: {err}")
            return None

    def _resume_spec(self, folder: Path) -> tuple[RunSpec | None, str]:
        """The settings a resume shows, and a note where they are not the run's preset.json: its checkpoint's where
        that file was edited since the run started or no longer reads (the controls would show the file's settings
        over the checkpoint's model; QA: a damaged one refused a run whose checkpoint was whole). (None, ""), said,
        where neither will do."""
        from playground.core.presets import PresetError, load_preset
        from playground.training.checkpoint_state import read_state, state_spec

        try:
            spec, note = load_preset(folder / PRESET_FILE), "was edited since it started (Reopen trains its edits)"
            if not preset_edited(folder):
                return spec, ""
        except PresetError:
            note = "no longer reads as a preset" if (folder / PRESET_FILE).exists() else "is missing"
        checkpoint = folder / CHECKPOINT_DIR
        try:
            spec = state_spec(checkpoint, read_state(checkpoint))
        except (ValueError, OSError):
            return self._run_spec(folder), ""  # (which says why, or that the folder is gone; resume says the rest)
        return spec, f" Its {PRESET_FILE} {note}: the settings shown are its checkpoint's."

    def reopen_run(self, folder: Path) -> bool:
        window = self.window
        spec = self._run_spec(Path(folder))
        if spec is None or not window.maybe_save():
            return False
        window.load_spec(spec, None)
        name = str(read_run_info(Path(folder)).get("name") or spec.name)  # (QA: a renamed run said by its old name)
        self._say(f"Reopened the settings of “{name}”: press Play to train a new run like it "
                  f"(Resume continues the old one).", until_training=True)
        return True

    def resume_run(self, folder: Path, preset: Path | None = None) -> bool:
        """Show the run in `folder` at its checkpoint, paused; `preset`, the file it was trained from, stays the
        window's file where it still holds the settings the run started with (QA: Resume Last Run left the title
        without it, and Ctrl+S asked for a file name)."""
        window = self.window
        folder = Path(folder)
        spec, note = self._resume_spec(folder)
        if spec is None:
            return False
        # the file kept where it holds the run's settings as it started (not where it was saved with others since)
        held = held_by(preset, None) if preset is not None else None
        # (its name and description may be the user's since: File > Name and Description, QA)
        started, preset = spec, preset if held is not None and same_settings(held, spec) else None
        if preset is not None:
            spec = started = held
        refused = self.why_not_resumable(folder)
        if refused:
            self._refuse(f"Could not resume this run: {refused}")
            return False
        if not window.maybe_save():
            return False
        self.runs.say("")  # (QA: an earlier refusal stood beside the run it now resumed)
        self._stop_own_run(folder)
        info = read_run_info(folder)
        step = saved_step(folder)
        name = str(info.get("name") or spec.name)  # as the Runs tab and File > Resume Last Run call it (renamed there)
        if isinstance(step, int):
            spec = spec_after(spec, recorded_changes(folder), step)  # the settings it changed mid-run, shown
        # A trained run's lesson is not started again: its first step spoke of a "new and random" classifier beside
        # bars at 99.7 % (QA, lesson 19.5 resumed at step 62)
        trained = isinstance(step, int) and step > 0
        # (stops the current run, its checkpoint saved; the file, where kept, holds the run's settings as it started)
        window.load_spec(spec, preset, lesson=not trained, saved=started if preset else None)
        step = self.continue_run(folder, spec, step if isinstance(step, int) else None)
        lesson = " Lesson > Play the Preset's Lesson starts its lesson again." if trained and spec.lesson else ""
        if isinstance(step, int) and step >= spec.train.max_steps:  # a model trained before class, shown again
            # (short: five lines under the settings pushed Training steps, the control it names, out of sight: QA)
            more = "Raise Training steps to train it on, or " if spec.train.min_lr_ratio > 0 else ""  # (0: rebuilds)
            self._say(f"Opened “{name}” at its last step ({step:,}, finished), trained, in every view. {more}Reset "
                      f"(Ctrl+R) for a new run.{lesson}{note}")
        else:
            self._say(f"Resuming “{name}” from its checkpoint{f' at step {step:,}' if isinstance(step, int) else ''}"
                      f": press Play to continue.{lesson}{note}", until_training=True)
        return True

    def why_not_resumable(self, folder: Path) -> str:
        """What the run in `folder` would be refused for as it loads, said before the model on screen goes (QA: a
        run whose CSV was renamed replaced the trained model with nothing, and Undo then offered the run that
        failed): its data gone or changed, its checkpoint's files damaged, or its folder in use by another run. ""
        where nothing is in the way, or where the run on screen trains there (its data was read just now; its
        checkpoint may be still to come, and it is stopped before the run resumes). A run of that folder that is
        stopping is waited for: its checkpoint is checked once it is whole."""
        from playground.training.checkpoint_state import check_resumable

        live = self.window.worker
        for worker in self._workers_of(folder):
            if worker is not live:
                worker.wait()  # stopped, it is saving its checkpoint: checked once that is whole (a race in CI)
        if live is not None and live.isRunning() and live in self._workers_of(folder):
            return ""
        try:
            check_resumable(folder / CHECKPOINT_DIR)
            lock_run_dir(folder).release()
        except (ValueError, OSError) as err:
            return in_window_words(one_line(err)).rstrip(".") + "."  # (the end of a sentence in the window: QA)
        return ""

    def resume_last(self) -> bool:
        """File > Resume Last Run: the run last trained in the window, back at its checkpoint, paused (a lecturer
        who closed the window mid-demo found the default preset on reopening, the run in the Runs tab)."""
        folder = last_run(self.window.settings)
        if folder is None:
            self._say("There is no run to resume: none trained in this window yet, or its checkpoint has gone. The Runs "
                      "tab lists every run kept.", "warning")
            return False
        self.runs.say("")  # (review: a second try said the same there, and nothing showed it)
        if self.resume_run(folder, last_run_preset(self.window.settings)):
            return True
        if self.runs.message.text():  # why not is said there (nothing: the user cancelled the question)
            self.window.tabs.setCurrentWidget(self.runs)
        return False

    def _stop_own_run(self, folder: Path) -> None:
        """Stop the window's own run in `folder` and wait for its save: its run.json gets its step only then (Resume
        on the run that had just finished said "press Play to continue"), and the settings it changed are all kept."""
        for worker in self._workers_of(folder):
            worker.stop(save=True)
            worker.wait()

    def continue_run(self, folder: Path, spec: RunSpec, step: int | None) -> int | None:
        """Make the run in `folder` the live one again, paused at its checkpoint, its curve so far on the plot
        (the window's settings already show `spec`). Returns the checkpoint's step: a run stopped mid-step saved
        one step more than the `step` it last showed."""
        from playground.ui.worker import TrainingWorker

        window = self.window
        for worker in self._workers_of(folder):
            worker.wait()  # the folder's own run was still saving its checkpoint
        saved = saved_step(folder)
        step = saved if saved is not None else step
        self._prefill_loss(folder, step)
        # Its samples too (QA: the Samples tab was empty after Undo or a Resume of a run that had drawn several).
        window.samples.restore([e for e in read_samples(folder) if step is None or e.step <= step])
        worker = TrainingWorker(spec, runs_root(), resume_from=folder)
        if isinstance(step, int):
            worker.step = step  # before its thread reads the checkpoint: a lesson asking for steps counts from here
        if step and (info := window.config.info()) is not None and info.task == "classify":
            # its confusion matrix, which no file keeps (QA: "appears at the first evaluation" beside the accuracy
            # plot's evaluations)
            worker.submit(CONFUSION_KEY, lambda session: (session.step, session.evaluate()[2]))
        window.start_worker(worker)
        self._prefill_timeline(folder, step)
        if step is not None:
            window.progressBar.setValue(step)
            window.stepLabel.setText(f"step {step:,} / {spec.train.max_steps:,}")
            # as the run said when it ended, or when it was paused (QA: nothing beside "step 398" after Undo)
            window.speedLabel.setText("finished" if step >= spec.train.max_steps else "paused")
        return step

    def _prefill_timeline(self, folder: Path, up_to: int | None) -> None:
        """Head roles' timeline: the run's saved snapshots, which the resumed training continues (the window's
        own went with the model an action replaced)."""
        timeline = _saved_timeline(folder, up_to)
        if timeline is not None and len(timeline):
            self.window.inside.roles.set_timeline(timeline)

    def _prefill_loss(self, folder: Path, up_to: int | None) -> None:
        """The run's curve so far and the marks of its settings changed mid-run, so the resumed training
        continues it on the plot."""
        from playground.training.events import MetricsEvent

        try:
            rows = read_metrics(folder)
        except UnreadableFile:
            return
        events = []

        def num(row: dict[str, str], key: str) -> float | None:
            try:
                return float(row[key]) if row.get(key) else None
            except ValueError:
                return None

        for row in rows:
            step, loss = num(row, "step"), num(row, "train_loss")
            if step is None or loss is None or (up_to is not None and step > up_to):
                continue
            events.append(MetricsEvent(step=int(step), max_steps=0, train_loss=loss, lr=num(row, "lr") or 0.0,
                                       throughput=0.0, unit="", elapsed_s=0.0, eta_s=0.0,
                                       val_loss=num(row, "val_loss"), val_accuracy=num(row, "val_accuracy")))
        self.window.loss.add_metrics(events)
        self.window.loss.add_changes(c for c in recorded_changes(folder) if up_to is None or c.step <= up_to)


def _saved_timeline(folder: Path, up_to: int | None) -> SnapshotTimeline | None:
    """The attention snapshots the run in `folder` saved, up to step `up_to`; None when it saved none we can read."""
    try:
        timeline = SnapshotTimeline.load(folder)
    except (OSError, ValueError, KeyError):
        return None
    if up_to is not None:
        timeline.drop_after(up_to)
    return timeline


def _export_hf(run_dir: Path, out: Path) -> Any:
    from playground.export.hf import export_run  # on the worker thread: transformers loads there, not in the window

    return export_run(run_dir, out)


def _export_script(run_dir: Path, path: Path) -> Any:
    from playground.export.script import export_script

    return export_script(run_dir, path)


def _copy(source: Path, target: Path) -> Path | Exception:
    try:
        writing(target, lambda: shutil.copyfile(source, target))
    except OSError as err:  # (a source that cannot be read is said as it is)
        return err
    return target


class NotWritten(OSError):
    """A file or folder the user chose that could not be written, said with the place and what to do (QA: "[Errno 2]
    No such file or directory: '/proc/2026…-hf'" for a folder that exists; a temporary file's name for /sys)."""

    def __init__(self, target: Path, err: OSError) -> None:
        why = f" ({why_not_written(target, err)})" if err.strerror else ""  # (Qt's failed saves give no reason)
        super().__init__(f"could not write {target}{why}: choose a folder you can write to, your home folder for one, "
                         f"and try again")


def writing(target: Path, write: Callable[[], Any]) -> Any:
    """`write()`'s result; an OSError of writing at `target` (or beside it: a temporary file) said as `NotWritten`.
    Another (a checkpoint or a source that cannot be read) is raised as it is (review)."""
    try:
        return write()
    except NotWritten:
        raise
    except OSError as err:
        where = Path(err.filename) if err.filename is not None else target
        if where != target and target not in where.parents and where.parent != target.parent:
            raise
        raise NotWritten(target, err) from err
