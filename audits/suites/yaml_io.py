"""Strict YAML reading: duplicate keys are errors and every value remembers its line.

PyYAML silently keeps the last of two equal keys; a suite must not, so mappings are built here from
the composed node tree. Aliases (`*name`) are expanded here too, under bounds: a recursive alias is
refused, and a document that expands to more than `MAX_NODES` values (a "billion laughs") is
refused before it is built. Every string must be free of control characters (tab excepted).
Each value's location is kept in a `Locations` map keyed by its path
(`("probes", "target", "seeds", 2)`) so later checks can point at the exact line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from audits.suites.errors import SuiteError
from audits.textsafe import control_char

PathKey = tuple[str | int, ...]

MAX_NODES = 200_000  # values in one expanded document; the largest bundled suite has ~2,000


@dataclass
class Locations:
    """Where each value of a loaded document came from: path -> (file, line)."""

    default_file: Path
    lines: dict[PathKey, tuple[Path, int]] = field(default_factory=dict)

    def of(self, path: PathKey) -> tuple[Path, int | None]:
        """File and line of `path`, or of its nearest located ancestor."""
        path = tuple(path)
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return self.default_file, None
            path = path[:-1]

    def error(self, path: PathKey, message: str) -> SuiteError:
        """A SuiteError pointing at `path` in the file it was read from."""
        file, line = self.of(path)
        return SuiteError(file, message, field=dotted(path) or None, line=line)

    def merged_with(self, child: Locations) -> Locations:
        """Locations of a parent document overridden by a child's (for `extends:`)."""
        out = Locations(child.default_file, dict(self.lines))
        out.lines.update(child.lines)
        return out


def dotted(path: PathKey) -> str:
    """`("probes", "t", "seeds", 2)` -> `probes.t.seeds[2]`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


@dataclass
class _Budget:
    """What `_build` has expanded so far: a node count and the nodes on the current path."""

    nodes: int = 0
    open: set[int] = field(default_factory=set)


def _build(
    node: yaml.Node,
    loader: yaml.SafeLoader,
    file: Path,
    path: PathKey,
    locs: Locations,
    budget: _Budget | None = None,
):
    budget = budget if budget is not None else _Budget()
    budget.nodes += 1
    line = node.start_mark.line + 1
    if budget.nodes > MAX_NODES:
        raise SuiteError(
            file, f"the document expands to more than {MAX_NODES} values (aliases?)", line=line
        )
    if id(node) in budget.open:
        raise SuiteError(file, "recursive YAML alias", field=dotted(path) or None, line=line)
    locs.lines[path] = (file, line)
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
        budget.open.add(id(node))
        try:
            return _build_collection(node, loader, file, path, locs, budget)
        finally:
            budget.open.discard(id(node))
    value = loader.construct_object(node)
    if isinstance(value, str) and (bad := control_char(value)):
        raise SuiteError(
            file, f"control character {bad} in text", field=dotted(path) or None, line=line
        )
    return value


def _build_collection(node, loader, file: Path, path: PathKey, locs: Locations, budget: _Budget):
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise SuiteError(
                    file, "YAML merge keys (<<) are not allowed", line=key_node.start_mark.line + 1
                )
            key = loader.construct_object(key_node)
            if not isinstance(key, str):
                raise SuiteError(
                    file,
                    f"keys must be strings, got {key!r}",
                    field=dotted(path) or None,
                    line=key_node.start_mark.line + 1,
                )
            if key in out:
                first = locs.lines[(*path, key)][1]
                raise SuiteError(
                    file,
                    f"duplicate key '{key}' (first defined on line {first})",
                    field=dotted((*path, key)),
                    line=key_node.start_mark.line + 1,
                )
            locs.lines[(*path, key)] = (file, key_node.start_mark.line + 1)
            if bad := control_char(key, allow_tab=False):
                raise SuiteError(
                    file, f"control character {bad} in a key", line=key_node.start_mark.line + 1
                )
            out[key] = _build(value_node, loader, file, (*path, key), locs, budget)
            locs.lines[(*path, key)] = (file, key_node.start_mark.line + 1)
        return out
    return [
        _build(item, loader, file, (*path, i), locs, budget) for i, item in enumerate(node.value)
    ]


def _reader_problem(err: yaml.reader.ReaderError) -> str:
    code = err.character if isinstance(err.character, int) else ord(str(err.character)[:1] or "?")
    return f"character U+{code:04X} is not allowed (at character {err.position})"


def load_yaml(file: Path) -> tuple[dict[str, Any], Locations]:
    """Read a YAML mapping from `file` strictly; return it with the location of every value."""
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SuiteError(file, "file not found") from None
    except UnicodeDecodeError as err:
        raise SuiteError(file, f"not UTF-8 text ({err.reason})") from None
    try:
        loader = yaml.SafeLoader(text)  # checks every character: NUL and the like fail here
    except yaml.reader.ReaderError as err:
        raise SuiteError(file, f"invalid YAML: {_reader_problem(err)}") from None
    locs = Locations(file)
    try:
        node = loader.get_single_node()
        if node is None:
            raise SuiteError(file, "the file is empty")
        if not isinstance(node, yaml.MappingNode):
            raise SuiteError(file, "the top level must be a mapping", line=1)
        data = _build(node, loader, file, (), locs)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else None
        raise SuiteError(file, f"invalid YAML: {err.problem or err}", line=line) from None
    except yaml.reader.ReaderError as err:
        raise SuiteError(file, f"invalid YAML: {_reader_problem(err)}") from None
    except yaml.YAMLError as err:
        raise SuiteError(file, f"invalid YAML: {' '.join(str(err).split())}") from None
    except RecursionError:
        raise SuiteError(file, "invalid YAML: nested too deeply") from None
    finally:
        loader.dispose()
    return data, locs
