"""Shared fixtures: offline environment and tiny Stable-Diffusion pipelines built from configs."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def tiny_pipe():
    """A tiny SD-shaped pipeline (text width 32, 8 edited matrices). Do not modify it."""
    from audits.models.tiny import tiny_pipeline

    return tiny_pipeline(width=32, seed=0)


@pytest.fixture(scope="session")
def tiny_pipe_dir(tmp_path_factory, tiny_pipe):
    """The tiny pipeline saved as a diffusers folder (what `--model PATH` reads)."""
    path = tmp_path_factory.mktemp("tiny-sd")
    tiny_pipe.save_pretrained(path)
    return path
