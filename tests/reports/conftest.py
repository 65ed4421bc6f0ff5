"""Fixtures: a copy of the small saved toy-world run (see make_fixture.py) that a test may edit."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data" / "toyworld-mini"
# the `demo` profile with --limit 4, copied whole (make_fixture.py --whole): score files with
# per-image verdicts, metric definitions, an attack and claims
DEMO = Path(__file__).parent / "data" / "toyworld-demo"
HOSTILE_SCRIPT = "<script>alert(1)</script>"
HOSTILE_ATTR = '"><img src=x onerror=alert(1)>'


def read(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def write(path: Path, data) -> None:
    path.write_text(json.dumps(data), encoding="utf-8")


@pytest.fixture
def mini_run(tmp_path: Path) -> Path:
    """A private copy of the saved run, so tests can alter it."""
    dest = tmp_path / "run"
    shutil.copytree(DATA, dest)
    return dest


@pytest.fixture
def demo_run(tmp_path: Path) -> Path:
    dest = tmp_path / "demo"
    shutil.copytree(DEMO, dest)
    return dest
