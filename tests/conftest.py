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


@pytest.fixture(scope="session")
def tiny_sdxl_pipe():
    """A tiny SDXL pipeline (text widths 32 + 48 = 80, 16 edited matrices). Do not modify it."""
    from audits.models.tiny import tiny_sdxl_pipeline

    return tiny_sdxl_pipeline(width=32, width_2=48, seed=0)


@pytest.fixture(scope="session")
def tiny_sd2_pipe():
    """A tiny SD 2.x-shaped pipeline ("!" padding, v-prediction). Do not modify it."""
    from audits.models.tiny import tiny_sd2_pipeline

    return tiny_sd2_pipeline(width=32, seed=0)


@pytest.fixture(scope="session")
def tiny_sdxl_dir(tmp_path_factory, tiny_sdxl_pipe):
    """The tiny SDXL pipeline saved as a diffusers folder."""
    path = tmp_path_factory.mktemp("tiny-sdxl")
    tiny_sdxl_pipe.save_pretrained(path)
    return path
