"""Suite errors that name the file, the row or line, and the field, on one line."""

from __future__ import annotations

import os
from pathlib import Path

from audits.errors import AuditError


def display_path(path: Path | str) -> str:
    """`path` relative to the working directory when it lies below it, else as given."""
    path = Path(path)
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


class SuiteError(AuditError):
    """A problem in a suite's files: '<file>, line|row N, field 'x': what is wrong'."""

    def __init__(
        self,
        file: Path | str,
        message: str,
        *,
        field: str | None = None,
        line: int | None = None,
        row: int | None = None,
    ) -> None:
        self.file = str(file)
        self.field = field
        self.line = line
        self.row = row
        self.detail = message
        parts = [display_path(file)]
        if row is not None:
            parts.append(f"row {row}")
        elif line is not None:
            parts.append(f"line {line}")
        if field:
            parts.append(f"field '{field}'")
        text = ", ".join(parts) + f": {message}"
        super().__init__(" ".join(text.split()))
