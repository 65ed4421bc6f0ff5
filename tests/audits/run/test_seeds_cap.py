"""`--seeds N` keeps the first N seeds of every prompt (paper profiles have up to 500 per prompt,
so `--limit` alone cannot make a quick look small); it is part of the run's identity, shown in
the preflight and the report, and a bad value is one line."""

from __future__ import annotations

import json

import pytest

from audits.cli import main
from audits.run.plan import plan_run
from audits.suites import load_suite

MODEL = {"id": "x", "revision": None, "weights_sha256": {"unet": "u"}, "pipeline_class": "P"}


def _ids(plan) -> set[str]:
    return {i for e in plan.edits for q in plan.probes for _, _, i in plan.images(e.edit_id, q)}


def test_seeds_keeps_the_first_seeds_of_each_prompt(suite_dir):
    suite = load_suite(str(suite_dir))
    full = plan_run(suite, "default", ["none"], None, MODEL, "float32", micro_batch=1)
    capped = plan_run(suite, "default", ["none"], None, MODEL, "float32", micro_batch=1, seeds=1)
    assert {c.seeds for c in full.probes["target"].cases} == {(0, 1)}
    assert all(c.seeds == (0,) for p in capped.probes.values() for c in p.cases)
    # the same prompts, fewer seeds; each kept image is the full run's same image
    assert [c.prompt for c in capped.probes["target"].cases] == [
        c.prompt for c in full.probes["target"].cases
    ]
    assert _ids(capped) < _ids(full)


def test_seeds_caps_attack_sources_too(suite_dir):
    from audits.run.attack_plan import plan_attacks
    from audits.run.plan import EditUnit

    suite = load_suite(str(suite_dir))
    text = (suite_dir / "suite.yaml").read_text()
    (suite_dir.parent / "attacked").mkdir(exist_ok=True)
    for f in suite_dir.iterdir():
        if f.is_file():
            (suite_dir.parent / "attacked" / f.name).write_bytes(f.read_bytes())
    attacked = suite_dir.parent / "attacked" / "suite.yaml"
    attacked.write_text(text + "attacks:\n  replay: {kind: prompt_replay, probes: [target]}\n")
    suite = load_suite(str(attacked))
    plan = plan_run(suite, "default", ["none"], None, MODEL, "float32", seeds=1)
    edit = EditUnit("e", "scapre", "scapre", "1", {}, tuple(suite.concepts.names("target")))
    units = plan_attacks(suite, "default", ["replay"], [edit], plan.probes, None, 1)
    assert units and all(s.seeds == (0,) for u in units for s in u.sources)
    uncapped = plan_attacks(suite, "default", ["replay"], [edit], {}, None)
    assert {s.seeds for u in uncapped for s in u.sources} == {(0, 1)}


def _plan(capsys, *argv) -> dict:
    try:
        main(["plan", *argv, "--device", "cpu", "--json"])
    except SystemExit as exc:
        assert not exc.code
    return json.loads(capsys.readouterr().out)


def test_plan_shows_the_subset_and_counts_it(suite_dir, capsys):
    full = _plan(capsys, str(suite_dir))
    capped = _plan(capsys, str(suite_dir), "--seeds", "1")
    assert capped["work"]["generated_images"] < full["work"]["generated_images"]
    assert full["work"]["subset"] == "every prompt and seed of the suite's probes"
    assert "(--seeds 1): a quick look, not the suite's full protocol" in capped["work"]["subset"]


@pytest.mark.parametrize("value", ["0", "-3"])
def test_a_bad_seeds_value_is_one_line(tmp_path, suite_dir, capsys, value):
    with pytest.raises(SystemExit) as exc:
        main(["run", str(suite_dir), "--out", str(tmp_path / "o"), "--seeds", value])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: --seeds must be at least 1 (got {value})"
    assert not (tmp_path / "o").exists()


def test_weights_stage_refuses_seeds(tmp_path, suite_dir, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["run", str(suite_dir), "--stages", "weights", "--seeds", "1", "--out", str(tmp_path)])
    assert exc.value.code == 2
    assert "--seeds change images" in capsys.readouterr().err
