"""`--seeds N` keeps the first N seeds of every prompt (paper profiles have up to 500 per prompt,
so `--limit` alone cannot make a quick look small) and `--attack-budget N` caps the searching
attacks' budgets (sized for a GPU in the suites); both are part of the run's identity, shown in
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


ATTACKS = """attacks:
  replay: {kind: prompt_replay, probes: [target]}
  udiff: {kind: unlearndiffatk, probes: [target, adversarial], params: {budget: 40}}
"""


def _attacked(suite_dir):
    from audits.run.plan import EditUnit

    folder = suite_dir.parent / "attacked"
    folder.mkdir(exist_ok=True)
    for f in suite_dir.iterdir():
        if f.is_file():
            (folder / f.name).write_bytes(f.read_bytes())
    (folder / "suite.yaml").write_text((suite_dir / "suite.yaml").read_text() + ATTACKS)
    suite = load_suite(str(folder))
    edit = EditUnit("e", "scapre", "scapre", "1", {}, tuple(suite.concepts.names("target")))
    return suite, edit


def test_seeds_caps_attack_sources_too(suite_dir):
    from audits.run.attack_plan import plan_attacks

    suite, edit = _attacked(suite_dir)
    plan = plan_run(suite, "default", ["none"], None, MODEL, "float32", seeds=1)
    units = plan_attacks(suite, "default", ["replay"], [edit], plan.probes, None, 1)
    assert units and all(s.seeds == (0,) for u in units for s in u.sources)
    uncapped = plan_attacks(suite, "default", ["replay"], [edit], {}, None)
    assert {s.seeds for u in uncapped for s in u.sources} == {(0, 1)}


def test_attack_budget_caps_searching_attacks_and_their_identity(suite_dir):
    from audits.errors import AuditError
    from audits.run.attack_plan import plan_attacks

    suite, edit = _attacked(suite_dir)
    names = ["replay", "udiff"]
    full = plan_attacks(suite, "default", names, [edit], {}, None)
    capped = plan_attacks(suite, "default", names, [edit], {}, None, budget=3)
    high = plan_attacks(suite, "default", names, [edit], {}, None, budget=1000)
    budgets = lambda units: [u.params.get("budget") for u in units]  # noqa: E731
    assert budgets(full) == [None, None, 40, 40]
    assert budgets(capped) == [None, None, 3, 3]  # replay has no budget: untouched
    assert [u.unit_id for u in high] == [u.unit_id for u in full]  # a cap above: no change
    assert [u.unit_id for u in capped][:2] == [u.unit_id for u in full][:2]
    assert not {u.unit_id for u in capped[2:]} & {u.unit_id for u in full[2:]}
    # each source needs one evaluation: a cap below the sources is refused before any work
    with pytest.raises(AuditError, match="--attack-budget 1 is smaller than the 2 source"):
        plan_attacks(suite, "default", names, [edit], {}, None, budget=1)


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


@pytest.mark.parametrize(
    ("flag", "value"), [("--seeds", "0"), ("--seeds", "-3"), ("--attack-budget", "0")]
)
def test_a_bad_cap_is_one_line(tmp_path, suite_dir, capsys, flag, value):
    with pytest.raises(SystemExit) as exc:
        main(["run", str(suite_dir), "--out", str(tmp_path / "o"), flag, value])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {flag} must be at least 1 (got {value})"
    assert not (tmp_path / "o").exists()


def test_weights_stage_refuses_seeds(tmp_path, suite_dir, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["run", str(suite_dir), "--stages", "weights", "--seeds", "1", "--out", str(tmp_path)])
    assert exc.value.code == 2
    assert "--seeds change images" in capsys.readouterr().err
