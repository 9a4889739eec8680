"""Light or dark, as the system is set (Qt 6.5+: `QStyleHints.colorScheme`).

Qt's own widgets take the system's palette by themselves; the plots, which pyqtgraph paints in colours of its
own, take theirs from `plot_colours`. The app chooses at start (`choose`, before any plot exists, without
loading pyqtgraph: the window paints first), and the window hands the choice to pyqtgraph when it builds its
plots (`plotting.apply_theme`). When the system switches while the app runs, `follow_system` chooses again and
repaints the open plots (`plotting.restyle_plots`). Heatmaps keep viridis in both, and rendered figures and
exported plots stay white, as on paper.
"""

from __future__ import annotations

from PySide6.QtCore import QMetaObject, Qt
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


def follow_system(app: QApplication) -> QMetaObject.Connection:
    """From now on, choose again whenever the system switches between light and dark, and repaint the open plots
    in the new look; returns the connection (`QObject.disconnect` undoes it)."""

    def switch(scheme: Qt.ColorScheme) -> None:
        choose(app, scheme)
        from playground.ui import plotting  # pyqtgraph: only when the system switches, never before the first paint

        plotting.restyle_plots()

    return app.styleHints().colorSchemeChanged.connect(switch)


def is_dark() -> bool:
    app = QApplication.instance()
    return app is not None and app.property(PROPERTY) == "dark"


def plot_colours() -> tuple[str, str]:
    """(background, foreground) of the plots in the chosen look (light unless the app chose dark)."""
    return DARK if is_dark() else LIGHT
