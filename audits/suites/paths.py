"""Where a path named in a suite is read from, the same for every path a suite names (the model
folder, evaluator weights, attack CSVs and artifacts): as given when absolute; else relative to
the suite's folder, then to the project root (bundled suites name repository paths such as
`audits/toyworld/weights/pipeline`, which live beside the installed `audits` package), then to
the working directory. So `scapre-audit run toyworld` works from any folder. What a record
stores is still the path as the suite wrote it, never where it was found.
"""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]  # the folder holding the `audits` package


def search_paths(value: str | Path, suite_root: Path | None) -> list[Path]:
    """The candidates for `value`, in the order they are tried."""
    path = Path(value).expanduser()
    if path.is_absolute():
        return [path]
    bases = [suite_root] if suite_root is not None else []
    bases += [PROJECT_ROOT, Path.cwd()]
    return [base / path for base in bases]


def find_path(value: str | Path, suite_root: Path | None) -> Path | None:
    """The first existing candidate for `value`, or None."""
    return next((p for p in search_paths(value, suite_root) if p.exists()), None)


def model_location(model_id: str, suite_root: Path | None) -> str:
    """Where to load a model named `model_id` from: the folder it names when one exists (found
    as above), else the id itself (a hub id)."""
    found = find_path(model_id, suite_root)
    return str(found) if found is not None else model_id
