"""The point of the toy world: a closed-form cross-attention edit (ScaPre) visibly removes one
concept while neighbours that share its colour or its shape survive.

ScaPre runs with the other 23 concepts as preserve prompts and erase_scale 3: with its defaults
(no preserve set) the edit on this model barely moves the target and damages neighbours, and with
erase_scale 1 "a red circle" keeps 17-25% (see MODEL_CARD.md). Measured with this config and these
seeds: red circle 83% -> 8%, red square 92% -> 92%, blue circle 100% -> 100%.
"""

from __future__ import annotations

import copy

import pytest

from audits.toyworld.evaluate import concept_rates
from audits.toyworld.world import CONCEPTS, concept_by_prompt

N_SEEDS = 12


@pytest.fixture(scope="module")
def erased_pipe(toy_pipe):
    import scapre

    pipe = copy.copy(toy_pipe)
    pipe.unet = copy.deepcopy(toy_pipe.unet)
    target = concept_by_prompt("red circle")
    keep = tuple(c.prompt for c in CONCEPTS if c != target)
    config = scapre.ScaPreConfig(preserve_concepts=keep, erase_scale=3.0)
    weights = scapre.erase_concepts(pipe, [target.prompt], config)
    scapre.apply_edit(pipe, weights)
    return pipe


def test_erasing_red_circle_removes_it_and_keeps_its_neighbours(
    toy_pipe, erased_pipe, toy_classifier
):
    concepts = [concept_by_prompt(p) for p in ("red circle", "red square", "blue circle")]
    before = concept_rates(toy_pipe, toy_classifier, concepts, N_SEEDS, seed0=50)
    after = concept_rates(erased_pipe, toy_classifier, concepts, N_SEEDS, seed0=50)
    target, *neighbours = (c.name for c in concepts)
    assert before[target]["concept"] >= 0.75, before
    assert after[target]["concept"] <= 0.25, after
    for name in neighbours:
        assert after[name]["concept"] >= before[name]["concept"] - 0.25, (name, before, after)
        assert after[name]["concept"] >= 0.75, (name, after)
