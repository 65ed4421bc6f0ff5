"""The world's evaluators on fresh renders: the label classifier and the open_clip model."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from audits.toyworld.classifier import NONE_SHAPE, as_input, predict
from audits.toyworld.paths import OPEN_CLIP_DIR
from audits.toyworld.render import render_dataset
from audits.toyworld.train_classifier import empty_backgrounds
from audits.toyworld.world import CONCEPTS

HELD_OUT_SEED = 777_001  # never used in training


def test_classifier_at_least_98_percent_per_family_on_fresh_renders(toy_classifier):
    images, ids = render_dataset(10, HELD_OUT_SEED)
    preds = predict(toy_classifier, images)
    truth = [CONCEPTS[i] for i in ids]
    colour = np.mean(
        [p is not None and p.colour == t.colour for p, t in zip(preds, truth, strict=True)]
    )
    shape = np.mean(
        [p is not None and p.shape == t.shape for p, t in zip(preds, truth, strict=True)]
    )
    assert colour >= 0.98 and shape >= 0.98, (colour, shape)


def test_classifier_says_none_for_an_empty_background(toy_classifier):
    with torch.no_grad():
        shape_logits = toy_classifier(empty_backgrounds(16, HELD_OUT_SEED))[1]
    assert (shape_logits.argmax(1) == NONE_SHAPE).float().mean() >= 0.9


def test_classifier_accepts_pil_images(toy_classifier):
    images, ids = render_dataset(1, HELD_OUT_SEED + 1)
    pil = [Image.fromarray(im) for im in images[:3]]
    assert torch.equal(as_input(pil), as_input(images[:3]))


def test_open_clip_loads_by_the_public_api_and_classifies_zero_shot():
    import open_clip

    name = f"local-dir:{OPEN_CLIP_DIR}"
    model, _, preprocess = open_clip.create_model_and_transforms(name)
    tokenizer = open_clip.get_tokenizer(name)
    model.eval()
    images, ids = render_dataset(4, HELD_OUT_SEED + 2)
    x = torch.stack([preprocess(Image.fromarray(im)) for im in images])
    with torch.no_grad():
        img = torch.nn.functional.normalize(model.encode_image(x), dim=-1)
        txt = model.encode_text(tokenizer([c.prompt for c in CONCEPTS]))
        txt = torch.nn.functional.normalize(txt, dim=-1)
    sims = img @ txt.T
    acc = (sims.argmax(1) == torch.from_numpy(ids)).float().mean().item()
    assert acc >= 0.9, acc
    # CLIP score: an image is closer to its own caption than to its neighbours' captions.
    own = sims[torch.arange(len(ids)), torch.from_numpy(ids)]
    assert (own > sims.mean(1)).all()
