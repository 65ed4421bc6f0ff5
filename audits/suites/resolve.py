"""Find a suite by name or path, apply its one level of `extends:`, and parse it.

`extends: common` names a sibling suite folder (or the bundled one); `extends: ../x/suite.yaml`
names a file. The child's mappings are merged into the parent's key by key, recursively; lists
and scalars replace; `key: null` removes an inherited key. `name`, `version`, `description` and
`abstract` are never inherited. Tables named by the parent stay relative to the parent's folder.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

from audits.registry import did_you_mean
from audits.suites.errors import SuiteError, display_path
from audits.suites.fields import Node
from audits.suites.suite import Suite, parse_suite
from audits.suites.yaml_io import Locations, load_yaml

SUITE_FILE = "suite.yaml"
NOT_INHERITED = ("name", "version", "description", "abstract", "extends")


def bundled_dir() -> Path:
    """The `suites/` folder shipped with the project (next to the `audits` package)."""
    return Path(__file__).resolve().parents[2] / "suites"


def search_dirs() -> list[Path]:
    """Folders searched for suites by name: $SCAPRE_AUDIT_SUITES (path list), then bundled."""
    extra = os.environ.get("SCAPRE_AUDIT_SUITES", "")
    dirs = [Path(p) for p in extra.split(os.pathsep) if p]
    return [*dirs, bundled_dir()]


def suite_names() -> list[str]:
    """Names of the suites found in the search folders (folders holding a suite.yaml)."""
    names: set[str] = set()
    for folder in search_dirs():
        if folder.is_dir():
            names.update(p.parent.name for p in folder.glob(f"*/{SUITE_FILE}"))
    return sorted(names)


def find_suite(name_or_path: str | Path) -> Path:
    """The suite.yaml for a folder, a YAML file, or a suite name in the search folders."""
    path = Path(name_or_path)
    if path.is_dir() and (path / SUITE_FILE).is_file():
        return path / SUITE_FILE
    if path.is_file():
        return path
    text = str(name_or_path)
    if "/" not in text and os.sep not in text:
        for folder in search_dirs():
            if (folder / text / SUITE_FILE).is_file():
                return folder / text / SUITE_FILE
    names = suite_names()
    hint = did_you_mean(text, names)
    tip = f" Did you mean: {', '.join(hint)}?" if hint else ""
    raise SuiteError(
        text, f"no such suite file, folder or name.{tip} Available: {', '.join(names)}"
    )


def _parent_file(child_file: Path, ref: str, where=None) -> Path | None:
    """The suite file `extends: ref` names: a suite name (a sibling folder or a search folder), or
    a relative path that stays in the suite tree (the folder holding the child's suite folder, or
    a search folder); an absolute path or one leaving the tree is refused."""
    if "/" in ref or os.sep in ref or ref.endswith((".yaml", ".yml")):
        if Path(ref).is_absolute() or ref.startswith("~"):
            raise where(f"extends: '{ref}' must be a suite name or a relative path")
        candidate = (child_file.parent / ref).resolve()
        roots = [child_file.parent.parent.resolve(), *(d.resolve() for d in search_dirs())]
        if not any(candidate.is_relative_to(root) for root in roots):
            raise where(f"extends: '{ref}' leaves the suite tree")
        if candidate.is_dir():
            candidate = candidate / SUITE_FILE
        return candidate if candidate.is_file() else None
    for folder in [child_file.parent.parent, *search_dirs()]:
        if (folder / ref / SUITE_FILE).is_file():
            return folder / ref / SUITE_FILE
    return None


def merge(parent: Any, child: Any) -> Any:
    """Child over parent: mappings merge key by key, null deletes, everything else replaces."""
    if isinstance(parent, dict) and isinstance(child, dict):
        out = dict(parent)
        for key, value in child.items():
            if value is None:
                out.pop(key, None)
            elif key in out:
                out[key] = merge(out[key], value)
            else:
                out[key] = value
        return out
    return copy.deepcopy(child)


def read_document(file: Path) -> tuple[dict[str, Any], Locations, str, tuple[Path, ...]]:
    """The merged document of `file` and its parent, the merged locations, the parent's name and
    the files read."""
    data, locs = load_yaml(file)
    if "extends" not in data or data["extends"] is None:
        return data, locs, "", (file,)
    node = Node(data, (), locs).child("extends")
    ref = node.str()
    parent_file = _parent_file(file, ref, node.error)
    if parent_file is None:
        raise node.error(f"cannot find the suite '{ref}' to extend")
    if parent_file.resolve() == file.resolve():
        raise node.error("a suite cannot extend itself")
    parent, parent_locs = load_yaml(parent_file)
    if parent.get("extends") is not None:
        raise node.error(
            f"only one level of extends is allowed, but '{ref}' itself extends"
            f" '{parent['extends']}' ({display_path(parent_file)})"
        )
    inherited = {k: v for k, v in parent.items() if k not in NOT_INHERITED}
    own = {k: v for k, v in data.items() if k != "extends"}
    merged = merge(inherited, own)
    kept = {k: v for k, v in parent_locs.lines.items() if not (k and k[0] in NOT_INHERITED)}
    kept_locs = Locations(parent_file, kept)
    return merged, kept_locs.merged_with(locs), ref, (file, parent_file)


def load_suite(name_or_path: str | Path, *, validate: bool = True, tokens: bool = True) -> Suite:
    """Load, resolve and (by default) validate a suite, including the CLIP token check."""
    file = find_suite(name_or_path)
    data, locs, parent, files = read_document(file)
    suite = parse_suite(Node(data, (), locs), file.parent, parent, files)
    if validate:
        from audits.suites.validate import validate_suite

        validate_suite(suite, tokens=tokens)
    return suite
