"""CSV tables of a suite: safe paths, declared columns, and a content hash.

A table is read once, checked for its header, and kept as rows of strings. Its hash is taken over
the parsed header and rows (not the raw bytes), so line endings and quoting style do not change it
but any changed cell does.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from audits.suites.errors import SuiteError
from audits.textsafe import control_char


@dataclass(frozen=True)
class Table:
    """A loaded CSV table: where it came from, its header, its rows, and its content hash."""

    path: Path
    suite_dir: Path
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    sha256: str
    row_numbers: tuple[int, ...]

    @property
    def relpath(self) -> str:
        """The path as written in the suite, relative to the folder of the suite that names it."""
        return self.path.resolve().relative_to(self.suite_dir.resolve()).as_posix()

    def records(self) -> list[dict[str, str]]:
        """Rows as dicts keyed by column name."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def error(self, row_index: int, column: str, message: str) -> SuiteError:
        """An error at data row `row_index` (0-based), reported as the record number in the file
        (header = row 1, as a spreadsheet counts)."""
        return SuiteError(self.path, message, row=self.row_numbers[row_index], field=column)

    def to_config(self) -> dict[str, str]:
        return {"table": self.relpath, "sha256": self.sha256}


def table_digest(columns: tuple[str, ...], rows: tuple[tuple[str, ...], ...]) -> str:
    """sha256 of the canonical JSON of [header, *rows]."""
    payload = json.dumps(
        [list(columns), *map(list, rows)], ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def resolve_table_path(suite_dir: Path, name: object, where) -> Path:
    """The file a table reference points to; refuses absolute paths and paths leaving the suite.

    `where(message)` builds the error for the referencing field.
    """
    if not isinstance(name, str) or not name.strip():
        raise where(f"expected a CSV file name, got {name!r}")
    rel = Path(name)
    if rel.is_absolute():
        raise where(f"table path '{name}' must be relative to the suite folder")
    root = suite_dir.resolve()
    full = (root / rel).resolve()
    if not full.is_relative_to(root):
        raise where(f"table path '{name}' escapes the suite folder {suite_dir.name}/")
    if full.suffix.lower() != ".csv":
        raise where(f"table '{name}' must be a .csv file")
    if not full.is_file():
        raise where(f"table '{name}' not found in {suite_dir.name}/")
    return full


def read_table(
    path: Path,
    suite_dir: Path,
    required: tuple[str, ...],
    optional: tuple[str, ...] = (),
) -> Table:
    """Read a CSV with a header; every required column present, no unknown or empty-named ones."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, strict=True)
            try:
                lines = list(reader)
            except csv.Error as err:
                raise SuiteError(path, f"invalid CSV: {err}", row=reader.line_num) from None
    except UnicodeDecodeError as err:
        raise SuiteError(path, f"not UTF-8 text ({err.reason})") from None
    if not lines:
        raise SuiteError(path, "the table is empty (no header row)")
    columns = tuple(c.strip() for c in lines[0])
    for col in required:
        if col not in columns:
            raise SuiteError(
                path, f"missing column '{col}' (header: {', '.join(columns)})", row=1, field=col
            )
    allowed = set(required) | set(optional)
    seen: set[str] = set()
    for col in columns:
        if col in seen:
            raise SuiteError(path, "duplicate column", row=1, field=col)
        seen.add(col)
        if col not in allowed:
            raise SuiteError(
                path,
                f"unknown column (allowed: {', '.join(sorted(allowed))})",
                row=1,
                field=col or "<empty>",
            )
    rows: list[tuple[str, ...]] = []
    numbers: list[int] = []
    for i, cells in enumerate(lines[1:]):
        if not cells or all(not c.strip() for c in cells):
            continue  # blank lines carry nothing
        if len(cells) != len(columns):
            raise SuiteError(
                path, f"has {len(cells)} cells, the header has {len(columns)}", row=i + 2
            )
        for column, cell in zip(columns, cells, strict=True):
            if bad := control_char(cell, allow_tab=column == "prompt"):
                raise SuiteError(path, f"control character {bad} in text", row=i + 2, field=column)
        rows.append(tuple(c.strip() for c in cells))
        numbers.append(i + 2)
    frozen_rows = tuple(rows)
    digest = table_digest(columns, frozen_rows)
    return Table(path, suite_dir, columns, frozen_rows, digest, tuple(numbers))
