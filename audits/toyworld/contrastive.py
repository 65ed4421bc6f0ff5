"""Contrastive image-caption training shared by the generator's text encoder and the open_clip
evaluator: batches of (render, caption) pairs and a CLIP loss whose targets treat every pair of the
same concept as a positive (a batch holds several images per concept)."""

from __future__ import annotations

import random

import torch
import torch.nn.functional as F

from audits.toyworld.render import render_dataset, to_tensor
from audits.toyworld.world import CONCEPTS, all_captions


class PairSampler:
    """Deterministic stream of (images, captions, concept ids) batches from fixed renders."""

    def __init__(self, per_concept: int, seed: int):
        images, ids = render_dataset(per_concept, seed)
        self.images = to_tensor(images)
        self.ids = torch.from_numpy(ids)
        self.captions = [all_captions(c) for c in CONCEPTS]
        self.rng = random.Random(seed)
        self.gen = torch.Generator().manual_seed(seed)

    def batch(self, size: int) -> tuple[torch.Tensor, list[str], torch.Tensor]:
        idx = torch.randint(0, len(self.ids), (size,), generator=self.gen)
        ids = self.ids[idx]
        captions = [self.rng.choice(self.captions[int(i)]) for i in ids]
        return self.images[idx], captions, ids


def clip_loss(img: torch.Tensor, txt: torch.Tensor, ids: torch.Tensor, logit_scale: torch.Tensor):
    """Symmetric cross-entropy with soft targets spread over same-concept pairs."""
    img = F.normalize(img, dim=-1)
    txt = F.normalize(txt, dim=-1)
    logits = logit_scale * img @ txt.T
    same = (ids[:, None] == ids[None, :]).float()
    target = same / same.sum(1, keepdim=True)
    loss_i = -(target * logits.log_softmax(1)).sum(1).mean()
    loss_t = -(target * logits.T.log_softmax(1)).sum(1).mean()
    return (loss_i + loss_t) / 2


def zero_shot_accuracy(img: torch.Tensor, class_txt: torch.Tensor, ids: torch.Tensor) -> float:
    """Fraction of images whose nearest class text embedding is their own concept."""
    sims = F.normalize(img, dim=-1) @ F.normalize(class_txt, dim=-1).T
    return float((sims.argmax(1) == ids).float().mean())
