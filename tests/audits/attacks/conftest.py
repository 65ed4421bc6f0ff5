"""Attack tests run on the toy world (32x32, the suite's `attacks` profile) with one prompt case
per probe; one reference run is shared, copied or compared against, never changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
SUITE = REPO / "suites" / "toyworld"
WEIGHTS = REPO / "audits" / "toyworld" / "weights" / "pipeline" / "model_index.json"
QUIET = lambda s: None  # noqa: E731
needs_toyworld = pytest.mark.skipif(not WEIGHTS.is_file(), reason="toy world weights missing")


@pytest.fixture(scope="package", autouse=True)
def library_loggers():
    """Let transformers create its stderr log handler now, outside any test's `capsys`: made
    inside one, it would keep writing to that test's closed stream in later tests."""
    from transformers.utils import logging

    logging.get_verbosity()


@pytest.fixture(scope="package", autouse=True)
def one_thread():
    """One intra-op thread: on a shared 2-core machine two spinning threads are much slower."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def attack_request(out: Path, suite: Path = SUITE, batch_size: int = 8, **kw):
    from audits.run import RunRequest

    return RunRequest(
        suite=str(suite),
        out=out,
        profile="attacks",
        methods=["none", "uce"],
        limit=1,
        batch_size=batch_size,
        micro_batch=2,
        **kw,
    )


def files(run: Path, pattern: str) -> dict[str, bytes]:
    return {str(p.relative_to(run)): p.read_bytes() for p in sorted(run.glob(pattern))}


def results(run: Path) -> bytes:
    """results.json without `git` (others edit the checkout while tests run)."""
    data = json.loads((run / "results.json").read_text())
    data.pop("git")
    return json.dumps(data, sort_keys=True).encode()


@pytest.fixture(scope="package")
def attack_run(tmp_path_factory):
    """UCE on `red circle` attacked by the tier-0 replay and the tier-1 embedding recovery."""
    import os

    from audits.run import run_suite

    out = tmp_path_factory.mktemp("attacks") / "run"
    cwd = os.getcwd()
    os.chdir(REPO)  # the suite names its weights by repository paths
    try:
        return run_suite(attack_request(out), say=QUIET)
    finally:
        os.chdir(cwd)
