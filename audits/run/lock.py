"""One exclusive lock per run folder: a second process that would write the same folder gets a
one-line refusal naming the holder, instead of mixing two runs' files.

The lock is `fcntl.flock` on `<out>/.scapre-audit.lock`, held for the whole command; the kernel
drops it when the process ends, however it ends (kill -9 included), so a lock is never stale.
The file itself stays (it records the last holder) and is the only thing a run folder may hold
besides the run. Taking the lock is also the check that `--out` is writable, made before any
model loads. Within one process the lock is re-entrant (the engine and the commands it calls
share it).
"""

from __future__ import annotations

import os
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from audits.errors import AuditError

LOCK_NAME = ".scapre-audit.lock"
_held: dict[str, list[int]] = {}  # resolved folder -> [fd, depth]


def _holder() -> str:
    command = " ".join(["scapre-audit", *sys.argv[1:]])[:200]
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    return f"pid {os.getpid()} on {socket.gethostname()} since {started}: {command}"


def _describe(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        text = ""
    from audits.textsafe import printable

    return printable(text[:300]) or "another process"


def _open_locked(path: Path) -> int | None:
    """An fd holding the lock on the file now at `path`, or None when someone else holds it."""
    import fcntl

    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)  # the file was replaced while we waited for it: lock the new one


def _acquire(folder: Path, what: str) -> str:
    """Take (or re-enter) the lock of `folder`; returns its key in `_held`."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        key = str(folder.resolve())
        if key in _held:
            _held[key][1] += 1
            return key
        path = folder / LOCK_NAME
        fd = _open_locked(path)
        if fd is None:
            raise AuditError(f"{what} {folder} is in use by {_describe(path)}; wait or use another")
        os.ftruncate(fd, 0)
        os.write(fd, (_holder() + "\n").encode("utf-8", "backslashreplace"))
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise AuditError(f"cannot write to {what} {folder}: {reason}") from None
    _held[key] = [fd, 1]
    return key


@contextmanager
def run_lock(folder: Path, what: str = "--out") -> Iterator[Path]:
    """Hold the exclusive lock of `folder` (created if missing) for the `with` block."""
    folder = Path(folder)
    key = _acquire(folder, what)
    try:
        yield folder
    finally:
        _held[key][1] -= 1
        if _held[key][1] == 0:
            os.close(_held.pop(key)[0])  # closing the file releases the lock
