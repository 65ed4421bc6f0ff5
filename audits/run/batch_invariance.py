"""Run a pipeline's networks one image at a time inside a batched call.

Matrix kernels pick different blockings for different batch sizes, so a batched UNet or VAE
gives an image bits that depend on how many other images share its batch (measured on the tiny
pipeline: latents differ by ~2e-5 between batch 1 and batch 5, enough to flip PNG pixels).
Slicing every network call into single images makes each image's bytes a function of its prompt
and seed only; `--batch-size` then groups the pipeline's Python and scheduler work.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

import torch


def _split(value: Any, i: int, n: int) -> Any:
    if isinstance(value, torch.Tensor) and value.ndim > 0 and value.shape[0] == n:
        return value[i : i + 1]
    return value


def _join(parts: list[Any]) -> Any:
    first = parts[0]
    if isinstance(first, torch.Tensor):
        return torch.cat(parts)
    if isinstance(first, tuple):
        return tuple(_join([p[k] for p in parts]) for k in range(len(first)))
    if hasattr(first, "to_tuple"):
        return _join([p.to_tuple() for p in parts])
    raise TypeError(f"cannot join outputs of type {type(first).__name__}")


def per_image(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap `fn(x, ...)` so it runs once per row of `x` and concatenates the results."""

    def wrapped(x: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
        n = x.shape[0]
        if n == 1:
            return fn(x, *args, **kwargs)
        parts = []
        for i in range(n):
            a = [_split(v, i, n) for v in args]
            kw = {k: _split(v, i, n) for k, v in kwargs.items()}
            parts.append(fn(x[i : i + 1], *a, **kw))
        return _join(parts)

    return wrapped


@contextmanager
def batch_invariant(pipe):
    """Inside the block, the text encoder, UNet and VAE decoder see one image at a time."""
    patched = [(pipe.unet, "forward"), (pipe.vae, "decode"), (pipe.text_encoder, "forward")]
    for module, attr in patched:
        setattr(module, attr, per_image(getattr(module, attr)))
    try:
        yield pipe
    finally:
        for module, attr in patched:
            module.__dict__.pop(attr, None)
