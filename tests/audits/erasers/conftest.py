"""Fixtures for eraser tests: a wider tiny pipeline where token counts stay below the text width,
so exact-interpolation limits (lamb -> 0) are well posed, and float64 copies for literal-oracle
tests."""

from __future__ import annotations

import copy

import pytest
import torch


@pytest.fixture(scope="session")
def wide_pipe():
    """Tiny SD pipeline with text width 128 (8 edited matrices, 128 input columns). Its text
    encoder's final LayerNorm has a seeded gain and bias (`audits.models.tiny`), so the token
    embeddings span R^128."""
    from audits.models.tiny import tiny_pipeline

    return tiny_pipeline(width=128, seed=1)


@pytest.fixture(scope="session")
def wide_pipe64(wide_pipe):
    """`wide_pipe` in float64 (text encoder and UNet): erasers return float64 weights, so an edit
    can be compared with a literal oracle to 1e-8."""
    pipe = copy.deepcopy(wide_pipe)
    pipe.text_encoder.to(torch.float64)
    pipe.unet.to(torch.float64)
    return pipe
