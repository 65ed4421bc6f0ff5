"""The thin adapter between the solver and a diffusers pipeline: find the cross-attention key and
value projections, read their weights, and write an edit back.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import torch

from scapre.errors import ScaPreError


@dataclass(frozen=True)
class ProjectionRef:
    """One edited matrix: its state-dict name and the Linear layer holding it."""

    name: str  # e.g. "down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_v.weight"
    layer: torch.nn.Linear


def check_pipeline(pipe) -> None:
    """Refuse pipelines the solver cannot edit faithfully, with a reason a user can act on: the
    model family must be a supported one (`scapre.families.text_stack`)."""
    from scapre.families import text_stack

    text_stack(pipe)


def cross_attention_layers(unet: torch.nn.Module) -> list[tuple[str, torch.nn.Module]]:
    """All cross-attention modules (`attn2`) in the official order: down, up, then mid blocks.

    diffusers registers `down_blocks`, `up_blocks`, then `mid_block`, so module traversal order is
    the order the official code's `named_children` walk produces (for SDXL, UCE's official script
    walks `named_modules` the same way; within a block, transformer layer by layer).
    """
    found = []
    for name, module in unet.named_modules():
        if name.endswith("attn2") and getattr(module, "is_cross_attention", False):
            found.append((name, module))
    if not found:
        raise ScaPreError("the UNet has no cross-attention (attn2) layers to edit")
    return found


def projections(unet: torch.nn.Module, with_to_k: bool = True) -> list[ProjectionRef]:
    """The edited matrices in the official order: every to_v, then every to_k."""
    layers = cross_attention_layers(unet)
    kinds = ["to_v", "to_k"] if with_to_k else ["to_v"]
    refs = []
    for kind in kinds:
        for name, attn in layers:
            layer = getattr(attn, kind)
            if getattr(layer, "bias", None) is not None:
                raise ScaPreError(f"{name}.{kind} has a bias; the closed form assumes none")
            refs.append(ProjectionRef(f"{name}.{kind}.weight", layer))
    return refs


def apply_edit(pipe_or_unet, weights: Mapping[str, torch.Tensor]) -> None:
    """Write an edit (state-dict name -> new weight) into a pipeline's UNet, in place.

    Every name must exist with the same shape, so a delta made for another model is refused
    before anything is written.
    """
    unet = getattr(pipe_or_unet, "unet", pipe_or_unet)
    params = dict(unet.named_parameters())
    for name, value in weights.items():
        if name not in params:
            raise ScaPreError(f"edit names {name!r}, which this UNet does not have")
        if tuple(params[name].shape) != tuple(value.shape):
            raise ScaPreError(
                f"edit for {name} has shape {tuple(value.shape)}, "
                f"the UNet's is {tuple(params[name].shape)}"
            )
    with torch.no_grad():
        for name, value in weights.items():
            params[name].copy_(value.to(device=params[name].device, dtype=params[name].dtype))


@contextmanager
def applied(pipe_or_unet, weights: Mapping[str, torch.Tensor]):
    """Context: the UNet carries `weights` inside the block and its original weights after it
    (also when the block raises). The one way the tool applies an edit for a while."""
    unet = getattr(pipe_or_unet, "unet", pipe_or_unet)
    params = dict(unet.named_parameters())
    saved = {n: params[n].detach().clone() for n in weights if n in params}
    apply_edit(pipe_or_unet, weights)
    try:
        yield pipe_or_unet
    finally:
        apply_edit(pipe_or_unet, saved)
