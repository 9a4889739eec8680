"""Light or dark, as the system is set (Qt 6.5+: `QStyleHints.colorScheme`).

Qt's own widgets take the system's palette by themselves; the plots, which pyqtgraph paints in colours of its
own, take theirs from `plot_colours`. The app chooses once at start (`choose`, before any plot exists, without
loading pyqtgraph: the window paints first), and the window hands the choice to pyqtgraph when it builds its
plots (`plotting.apply_theme`). Heatmaps keep viridis in both, and rendered figures stay white, as on paper.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

PROPERTY = "playgroundColorScheme"  # kept on the application, which outlives its windows
LIGHT = ("#ffffff", "#222222")  # (plot background, plot foreground: axes, ticks, labels)
DARK = ("#1e1e1e", "#dddddd")


def choose(app: QApplication, scheme: Qt.ColorScheme | None = None) -> Qt.ColorScheme:
    """Remember `scheme` (default: the system's) as the application's look; returns it."""
    if scheme is None:
        scheme = app.styleHints().colorScheme()
    app.setProperty(PROPERTY, "dark" if scheme == Qt.ColorScheme.Dark else "light")
    return scheme


def is_dark() -> bool:
    app = QApplication.instance()
    return app is not None and app.property(PROPERTY) == "dark"


def plot_colours() -> tuple[str, str]:
    """(background, foreground) of the plots in the chosen look (light unless the app chose dark)."""
    return DARK if is_dark() else LIGHT
