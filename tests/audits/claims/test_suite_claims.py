"""The suite's `claims:` section: parsed strictly, validated against the suite, hashed."""

from __future__ import annotations

import pytest

from audits.suites import load_suite, suite_hash
from audits.suites.specs.claims import ClaimsSpec

from ..test_suites_helpers import MINI_YAML, load_error, write_suite

CLAIMS = """\
claims:
  capacity:
    method: scapre
    erase_sets: sweep
    forget_metric: forget_acc
    forget_max: 0.1
    quality:
      - {metric: neighbor_acc, max_drop: 0.15}
    claimed_concepts: 2
  edit_time: {method: scapre, concepts: 50, reported_seconds: 120, reported_gpu_hours: 1.5}
  reproduce: {erase_set: all, headline: {metric: forget_acc, method: scapre}}
"""


def _suite(tmp_path, claims: str = CLAIMS):
    return write_suite(tmp_path / "s", MINI_YAML + claims)


def test_claims_parse_round_trip_and_enter_the_hash(tmp_path):
    suite = load_suite(_suite(tmp_path))
    assert suite.claims.capacity.quality[0].bound == "max_drop"
    config = suite.claims.to_config()
    assert ClaimsSpec.from_config(config) == suite.claims
    assert config["edit_time"] == {
        "method": "scapre",
        "concepts": 50,
        "reported_seconds": 120.0,
        "reported_gpu_hours": 1.5,
    }
    plain = load_suite(write_suite(tmp_path / "p", MINI_YAML))
    assert "claims" not in plain.to_config()  # suites without claims hash as before
    changed = load_suite(write_suite(tmp_path / "c", MINI_YAML + CLAIMS.replace("0.1", "0.2")))
    assert len({suite_hash(plain), suite_hash(suite), suite_hash(changed)}) == 3


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("    forget_max: 0.1", "    forget_mx: 0.1", "unknown key 'forget_mx'"),
        ("    forget_max: 0.1", "    forget_max: lots", "expected a number"),
        ("    forget_metric: forget_acc", "    forget_metric: forget", "no metric named 'forget'"),
        ("{metric: neighbor_acc,", "{metric: fid,", "no metric named 'fid'"),
        ("max_drop: 0.15}", "max_drop: 0.15, max: 3}", "give exactly one of max_drop, max, min"),
        ("    erase_sets: sweep", "    erase_sets: all", "erase set 'all' has no 'sizes'"),
        ("    erase_sets: sweep", "    erase_sets: swep", "no erase_set named 'swep'"),
        ("    method: scapre\n", "    method: uce\n", "no method named 'uce'"),
        ("concepts: 50,", "concepts: 0,", "must be at least 1"),
        ("headline: {metric: forget_acc,", "headline: {metric: uq,", "no metric named 'uq'"),
        ("  reproduce:", "  reproduction:", "unknown key 'reproduction'"),
    ],
)
def test_bad_claims_fail_with_file_line_and_field(tmp_path, old, new, expected):
    assert old in CLAIMS, old
    message = load_error(_suite(tmp_path, CLAIMS.replace(old, new, 1)))
    assert expected in message, message
    assert "line " in message and "field 'claims." in message


def test_bundled_claims_sections():
    for name, claimed in (("imagenette10", 10), ("imagenet-diversi50", 50), ("art50", 50)):
        suite = load_suite(name, tokens=False)
        cap = suite.claims.capacity
        assert cap.claimed_concepts == claimed and cap.method == "scapre"
        sizes = suite.erase_sets[cap.erase_sets].sizes
        assert sizes[-1] == claimed and set(sizes) <= {1, 3, 5, 10, 20, 30, 40, 50}
        clean = suite.profile("clean")
        assert cap.erase_sets in clean.erase_sets
        assert {cap.forget_metric, *(q.metric for q in cap.quality)} <= set(clean.metrics)
    toy = load_suite("suites/toyworld", tokens=False)
    profile = toy.profile("claims")
    assert toy.erase_sets["ladder"].sizes == (1, 2, 4, 8)
    assert {"none", "scapre", "uce"} == set(profile.methods)


@pytest.mark.parametrize(
    ("erase_set", "expected"),
    [("sweep@2", None), ("sweep@3", "'sweep@3' is not a size of 'sweep'"), ("swp", "no erase_set")],
)
def test_reproduce_erase_set_may_name_one_sweep_size(tmp_path, erase_set, expected):
    text = CLAIMS.replace("{erase_set: all,", "{erase_set: " + erase_set + ",")
    if expected is None:
        assert load_suite(_suite(tmp_path, text)).claims.reproduce.erase_set == erase_set
    else:
        assert expected in load_error(_suite(tmp_path, text))


def test_a_profile_selects_the_claims_it_decides(tmp_path):
    text = MINI_YAML.replace("  clean: {kind: clean}", "  clean: {kind: clean, claims: [capacity]}")
    suite = load_suite(write_suite(tmp_path / "s", text + CLAIMS))
    assert suite.profiles["clean"].claims == ("capacity",)
    assert suite.profiles["clean"].to_config()["claims"] == ["capacity"]


@pytest.mark.parametrize(
    ("claims", "yaml_claims", "expected"),
    [
        ("[capacty]", CLAIMS, "unknown claim 'capacty' (one of: capacity, edit_time, reproduce)"),
        ("[edit_time]", CLAIMS.replace("  edit_time:", "  #"), "declares no claims.edit_time"),
        ("[capacity]", "", "declares no claims.capacity"),
    ],
)
def test_a_bad_profile_claims_selection_is_one_line(tmp_path, claims, yaml_claims, expected):
    text = MINI_YAML.replace(
        "  clean: {kind: clean}", "  clean: {kind: clean, claims: " + claims + "}"
    )
    message = load_error(write_suite(tmp_path / "s", text + yaml_claims))
    assert expected in message and "profiles.clean" in message, message
