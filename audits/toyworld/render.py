"""Deterministic renderer: one filled, anti-aliased shape on a light background, 32x32 RGB.

Each image is a pure function of (concept, seed, index): a numpy generator seeded with that triple
draws position, size, rotation and colour jitter, so any subset can be re-rendered exactly.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

from audits.toyworld.world import COLOUR_RGB, CONCEPTS, Concept

IMAGE_SIZE = 32
_SUPERSAMPLE = 4


def _shape_polygon(shape: str, cx: float, cy: float, r: float, angle: float) -> list[tuple]:
    """Vertices of a shape of 'radius' r centred at (cx, cy), rotated by angle (radians)."""
    if shape == "square":
        pts = [(-1, -1), (1, -1), (1, 1), (-1, 1)]
        pts = [(x * 0.8, y * 0.8) for x, y in pts]
    elif shape == "triangle":
        pts = [
            (math.cos(a), math.sin(a))
            for a in (-math.pi / 2 + k * 2 * math.pi / 3 for k in range(3))
        ]
        pts = [(x * 1.1, y * 1.1 + 0.15) for x, y in pts]
    elif shape == "cross":
        a, b = 1.0, 0.34
        pts = [
            (-b, -a),
            (b, -a),
            (b, -b),
            (a, -b),
            (a, b),
            (b, b),
            (b, a),
            (-b, a),
            (-b, b),
            (-a, b),
            (-a, -b),
            (-b, -b),
        ]
    else:
        raise ValueError(f"not a polygon shape: {shape}")
    ca, sa = math.cos(angle), math.sin(angle)
    return [(cx + r * (x * ca - y * sa), cy + r * (x * sa + y * ca)) for x, y in pts]


def render(concept: Concept, seed: int, index: int) -> np.ndarray:
    """Render one image of `concept` as uint8 (32, 32, 3); identical for identical arguments."""
    rng = np.random.default_rng([seed, concept.index, index])
    s = _SUPERSAMPLE
    bg_level = rng.uniform(228, 248)
    bg = tuple(int(round(bg_level + t)) for t in rng.uniform(-4, 4, size=3))
    colour = tuple(
        int(np.clip(v + j, 0, 255))
        for v, j in zip(COLOUR_RGB[concept.colour], rng.uniform(-14, 14, size=3), strict=True)
    )
    cx, cy = (IMAGE_SIZE / 2 + rng.uniform(-3.5, 3.5, size=2)) * s
    r = rng.uniform(8.0, 11.0) * s
    angle = math.radians(rng.uniform(-15, 15))
    img = Image.new("RGB", (IMAGE_SIZE * s, IMAGE_SIZE * s), bg)
    draw = ImageDraw.Draw(img)
    if concept.shape == "circle":
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=colour)
    else:
        draw.polygon(_shape_polygon(concept.shape, cx, cy, r, angle), fill=colour)
    img = img.resize((IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.BOX)
    return np.asarray(img, dtype=np.uint8)


def render_dataset(per_concept: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Render `per_concept` images of every concept: uint8 (N, 32, 32, 3) and concept ids (N,)."""
    images = np.empty((len(CONCEPTS) * per_concept, IMAGE_SIZE, IMAGE_SIZE, 3), dtype=np.uint8)
    ids = np.empty(len(CONCEPTS) * per_concept, dtype=np.int64)
    k = 0
    for concept in CONCEPTS:
        for i in range(per_concept):
            images[k] = render(concept, seed, i)
            ids[k] = concept.index
            k += 1
    return images, ids


def to_tensor(images: np.ndarray):
    """uint8 (N, H, W, 3) -> float tensor (N, 3, H, W) in [-1, 1], the VAE's input range."""
    import torch

    return torch.from_numpy(images).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)
