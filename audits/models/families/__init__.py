"""Model families a suite may name (`model.family`), and the family of a loaded pipeline.

The text side (which K/V matrices exist, how prompts become the context they read) lives in
`scapre.families`, the one place that knows it; a family here adds what an audit needs beside it:
its native resolution and the extra inputs its pipeline takes with `prompt_embeds`.
"""

from __future__ import annotations

from typing import Any

import torch

from audits.errors import AuditError


def detect(pipe) -> str:
    """The structural family of a loaded pipeline ('sd-v1', 'sd-v2', 'sdxl'); anything else is
    refused with one line that names what was found."""
    from scapre.errors import ScaPreError
    from scapre.families import text_stack

    try:
        return text_stack(pipe).family
    except ScaPreError as err:
        raise AuditError(str(err)) from None


def prompt_embeds_inputs(pipe, prompts: list[str], prompt_embeds: torch.Tensor) -> dict[str, Any]:
    """Pipeline-call arguments for rendering given `prompt_embeds`: the embeddings, plus for
    SDXL the pooled embeddings of `prompts` (unedited text encoders: every eraser and attack
    here changes only the UNet's cross-attention K/V, which never read the pooled vector)."""
    from scapre.families import text_stack

    stack = text_stack(pipe)
    out: dict[str, Any] = {"prompt_embeds": prompt_embeds}
    if stack.family == "sdxl":  # one prompt per encoder call: bytes never depend on batching
        unique = list(dict.fromkeys(prompts))
        enc = stack.encode(
            unique, dtype=prompt_embeds.dtype, device=prompt_embeds.device, batch_size=1
        )
        out["pooled_prompt_embeds"] = enc.pooled[[unique.index(p) for p in prompts]]
    return out


def unet_added_conditions(
    stack, pooled: torch.Tensor | None, size: tuple[int, int], dtype: torch.dtype
) -> dict[str, Any]:
    """Extra UNet-forward arguments of the family: for SDXL `added_cond_kwargs` with the pooled
    text embedding and the pipeline's default time ids (original size and target size = the
    image size, crop at (0, 0)); nothing for SD 1.x/2.x."""
    if stack.family != "sdxl":
        return {}
    h, w = size
    time_ids = torch.tensor([[h, w, 0, 0, h, w]], dtype=dtype, device=pooled.device)
    n = pooled.shape[0]
    return {
        "added_cond_kwargs": {
            "text_embeds": pooled.to(dtype),
            "time_ids": time_ids.expand(n, -1),
        }
    }
