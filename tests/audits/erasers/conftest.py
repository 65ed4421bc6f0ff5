"""Fixtures for eraser tests: a wider tiny pipeline where token counts stay below the text width,
so exact-interpolation limits (lamb -> 0) are well posed."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(scope="session")
def wide_pipe():
    """Tiny SD pipeline with text width 128 (8 edited matrices, 128 input columns).

    A freshly initialised CLIP ends in a LayerNorm with unit gain and zero bias, so every token
    embedding is mean-free and all of them lie in one hyperplane; real encoders are not like
    that. The final LayerNorm gets a seeded random gain and bias so the embeddings span R^128.
    """
    from audits.models.tiny import tiny_pipeline

    pipe = tiny_pipeline(width=128, seed=1)
    modules = pipe.text_encoder.named_modules()
    norm = next(m for n, m in modules if n.endswith("final_layer_norm"))
    gen = torch.Generator().manual_seed(7)
    with torch.no_grad():
        norm.weight.copy_(1 + 0.3 * torch.randn(norm.weight.shape, generator=gen))
        norm.bias.copy_(0.5 * torch.randn(norm.bias.shape, generator=gen))
    return pipe
