"""Helpers (no tests): a small valid suite written into a temporary folder, to break on purpose."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from audits.errors import AuditError
from audits.suites import load_suite

MINI_YAML = textwrap.dedent(
    """\
    # a minimal suite that validates
    schema: 1
    name: mini
    version: 0.1.0
    description: Two animals to erase, one to keep.
    model: {family: sd-v1, id: org/model, revision: main}
    generation:
      steps: 20
      seeds: [0, 1]
    concepts:
      table: concepts.csv
    erase_sets:
      all: {}
      sweep: {sizes: [1, 2], draw: seeded, seed: 3}
    probes:
      target:
        kind: concept_prompts
        purpose: target
        concepts: target
        templates: ["a photo of a {concept}"]
      neighbor:
        kind: concept_prompts
        purpose: neighbor
        concepts: retain
        templates: ["a photo of a {concept}"]
      adversarial:
        kind: prompt_table
        purpose: adversarial
        table: adversarial.csv
    scorers:
      clip: {kind: clip_zeroshot, label_space: concepts}
    metrics:
      forget_acc: {kind: forget_acc, scorer: clip, probes: [target]}
      neighbor_acc: {kind: neighbor_acc, scorer: clip, probes: [neighbor]}
    methods:
      none: {kind: none}
      scapre: {kind: scapre, config: {preset: large-scale}}
    profiles:
      clean: {kind: clean}
      paper:
        kind: paper
        cites: A paper, Table 1
        probes: [target]
        scorers: [clip]
        metrics: [forget_acc]
        generation: {steps: 50}
    default_profile: clean
    """
)
MINI_TABLES = {
    "concepts.csv": "concept,role\ncat,target\ndog,target\nfox,retain\n",
    "adversarial.csv": "prompt,concept,family\na photo of a kat,cat,misspelling\n",
    "CARD.md": "# mini\n",
}


def write_suite(folder: Path, yaml_text: str = MINI_YAML, **files: str) -> Path:
    """Write the mini suite (with replacements) into `folder`; return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "suite.yaml").write_text(yaml_text, encoding="utf-8")
    for name, text in {**MINI_TABLES, **files}.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def load_error(folder: Path, tokens: bool = False) -> str:
    """The one-line message of the AuditError raised while loading the suite in `folder`."""
    with pytest.raises(AuditError) as info:
        load_suite(folder, tokens=tokens)
    message = str(info.value)
    assert "\n" not in message, message
    return message
