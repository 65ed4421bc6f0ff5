"""The weight-space audit on an SD 1.5-shaped random-weight pipeline for every bundled suite
(slow: builds or reuses /work/coord/sd15-random, the 860M-parameter UNet; `-m slow`).

Set SCAPRE_SD15_RANDOM to a saved SD 1.5-shaped pipeline folder (default
/work/coord/sd15-random); the test is skipped when there is none.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

SUITES = (
    "artists100",
    "art50",
    "celebrities100",
    "imagenette10",
    "imagenet-diversi50",
    "imagenet-confuse",
    "nudity",
    "toyworld",
)


@pytest.mark.slow
@pytest.mark.parametrize("suite", SUITES)
def test_every_bundled_suite_on_sd15_shaped_weights(suite, tmp_path):
    from audits.run import RunRequest, run_suite

    model = Path(os.environ.get("SCAPRE_SD15_RANDOM", "/work/coord/sd15-random"))
    if not (model / "model_index.json").is_file():
        pytest.skip(f"no SD 1.5-shaped pipeline at {model}")
    summary = run_suite(
        RunRequest(
            suite=suite,
            model=str(model),
            methods=["scapre", "uce"],
            limit=2,
            out=tmp_path / suite,
            stages="weights",
        ),
        say=lambda s: None,
    )
    results = json.loads((summary.out / "results.json").read_text())
    rows = results["metrics"]
    assert summary.counts["images"] == 0
    kinds = {r["kind"] for r in rows}
    assert {"kv_shift", "kv_edit_share", "kv_recovery_residual"} <= kinds
    for r in rows:
        if r["method"] == "uce" and r["kind"] == "kv_shift" and r["concept"] is None:
            assert r["value"] > 0 and len(r["extra"]["per_matrix"]) == 32
