"""Progress of long runs (the claims, ``figures --full``, sweeps): a rich bar with the elapsed
time and an estimate of the time left when the stream is a terminal, plain log lines when it is
not (a CI log, a pipe, a file), so that a long run never looks stuck and a log never fills with
terminal control codes.

    with Progress("figures", len(ids)) as bar:
        for i in ids:
            bar.item(i)              # what is being worked on now
            ...
            bar.advance("ok")        # one step done, with a short note

A log line reads ``numbanet figures [3/31] descent-noise-ball: ok (2.1 s); 0:00:12 elapsed,
about 0:01:58 left``. Progress goes to standard error, so standard output stays clean (``numbanet
claims --json``).
"""

from __future__ import annotations

import sys
import time


def _clock(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


class Progress:
    """Progress over ``total`` steps named ``label``.

    Parameters
    ----------
    label : str
        What is running ("claims", "figures", a sweep's name).
    total : int
        Number of steps.
    enabled : bool
        False: report nothing.
    stream : file, optional
        Where to report (default: ``sys.stderr``); a terminal gets the bar, anything else log
        lines.
    log_every : float
        In log mode, at most one line per this many seconds (the last step always prints).
    """

    def __init__(self, label, total, enabled=True, stream=None, log_every=0.0):
        self.label = str(label)
        self.total = int(total)
        self.stream = sys.stderr if stream is None else stream
        self.log_every = float(log_every)
        self.done = 0
        self._name = ""
        self._t0 = time.perf_counter()
        self._t_item = self._t0
        self._last_log = -float("inf")
        self._bar = None
        if not enabled or self.total <= 0:
            self.mode = None
        else:
            isatty = getattr(self.stream, "isatty", None)
            self.mode = "bar" if isatty is not None and isatty() else "log"
        if self.mode == "bar":
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as _Rich

            self._bar = _Rich(
                TextColumn(f"[bold]{self.label}"),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[info]}"),
                TimeElapsedColumn(),
                TextColumn("left"),
                TimeRemainingColumn(),
                console=Console(file=self.stream),
                transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task("", total=self.total, info="")
        elif self.mode == "log":
            self._write(f"numbanet {self.label}: {self.total} to do")

    def _write(self, line):
        print(line, file=self.stream, flush=True)

    def item(self, name):
        """Name the step now running (shown on the bar; in the log with its result)."""
        self._name = str(name)
        self._t_item = time.perf_counter()
        if self._bar is not None:
            self._bar.update(self._task, description=self._name)

    def advance(self, info="", seconds=None):
        """One step done; ``info`` is a short note (a status, a metric); ``seconds`` the step's
        own time when it ran elsewhere (a worker process), else the time since ``item``."""
        self.done += 1
        now = time.perf_counter()
        took_s = now - self._t_item if seconds is None else float(seconds)
        if self._bar is not None:
            self._bar.update(self._task, advance=1, info=str(info))
        elif self.mode == "log":
            last = self.done >= self.total
            if last or now - self._last_log >= self.log_every:
                self._last_log = now
                elapsed = now - self._t0
                left = elapsed / self.done * (self.total - self.done)
                what = f" {self._name}:" if self._name else ""
                note = f" {info}" if info else " done"
                took = f" ({took_s:.1f} s)" if self._name else ""
                eta = f", about {_clock(left)} left" if not last else ""
                self._write(
                    f"numbanet {self.label} [{self.done}/{self.total}]{what}{note}{took}; "
                    f"{_clock(elapsed)} elapsed{eta}"
                )

    def close(self):
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


__all__ = ["Progress"]
