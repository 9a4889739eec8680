"""Top-level windows that keep their whole frame on the screen: on a 1280x720 projector a window manager's title bar
put the bottom of a 1280x720 window (the status bar, Compare A/B's hint line) below the screen (QA)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize
from PySide6.QtGui import QMoveEvent
from PySide6.QtWidgets import QWidget


def screen_words(widget: QWidget) -> str:
    """`widget`'s screen as its size in Qt's pixels and its scale, "1280x720@1.3": what a window's saved geometry
    was saved for."""
    screen = widget.screen()
    size = screen.geometry().size()
    return f"{size.width()}x{size.height()}@{screen.devicePixelRatio():g}"


def fitted_frame(frame: QRect, client: QSize, free: QRect) -> tuple[QSize, QPoint]:
    """The window's inside size and its frame's top-left corner that keep the whole frame (`frame`, around an inside
    of `client`) within the screen's `free` area: smaller only where it does not fit, moved only where it sticks out."""
    extra = frame.size() - client  # the window manager's title bar and borders
    size = client.boundedTo(free.size() - extra)
    outer = size + extra
    x = max(free.left(), min(frame.x(), free.left() + free.width() - outer.width()))
    y = max(free.top(), min(frame.y(), free.top() + free.height() - outer.height()))
    return size, QPoint(x, y)


def resize_within_screen(window: QWidget, wanted: QSize) -> None:
    """`wanted`, or less where the screen's free area is smaller (before the window manager frames it): the screen
    of the window it belongs to, where it opens (review: not yet shown, its own is the primary screen)."""
    screen = (window.parentWidget() or window).screen()
    window.resize(wanted if screen is None else wanted.boundedTo(screen.availableGeometry().size()))


def fit_to_screen(window: QWidget) -> None:
    """`window` never larger than its screen's free area, its window manager's frame included: on a 1280x720
    projector the status bar stays on screen. Resized only: where the user put the window is theirs."""
    screen = window.screen()
    if screen is None:
        return
    size, _corner = fitted_frame(window.frameGeometry(), window.size(), screen.availableGeometry())
    if size != window.size():
        window.resize(size)


class FitsScreenWhenFramed:
    """For a top-level window, listed before the Qt window class it extends: once, when the window manager has
    framed it (its frame is known only then), a window that fitted the screen is fitted and placed again with its
    frame. One larger than the screen without its frame is left as it is (the user's or the caller's to fit)."""

    _framed = False

    def moveEvent(self, event: QMoveEvent) -> None:  # noqa: N802 - Qt override
        super().moveEvent(event)  # type: ignore[misc]
        window: QWidget = self  # type: ignore[assignment]
        screen = window.screen()
        if self._framed or screen is None or window.frameGeometry().size() == window.size():
            return
        self._framed = True
        free = screen.availableGeometry()
        if window.size().boundedTo(free.size()) == window.size():
            size, corner = fitted_frame(window.frameGeometry(), window.size(), free)
            window.resize(size)
            if corner != window.frameGeometry().topLeft():
                window.move(corner)
