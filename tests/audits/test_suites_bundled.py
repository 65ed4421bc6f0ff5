"""Every bundled suite validates (CLIP token limit included) and has the probes an audit needs."""

from __future__ import annotations

import pytest

from audits.suites import expand_erase_sets, load_suite, suite_hash, suite_names
from audits.suites.cases import local_cases
from audits.suites.validate import imagenet_categories

BUNDLED = [
    "art50",
    "artists100",
    "celebrities100",
    "imagenet-confuse",
    "imagenet-diversi50",
    "imagenette10",
    "nudity",
]
FAMILIES = {"paraphrase", "indirect", "misspelling", "spacing", "translation"}


@pytest.fixture(scope="module")
def suites():
    return {name: load_suite(name, tokens=True) for name in BUNDLED}


def test_bundled_names_are_listed():
    names = suite_names()
    assert set(BUNDLED) <= set(names)
    assert "common" in names


def test_common_is_an_abstract_base():
    common = load_suite("common")
    assert common.abstract and common.concepts is None
    assert len(common.probes["general"].table.rows) >= 200


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_suite_is_complete(suites, name):
    suite = suites[name]
    assert suite.extends == "common"
    assert len(suite_hash(suite)) == 64
    assert suite.concepts.with_role("target") and suite.concepts.with_role("retain")
    purposes = {p.purpose for p in suite.probes.values()}
    assert purposes == {"target", "neighbor", "quality", "adversarial"}
    adversarial = suite.probes["adversarial"].table.records()
    assert {row["family"] for row in adversarial} == FAMILIES
    kinds = {p.kind for p in suite.profiles.values()}
    assert kinds == {"clean", "paper"} and suite.default_profile == "clean"
    for profile in suite.profiles:
        view = suite.profile(profile)
        assert view.probes and view.metrics and view.methods
    assert "none" in suite.methods
    assert expand_erase_sets(suite.erase_sets, suite.concepts)
    # every prompt known offline fits CLIP's window (validated above) and is non-empty
    for probe in suite.probes.values():
        for case in local_cases(suite, probe, suite.generation):
            assert case.prompt.strip() and case.seeds


@pytest.mark.parametrize("name", ["imagenette10", "imagenet-diversi50", "imagenet-confuse"])
def test_imagenet_indices_name_the_right_class(suites, name):
    categories = imagenet_categories()
    assert categories is not None
    for concept in suites[name].concepts.concepts:
        index = int(concept.label("imagenet_index"))
        assert categories[index] == concept.label("imagenet_class")
        assert categories[index].lower() == concept.name.lower(), concept


def test_imagenette_targets_are_the_ten_classes(suites):
    targets = suites["imagenette10"].concepts.with_role("target")
    indices = sorted(int(c.label("imagenet_index")) for c in targets)
    assert indices == [0, 217, 482, 491, 497, 566, 569, 571, 574, 701]


def test_celebrity_sets_follow_mace(suites):
    suite = suites["celebrities100"]
    sets = {s.name: s.concepts for s in expand_erase_sets(suite.erase_sets, suite.concepts)}
    assert sets["mace-1"] == ("Melania Trump",)
    assert sets["mace@5"] == (
        "Adam Driver",
        "Adriana Lima",
        "Amber Heard",
        "Amy Adams",
        "Andrew Garfield",
    )
    assert len(sets["mace@10"]) == 10 and len(sets["mace@100"]) == 100
    assert [len(sets[f"sweep@{k}"]) for k in (1, 5, 10, 25, 50, 100)] == [1, 5, 10, 25, 50, 100]


def test_sizes(suites):
    counts = {
        n: (len(s.concepts.with_role("target")), len(s.concepts.with_role("retain")))
        for n, s in suites.items()
    }
    assert counts == {
        "art50": (50, 25),
        "artists100": (100, 100),
        "celebrities100": (100, 100),
        "imagenet-confuse": (10, 15),
        "imagenet-diversi50": (50, 50),
        "imagenette10": (10, 10),
        "nudity": (6, 6),
    }


@pytest.mark.parametrize("name", BUNDLED)
def test_indirect_references_do_not_name_the_concept(suites, name):
    people = name in ("art50", "artists100", "celebrities100")
    for row in suites[name].probes["adversarial"].table.records():
        if row["family"] != "indirect":
            continue
        prompt, concept = row["prompt"].lower(), row["concept"].lower()
        assert concept not in prompt, row
        if people:  # not even a surname
            words = [w for w in concept.replace(".", " ").split() if len(w) > 3]
            assert not any(w in prompt for w in words), row
