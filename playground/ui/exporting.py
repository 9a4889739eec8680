"""Saving a view as PNG or SVG: one file dialog, a plot exported on white with its title, and painting into a
QSvgGenerator for vector views."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QBuffer, QIODevice, QRectF, QSize, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QMainWindow, QPushButton, QVBoxLayout, QWidget

from playground.core.atomic import atomic_write_bytes
from playground.ui import file_dialogs
from playground.ui.plotting import export_sized, on_paper, roomy_value_axis, titled, widened_curves

PNG_SCALE = 2  # a plot's PNG is twice its laid-out size: sharp on a projector or a slide


def ask_path(parent: QWidget, title: str, name: str, vector: bool) -> Path | None:
    """A save dialog for `name` (without suffix): PNG, and SVG when the view is vector. A function so tests
    can answer it."""
    filters = "PNG image (*.png);;SVG vector image (*.svg)" if vector else "PNG image (*.png)"
    path, _ = file_dialogs.save_file(parent, title, f"{name}.png", filters)
    return Path(path) if path else None


def export_asked(owner: QWidget, title: str, name: str, vector: bool, export: Callable[[Path], object]) -> Path | None:
    """Ask for a file (`ask_path`), `export` the view into it, and say in the window's status bar that it was saved,
    or why it could not be (QA: the ViT figure's export said nothing; a folder it could not write in raised in the
    event loop)."""
    path = ask_path(owner, title, name, vector)
    if path is None:
        return None
    window = owner.window()
    say = window.statusBar().showMessage if isinstance(window, QMainWindow) else lambda *_args: None
    try:
        export(path)
    except OSError as err:
        say(f"Could not save {path.name}: {err.strerror or err}; choose another folder", 10000)
        return None
    say(f"Saved {path}", 6000)
    return path


def ask_html_path(parent: QWidget, name: str) -> Path | None:
    """A save dialog for the offline attention page (`name`.html); a function so tests can answer it."""
    path, _ = file_dialogs.save_file(parent, "Save the attention views as one HTML page", f"{name}.html",
                                     "Web page (*.html)")
    return Path(path) if path else None


def paint_svg(path: Path, size: QSize, paint: Callable[[QPainter], None], title: str = "") -> Path:
    """Paint into an SVG picture (vectors, text as text), saved whole or not at all (`atomic_write_bytes`): painted
    straight into a file it could not write, Qt's painter logged hundreds of warnings before the error (QA)."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    generator = QSvgGenerator()
    generator.setOutputDevice(buffer)
    generator.setSize(size)
    generator.setViewBox(QRectF(0, 0, size.width(), size.height()))
    generator.setTitle(title)
    generator.setDescription("Transformer Playground")
    painter = QPainter(generator)
    try:
        paint(painter)
    finally:
        painter.end()
    return _write_whole(buffer, path)


def save_png(image: QImage, path: Path) -> Path:
    """`image` as a PNG file, saved whole or not at all."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.isNull():
        image.save(buffer, "PNG")
    return _write_whole(buffer, path)


def _write_whole(buffer: QBuffer, path: Path) -> Path:
    """The picture painted into `buffer`, written atomically; none (an empty view) is an error, not an empty file
    over the user's (review)."""
    if buffer.size() == 0:
        raise OSError(f"could not make the picture for {path.name}: nothing was drawn")
    atomic_write_bytes(path, bytes(buffer.data()))
    return path


def paint_png(path: Path, size: QSize, paint: Callable[[QPainter], None], scale: float = 2.0) -> Path:
    """Render at `scale` times the on-screen size, so slides stay sharp."""
    image = QImage(int(size.width() * scale), int(size.height() * scale), QImage.Format.Format_ARGB32)
    image.fill(0xFFFFFFFF)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.scale(scale, scale)
    try:
        paint(painter)
    finally:
        painter.end()
    return save_png(image, path)


def export_plot(plot_item: Any, path: Path, title: str) -> Path:
    """A pyqtgraph PlotItem to PNG (PNG_SCALE times its laid-out size) or SVG, by the path's suffix, `title` over it."""
    from pyqtgraph import exporters

    path = Path(path)
    # white with dark axes in a dark theme too; a figure's size
    with on_paper(plot_item), titled(plot_item, title), export_sized(plot_item), roomy_value_axis(plot_item):
        if path.suffix.lower() == ".svg":
            _scene_svg(plot_item, path)  # pyqtgraph's SVGExporter fails on this Qt's SVG paths (even an empty plot)
        else:
            shown = plot_item.sceneBoundingRect().width()
            width = max(800, int(shown * PNG_SCALE))
            with widened_curves(plot_item, width / max(shown, 1.0)):
                exporter = exporters.ImageExporter(plot_item)  # takes the view's background, white here
                exporter.parameters()["width"] = width
                save_png(exporter.export(toBytes=True), path)
    return path


def _scene_svg(item: Any, path: Path) -> None:
    """Paint the item's part of its scene into an SVG file."""
    source = item.sceneBoundingRect()
    w, h = int(source.width()), int(source.height())

    def paint(painter: QPainter) -> None:
        painter.fillRect(QRectF(0, 0, w, h), Qt.GlobalColor.white)
        item.scene().render(painter, QRectF(0, 0, w, h), source)

    paint_svg(path, QSize(w, h), paint, "Transformer Playground")


def figure_bar(owner: QWidget, body: QWidget, fit_text: str, on_fit: Callable[[bool], None],
               on_export: Callable[[], None], export_tip: str) -> tuple[QLabel, QCheckBox, QPushButton]:
    """Lay out a figure panel: a caption, a fit-to-window check and Export… above the figure `body`."""
    fit = QCheckBox(fit_text, owner)
    fit.setChecked(True)
    fit.toggled.connect(on_fit)
    export = QPushButton("Export…", owner)
    export.setToolTip(export_tip)
    export.clicked.connect(on_export)
    caption = QLabel("", owner)
    caption.setWordWrap(True)
    bar = QHBoxLayout()
    bar.addWidget(caption, 1)
    bar.addWidget(fit)
    bar.addWidget(export)
    layout = QVBoxLayout(owner)
    layout.setContentsMargins(4, 4, 4, 4)
    layout.addLayout(bar)
    layout.addWidget(body, 1)
    return caption, fit, export
