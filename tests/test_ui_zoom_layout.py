"""The window at the large zooms on a 1280x720 projector: texts that grow with the font never widen the window, and
the Inside attention views keep a usable height under the rows of text around them."""

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QPoint
from PySide6.QtGui import QFontMetrics, QTextDocument
from PySide6.QtWidgets import QScrollArea

from playground.core.presets import load_preset
from playground.training.events import MetricsEvent
from playground.ui import theme
from playground.ui.attention_jobs import InsideJob
from playground.ui.plotting import VIEW_LINES

PROJECTOR = (1280, 720)


def laid_out() -> None:
    """Handle the pending events, the layouts' posted requests last (nested layouts post their parent's as they
    activate)."""
    QCoreApplication.processEvents()
    for _ in range(4):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)


def zoomed_window(open_window, request, zoom: float, settings: bool = True):
    """The decoder-reverse window at `zoom` on a 1280x720 projector (the settings hidden with F9 when not
    `settings`); the application font back to normal after the test."""
    window = open_window(load_preset("decoder-reverse").updated({"train.device": "cpu", "train.compile": "off"}))
    request.addfinalizer(lambda: window.set_zoom(1.0))
    window.set_zoom(zoom)
    window.set_settings_shown(settings)
    laid_out()
    window.resize(*PROJECTOR)
    laid_out()
    return window


def one_line(label) -> bool:
    """Whether `label`'s rich text fits its width on one line."""
    document = QTextDocument()
    document.setDefaultFont(label.font())
    document.setDocumentMargin(0)
    document.setHtml(label.text())
    return document.idealWidth() <= label.contentsRect().width()


