"""Planning is a pure function of the suite, the options and the model fingerprint."""

from __future__ import annotations

import shutil

import pytest

from audits.errors import AuditError
from audits.run.plan import plan_run
from audits.suites import load_suite

MODEL = {"id": "x", "revision": None, "weights_sha256": {"unet": "u"}, "pipeline_class": "P"}


def test_plan_is_deterministic(suite_dir):
    suite = load_suite(str(suite_dir))
    a = plan_run(suite, "default", None, None, MODEL, "float32")
    b = plan_run(load_suite(str(suite_dir)), "default", None, None, MODEL, "float32")
    assert a.to_json() == b.to_json()
    assert [e.method for e in a.edits] == ["none", "scapre"]
    assert sum(len(a.images(e.edit_id, p)) for e in a.edits for p in a.probes) == 16


def test_identities_ignore_paths_and_follow_what_determines_output(tmp_path, suite_dir):
    moved = tmp_path / "elsewhere"
    shutil.copytree(suite_dir, moved)
    a = plan_run(load_suite(str(suite_dir)), "default", None, None, MODEL, "float32")
    b = plan_run(load_suite(str(moved)), "default", None, None, {**MODEL, "id": "y"}, "float32")
    assert [e.edit_id for e in a.edits] == [e.edit_id for e in b.edits]
    c = plan_run(load_suite(str(suite_dir)), "default", None, None, MODEL, "float16")
    ids = lambda p: [i for e in p.edits for q in p.probes for _, _, i in p.images(e.edit_id, q)]  # noqa: E731
    assert ids(a) == ids(b)
    assert not set(ids(a)) & set(ids(c))  # the sampling dtype changes every image
    other = {**MODEL, "weights_sha256": {"unet": "v"}}
    d = plan_run(load_suite(str(suite_dir)), "default", None, None, other, "float32")
    assert not {e.edit_id for e in a.edits} & {e.edit_id for e in d.edits}


def test_limit_caps_cases_per_probe(suite_dir):
    plan = plan_run(load_suite(str(suite_dir)), "default", ["none"], 1, MODEL, "float32")
    assert all(len(p.cases) == 1 for p in plan.probes.values())
    assert plan.probes["target"].n_cases_total == 2
    assert [e.method for e in plan.edits] == ["none"]


def test_unknown_method_is_refused(suite_dir):
    with pytest.raises(AuditError, match="unknown method 'scpare'.*available: none, scapre"):
        plan_run(load_suite(str(suite_dir)), "default", ["scpare"], None, MODEL, "float32")


def test_erase_set_sweep_is_one_experiment(tmp_path, suite_dir):
    swept = tmp_path / "swept"
    shutil.copytree(suite_dir, swept)
    yaml = swept / "suite.yaml"
    text = yaml.read_text().replace(
        "  all: {}", "  all: {}\n  sweep: {sizes: [1, 2], draw: seeded, seed: 0}"
    )
    yaml.write_text(text)
    plan = plan_run(load_suite(str(swept)), "default", None, None, MODEL, "float32")
    sets = [(g.method, g.erase_set, g.erase_set_size) for g in plan.groups]
    assert sets == [
        ("none", "all", 2),
        ("none", "sweep@1", 1),
        ("none", "sweep@2", 2),
        ("scapre", "all", 2),
        ("scapre", "sweep@1", 1),
        ("scapre", "sweep@2", 2),
    ]
    # one reference edit shared by every erase set; one scapre edit per distinct concept list
    assert len({g.edit_id for g in plan.groups if g.method == "none"}) == 1
    assert len([e for e in plan.edits if e.method == "scapre"]) in (2, 3)


def test_a_saved_plan_keeps_the_probe_order_its_image_groups_follow():
    """plan.json is written with sorted keys; the generation groups (and so the image ids, which
    name their group's size) follow the probes' plan order, so a reloaded plan must keep it."""
    import json

    from audits.case import Case
    from audits.run.plan import ProbePlan, RunPlan, plan_from_json

    def probe(name, prompts):
        cases = tuple(Case(name, i, p, (0,)) for i, p in enumerate(prompts))
        return ProbePlan(name, name, cases, "0" * 64, "suite")

    sampling = {"micro_batch": 2, "steps": 2, "height": 32, "width": 32}
    plan = RunPlan(
        [],
        {"target": probe("target", ["a", "b", "c"]), "general": probe("general", ["d"])},
        [],
        sampling,
    )
    saved = json.loads(json.dumps(plan.to_json(), sort_keys=True))
    again = plan_from_json(saved)
    assert list(again.probes) == ["target", "general"]
    assert again.generation_groups() == plan.generation_groups()
    assert again.image_id("e" * 16, "c", 0) == plan.image_id("e" * 16, "c", 0)


def test_the_one_case_type_keeps_its_saved_shapes():
    """plan.json, the prompt-set hash and attack identities read fixed fields of a case: where
    it came from never enters them, nor does a replayed embedding's file path."""
    from dataclasses import replace

    from audits.case import Case

    case = Case("p", 3, "a cat", (0, 1), "cat", "fam", 2, "x.csv", 4, "ab", "/tmp/e.st", 1)
    head = {"probe": "p", "index": 3, "prompt": "a cat", "seeds": [0, 1]}
    assert case.to_plan() == head | {"concept": "cat", "family": "fam"}
    embeds = {"embeds_sha256": "ab", "embeds_file": "/tmp/e.st", "embeds_row": 1}
    assert case.to_source() == head | embeds
    assert case.identity() == head | {"embeds_sha256": "ab"}
    assert replace(case, embeds_sha256="").identity() == head
    plain = replace(case, template=None, origin="", row=None)
    assert Case.from_json(case.to_plan()) == replace(
        plain, embeds_sha256="", embeds_file="", embeds_row=-1
    )
    assert Case.from_json(case.to_source()) == replace(plain, concept="", family="")
