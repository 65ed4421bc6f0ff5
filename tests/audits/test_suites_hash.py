"""suite_hash changes exactly when what a suite asks changes."""

from __future__ import annotations

import shutil

from audits.suites import hash_payload, load_suite, probe_hash, suite_hash

from .test_suites_helpers import MINI_TABLES, MINI_YAML, write_suite

REFORMATTED = """
# the same suite, keys reordered, flow and block styles swapped, comments added
default_profile: clean
methods:
  scapre:
    config:
      preset: large-scale
    kind: scapre
  none: {kind: none}
metrics:
  neighbor_acc: {probes: [neighbor], kind: neighbor_acc, scorer: clip}
  forget_acc:
    probes:
      - target
    scorer: clip
    kind: forget_acc
scorers: {clip: {label_space: concepts, kind: clip_zeroshot}}
probes:
  adversarial: {table: adversarial.csv, purpose: adversarial, kind: prompt_table}
  neighbor: {templates: ['a photo of a {concept}'], concepts: retain, purpose: neighbor,
             kind: concept_prompts}
  target:
    templates:
      - "a photo of a {concept}"   # the only template
    concepts: target
    purpose: target
    kind: concept_prompts
profiles:
  paper: {generation: {steps: 50}, metrics: [forget_acc], scorers: [clip], probes: [target],
          cites: "A paper, Table 1", kind: paper}
  clean: {kind: clean}
erase_sets:
  sweep: {seed: 3, draw: seeded, sizes: [1, 2]}
  all: {}
concepts: {table: concepts.csv}
generation: {seeds: {start: 0, count: 2}, steps: 20}
model: {revision: main, id: org/model, family: sd-v1}
description: A different description does not change the hash.
version: 0.1.0
name: mini
schema: 1
"""


def _hash(folder) -> str:
    return suite_hash(load_suite(folder, tokens=False))


def test_same_content_same_hash(tmp_path):
    a = _hash(write_suite(tmp_path / "a"))
    assert a == _hash(write_suite(tmp_path / "a"))
    assert a == _hash(write_suite(tmp_path / "elsewhere" / "b"))  # folder names do not count


def test_yaml_formatting_and_key_order_do_not_matter(tmp_path):
    assert _hash(write_suite(tmp_path / "a")) == _hash(write_suite(tmp_path / "b", REFORMATTED))


def test_csv_line_endings_and_quoting_do_not_matter(tmp_path):
    base = _hash(write_suite(tmp_path / "a"))
    crlf = MINI_TABLES["concepts.csv"].replace("\n", "\r\n")
    quoted = '"concept","role"\n"cat","target"\n"dog",target\nfox,"retain"\n'
    assert base == _hash(write_suite(tmp_path / "b", **{"concepts.csv": crlf}))
    assert base == _hash(write_suite(tmp_path / "c", **{"concepts.csv": quoted}))


def test_any_table_change_changes_the_hash(tmp_path):
    base = _hash(write_suite(tmp_path / "a"))
    variants = [
        "concept,role\ncat,target\ndog,target\nfox,retain\nowl,retain\n",  # a row added
        "concept,role\ndog,target\ncat,target\nfox,retain\n",  # rows reordered
        "concept,role\ncat,target\ndog,target\nFox,retain\n",  # one cell changed
    ]
    hashes = {
        _hash(write_suite(tmp_path / f"v{i}", **{"concepts.csv": v}))
        for i, v in enumerate(variants)
    }
    assert len(hashes) == 3 and base not in hashes
    adv = "prompt,concept,family\na photo of a kat,cat,spacing\n"
    assert base != _hash(write_suite(tmp_path / "adv", **{"adversarial.csv": adv}))


def test_spec_changes_change_the_hash(tmp_path):
    base = _hash(write_suite(tmp_path / "a"))
    for i, (old, new) in enumerate(
        [
            ("seeds: [0, 1]", "seeds: [0, 2]"),
            ("steps: 20", "steps: 21"),
            ("seed: 3}", "seed: 4}"),
            ("revision: main", "revision: abc123"),
            ("version: 0.1.0", "version: 0.1.1"),
        ]
    ):
        assert base != _hash(write_suite(tmp_path / f"s{i}", MINI_YAML.replace(old, new)))


def test_documentation_does_not_change_the_hash(tmp_path):
    base = _hash(write_suite(tmp_path / "a"))
    text = MINI_YAML.replace("Two animals", "Three animals").replace("A paper, Table 1", "Table 2")
    assert base == _hash(write_suite(tmp_path / "b", text, **{"CARD.md": "# changed\n"}))


def test_extends_hashes_like_the_flattened_suite(tmp_path):
    """A suite written with `extends:` asks the same as the same suite written out in full."""
    write_suite(tmp_path / "base")
    child_yaml = "schema: 1\nname: mini\nversion: 0.1.0\nextends: base\n"
    child = write_suite(tmp_path / "child", child_yaml)
    for name in ("concepts.csv", "adversarial.csv"):
        (child / name).unlink()  # the tables are read from the parent's folder
    assert _hash(child) == _hash(tmp_path / "base")
    payload = hash_payload(load_suite(child, tokens=False))
    assert "description" not in payload and payload["concepts"]["sha256"]


def test_bundled_hash_is_stable_when_copied(tmp_path):
    from audits.suites import bundled_dir

    shutil.copytree(bundled_dir() / "common", tmp_path / "common")
    shutil.copytree(bundled_dir() / "imagenette10", tmp_path / "imagenette10")
    copied = load_suite(tmp_path / "imagenette10", tokens=False)
    assert copied.files[1] == tmp_path / "common" / "suite.yaml"
    assert suite_hash(copied) == suite_hash(load_suite("imagenette10", tokens=False))


def test_probe_hash_changes_only_with_its_own_prompts(tmp_path):
    base = load_suite(write_suite(tmp_path / "a"), tokens=False)
    other = MINI_YAML.replace(
        'concepts: retain\n    templates: ["a photo of a {concept}"]',
        'concepts: retain\n    templates: ["a picture of a {concept}"]',
    )
    assert other != MINI_YAML
    changed = load_suite(write_suite(tmp_path / "b", other), tokens=False)
    assert probe_hash(base, "target") == probe_hash(changed, "target")
    assert probe_hash(base, "neighbor") != probe_hash(changed, "neighbor")
    renamed = load_suite(
        write_suite(
            tmp_path / "c", **{"concepts.csv": "concept,role\ncat,target\nowl,target\nfox,retain\n"}
        ),
        tokens=False,
    )
    assert probe_hash(base, "target") != probe_hash(renamed, "target")
    assert probe_hash(base, "neighbor") == probe_hash(renamed, "neighbor")
