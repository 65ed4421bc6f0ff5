"""Unit identities: a hash of exactly what determines a unit's output.

Runtime knobs (batch size, device, worker count, paths) never enter, so the same identity means the
same bytes wherever and however it is computed. The recipe is versioned: changing which fields enter
an identity bumps `IDENTITY_RECIPE`, and a run made under another recipe is refused, not silently
recomputed or mixed. Recipe 2 padded short image groups to the micro batch. Recipe 3 pads
nothing: the last short group of an edit is split into groups of powers of two (`plan.group_sizes`),
and an image's `micro_batch` field is the size of the group its networks saw (so an image made in a
group of 4 has the same identity and bytes in a run with `--micro-batch 8` and one with 4); `pndm`
is SD's PLMS-only PNDM whatever the model's scheduler config says.
Recipe 4 adds `numerics` to every image identity (device kind, CPU thread count and SIMD level, or
the GPU model), because the same inputs give different image bytes under different thread counts.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

IDENTITY_RECIPE = "scapre-audit/identity/4"


def canonical(data: Any) -> str:
    """Canonical JSON: sorted keys, no whitespace, UTF-8 kept; tuples become lists."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def identity_hash(kind: str, payload: dict[str, Any]) -> str:
    """sha256 (hex) of the recipe, the unit kind and its payload."""
    text = canonical({"recipe": IDENTITY_RECIPE, "kind": kind, **payload})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def short(digest: str) -> str:
    """The 16-hex prefix used in file names (64 bits: collisions are not a practical concern)."""
    return digest[:16]


def edit_identity(
    model: dict[str, Any], kind: str, version: str, config: dict[str, Any], concepts: list[str]
) -> str:
    """An edit is determined by the model weights, the eraser (kind, version, full config) and the
    concepts in order."""
    return identity_hash(
        "edit",
        {
            "model": model,
            "eraser": kind,
            "version": version,
            "config": config,
            "concepts": concepts,
        },
    )


def image_identity(edit_id: str, prompt: str, seed: int, sampling: dict[str, Any]) -> str:
    """An image is determined by the edited weights, the prompt, the seed and the sampler
    settings (sampler, steps, guidance, size, negative prompt, dtype, micro batch) and the numerics
    that made it (device kind, threads)."""
    return identity_hash("image", {"edit": edit_id, "prompt": prompt, "seed": seed, **sampling})


def score_identity(scorer: dict[str, Any], images: list[list[str]]) -> str:
    """A score file is determined by the evaluator's identity and the exact image bytes it read
    (image ids with their sha256, references included)."""
    return identity_hash("score", {"scorer": scorer, "images": images})
