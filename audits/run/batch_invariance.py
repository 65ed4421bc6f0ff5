"""Run a pipeline's networks on fixed groups of images inside a batched call.

Matrix kernels pick different blockings for different batch shapes, so a batched UNet or VAE
gives an image bits that depend on how many other images share its batch (measured on the tiny
pipeline: latents differ by ~2e-5 between batch 1 and batch 5, enough to flip PNG pixels). The
plan therefore cuts each edit's images into fixed groups of `micro_batch` consecutive images, and
every network call is sliced back into exactly those groups (with both halves of classifier-free
guidance, as a pipeline call of one group would be). An image's bytes then depend on its group (part
of its identity), never on `--batch-size`, which only decides how many groups share one
pipeline call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import contextmanager
from typing import Any

import torch


def _rows(value: Any, spans: list[tuple[int, int]], n: int) -> Any:
    """Rows `spans` of a batch-sized tensor, also inside a dict (SDXL's `added_cond_kwargs`);
    other arguments pass through unchanged."""
    if isinstance(value, dict):
        return {k: _rows(v, spans, n) for k, v in value.items()}
    if isinstance(value, torch.Tensor) and value.ndim > 0 and value.shape[0] == n:
        return (
            torch.cat([value[a:b] for a, b in spans]) if len(spans) > 1 else value[slice(*spans[0])]
        )
    return value


def _map(out: Any, fn: Callable[[torch.Tensor], torch.Tensor]) -> Any:
    if isinstance(out, torch.Tensor):
        return fn(out)
    if isinstance(out, tuple):
        return tuple(_map(o, fn) for o in out)
    if hasattr(out, "to_tuple"):  # a ModelOutput keeps its type (SDXL reads `.hidden_states`)
        return type(out)(**{k: _map(v, fn) for k, v in out.items()})
    raise TypeError(f"cannot split outputs of type {type(out).__name__}")


def _cat(parts: list[Any]) -> Any:
    first = parts[0]
    if isinstance(first, torch.Tensor):
        return torch.cat(parts)
    if hasattr(first, "to_tuple"):
        return type(first)(**{k: _cat([p[k] for p in parts]) for k in first})
    return tuple(_cat([p[k] for p in parts]) for k in range(len(first)))


def per_group(fn: Callable[..., Any], sizes: Sequence[int]) -> Callable[..., Any]:
    """Wrap `fn(x, ...)` so it runs once per image group and reassembles the batch. `x` holds
    the groups once (B rows) or twice (2B rows: guidance's unconditional then conditional
    halves); a group's two halves go through together, exactly as in a pipeline call of that
    one group, so a call of a single group is not sliced at all."""
    total = sum(sizes)
    starts = [sum(sizes[:i]) for i in range(len(sizes))]

    def wrapped(x: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
        n = x.shape[0]
        if n not in (total, 2 * total):
            raise RuntimeError(f"batch of {n} rows does not match image groups {list(sizes)}")
        if len(sizes) == 1:
            return fn(x, *args, **kwargs)
        halves = n // total
        firsts, seconds = [], []
        for start, size in zip(starts, sizes, strict=True):
            spans = [(start + h * total, start + h * total + size) for h in range(halves)]
            a = [_rows(v, spans, n) for v in args]
            kw = {k: _rows(v, spans, n) for k, v in kwargs.items()}
            out = fn(_rows(x, spans, n), *a, **kw)
            firsts.append(_map(out, lambda t, s=size: t[:s]))
            if halves == 2:
                seconds.append(_map(out, lambda t, s=size: t[s:]))
        return _cat(firsts + seconds)

    return wrapped


@contextmanager
def grouped(pipe, sizes: Sequence[int]):
    """Inside the block, the text encoder(s), UNet and VAE decoder see one image group at a
    time."""
    patched = [(pipe.unet, "forward"), (pipe.vae, "decode"), (pipe.text_encoder, "forward")]
    if getattr(pipe, "text_encoder_2", None) is not None:  # SDXL
        patched.append((pipe.text_encoder_2, "forward"))
    for module, attr in patched:
        setattr(module, attr, per_group(getattr(module, attr), sizes))
    try:
        yield pipe
    finally:
        for module, attr in patched:
            module.__dict__.pop(attr, None)
