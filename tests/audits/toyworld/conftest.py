"""Shared, session-scoped toy-world models (loaded once: the whole set must stay fast)."""

from __future__ import annotations

import os

import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def toy_pipe():
    from audits.toyworld.pipeline import load_toyworld_pipeline

    # One thread: on a shared 2-core machine, two threads per process slow sampling down 5-10x.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield load_toyworld_pipeline()
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def toy_classifier():
    from audits.toyworld.classifier import load_classifier

    return load_classifier()
