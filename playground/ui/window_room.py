"""The room the main window's views get: the zoom of every font (Ctrl+= / Ctrl+-, F5's presentation size), the
settings panel (F9) and the loss plot (F8) shown or hidden, and the window kept within the screen.

`GivesViewsRoom` is a part of `MainWindow` (a mixin): it resizes the window's own panels and train bar.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QCoreApplication, QEvent, QSettings, QSize, Qt, QTimer
from PySide6.QtGui import QFont, QFontMetrics, QShowEvent
from PySide6.QtWidgets import QApplication, QPushButton, QStyle

from playground.ui.screen_fit import fit_to_screen
from playground.ui.status_bar import STATUS_MS

ZOOM_STEPS = (0.8, 0.9, 1.0, 1.15, 1.3, 1.5, 1.75, 2.0, 2.5)  # font scales Ctrl+= and Ctrl+- step through
# Said when the window is wider than the screen; short enough to be read whole at 200 % beside a training run's
# device label (~440 px of room: "Zoom 200% is wider than the screen: …" came out cut in the middle).
TOO_WIDE = "Too wide: F9 hides the settings"
PRESENTATION_ZOOM = 1.3  # readable from the back of a room, and a 1280x720 projector still holds the window
# From this zoom the train bar's buttons show their icons alone (their words are in the tooltips): with the words
# the bar made the window 1,289-1,345 px wide at 175 % on a 1280-px screen.
ICONS_ONLY_ZOOM = 1.75
LESSON_ALONE_CHARS = 40  # the lesson's column with the settings hidden: lines of about 40 characters still read well


class GivesViewsRoom:
    """Zoom, F8 and F9 of `MainWindow` (see the module's docstring)."""

    zoom: float  # the fonts' scale, 1.0 normal
    # Zoomed in on a narrow screen, what the train bar leaves out so the window fits: 1 its buttons' words, 2 its
    # progress bar too (the step beside it says as much)
    _crowding = 0
    _hidden_to_fit = False  # the settings were hidden for the window to fit the screen (`fit_zoom`), not by F9
    _hidden_by_zoom = False  # ... for a zoom (a zoom in, or the launch's) to fit: a zoom out with room shows them
    _zoom_before = 1.0  # the zoom before the last change: a zoom in too wide even without the settings goes back to it
    _zoom_refused = 0.0  # the zoom in that went back, to be said
    _zoom_pending = False  # a zoom change waits to be laid out (`_after_zoom`)
    _zoom_hid_settings = 1.0  # the zoom the settings' width was kept at when a zoom in hid them
    _column_at: dict[float, int]  # the settings' column's width at each zoom left (px)
    _follows_screen = False  # a move to another screen fits the window to it
    _closing: bool
    _loss_hidden_for: set[str]  # why the loss plot is hidden: the user's F8, Try it enlarged
    _with_settings: QByteArray | None  # the main splitter's state while the settings showed, kept while they hide

    def set_zoom(self, scale: float) -> None:
        """Every font in the window at `scale` times its normal size (remembered): the views follow the
        application's font, so token labels, axes and heatmap labels grow with the text."""
        self.zoom = min(max(scale, ZOOM_STEPS[0]), ZOOM_STEPS[-1])
        normal = normal_font()
        font = QFont(normal)
        font.setPointSizeF(normal.pointSizeF() * self.zoom)
        QApplication.setFont(font)
        self.config.fit_width(self.zoom)  # its labels and values grow with the font
        self._name_buttons()
        # It stretches; squeezed, it still holds "100%" in this font (a fixed 100 px made a lesson at 175 % widen
        # the window)
        self.progressBar.setMinimumWidth(QFontMetrics(font).horizontalAdvance("100%") + 12)
        self._fit_bar_labels()
        self.presentAction.setChecked(self.zoom >= PRESENTATION_ZOOM)
        self.settings.setValue("view/zoom", self.zoom)

    def _name_buttons(self) -> None:
        for button in (self.playButton, self.stepButton, self.resetButton):
            self._name_button(button, button.property("word"))

    def _name_button(self, button: QPushButton, word: str) -> None:
        """`word` on the button below ICONS_ONLY_ZOOM, unless the window is too crowded for it; else its icon alone,
        as tall as the text it stands for (the style's 16 px looked lost at 175 %). The word is kept for later."""
        button.setProperty("word", word)
        button.setAccessibleName(word)  # a screen reader's name for it, with or without the word shown
        words = self.zoom < ICONS_ONLY_ZOOM and not self._crowding
        button.setText(word if words else "")
        side = self.style().pixelMetric(QStyle.PixelMetric.PM_ButtonIconSize) if words else QFontMetrics(
            QApplication.font()).height()
        button.setIconSize(QSize(side, side))

    def change_zoom(self, scale: float) -> None:
        """The user's zoom: Qt widens the window to the larger fonts' minimum but never narrows it back, so once the
        layout has settled the window is fitted to the screen again (it stayed 1494 px wide on a 1280 px projector)."""
        if not self._zoom_pending:  # (keys repeated before the layout: the zoom before them all)
            self._zoom_before, self._zoom_pending = self.zoom, True
            if self.config.isVisibleTo(self):  # its width at this zoom, the user's perhaps: back at it later
                self._column_at[self.zoom] = self.mainSplitter.sizes()[0]
        self.set_zoom(scale)
        QTimer.singleShot(0, self, self._after_zoom)

    def _after_zoom(self) -> None:
        """Once the new fonts are laid out, the window fitted to the screen and the zoom said; a zoom in wider than
        the screen makes room first, and a zoom out gives the settings back the room it hid them for."""
        if not self._zoom_pending:
            return  # (a zoom key repeated: laid out with the first)
        self._zoom_pending = False
        refused, self._zoom_refused = self._zoom_refused, 0.0
        self.config.fit_width(self.zoom)  # its fields measured in their new font (Qt posts the change to them)
        self._fit_train_bar()
        self._settings_width_follows_zoom(self._zoom_before)
        if self.zoom > self._zoom_before and self._wider_than_screen():
            self._make_room_for_zoom()
            return
        if self._hidden_by_zoom and self.zoom < self._zoom_before and self._fits_with_settings(True):
            self.set_settings_shown(True)  # (said once laid out) at the width they had, as wide as this zoom's fonts
            self._settings_width_follows_zoom(self._zoom_hid_settings)
            return
        wider = self._wider_than_screen()
        fit_to_screen(self)
        if refused:  # (short: the bar holds it beside a training run's device at 200 %)
            message = f"Zoom {refused:.0%} too wide for the screen: stays at {self.zoom:.0%}"
        elif wider:
            message = self._too_wide()
        elif self.zoom > 1 and (room := self._keys_for_room()):
            # (QA: at 130 % on 1280x720 Inside attention's views were strips, and F8 and F9 unknown to the lecturer)
            message = f"Zoom {self.zoom:.0%}: {room} (Ctrl+0: normal size)"
        elif self.zoom == 1:
            message = "Zoom 100%, the normal size"  # (lecturer QA: "Ctrl+0: normal size" where it was)
        else:
            message = f"Zoom {self.zoom:.0%} (Ctrl+0: normal size)"
        self.statusBar().showMessage(message, STATUS_MS)

    def _keys_for_room(self) -> str:
        """The keys that give the views more room now, said with a zoom ("" for none): F9 once the settings are
        hidden shows them (QA: "F8 and F9 give the views more room" with the settings hidden at 250 %)."""
        keys = [key for key, shown in (("F8", not self._loss_hidden_for), ("F9", self.config.isVisibleTo(self)))
                if shown]
        said = f"{' and '.join(keys)} give{'s' if len(keys) == 1 else ''} the views more room" if keys else ""
        return said if self.config.isVisibleTo(self) or not keys else f"{said}; F9 shows the settings"

    def _make_room_for_zoom(self) -> None:
        """A zoom in wider than the screen: the settings hidden where the window then fits, as at launch (said once
        laid out; F9 shows them), else the zoom before it kept, said (QA: one Ctrl+= past 175 % left the window
        1,377 px wide on a 1280-px screen, its right edge off it, "Too wide: F9 hides the settings" the only word)."""
        if self.config.isVisibleTo(self) and self._fits_with_settings(False):
            self._hidden_to_fit = True
            self.set_settings_shown(False)
            self._hidden_by_zoom, self._zoom_hid_settings = True, self._zoom_before  # (the width kept is that zoom's)
            return
        # Laid out and fitted again, the zoom before kept as the one to come back to: a zoom key pressed meanwhile
        # is measured against it too (review: measured against the zoom refused, it stayed too wide)
        self._zoom_refused = self.zoom
        self.set_zoom(self._zoom_before)
        self._zoom_pending = True
        QTimer.singleShot(0, self, self._after_zoom)

    def _fits_with_settings(self, shown: bool) -> bool:
        """Whether the window would fit the screen with the settings `shown`: shown or hidden for the measurement
        alone (no paint comes between; a window it widens meanwhile is fitted again after), the keyboard focus kept
        where it was."""
        focus = QApplication.focusWidget()
        was = self.config.isVisibleTo(self)
        self.config.setVisible(shown)
        fits = not self._wider_than_screen()
        self.config.setVisible(was)
        if focus is not None and QApplication.focusWidget() is not focus:
            focus.setFocus()
        return fits

    def _settings_width_follows_zoom(self, laid_out_at: float) -> None:
        """Zoomed out from `laid_out_at`, the settings' column back at the width it had at this zoom, or narrowed as
        the fonts are (not below its least width): QSplitter keeps the width larger fonts gave it (QA, twice: 557 px
        after 150 % and Ctrl+0 on a 1280-px screen, 330 before; review: a user's 450 px came back as 346)."""
        if self.zoom >= laid_out_at or not self.config.isVisibleTo(self):
            return
        column, views = self.mainSplitter.sizes()
        had = self._column_at.get(self.zoom, round(column * self.zoom / laid_out_at))
        narrower = max(self.leftColumn.minimumSizeHint().width(), had)
        if 0 < narrower < column:
            self.mainSplitter.setSizes([narrower, column + views - narrower])

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)  # type: ignore[misc]
        handle = self.windowHandle()
        if not self._follows_screen and handle is not None:
            self._follows_screen = True
            # (queued: the new screen's size and scale are the window's once Qt has moved it)
            handle.screenChanged.connect(self.fit_zoom, Qt.ConnectionType.QueuedConnection)

    def fit_zoom(self) -> None:
        """The zoom fitted to this screen as a zoom change is, the settings hidden where the window is still wider
        than the screen, and said: at launch, once the views are built, for the zoom the last session left (QA:
        presentation mode left on, the next launch at the desktop's 130 % opened 1,463 px wide on a 1280-px projector,
        unsaid), as Compare A/B, which zooms both windows, closes, and when the window is moved to another screen (a
        laptop's window dragged onto the projector; the train bar's words come back on a wider one)."""
        if self._closing:
            return  # (the views may be built after a close, as start_warmup knows)
        self._fit_train_bar()
        if not self._wider_than_screen():
            fit_to_screen(self)
            return
        if self.config.isVisibleTo(self):  # nobody pressed a key: the settings make room, and F9 brings them back (QA:
            self._hidden_to_fit = True  # a relaunch in lesson 19.2 at the desktop's 130 % was 1,304 px wide)
            self.set_settings_shown(False)
            self._hidden_by_zoom, self._zoom_hid_settings = True, self.zoom  # (a zoom out with room shows them)
        else:
            fit_to_screen(self)
            self.statusBar().showMessage(self._too_wide(), STATUS_MS)

    def _fit_train_bar(self) -> None:
        """Zoomed in, the train bar leaves out its buttons' words, then its progress bar, where they would make the
        window wider than the screen (a 1280-px projector at the desktop's 130 % holds 985 of the app's pixels: F5 made
        the window 1,463 px wide, QA); with room again (F9), they come back. At 100 % it has them all."""
        for crowding in range(3):
            self._crowding = crowding
            self._name_buttons()
            self.progressBar.setVisible(crowding < 2)
            if crowding == 2 or self.zoom <= 1.0 or not self._wider_than_screen():
                return

    def _too_wide(self) -> str:
        """What to do about a window wider than the screen."""
        return TOO_WIDE if self.config.isVisibleTo(self) else "Too wide: Ctrl+- zooms out"

    def _wider_than_screen(self) -> bool:
        """Whether the window's minimum width is more than the screen's free width, read once the layouts' posted
        requests have run (before them it was the old fonts' or panel's)."""
        for _ in range(4):  # nested layouts: a child's activation posts its parent's request
            QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        screen = self.screen()
        return screen is not None and self.minimumSizeHint().width() > screen.availableGeometry().width()

    def zoom_by(self, steps: int) -> None:
        below = [z for z in ZOOM_STEPS if z < self.zoom - 1e-6]
        above = [z for z in ZOOM_STEPS if z > self.zoom + 1e-6]
        if steps > 0 and above:
            self.change_zoom(above[0])
        elif steps < 0 and below:
            self.change_zoom(below[-1])
        else:
            self.change_zoom(self.zoom)  # the end of the range: says the size it stays at (or that it is too wide)

    def toggle_presentation(self) -> None:
        self.change_zoom(1.0 if self.zoom >= PRESENTATION_ZOOM else PRESENTATION_ZOOM)

    def toggle_settings(self) -> None:
        self.set_settings_shown(self.settingsAction.isChecked())

    def set_settings_shown(self, shown: bool) -> None:
        """The settings panel shown, or hidden so the views take the window's whole width (at 200 % and more the
        window with it is wider than a 1280-px projector). Not remembered: the next launch shows the sliders."""
        if shown == self.config.isVisibleTo(self):
            return
        self._hidden_by_zoom = False  # (shown, or hidden by another than a zoom)
        self.settingsAction.setChecked(shown)
        if not shown and self.config.isAncestorOf(QApplication.focusWidget()):
            self.playButton.setFocus()  # the keyboard focus leaves with the panel, to the first thing beside it
        if not shown:
            self._with_settings = self.mainSplitter.saveState()
            self._column_at[self.zoom] = self.mainSplitter.sizes()[0]  # (review: an older width came back after F9)
        self.config.setVisible(shown)
        if shown and self._with_settings is not None:
            self.mainSplitter.restoreState(self._with_settings)  # the settings' own width again
            self._with_settings = None
        QTimer.singleShot(0, self, self._after_settings)  # once the window's new minimum width is laid out

    def _after_settings(self) -> None:
        """The window fitted to the screen again and the change said (shown at 200 %, it is wider than a 1280-px
        screen again: a lesson step or an error may have shown it)."""
        shown = self.config.isVisibleTo(self)
        # Measured either way, as a zoom's is: hidden, the window's minimum narrows only once the layouts have run
        # (QA: fitted before, it stayed 1296 px wide on a 1280-px screen at 200 %)
        self._fit_train_bar()
        wider = self._wider_than_screen()
        if not shown:
            self._narrow_left_column()
        if wider:
            message = self._too_wide()
        elif shown:
            message = "Settings shown (F9 hides them)"
        else:
            message = f"Settings hidden{' to fit the screen' if self._hidden_to_fit else ''} (F9 shows them)"
        self._hidden_to_fit = False
        fit_to_screen(self)
        self.statusBar().showMessage(message, STATUS_MS)

    def _narrow_left_column(self) -> None:
        """The settings' width to the views, the lesson's text (now, or a lesson opened later) keeping a column as
        narrow as reads well (QA: F9 "for room" in a lesson left its 488-px column empty under the text, and the
        figure as cramped). A hidden column takes the size set here when it shows: QSplitter keeps it."""
        if self._with_settings is None:
            return  # shown again before this ran
        splitter = self.mainSplitter
        column, views = splitter.sizes()
        narrow = max(self.leftColumn.minimumSizeHint().width(),
                     QFontMetrics(QApplication.font()).averageCharWidth() * LESSON_ALONE_CHARS)
        if not column or narrow < column:
            splitter.setSizes([narrow, column + views - narrow])

    def toggle_loss_plot(self) -> None:
        self.set_loss_plot_shown(self.lossPlotAction.isChecked())

    def set_loss_plot_shown(self, shown: bool, quiet: bool = False) -> None:
        """The loss plot shown, or hidden so the tab below it takes the centre's whole height (QA: at 1280x720 Inside
        attention's figures got 160-200 px under the plot). Not remembered: the next launch shows the curves. A
        `quiet` change (a lesson step's) says nothing and leaves Try it's remembered Enlarge as the user set it."""
        if shown == (not self._loss_hidden_for):
            self.lossPlotAction.setChecked(shown)  # (a click on the checked item unchecks it first)
            return
        if shown and "enlarged" in self._loss_hidden_for:
            # the curves asked for: Try it's head views give their room back
            self.runTools.tryIt.set_enlarged(False, remember=not quiet)
        self.hide_loss_plot_for("user", not shown)
        if not quiet:
            self.statusBar().showMessage("Loss curves shown (F8 hides them)" if shown
                                         else "Loss curves hidden (F8 shows them)", STATUS_MS)

    def hide_loss_plot_for(self, reason: str, hidden: bool) -> None:
        """The loss plot hidden while any `reason` holds (the user's F8, Try it's enlarged head views), so one
        giving the room back does not show the curves another hid; View > Loss Curves is checked while they show."""
        if hidden:
            self._loss_hidden_for.add(reason)
        else:
            self._loss_hidden_for.discard(reason)
        self.lossPlotAction.setChecked(not self._loss_hidden_for)
        if not self._views_built:
            return
        if self._loss_hidden_for and self.loss.isAncestorOf(QApplication.focusWidget()):
            self.playButton.setFocus()  # the keyboard focus leaves with the plot, to the first thing above it
        self.loss.setVisible(not self._loss_hidden_for)


def normal_font() -> QFont:
    """The application's font before any zoom (kept on the application, which outlives its windows)."""
    app = QApplication.instance()
    font = app.property("playgroundNormalFont")
    if not isinstance(font, QFont):
        font = QApplication.font()
        app.setProperty("playgroundNormalFont", font)
    return font


def stored_zoom(settings: QSettings) -> float:
    try:
        return float(settings.value("view/zoom", 1.0))
    except (TypeError, ValueError):
        return 1.0
