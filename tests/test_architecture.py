"""The arrows that must never exist (docs/architecture.md), checked on the source: every
`import` and `from ... import` of every module, at module level or inside a function.

- `runfmt` (the run-folder format) imports nothing of the project, and never torch or numpy;
- `reports` imports only `runfmt` of the project, and never torch or numpy;
- `scapre` (the solver) imports nothing of the project but itself;
- no module of the engine imports a command (`audits.commands.*`, `audits.cli`): the commands
  sit on top, and every command is a module of `audits.commands`;
- no cycle among the packages `audits.run`, `audits.claims` and `audits.attacks`.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT = ("audits", "reports", "runfmt", "scapre")
COMMANDS = ("audits.cli", "audits.commands")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(package: str) -> dict[str, set[str]]:
    """module -> the absolute names it imports (relative imports resolved)."""
    out: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        name = _module_name(path)
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = (
                        name.split(".")[: -node.level]
                        if path.stem != "__init__"
                        else (name.split(".")[: len(name.split(".")) - node.level + 1])
                    )
                    base = ".".join([*anchor, base] if base else anchor)
                found.add(base)
                found.update(f"{base}.{alias.name}" for alias in node.names)
        out[name] = found
    return out


def _top(name: str) -> str:
    return name.split(".")[0]


def _offenders(package: str, allowed: set[str], banned: tuple[str, ...] = ()) -> list[str]:
    bad = []
    for module, names in imports(package).items():
        for target in names:
            top = _top(target)
            if (top in PROJECT and top not in allowed) or top in banned:
                bad.append(f"{module} imports {target}")
    return sorted(set(bad))


def test_the_format_package_imports_nothing_of_the_project():
    assert _offenders("runfmt", {"runfmt"}, ("torch", "numpy")) == []


def test_reports_import_only_the_format_package():
    assert _offenders("reports", {"reports", "runfmt"}, ("torch", "numpy")) == []


def test_the_solver_imports_only_itself():
    assert _offenders("scapre", {"scapre"}) == []


def _is_command(module: str) -> bool:
    return any(module == c or module.startswith(c + ".") for c in COMMANDS)


def test_no_engine_module_imports_a_command():
    bad = []
    for package in PROJECT:
        for module, names in imports(package).items():
            if _is_command(module):
                continue
            bad += [f"{module} imports {t}" for t in names if _is_command(t)]
    assert sorted(set(bad)) == []


def test_commands_live_in_one_place():
    """No command module outside `audits.commands` (the old `*_cmd` / `*_cli` names)."""
    stray = [
        str(p.relative_to(ROOT))
        for package in PROJECT
        for p in (ROOT / package).rglob("*.py")
        if p.stem.endswith(("_cmd", "_cli")) or (p.stem == "cli" and p.parent.name != "audits")
    ]
    assert stray == []


def _package_of(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == "audits" and parts[1] in ("run", "claims", "attacks"):
        return f"audits.{parts[1]}"
    return None


def test_no_cycle_among_run_claims_and_attacks():
    edges: dict[str, set[str]] = {}
    why: dict[tuple[str, str], str] = {}
    for module, names in imports("audits").items():
        source = _package_of(module)
        if source is None:
            continue
        for target in names:
            dest = _package_of(target)
            if dest and dest != source:
                edges.setdefault(source, set()).add(dest)
                why.setdefault((source, dest), f"{module} imports {target}")
    for a, targets in edges.items():
        for b in targets:
            if a in edges.get(b, set()):
                pytest.fail(f"cycle {a} <-> {b}: {why[(a, b)]}; {why[(b, a)]}")


def test_importing_the_report_loads_neither_torch_nor_the_engine():
    code = (
        "import sys, reports.build\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'audits', 'scapre'))\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
