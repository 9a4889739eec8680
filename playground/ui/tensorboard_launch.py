"""TensorBoard on the runs folder, from the Runs tab: every run writes TensorBoard events, which the window had no way to
open (QA). TensorBoard runs as a process of its own (its documented command line, `python -m tensorboard.main`), on a
free port of this computer only, and opens in the browser once it says where it serves; it stops with the window."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QUrl, Signal
from PySide6.QtGui import QDesktopServices

SERVING = re.compile(r"TensorBoard \S+ at (http://\S+)")  # its line once it serves: "TensorBoard 2.21.0 at http://…/"
STOP_WAIT_MS = 2000  # how long a close waits for TensorBoard to end
SAID_CHARS = 4000  # what it printed is kept this long, for its address or why it stopped


def tensorboard_command(logdir: Path) -> list[str]:
    """The command that serves `logdir`'s runs on a port the system picks, reachable from this computer alone."""
    return [sys.executable, "-m", "tensorboard.main", "--logdir", str(logdir), "--port", "0", "--host", "localhost"]


class TensorBoard(QObject):
    """One TensorBoard process for the window: started by the first `open`, reused by the next."""

    sigServing = Signal(str, bool)  # its address, once it serves, and whether a browser was opened on it
    sigFailed = Signal(str)  # why it did not start or stopped, in words

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.url = ""
        self._said = ""  # what it printed, for its address or the reason it stopped
        self._stopping = False  # its end was asked for: no failure
        self._process = QProcess(self)
        self._process.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        self._process.readyReadStandardOutput.connect(self._read)
        self._process.errorOccurred.connect(self._on_error)
        self._process.finished.connect(self._on_finished)

    @property
    def starting(self) -> bool:
        return self._process.state() != QProcess.ProcessState.NotRunning and not self.url

    def open(self, logdir: Path) -> None:
        """Show TensorBoard on `logdir` in the browser: at once where it serves already, else once it does."""
        if self.url:
            self._show()
        elif not self.starting:
            self._said = ""
            command = tensorboard_command(logdir)
            self._process.start(command[0], command[1:])

    def _read(self) -> None:
        said = bytes(self._process.readAllStandardOutput().data()).decode("utf-8", "replace")
        if self.url:
            return  # serving: its log is not kept
        self._said = (self._said + said)[-SAID_CHARS:]
        found = SERVING.search(self._said)
        if found:
            self.url = found.group(1)
            self._show()

    def _show(self) -> None:
        """Its address in the browser, and said whether one opened (QA: "opened in your browser" on a machine with
        none)."""
        self.sigServing.emit(self.url, QDesktopServices.openUrl(QUrl(self.url)))

    def _on_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self.sigFailed.emit(f"TensorBoard could not start: {self._process.errorString()}")

    def _on_finished(self, _code: int, _status: QProcess.ExitStatus) -> None:
        if not self.url and not self._stopping:
            lines = [line for line in self._said.splitlines() if line.strip()]
            why = lines[-1] if lines else "it said nothing"
            self.sigFailed.emit(f"TensorBoard stopped before it served: {why}")
        self.url, self._stopping = "", False

    def stop(self) -> None:
        """End TensorBoard, if it runs (the window closes)."""
        if self._process.state() == QProcess.ProcessState.NotRunning:
            return
        self._stopping = True
        self._process.kill()  # it has nothing to save (and on Windows a console process ignores terminate's request)
        self._process.waitForFinished(STOP_WAIT_MS)
