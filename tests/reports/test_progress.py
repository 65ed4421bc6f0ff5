"""Progress lines: count, rate and time left on stderr at most every few seconds when stderr is
not a terminal, nothing under --quiet, and never anything on stdout."""

from __future__ import annotations

import io
import re
import time

import pytest

from reports import progress


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return False


@pytest.fixture(autouse=True)
def _reset():
    yield
    progress.set_quiet(False)
    progress.set_interval(progress.EVERY_S)


def test_plain_lines_have_count_rate_and_time_left_and_are_throttled():
    stream = FakeTTY()
    progress.set_interval(0.05)
    with progress.progress_bar("generate", 10, "images", stream=stream) as advance:
        for _ in range(10):
            time.sleep(0.02)
            advance()
    lines = stream.getvalue().splitlines()
    assert 2 <= len(lines) <= 6, lines  # 10 steps of 20 ms, one line per 50 ms at most
    assert re.fullmatch(r"generate: \d/10 images \(\d+%\), [\d.]+/s, about \d+ s left", lines[0])
    assert re.fullmatch(r"generate: 10/10 images \(100%\), [\d.]+/s, done in \d+ s", lines[-1])


def test_a_short_stage_prints_nothing_and_quiet_prints_nothing():
    stream = FakeTTY()
    with progress.progress_bar("score", 3, stream=stream) as advance:
        advance(3)
    assert stream.getvalue() == ""  # shorter than the interval: the stage line says enough
    progress.set_quiet(True)
    progress.set_interval(0.0)
    with progress.progress_bar("score", 3, stream=stream) as advance:
        for _ in range(3):
            advance()
    assert stream.getvalue() == ""


def test_progress_never_writes_to_stdout(capsys):
    progress.set_interval(0.0)
    with progress.progress_bar("erase", 2, "edits") as advance:
        advance()
        advance()
    out, err = capsys.readouterr()
    assert out == "" and "erase: 1/2 edits" in err
