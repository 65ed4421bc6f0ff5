"""Fixtures for eraser tests: a wider tiny pipeline where token counts stay below the text width,
so exact-interpolation limits (lamb -> 0) are well posed."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def wide_pipe():
    """Tiny SD pipeline with text width 128 (8 edited matrices, 128 input columns)."""
    from audits.models.tiny import tiny_pipeline

    return tiny_pipeline(width=128, seed=1)
