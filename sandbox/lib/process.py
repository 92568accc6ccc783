"""Child processes whose output a test reads as it comes (agents, Kamailio).

Every line is kept with the wall-clock time it was read, so a test can await a
line instead of sleeping and can order lines against other events (a kill).
Processes started together may share one condition, so one wait can cover
lines from any of them.
"""

import os
import re
import select
import subprocess
import threading
import time

from waiting import wait_until


def wait_gone(pid, timeout=10.0):
    """Wait for a process that is not our child to end (a pidfd becomes
    readable when it does)."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        ready, _, _ = select.select([fd], [], [], timeout)
        assert ready, f"process {pid} still running after {timeout} s"
    finally:
        os.close(fd)


class Watched:
    """A command whose standard output and error lines are kept as
    (time.time(), line) in `timed`. Also written to LOG when given."""

    def __init__(self, command, name, cond=None, log=None, **popen):
        self.name = name
        self.timed = []
        self.ended = False   # its output is closed: it exited
        self._cond = cond or threading.Condition()
        self._log = open(log, "a") if log else None
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, text=True, **popen)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.process.stdout:
            line = line.rstrip("\n")
            if self._log:
                self._log.write(line + "\n")
                self._log.flush()
            with self._cond:
                self.timed.append((time.time(), line))
                self._cond.notify_all()
        with self._cond:
            self.ended = True
            self._cond.notify_all()

    @property
    def lines(self):
        with self._cond:
            return [line for _, line in self.timed]

    def said(self, pattern):
        """The lines so far that match a regular expression."""
        with self._cond:
            return [line for _, line in self.timed if re.search(pattern, line)]

    def wait_line(self, text, timeout=10.0):
        """Wait for a line that contains TEXT."""
        wait_until(lambda: any(text in line for _, line in self.timed), timeout,
                   f"{self.name}: '{text}'", cond=self._cond)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(timeout=5)
        if self._log:
            self._log.close()
