"""`run_app()`: what `playground` and `python -m playground` open.

Only Qt and the torch-free core are imported before the window paints; pyqtgraph loads right after the first
paint and PyTorch in the background after that.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from playground.core.presets import DEFAULT_PRESET, is_builtin, load_preset, resolve_preset_path
from playground.core.spec import RunSpec
from playground.ui import theme
from playground.ui.garbage import GuiThreadCollector
from playground.ui.settings import APPLICATION, ORGANISATION

if TYPE_CHECKING:
    from playground.ui.main_window import MainWindow

CLOSE_WAIT_S = 3.0  # how long closing waits for training to stop and save; the process is gone within 5 s


def make_app() -> QApplication:
    """The app's QApplication (made once), whose garbage is collected on the GUI thread between events."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        GuiThreadCollector(app).start()  # before any thread starts (torch's import, training)
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    return app  # type: ignore[return-value]


class NoDisplayError(ValueError):
    """The window has no screen to open on; `str()` says what to do instead."""


def check_display(preset: str | None = None) -> None:
    """On Linux with no X11 or Wayland display, or an X11 display no server answers at, and no Qt platform chosen,
    raise NoDisplayError: Qt would print lines about plugins and abort the process (SIGABRT), which tells the user
    nothing they can act on."""
    if not sys.platform.startswith("linux") or QApplication.instance() is not None:
        return
    if any(os.environ.get(name) for name in ("WAYLAND_DISPLAY", "QT_QPA_PLATFORM")):
        return
    train = f"playground train {preset}" if preset else "playground train PRESET"
    display = os.environ.get("DISPLAY")
    if not display:
        raise NoDisplayError(f"no display to open the window on (DISPLAY and WAYLAND_DISPLAY are unset): use a "
                             f"desktop session or `ssh -X`, train headless with `{train}`, or set "
                             f"QT_QPA_PLATFORM=offscreen to check that it starts")
    if not x_server_answers(display):  # (newcomer QA: a stale `ssh -X`'s DISPLAY, Qt's abort, "Reinstalling …")
        raise NoDisplayError(f"no X server answers at DISPLAY={display}: open the window from a desktop session or "
                             f"a new `ssh -X` login, train headless with `{train}`, or set QT_QPA_PLATFORM=offscreen "
                             f"to check that it starts")


def x_server_answers(display: str) -> bool:
    """Whether an X server accepts a connection at `display` ("[host]:N[.screen]"), as Xlib would reach it: a local
    display by its Unix socket (the file, or Linux's abstract name) or TCP port 6000+N, a remote one by TCP. A
    display not written that way is left to Qt."""
    host, colon, rest = display.rpartition(":")
    number = rest.split(".")[0]
    if not colon or not number.isdigit() or "/" in host:  # (a socket's path, XQuartz's way)
        return True
    local = host in ("", "unix")
    path = f"/tmp/.X11-unix/X{number}"
    if local and any(_unix_socket_answers(address) for address in (path, "\0" + path)):
        return True
    try:  # every address family the host has ("[::1]:0" too, review)
        socket.create_connection(("localhost" if local else host.strip("[]"), 6000 + int(number)), timeout=2.0).close()
        return True
    except OSError:
        return False


def _unix_socket_answers(address: str) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(2.0)
        try:
            probe.connect(address)
            return True
        except OSError:
            return False


def run_app(preset: str | None = None) -> NoReturn:
    """Open the main window on `preset` (a file or built-in name; default: the default preset); the process ends
    with the window, with the event loop's exit code."""
    # The preset and the display are checked before Qt starts: a mistyped name or a missing display is one line
    # from the CLI, not Qt's abort.
    source = preset or DEFAULT_PRESET
    spec = load_preset(source)  # a bad preset raises PresetError; the CLI prints it as one line
    path = resolve_preset_path(source)
    builtin = is_builtin(path)
    check_display(preset)
    app = make_app()
    theme.choose(app)  # light or dark as the system is set, before any plot is made

    window = open_window(spec, preset_path=None if builtin else path)
    theme.follow_system(app, window.restyle_plots)
    if preset is not None:  # as Presets > … says it (a lesson opened from the command line said nothing)
        window.say_opened(spec, path, builtin)
    elif builtin:
        window.presetsMenu.mark(path.stem)  # the default preset, in bold in the Presets menu
        window.offer_last_run()
    window.close_wait_s = CLOSE_WAIT_S
    close_on_termination(window)
    code = app.exec()
    for number in TERMINATION_SIGNALS:  # no event loop runs now to take a signal's close: the default ends it
        signal.signal(number, signal.SIG_DFL)
    window.shutdown(0.0)  # the threads the close left running (or any started after it) are not waited for
    if warm := sys.modules.get("playground.training.fastpath.warm"):
        warm.end_all()  # os._exit skips atexit; a compiling worker on Windows cannot see its parent end
    # Leave now, without tearing down Qt's, pyqtgraph's and torch's objects one by one (seconds on a loaded machine,
    # and a thread inside torch.compile or `import torch` cannot be stopped, while Qt aborts if a running thread is
    # destroyed). The close saved the run, the window's settings are synced, and every file is written atomically.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


# (SIGINT: Ctrl-C in the terminal that started it, which raised KeyboardInterrupt inside a Qt slot, printed a traceback
# and left the window running, newcomer QA)
TERMINATION_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGINT") if hasattr(signal, name))
SIGNAL_CHECK_MS = 250  # how often Qt's event loop lets Python run a signal handler that is due


def close_on_termination(window: MainWindow) -> None:
    """A termination request (SIGTERM: `kill`, a logout or shutdown; SIGHUP: the terminal that started it closed;
    SIGINT: Ctrl-C there) closes the window as Quit does but without its questions, so the run on screen is saved for
    File > Resume Last Run (QA: a run paused at step 340 had no checkpoint after a `kill`); the process exits with
    128 + the signal's number, as the CLI's `train` does. Python runs a handler only between its own bytecodes, which
    Qt's event loop does not run while it waits: a timer lets it in."""
    def handle(signum: int, _frame: object) -> None:
        QTimer.singleShot(0, lambda: window.close_now(128 + signum))

    for number in TERMINATION_SIGNALS:
        if signal.getsignal(number) is not signal.SIG_IGN:  # (`nohup`, a script's background job: left ignored, review)
            signal.signal(number, handle)
    ticks = QTimer(window)
    ticks.timeout.connect(lambda: None)
    ticks.start(SIGNAL_CHECK_MS)


def open_window(spec: RunSpec, preset_path: Path | None = None) -> MainWindow:
    """Show the app's window: its settings, menus and train bar paint first, the plots are built right after
    that paint, and PyTorch starts loading in the background once they are built (see main_window.py)."""
    from playground.ui.main_window import MainWindow

    window = MainWindow(spec, preset_path=preset_path, views_after_paint=True)
    window.sigViewsBuilt.connect(window.start_warmup, Qt.ConnectionType.QueuedConnection)
    window.sigViewsBuilt.connect(window.fit_zoom, Qt.ConnectionType.QueuedConnection)  # (its width known only now)
    window.show()
    return window
