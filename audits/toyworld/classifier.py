"""The toy world's label classifier: a small CNN with one head per label family.

The shape head has an extra class "none" (trained on empty backgrounds), so an image in which the
generator drew no shape is not forced onto some concept.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from torch import nn

from audits.toyworld.render import to_tensor
from audits.toyworld.world import COLOURS, CONCEPTS, SHAPES, Concept

NONE_SHAPE = len(SHAPES)  # index of the "none" class of the shape head


class ToyClassifier(nn.Module):
    """Conv features -> (colour logits [6], shape logits [4 shapes + none])."""

    def __init__(self, width: int = 32):
        super().__init__()

        def block(cin: int, cout: int, stride: int) -> list[nn.Module]:
            return [nn.Conv2d(cin, cout, 3, stride, 1), nn.BatchNorm2d(cout), nn.ReLU()]

        self.features = nn.Sequential(
            *block(3, width, 1),
            *block(width, 2 * width, 2),
            *block(2 * width, 2 * width, 2),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.colour = nn.Linear(2 * width, len(COLOURS))
        self.shape = nn.Linear(2 * width, len(SHAPES) + 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.features(x)
        return self.colour(h), self.shape(h)


def as_input(images) -> torch.Tensor:
    """Accept uint8 arrays (N, H, W, 3), PIL images or float tensors in [-1, 1]."""
    if isinstance(images, torch.Tensor):
        return images.float()
    if isinstance(images, list):
        images = np.stack([np.asarray(im.convert("RGB")) for im in images])
    return to_tensor(np.asarray(images, dtype=np.uint8))


@torch.no_grad()
def predict(model: ToyClassifier, images) -> list[Concept | None]:
    """The concept each image shows, or None when the shape head says "none"."""
    colour_logits, shape_logits = model.eval()(as_input(images))
    out: list[Concept | None] = []
    for c, s in zip(colour_logits.argmax(1).tolist(), shape_logits.argmax(1).tolist(), strict=True):
        out.append(None if s == NONE_SHAPE else CONCEPTS[c * len(SHAPES) + s])
    return out


def save_classifier(model: ToyClassifier, folder: Path, meta: dict) -> None:
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(folder / "classifier.safetensors"))
    meta = {
        "architecture": "ToyClassifier",
        "width": 32,
        "colours": list(COLOURS),
        "shapes": [*SHAPES, "none"],
        **meta,
    }
    (folder / "classifier.json").write_text(json.dumps(meta, indent=2) + "\n")


def load_classifier(folder: Path | None = None) -> ToyClassifier:
    """Load the committed classifier (eval mode, fp32)."""
    from safetensors.torch import load_file

    from audits.toyworld.paths import WEIGHTS_DIR

    folder = folder or WEIGHTS_DIR / "classifier"
    meta = json.loads((folder / "classifier.json").read_text())
    model = ToyClassifier(width=meta["width"])
    state = {
        k: v.float() if v.is_floating_point() else v
        for k, v in load_file(str(folder / "classifier.safetensors")).items()
    }
    model.load_state_dict(state)
    return model.eval()
