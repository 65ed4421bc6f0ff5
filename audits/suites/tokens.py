"""Count CLIP tokens the way Stable Diffusion 1.x does, to refuse prompts it would truncate."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from audits.models.clip_tokenizer import MODEL_MAX_LENGTH, build_clip_tokenizer


@lru_cache(maxsize=1)
def _tokenizer():
    return build_clip_tokenizer()


_counts: dict[str, int] = {}


def token_counts(prompts: Iterable[str]) -> dict[str, int]:
    """Tokens per prompt including the start and end tokens (the limit is 77)."""
    todo = sorted({p for p in prompts if p not in _counts})
    if todo:
        ids = _tokenizer()(todo, add_special_tokens=True, truncation=False)["input_ids"]
        _counts.update({p: len(i) for p, i in zip(todo, ids, strict=True)})
    return {p: _counts[p] for p in prompts}


def too_long(prompt: str, limit: int = MODEL_MAX_LENGTH) -> int | None:
    """The token count of `prompt` when it exceeds `limit`, else None."""
    count = token_counts([prompt])[prompt]
    return count if count > limit else None
