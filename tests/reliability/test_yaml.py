"""Item 3: YAML alias bombs, recursive aliases and bytes YAML refuses are one line each, fast and
in bounded memory; one such suite on SCAPRE_AUDIT_SUITES does not break `suite list`."""

from __future__ import annotations

import shutil
import time

import pytest

from tests.reliability.conftest import cli, refused

LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{n}: &{n} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
    for p, n in zip("abcdefgh", "bcdefghi", strict=True)
)
BAD = {
    "billion-laughs": (LAUGHS, "expands to more than"),
    "recursive": ("schema: 1\nname: r\nloop: &r [1, *r]\n", "recursive YAML alias"),
    "nul-byte": ("schema: 1\nname: n\x00\n", "invalid YAML"),
    "escape": ('schema: 1\nname: "n\\e[2J"\n', "control character"),
}


def _suite(tmp_path, name: str, text: str):
    folder = tmp_path / "suites" / name
    folder.mkdir(parents=True)
    (folder / "suite.yaml").write_text(text)
    (folder / "CARD.md").write_text("# x\n")
    return folder


@pytest.mark.parametrize("case", sorted(BAD))
def test_hostile_yaml_is_one_line(tmp_path, case):
    text, needle = BAD[case]
    folder = _suite(tmp_path, case, text)
    started = time.perf_counter()
    # 1.5 GB of heap: the unbounded expansion would need far more
    line = refused(cli("suite", "validate", folder, timeout=120, limit_mb=1536), needle)
    assert "suite.yaml" in line
    assert time.perf_counter() - started < 60


def test_suite_list_survives_a_bomb_on_the_search_path(tmp_path, rel_suite):
    _suite(tmp_path, "bomb", LAUGHS)
    _suite(tmp_path, "loop", BAD["recursive"][0])
    shutil.copytree(rel_suite, tmp_path / "suites" / "fine")
    result = cli(
        "suite", "list", env={"SCAPRE_AUDIT_SUITES": str(tmp_path / "suites")}, limit_mb=1536
    )
    assert result.rc == 0, result.err[-2000:]
    assert "Traceback" not in result.err
    listed = {line.split()[0]: line for line in result.out.splitlines() if line.strip()}
    assert "INVALID" in listed["bomb"] and "INVALID" in listed["loop"]
    assert "INVALID" not in listed["fine"] and "toyworld" in listed


def test_bundled_suites_with_aliases_still_load():
    from audits.suites import load_suite, suite_hash

    for name in ("artists100", "art50", "celebrities100"):  # they use anchors and aliases
        assert len(suite_hash(load_suite(name, tokens=False))) == 64