def test_reading_the_loss_curve_at_175_percent_never_widens_the_window(open_window, qtbot, request):
    """QA at 175 %: "step 91 · train … · val … (nearest eval) · accuracy 100.0%" above the curve made the 1280-px
    window 1429 px wide, and it stayed so on every tab."""
    window = zoomed_window(open_window, request, 1.75)
    window.loss.add_metrics([MetricsEvent(step=s, max_steps=1500, train_loss=2.5 / s, lr=1e-3, throughput=1e3,
                                          unit="tokens", elapsed_s=1.0, eta_s=1.0,
                                          val_loss=0.0054 if s % 100 == 0 else None,
                                          val_accuracy=1.0 if s % 100 == 0 else None) for s in range(1, 356)])
    laid_out()
    panel = window.loss.minimumSizeHint().width()  # (the window's own follows the device label, loaded meanwhile)
    assert window.width() == PROJECTOR[0] and window.minimumSizeHint().width() <= PROJECTOR[0]
    viewport = window.lossPlot.viewport()
    qtbot.mouseMove(viewport, QPoint(80, viewport.height() // 3))  # on the curve, within the 800-px offscreen screen
    readout = window.loss.readout
    qtbot.waitUntil(lambda: readout.text().startswith("<b>step"), timeout=5000)
    laid_out()
    assert window.loss.minimumSizeHint().width() == panel
    assert window.minimumSizeHint().width() <= PROJECTOR[0] and window.width() == PROJECTOR[0]
    assert "val 0.0054" in readout.text() and "100.0%" in readout.text()  # the values, in the words that fit
    assert one_line(readout) and readout.visibleRegion().boundingRect() == readout.rect()


@pytest.mark.parametrize(("zoom", "settings"), [(1.75, True), (2.5, False)])
def test_the_inside_attention_views_keep_their_height_at_a_large_zoom(open_window, qtbot, request, tiny_session,
                                                                      zoom, settings):
    """QA at 175-250 %: the rows of text above and below Step by step, the head view and the embeddings grew with the
    font and left the views a 50-100 px strip (24 px at 250 %); the window still fits the projector."""
    window = zoomed_window(open_window, request, zoom, settings)
    window.tabs.setCurrentWidget(window.inside)
    inside = window.inside
    inside.show_result(InsideJob(1, embeddings=True)(tiny_session("decoder", "reverse")))
    line = QFontMetrics(window.font()).height()
    for page, view in ((inside.steps, inside.steps.scroll), (inside.headView, inside.headView.scroll),
                       (inside.embeddings, inside.embeddings.scroll)):
        inside.tabs.setCurrentWidget(page)
        laid_out()
        assert view.height() >= VIEW_LINES * line, page.objectName()  # the figure's area, its scroll bars included
    assert one_line(inside.status) and one_line(inside.steps.caption)  # what the views show, each on one line
    assert window.minimumSizeHint().height() <= PROJECTOR[1] and window.size().toTuple() == PROJECTOR


def test_the_train_bars_speed_and_eta_are_whole_in_presentation_mode(open_window, request):
    """QA, lesson 19.6 at 130 %: "370 tokens/s" read "370 tokens/": the bar's labels kept the room measured at 100 %."""
    window = zoomed_window(open_window, request, 1.3)
    window.speedLabel.setText("88,888 tokens/s")
    window.etaLabel.setText("ETA 1:23:45")
    laid_out()
    window.resize(window.minimumSizeHint().width(), PROJECTOR[1])  # as narrow as the window goes: the bar squeezed
    laid_out()
    for label in (window.stepLabel, window.speedLabel, window.etaLabel):
        assert label.width() >= QFontMetrics(label.font()).horizontalAdvance(label.text()), label.objectName()


def test_a_lesson_step_text_taller_than_the_column_scrolls_instead_of_being_cut(open_window, request):
    """QA: at 175 % and more, lesson 19.2's step 7 ended mid-sentence ("Type your own sentence in the"), no scrolling."""
    window = open_window(load_preset("lesson-19.2-self-attention").updated({"train.device": "cpu",
                                                                            "train.compile": "off"}))
    request.addfinalizer(lambda: window.set_zoom(1.0))
    bar = window.lessonBar
    bar.train_cap = 0
    bar.go(6)
    label, scroll = bar.textLabel, bar.textScroll
    for zoom, settings in ((1.0, True), (2.5, False)):
        window.set_zoom(zoom)
        window.set_settings_shown(settings)
        laid_out()
        window.resize(*PROJECTOR)
        laid_out()
        assert label.height() >= label.heightForWidth(label.width()) > 0  # the whole text, scrolled or not
        assert bar.geometry().bottom() <= window.leftColumn.height()
        assert (scroll.verticalScrollBar().maximum() > 0) == (zoom > 1)  # scrolled only where the column is short


def test_a_tinted_message_follows_the_zoom_back(open_window, request):
    """QA: the Runs tab's "1 run overlaid…" stayed at presentation size after F5 left it: its colour came from a
    style sheet, and a widget with one keeps the font it had when it was set."""
    window = zoomed_window(open_window, request, 1.3)
    runs = window.runTools.runs
    runs.say("1 run overlaid on the plots.", "info")
    samples = window.samples.status
    window.samples._say("Temperature 5 is out of range.", error=True)
    window.config.show_message("Opened built-in preset decoder-reverse.", "info")
    window.set_zoom(1.0)
    laid_out()
    normal = window.stepLabel.font().pointSizeF()
    assert runs.message.font().pointSizeF() == samples.font().pointSizeF() == normal
    assert window.config.messageLabel.font().pointSizeF() == normal
    assert runs.message.palette().color(runs.message.foregroundRole()).name() == theme.colour("info")


@pytest.mark.parametrize("zoom", [1.0, 1.75, 2.5])
def test_the_step_axis_title_stands_clear_of_its_numbers_at_every_zoom(open_window, request, zoom):
    """QA: at 175 % the exported loss plot's "step" touched the numbers above it (pyqtgraph's room for the title
    shrinks as the font grows). Read off the painted axis, with its title as an export draws it: its rows with ink
    are the numbers, then the title."""
    import numpy as np
    from PySide6.QtCore import QRectF

    from playground.ui.plotting import sized_font

    window = zoomed_window(open_window, request, zoom, settings=False)
    window.loss.add_metrics([MetricsEvent(step=s, max_steps=1500, train_loss=2.5 / s, lr=1e-3, throughput=1e3,
                                          unit="tokens", elapsed_s=1.0, eta_s=1.0) for s in range(1, 300)])
    window.loss.redraw()
    with window.loss.full_figure():
        laid_out()
        axis = window.lossPlot.getPlotItem().getAxis("bottom")
        assert axis.label.isVisible()
        own = axis.mapRectToScene(QRectF(0, 0, axis.width(), axis.height() + 10))  # (the title reaches 5 px past it)
        image = window.lossPlot.grab(window.lossPlot.mapFromScene(own).boundingRect()).toImage()
    rows = np.array([[image.pixelColor(x, y).lightness() < 128 for x in range(image.width())]
                     for y in range(image.height())]).any(axis=1)
    ink = np.flatnonzero(rows)
    breaks = np.flatnonzero(np.diff(ink) > 1)  # the blank runs between bands of ink
    assert len(breaks) >= 1, "the numbers and the title drawn as one band"
    gap = ink[breaks[-1] + 1] - ink[breaks[-1]] - 1  # before the title, the last band
    line = QFontMetrics(sized_font()).height()
    assert gap >= 0.4 * line, f"{gap} px between the step numbers and the title at {zoom:.0%} ({line}-px lines)"


def test_the_vits_figure_fits_the_width_in_presentation_mode_beside_the_settings(open_window, qtbot, request):
    """QA at 130 % (1280x720, the settings shown, F8): the ViT's [CLS] figure had heads 3 and 4 past the right edge
    with "Fit to width" ticked; its pictures now shrink to the room, its text as legible as ever."""
    from playground.ui.inside_attention import FIT_TEXT
    from playground.ui.window_room import PRESENTATION_ZOOM

    window = open_window(load_preset("vit-shapes").updated({"train.device": "cpu", "train.compile": "off"}))
    request.addfinalizer(lambda: window.set_zoom(1.0))
    window.set_zoom(PRESENTATION_ZOOM)
    laid_out()
    window.resize(*PROJECTOR)
    window.set_loss_plot_shown(False)
    inside = window.inside
    window.tabs.setCurrentWidget(inside)
    inside.tabs.setCurrentWidget(inside.vit)
    laid_out()
    window.step_once()
    view = inside.vit
    qtbot.waitUntil(lambda: inside.result is not None and inside.result.vit_figure is not None, timeout=30_000)
    qtbot.waitUntil(lambda: view.fitCheck.text() == FIT_TEXT and not view.scroll.horizontalScrollBar().isVisible(),
                    timeout=10_000)
    assert view.scale() >= view.legible() > 1  # the text no smaller than the window's, less a pixel
    assert inside.result.vit_figure.width * view.scale() <= view.scroll.viewport().width()


def test_the_setting_with_the_keyboard_focus_stays_in_view_through_a_zoom(open_active_window, qtbot, request):
    """QA: tabbed to Warm-up steps, Ctrl+= scrolled it out of sight and the next Right changed it unseen (rebuilding
    a trained model)."""
    from conftest import tab_to

    window = open_active_window(load_preset("encoder-sort").updated({"train.device": "cpu"}))
    request.addfinalizer(lambda: window.set_zoom(1.0))
    window.resize(*PROJECTOR)
    laid_out()
    slider = window.config.sliders["train.warmup_steps"].slider
    tab_to(qtbot, slider, window.config.sliders["train.lr"].slider)
    scroll = window.config.findChild(QScrollArea, "configScroll")

    def in_view() -> bool:
        top = slider.mapTo(scroll.viewport(), QPoint(0, 0)).y()
        return 0 <= top and top + slider.height() <= scroll.viewport().height()

    assert in_view()
    for zoom in (1.15, 1.3, 1.75):
        window.set_zoom(zoom)
        laid_out()
        qtbot.waitUntil(in_view, timeout=5_000)


@pytest.mark.parametrize("zoom", [1.0, 1.3])
def test_the_settings_are_never_narrower_than_their_fields_in_a_larger_desktop_font(open_window, request, zoom):
    """QA with a GTK desktop's 11-pt font: the panel kept its width for 9 pt and cut the values to "6" and "3e-"."""
    from PySide6.QtGui import QFont
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    normal = app.property("playgroundNormalFont")
    normal = QFont(normal if isinstance(normal, QFont) else app.font())
    larger = QFont(normal)
    larger.setPointSizeF(larger.pointSizeF() * 11 / 9)
    app.setProperty("playgroundNormalFont", larger)  # the font the desktop gives the window before any zoom
    def put_back() -> None:
        """The normal font back, the application's too: the window's zoom back to 100 % left it at the larger one,
        which the next test (first in its process) took as normal (every title then too wide for its box, found by
        a run of two files on two workers)."""
        app.setProperty("playgroundNormalFont", normal)
        QApplication.setFont(normal)

    request.addfinalizer(put_back)
    window = zoomed_window(open_window, request, zoom)
    laid_out()
    fields = window.config.findChild(QScrollArea, "configScroll")
    assert fields.viewport().width() >= fields.widget().minimumSizeHint().width()
    value = window.config.sliders["model.n_embd"].label
    right = value.mapTo(fields.viewport(), value.rect().topRight()).x()
    assert right <= fields.viewport().width() and value.width() >= value.sizeHint().width()  # the value whole
