"""Item 8: the weak spots. `extends:` and attack files stay in their tree (and attack files are
hashed), a symlinked `images/` is not followed, leftovers of killed writers are cleaned, prompt
tables are tokenised in bounded chunks, a metric whose scorer cannot label its concepts is refused
before any work, torch >= 2.6."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.reliability.conftest import REPO, RUN_ARGS, cli, refused


def _copy(rel_suite, tmp_path, name="suite"):
    suite = tmp_path / name
    shutil.copytree(rel_suite, suite)
    return suite


@pytest.mark.parametrize("ref", ["ABS", "../../../outside/base"])
def test_extends_stays_in_the_suite_tree(tmp_path, rel_suite, ref):
    base = _copy(rel_suite, tmp_path / "outside", "base")
    tree = tmp_path / "tree" / "suites"
    child = tree / "child"
    child.mkdir(parents=True)
    (child / "CARD.md").write_text("# c\n")
    target = str(base) if ref == "ABS" else ref
    (child / "suite.yaml").write_text(
        f"schema: 1\nname: child\nversion: 0.1.0\nextends: {target}\n"
    )
    refused(cli("suite", "validate", child, "--no-tokens"), "extends")


def _with_replay(suite: Path, csv_ref: str) -> None:
    yaml = suite / "suite.yaml"
    text = yaml.read_text() + (
        "attacks:\n  published:\n    kind: prompt_replay\n"
        f"    params: {{csv: '{csv_ref}', prompt_column: text, concept_column: target}}\n"
    )
    yaml.write_text(text)


def test_attack_files_stay_in_the_tree(tmp_path, rel_suite):
    outside = tmp_path / "secret.csv"
    outside.write_text("text,target\nsecret,cat\n")
    suite = _copy(rel_suite, tmp_path)
    _with_replay(suite, str(outside))
    refused(cli("suite", "validate", suite, "--no-tokens"), "must be relative")
    suite2 = _copy(rel_suite, tmp_path, "suite2")
    _with_replay(suite2, "../secret.csv")
    refused(cli("suite", "validate", suite2, "--no-tokens"), "leaves")


def test_attack_file_content_is_in_the_suite_hash(tmp_path, rel_suite):
    from audits.suites import load_suite, suite_hash

    suite = _copy(rel_suite, tmp_path)
    (suite / "published.csv").write_text("text,target\na kitten,cat\n")
    _with_replay(suite, "published.csv")
    before = suite_hash(load_suite(str(suite), tokens=False))
    (suite / "published.csv").write_text("text,target\na puppy,dog\n")
    assert suite_hash(load_suite(str(suite), tokens=False)) != before


def test_a_symlinked_images_folder_is_not_followed(tmp_path, small_run):
    run = tmp_path / "run"
    shutil.copytree(small_run, run)
    elsewhere = tmp_path / "elsewhere"
    shutil.move(run / "images", elsewhere)
    (run / "images").symlink_to(elsewhere)
    result = cli("report", run, "--out", tmp_path / "rep")
    assert result.rc == 0, result.err[-2000:]
    assert not [p for p in (tmp_path / "rep").rglob("*.png")]


KILL_IN_REPLACE = """
import os, signal, sys
plain = os.replace
seen = []
def replace_then_die(src, dst, *a, **k):
    if str(dst).endswith(sys.argv[1]):
        seen.append(dst)
        if len(seen) == int(sys.argv[2]):
            os.kill(os.getpid(), signal.SIGKILL)  # the temporary file is written, not renamed
    return plain(src, dst, *a, **k)
os.replace = replace_then_die
from audits.cli import main
main(sys.argv[3:])
"""


def _results(run: Path) -> dict:
    data = json.loads((run / "results.json").read_text())
    data.pop("git")  # other people edit this checkout while the tests run
    return data


def _leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob(".*") if p.name != ".scapre-audit.lock"]


def test_kill_9_leftovers_are_cleaned_and_results_identical(tmp_path, rel_suite, small_run):
    """The kill-9 harness: killed between writing a temporary file and renaming it (a PNG, then
    the results), the next run removes the leftover and ends byte-identical."""
    out = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    args = ["run", str(rel_suite), *RUN_ARGS, "--out", str(out)]
    for suffix, count in ((".png", "2"), ("results.json", "1")):
        proc = subprocess.run(
            [sys.executable, "-c", KILL_IN_REPLACE, suffix, count, *args],
            env=env, cwd=REPO, capture_output=True, timeout=600,
        )  # fmt: skip
        assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-1500:]
        assert _leftovers(out), "the harness should leave a temporary file behind"
    result = cli(*args)
    assert result.rc == 0, result.err[-2000:]
    assert _leftovers(out) == []
    assert _results(out) == _results(small_run)
    pngs = {p.name: p.read_bytes() for p in out.glob("images/*/*.png")}
    assert pngs == {p.name: p.read_bytes() for p in small_run.glob("images/*/*.png")}


def test_leftovers_of_live_writers_and_foreign_files_are_kept(tmp_path):
    from runfmt.staging import clean_leftovers, staging_dir, writer_prefix

    live = staging_dir(tmp_path, "report")  # this process is alive
    dead = tmp_path / (
        writer_prefix("x.png", "tmp").replace(f"-{os.getpid()}-", "-999999999-") + "ab"
    )
    dead.write_text("partial")
    mine = tmp_path / ".x.png.tmp"  # not named by the pattern: the user's
    mine.write_text("keep")
    assert clean_leftovers(tmp_path) == 1
    assert live.is_dir() and mine.is_file() and not dead.exists()


def test_prompt_tables_are_tokenised_in_chunks(monkeypatch):
    from audits.suites import tokens

    sizes = []
    real = tokens._tokenizer()

    def counting(texts, **kw):
        sizes.append(len(texts))
        return real(texts, **kw)

    monkeypatch.setattr(tokens, "_tokenizer", lambda: counting)
    prompts = [f"prompt number {i}" for i in range(3 * tokens.CHUNK + 5)]
    counts = tokens.token_counts(prompts)
    assert max(sizes) <= tokens.CHUNK and counts["prompt number 7"] == 5
    assert tokens.token_counts(["x " * 100_000])["x " * 100_000] > 77


def test_a_metric_whose_scorer_cannot_label_its_concepts_is_refused(tmp_path, rel_suite):
    suite = _copy(rel_suite, tmp_path)
    yaml = suite / "suite.yaml"
    yaml.write_text(
        yaml.read_text().replace(
            "clip: {kind: clip_zeroshot, label_space: concepts,",
            "clip: {kind: clip_zeroshot, label_space: labels, labels: [tree, boat],",
        )
    )
    refused(cli("run", suite, *RUN_ARGS, "--out", tmp_path / "r"), "cannot label", "cat")
    assert not (tmp_path / "r").exists()


def test_torch_lower_bound_loads_weights_only():
    text = (REPO / "pyproject.toml").read_text()
    assert '"torch>=2.6"' in text
