"""`--steps` and `--size`: part of the run's identity, shown in results and the report; a step
count the sampler cannot sample is one line."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from audits.cli import main
from audits.errors import AuditError
from audits.run import RunRequest, run_suite

QUIET = lambda s: None  # noqa: E731


def test_steps_and_size_override_the_suite_and_are_shown(tmp_path, suite_dir):
    out = tmp_path / "small"
    request = RunRequest(
        suite=str(suite_dir),
        out=out,
        methods=["none"],
        limit=1,
        seeds=1,
        attack_budget=5,
        steps=1,
        size=16,
        micro_batch=4,
    )
    run_suite(request, say=QUIET)
    results = json.loads((out / "results.json").read_text())
    assert (results["limit"], results["seeds_per_prompt"]) == (1, 1)
    assert results["generation"]["steps"] == 1
    assert (results["generation"]["height"], results["generation"]["width"]) == (16, 16)
    assert results["generation_overrides"] == {"steps": 1, "size": 16}
    assert results["suite"]["generation"] == {"steps": 2, "height": 32, "width": 32}
    record = json.loads(next((out / "images").glob("*/*.json")).read_text())
    assert record["sampling"]["steps"] == 1
    from PIL import Image

    assert Image.open(next((out / "images").glob("*/*.png"))).size == (16, 16)
    page = (out / "report" / "index.html").read_text()
    assert (
        "steps=1 (--steps; the suite&#39;s: 2)" in page
        or "steps=1 (--steps; the suite's: 2)" in page
    )
    # --limit and --seeds are shown, and the rerun command repeats every flag of the subset
    assert "the first 1 seed(s) of each prompt (--seeds 1)" in page
    assert "at most 5 evaluation(s) per unit (--attack-budget 5)" in page
    assert "--limit 1 --seeds 1 --attack-budget 5 --size 16 --steps 1</code>" in page
    # the paper tables say it too (Markdown and LaTeX notes, a CSV row)
    for name in ("paper.md", "paper.tex", "paper.csv"):
        table = (out / "report" / "tables" / name).read_text()
        assert "the first 1 seed(s) of each prompt (--seeds 1)" in table, name
    with pytest.raises(AuditError, match="seeds_per_prompt"):
        run_suite(replace(request, seeds=None), say=QUIET)
    with pytest.raises(AuditError, match="attack_budget"):
        run_suite(replace(request, attack_budget=None), say=QUIET)
    # the overrides are part of the identity: another step count cannot resume this run
    with pytest.raises(AuditError, match="generation_overrides"):
        run_suite(
            RunRequest(
                suite=str(suite_dir),
                out=out,
                methods=["none"],
                limit=1,
                seeds=1,
                attack_budget=5,
                steps=2,
                size=16,
                micro_batch=4,
            ),
            say=QUIET,
        )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--steps", "0"], "--steps must be at least 1"),
        (["--size", "30"], "--size must be a multiple of 8"),
    ],
)
def test_bad_overrides_are_one_line(tmp_path, suite_dir, capsys, args, message):
    with pytest.raises(SystemExit) as exc:
        main(["run", str(suite_dir), "--out", str(tmp_path / "o"), *args])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err
    assert not (tmp_path / "o").exists()
