"""Progress of long stages on stderr (never stdout, which carries results and --json output).

On a terminal: a rich bar with count, rate and time left. Elsewhere (a log file, CI, nohup, a
batch scheduler): one plain line at most every `EVERY_S` seconds with the same facts, and a last
line when the stage ends, so a slow run never looks hung. `set_quiet(True)` (the commands'
`--quiet`) silences both. Imports nothing heavy: the engine and the report use it alike.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

EVERY_S = 5.0  # at most one plain line per this many seconds
_state = {"quiet": False, "every": EVERY_S}

Advance = Callable[..., None]


def set_quiet(quiet: bool) -> None:
    """Silence every progress display of this process (the `--quiet` option)."""
    _state["quiet"] = bool(quiet)


def is_quiet() -> bool:
    return bool(_state["quiet"])


def set_interval(seconds: float) -> None:
    """Seconds between plain lines (tests make it small)."""
    _state["every"] = float(seconds)


def _duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class LogLines:
    """Plain progress lines: `label: 120/384 images (31%), 12.3/s, about 21 s left`."""

    def __init__(self, label: str, total: int, unit: str, stream: TextIO, every: float) -> None:
        self.label, self.total, self.unit = label, total, unit
        self.stream, self.every = stream, every
        self.done = 0
        self.started = self.last = time.monotonic()
        self.printed = 0

    def line(self, now: float) -> str:
        elapsed = max(now - self.started, 1e-9)
        rate = self.done / elapsed
        share = 100 * self.done / self.total
        text = f"{self.label}: {self.done}/{self.total} {self.unit} ({share:.0f}%)"
        text += f", {rate:.3g}/s" if rate >= 0.01 else f", {elapsed / max(self.done, 1):.3g} s each"
        if self.done >= self.total:
            return text + f", done in {_duration(elapsed)}"
        if self.done:
            text += f", about {_duration((self.total - self.done) / rate)} left"
        return text

    def advance(self, n: int = 1) -> None:
        self.done = min(self.total, self.done + n)
        now = time.monotonic()
        if now - self.last >= self.every and self.done < self.total:
            self.last = now
            self._print(self.line(now))

    def close(self) -> None:
        # a last line only for stages that printed one before: short stages stay one line long
        if self.printed:
            self._print(self.line(time.monotonic()))

    def _print(self, text: str) -> None:
        self.printed += 1
        print(text, file=self.stream, flush=True)


@contextmanager
def progress_bar(
    label: str, total: int, unit: str = "items", stream: TextIO | None = None
) -> Iterator[Advance]:
    """Yield `advance(n=1)`: a rich bar on a terminal, plain periodic lines otherwise, nothing
    under --quiet or for empty work."""
    stream = stream or sys.stderr
    if total <= 0 or _state["quiet"]:
        yield lambda n=1: None
        return
    if not stream.isatty():
        lines = LogLines(label, total, unit, stream, _state["every"])
        try:
            yield lines.advance
        finally:
            lines.close()
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (
        "{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(file=stream), transient=True) as bar:
        task = bar.add_task(label, total=total, rate="")
        started = time.monotonic()
        done = [0]

        def advance(n: int = 1) -> None:
            done[0] += n
            elapsed = max(time.monotonic() - started, 1e-9)
            bar.update(task, advance=n, rate=f"{done[0] / elapsed:.3g}/s")

        yield advance
