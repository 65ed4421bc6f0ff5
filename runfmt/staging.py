"""Names for temporary files and staging folders that say who wrote them, and the cleanup of a
killed writer's leftovers. Standard library only (the report imports it without torch).

Every temporary file or staging folder is named `.<name>.<kind>-<host>-<pid>-<random>` (kind:
`tmp` for a file being written, `stage` for a folder being built, `old` for a folder being
replaced). `clean_leftovers` removes only entries of exactly that pattern whose writer ran on
this host (by a hash of its name) and is no longer alive; nothing else is ever touched.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import tempfile
import zlib
from pathlib import Path

_HOST = f"{zlib.crc32(socket.gethostname().encode()) & 0xFFFFFFFF:08x}"
_LEFTOVER = re.compile(r"^\..+\.(tmp|stage|old)-([0-9a-f]{8})-(\d+)-[A-Za-z0-9_]+$")


def writer_prefix(name: str, kind: str) -> str:
    """The start of a temporary name for `name` written by this process (see the module doc)."""
    return f".{name}.{kind}-{_HOST}-{os.getpid()}-"


def staging_dir(parent: Path, name: str, kind: str = "stage") -> Path:
    """A new private folder in `parent` for building `name` before it is moved into place."""
    return Path(tempfile.mkdtemp(prefix=writer_prefix(name, kind), dir=parent))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def clean_leftovers(folder: Path, recursive: bool = True) -> int:
    """Remove the temporary files and staging folders of dead writers under `folder`; returns
    how many were removed. Anything not named by `writer_prefix` is never touched."""
    removed = 0
    if not folder.is_dir():
        return 0
    for entry in list(os.scandir(folder)):
        match = _LEFTOVER.match(entry.name)
        if match and match.group(2) == _HOST and not _alive(int(match.group(3))):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                Path(entry.path).unlink(missing_ok=True)
            removed += 1
        elif recursive and entry.is_dir(follow_symlinks=False):
            removed += clean_leftovers(Path(entry.path))
    return removed


def check_writable(folder: Path, what: str) -> None:
    """Create `folder` if needed and prove a file can be made in it (then removed), so a command
    refuses an unwritable destination before any model loads. Raises OSError naming the path."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, probe = tempfile.mkstemp(prefix=writer_prefix(what, "tmp"), dir=folder)
    os.close(fd)
    os.unlink(probe)
