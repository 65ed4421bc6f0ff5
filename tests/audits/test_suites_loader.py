"""Loading, extends, erase sets, profiles, prompt cases, run-time prompt sets and round trips."""

from __future__ import annotations

import sys

import pytest

from audits.suites import expand_erase_sets, load_suite
from audits.suites.cases import probe_cases, render
from audits.suites.erase_sets import seeded_order
from audits.suites.remote import load_hf_prompts, matches
from audits.suites.specs.model import GenerationSpec
from audits.suites.specs.probes import Condition
from audits.suites.suite import NAMED_SECTIONS

from .test_suites_helpers import MINI_YAML, write_suite


@pytest.fixture
def mini(tmp_path):
    return load_suite(write_suite(tmp_path / "mini"), tokens=False)


def test_loaded_specs(mini):
    assert mini.generation.seeds == (0, 1) and mini.generation.steps == 20
    assert mini.generation.sampler == "pndm"  # defaults are filled in
    assert mini.concepts.names("target") == ("cat", "dog")
    assert mini.methods["scapre"].config == {"preset": "large-scale"}


def test_erase_sets_expand_reproducibly(mini):
    sets = {s.name: s.concepts for s in expand_erase_sets(mini.erase_sets, mini.concepts)}
    assert sets["all"] == ("cat", "dog")
    assert len(sets["sweep@1"]) == 1 and set(sets["sweep@2"]) == {"cat", "dog"}
    assert sets["sweep@2"][:1] == sets["sweep@1"]  # nested


def test_seeded_order_is_a_stable_nested_shuffle():
    names = tuple(f"concept {i}" for i in range(100))
    order = seeded_order(names, 0)
    assert sorted(order) == sorted(names) and order != names
    assert order == seeded_order(names, 0)
    assert order != seeded_order(names, 1)
    # adding names to the pool keeps the relative order of the old ones
    bigger = seeded_order((*names, "extra"), 0)
    assert tuple(n for n in bigger if n != "extra") == order


def test_profiles_select_and_override(mini):
    clean = mini.profile()
    assert clean.name == "clean" and set(clean.probes) == set(mini.probes)
    paper = mini.profile("paper")
    assert paper.probes == ("target",) and paper.generation.steps == 50
    assert paper.generation.seeds == mini.generation.seeds
    assert paper.methods == ("none", "scapre")


def test_prompt_cases(mini):
    cases = probe_cases(mini, "target")
    assert [c.prompt for c in cases] == ["a photo of a cat", "a photo of a dog"]
    assert cases[0].seeds == (0, 1) and cases[0].template == 0
    adversarial = probe_cases(mini, "adversarial")
    assert adversarial[0].family == "misspelling" and adversarial[0].row == 2
    assert render("{concept} and braces", "x") == "x and braces"


def test_extends_merges_and_null_removes(tmp_path):
    write_suite(tmp_path / "base")
    child = write_suite(
        tmp_path / "child",
        "schema: 1\nname: child\nversion: 2\nextends: base\n"
        "methods:\n  scapre: {config: {preset: imagenette}}\n  none: null\n"
        "generation: {steps: 30}\n",
    )
    for name in ("concepts.csv", "adversarial.csv"):
        (child / name).unlink()
    suite = load_suite(child, tokens=False)
    assert suite.name == "child" and suite.version == "2" and suite.extends == "base"
    assert suite.methods["scapre"].config == {"preset": "imagenette"}
    assert "none" not in suite.methods
    assert suite.generation.steps == 30 and suite.generation.seeds == (0, 1)
    assert suite.concepts.table.path == tmp_path / "base" / "concepts.csv"


def test_error_in_inherited_value_points_at_the_parent(tmp_path):
    from audits.errors import AuditError

    write_suite(tmp_path / "base", MINI_YAML.replace("kind: clip_zeroshot", "kind: clipzeroshot"))
    child = write_suite(tmp_path / "child", "schema: 1\nname: c\nversion: 1\nextends: base\n")
    with pytest.raises(AuditError) as info:
        load_suite(child, tokens=False)
    assert "base/suite.yaml, line 31, field 'scorers.clip.kind'" in str(info.value)


def test_specs_round_trip_through_config():
    for name in ("imagenette10", "nudity", "celebrities100", "art50"):
        suite = load_suite(name, tokens=False)
        assert GenerationSpec.from_config(suite.generation.to_config()) == suite.generation
        assert type(suite.model).from_config(suite.model.to_config()) == suite.model
        for section, spec_type in NAMED_SECTIONS.items():
            for key, spec in getattr(suite, section).items():
                if section == "probes" and spec.dataset is not None:
                    assert type(spec.dataset).from_config(spec.dataset.to_config()) == spec.dataset
                if section == "probes" and (spec.table or spec.fallback):
                    continue  # tables are read from files, not from configs
                again = spec_type.from_config(key, spec.to_config())
                assert again == spec, (name, section, key)


def test_remote_prompts_fall_back_offline(monkeypatch):
    suite = load_suite("nudity", tokens=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.warns(UserWarning, match="fallback"):
        result = load_hf_prompts(suite, suite.probes["i2p-sexual"], suite.generation)
    assert result.source == "fallback" and "offline" in result.reason
    assert len(result.cases) == 25 and result.cases[0].origin.endswith("i2p_fallback.csv")
    assert result.dataset.id == "AIML-TUDA/i2p"


def test_remote_prompts_fall_back_without_datasets(monkeypatch):
    suite = load_suite("nudity", tokens=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    monkeypatch.setitem(sys.modules, "datasets", None)  # import fails
    with pytest.warns(UserWarning):
        result = load_hf_prompts(suite, suite.probes["i2p-first300"], suite.generation)
    assert result.source == "fallback" and "'datasets' package" in result.reason


def test_dataset_row_filters():
    row = {"categories": "hate, sexual", "nudity_percentage": 60.0, "tags": ["a", "b"]}
    assert matches(row, Condition("categories", "contains", "sexual"))
    assert not matches(row, Condition("categories", "contains", "violence"))
    assert matches(row, Condition("nudity_percentage", "gt", 50))
    assert not matches(row, Condition("nudity_percentage", "le", 50))
    assert matches(row, Condition("tags", "contains", "a"))
    assert matches(row, Condition("categories", "in", ["hate, sexual"]))
