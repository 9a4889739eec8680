"""Light or dark, as the system is set (Qt 6.5+: `QStyleHints.colorScheme`), or as the user sets it (View > Colours:
a lecturer's dark laptop at a light projector, `set_look`).

Qt's own widgets take the system's palette by themselves; the plots, which pyqtgraph paints in colours of its
own, take theirs from `plot_colours`. The app chooses at start (`choose`, before any plot exists, without
loading pyqtgraph: the window paints first), and the window hands the choice to pyqtgraph when it builds its
plots (`plotting.apply_theme`). When the system switches while the app runs, `follow_system` chooses again and
repaints the open plots (`plotting.restyle_plots`) and the texts the app colours itself (`tint`). Heatmaps keep
viridis in both, and rendered figures (`paper_view`) and exported plots stay white, as on paper.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QMetaObject, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QFrame, QWidget

PROPERTY = "playgroundColorScheme"  # kept on the application, which outlives its windows
LOOK_PROPERTY = "playgroundLook"  # the user's choice of look: one of LOOKS
LOOKS = {"system": "As the &System", "light": "&Light", "dark": "&Dark"}  # View > Colours' items
LIGHT = ("#ffffff", "#222222")  # (plot background, plot foreground: axes, ticks, labels)
DARK = ("#1e1e1e", "#dddddd")
TINTS = {"error": ("#a00000", "#ff8a80"), "warning": ("#8a5a00", "#ffcc66"), "info": ("#0b3d91", "#8ab4f8")}  # light, dark
BACKGROUNDS = {"error": ("#fde8e8", "#3d1c1c"), "warning": ("#fff4e0", "#3a2e12"), "info": ("#e8f0fe", "#1f2a3d")}
TINT = "playgroundTint"  # the widget property that names its tint, for `_restyle` to find


def choose(app: QApplication, scheme: Qt.ColorScheme | None = None) -> Qt.ColorScheme:
    """Remember `scheme` (default: the system's) as the application's look; returns it."""
    if scheme is None:
        scheme = app.styleHints().colorScheme()
    app.setProperty(PROPERTY, "dark" if scheme == Qt.ColorScheme.Dark else "light")
    return scheme


def follow_system(app: QApplication, restyle_plots: Callable[[], None]) -> QMetaObject.Connection:
    """From now on, choose again whenever the system switches between light and dark, and repaint the tinted texts
    and (`restyle_plots`) the open plots in the new look; returns the connection (`QObject.disconnect` undoes it)."""

    def switch(scheme: Qt.ColorScheme) -> None:
        if (app.property(LOOK_PROPERTY) or "system") != "system":
            return  # the user's own choice stays
        choose(app, scheme)
        _restyle(app, restyle_plots)

    return app.styleHints().colorSchemeChanged.connect(switch)


def set_look(app: QApplication, look: str, restyle_plots: Callable[[], None]) -> None:
    """The window light or dark whatever the system's look (`look` "light" or "dark"), or as the system's again
    ("system"); the plots and tinted texts as at a system switch. Qt's widgets: asked of the platform (a native
    style draws its controls in the platform's look), and where it does not follow (a bare Linux desktop), by the
    application's palette."""
    app.setProperty(LOOK_PROPERTY, look)  # (first: `follow_system` leaves the user's choice be)
    hints = app.styleHints()
    if look == "system":
        hints.unsetColorScheme()
        app.setPalette(QPalette())  # the platform's own again
        choose(app)
    else:
        scheme = Qt.ColorScheme.Dark if look == "dark" else Qt.ColorScheme.Light
        hints.setColorScheme(scheme)
        if hints.colorScheme() == scheme:
            app.setPalette(QPalette())
        else:
            app.setPalette(dark_palette() if look == "dark" else app.style().standardPalette())
        choose(app, scheme)
    _restyle(app, restyle_plots)


def _restyle(app: QApplication, restyle_plots: Callable[[], None]) -> None:
    """The tinted texts and (`restyle_plots`) the open plots in the look just chosen."""
    for widget in app.allWidgets():
        if widget.property(TINT):
            tint(widget, widget.property(TINT))
    restyle_plots()


def dark_palette() -> QPalette:
    """Qt's widgets dark: light text on dark grey, a blue selection (Fusion's colours, inverted)."""
    roles = QPalette.ColorRole
    palette = QPalette()
    for role, value in ((roles.Window, "#353535"), (roles.WindowText, "#f0f0f0"), (roles.Base, "#262626"),
                        (roles.AlternateBase, "#3a3a3a"), (roles.ToolTipBase, "#353535"),
                        (roles.ToolTipText, "#f0f0f0"), (roles.PlaceholderText, "#a0a0a0"), (roles.Text, "#f0f0f0"),
                        (roles.Button, "#404040"), (roles.ButtonText, "#f0f0f0"), (roles.BrightText, "#ff6b6b"),
                        (roles.Light, "#5a5a5a"), (roles.Midlight, "#4a4a4a"), (roles.Mid, "#2c2c2c"),
                        (roles.Dark, "#1e1e1e"), (roles.Shadow, "#101010"), (roles.Highlight, "#3d8ee6"),
                        (roles.HighlightedText, "#ffffff"), (roles.Link, "#8ab4f8"), (roles.LinkVisited, "#c58af9")):
        palette.setColor(role, QColor(value))
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#808080"))
    return palette


# A question's buttons, the focused one ringed as the window's Tab ring is (Fusion marks it with a 1-px line a
# projector loses: keyboard QA could not tell "Close the comparison" from "Keep comparing"). Every button gets the same
# outer size, the focused one's ring taking the place of its padding, so nothing moves as the focus does.
QUESTION_BUTTONS = """
QPushButton { border: 1px solid palette(mid); border-radius: 4px; padding: 5px 14px; background: palette(button);
              min-width: 64px; }
QPushButton:hover { background: palette(light); }
QPushButton:pressed { background: palette(midlight); }
QPushButton:focus { border: 3px solid palette(highlight); padding: 3px 12px; }
"""


def ring_focused_button(box: QWidget) -> None:
    """Draw the focused button of `box` (a question's dialog) with a ring seen from the back of a room."""
    box.setStyleSheet(QUESTION_BUTTONS)


def is_dark() -> bool:
    app = QApplication.instance()
    return app is not None and app.property(PROPERTY) == "dark"


def tint(widget: QWidget, kind: str | None) -> None:
    """`widget`'s text in the colour of `kind` ("error", "warning", "info"; None: the palette's own), readable in the
    chosen look and in the other one after the system switches (a dark red on a dark window is not)."""
    widget.setProperty(TINT, kind or "")
    # A palette, not a style sheet: a widget with a style sheet keeps the font it had when it was set, and a tinted
    # message stayed at presentation size after F5 left it (QA). An empty palette inherits every colour.
    palette = QPalette()
    if kind:
        for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text):
            palette.setColor(role, QColor(colour(kind)))
    widget.setPalette(palette)


def colour(kind: str) -> str:
    """The text colour of `kind` ("error", "warning", "info") in the chosen look: for a span of rich text too."""
    return TINTS[kind][int(is_dark())]


def background(kind: str) -> str:
    """The background of a boxed message of `kind` ("error", "warning", "info") in the chosen look."""
    return BACKGROUNDS[kind][int(is_dark())]


def plot_colours() -> tuple[str, str]:
    """(background, foreground) of the plots in the chosen look (light unless the app chose dark)."""
    return DARK if is_dark() else LIGHT


def paper_view(area: QAbstractScrollArea) -> None:
    """`area` shows its figure on white in either look, without a frame, while its scroll bars and the corner between
    them stay in the window's look (a white style sheet on the whole area painted that corner white on dark)."""
    area.setFrameShape(QFrame.Shape.NoFrame)
    viewport = area.viewport()
    palette = viewport.palette()
    palette.setColor(viewport.backgroundRole(), QColor(LIGHT[0]))
    viewport.setPalette(palette)
    viewport.setAutoFillBackground(True)
