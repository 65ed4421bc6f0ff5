"""Renderer determinism, exact labels, concept and neighbour structure of the toy world."""

from __future__ import annotations

import numpy as np

from audits.toyworld.render import render, render_dataset
from audits.toyworld.world import (
    COLOUR_RGB,
    COLOURS,
    CONCEPTS,
    SHAPES,
    all_captions,
    colour_captions,
    concept_by_prompt,
    shape_captions,
)


def test_at_least_24_concepts_in_two_families():
    assert len(CONCEPTS) == len(COLOURS) * len(SHAPES) >= 24
    assert len({c.name for c in CONCEPTS}) == len(CONCEPTS)
    assert [c.index for c in CONCEPTS] == list(range(len(CONCEPTS)))


def test_render_is_deterministic_and_seed_dependent():
    concept = concept_by_prompt("a red circle")
    a, b = render(concept, seed=3, index=7), render(concept, seed=3, index=7)
    assert a.dtype == np.uint8 and a.shape == (32, 32, 3)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, render(concept, seed=4, index=7))
    x1, ids1 = render_dataset(2, seed=5)
    x2, ids2 = render_dataset(2, seed=5)
    assert np.array_equal(x1, x2) and np.array_equal(ids1, ids2)


def test_labels_match_the_drawn_colour():
    """The most saturated pixels of each render are close to the concept's base colour."""
    for concept in CONCEPTS:
        img = render(concept, seed=0, index=0).reshape(-1, 3).astype(float)
        sat = img.max(1) - img.min(1)
        centre = img[sat >= np.quantile(sat, 0.9)].mean(0)
        dists = {c: np.linalg.norm(centre - np.array(rgb)) for c, rgb in COLOUR_RGB.items()}
        assert min(dists, key=dists.get) == concept.colour
        assert concept.labels == {
            "colour": COLOURS.index(concept.colour),
            "shape": SHAPES.index(concept.shape),
        }


def test_neighbours_share_exactly_one_attribute():
    concept = concept_by_prompt("red circle")
    names = {c.name for c in concept.neighbours()}
    assert "red square" in names and "blue circle" in names
    assert "blue square" not in names and "red circle" not in names
    assert len(names) == (len(COLOURS) - 1) + (len(SHAPES) - 1)


def test_captions_name_the_concept_or_its_synonyms():
    caps = all_captions(concept_by_prompt("a blue cross"))
    assert "a blue cross" in caps and "a photo of a blue cross" in caps
    assert any("azure" in c for c in caps) and any("plus sign" in c for c in caps)


def test_attribute_only_captions_name_one_attribute():
    """`train_unet --attribute-p` also shows "a yellow" (a yellow shape of any kind) and "a circle"
    (a circle of any colour), so that no attribute alone implies a particular concept."""
    for colour in COLOURS:
        caps = colour_captions(colour)
        assert f"a {colour}" in caps and not {w for c in caps for w in c.split()} & set(SHAPES)
    for shape in SHAPES:
        caps = shape_captions(shape)
        assert f"a {shape}" in caps and not {w for c in caps for w in c.split()} & set(COLOURS)


def test_unet_caption_mix_draws_each_attribute_caption_for_every_concept_of_it():
    from audits.toyworld.train_unet import attribute_table, caption_table

    captions, _, _, _ = caption_table()
    attr, colour_idx, shape_idx = attribute_table(len(captions))
    captions += attr
    for k, concept in enumerate(CONCEPTS):
        assert {captions[i] for i in colour_idx[k]} == set(colour_captions(concept.colour))
        assert {captions[i] for i in shape_idx[k]} == set(shape_captions(concept.shape))
