"""Count CLIP tokens the way Stable Diffusion 1.x does, to refuse prompts it would truncate."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from audits.models.clip_tokenizer import MODEL_MAX_LENGTH, build_clip_tokenizer


@lru_cache(maxsize=1)
def _tokenizer():
    return build_clip_tokenizer()


_counts: dict[str, int] = {}
CHUNK = 512  # prompts tokenised together: memory stays flat however large a prompt table is
MAX_CHARS = 4 * 1024  # a longer prompt counts as over the limit without tokenising all of it


def token_counts(prompts: Iterable[str]) -> dict[str, int]:
    """Tokens per prompt including the start and end tokens (the limit is 77). A prompt over
    MAX_CHARS characters is counted on its first MAX_CHARS only, and as at least 78."""
    prompts = list(prompts)
    todo = sorted({p for p in prompts if p not in _counts})
    for start in range(0, len(todo), CHUNK):
        chunk = todo[start : start + CHUNK]
        texts = [p[:MAX_CHARS] for p in chunk]
        ids = _tokenizer()(texts, add_special_tokens=True, truncation=False)["input_ids"]
        for prompt, row in zip(chunk, ids, strict=True):
            over = len(prompt) > MAX_CHARS
            _counts[prompt] = max(len(row), MODEL_MAX_LENGTH + 1) if over else len(row)
    return {p: _counts[p] for p in prompts}
