"""The weight-space audit on an SD 1.5-shaped random-weight pipeline for every bundled suite
(slow: loads the 860M-parameter UNet once per suite; `-m slow`).

Set SCAPRE_SD15_RANDOM to a saved SD 1.5-shaped pipeline folder (default
/work/coord/sd15-random, built by benchmarks/random_model.py); the test is skipped when there is
none. Each suite runs the profile with the fewest edits for scapre and uce (what the mode has to
handle is the suite's prompts, concepts and method configs, not the number of sweep steps), the
first 2 prompts of each probe. Run one suite at a time on a shared machine:

    flock /tmp/heavy.lock python -m pytest -m slow tests/audits/weights/test_sd15_suites.py -k art50
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

SD15_KV_MATRICES = 32  # 16 cross-attention modules, to_k and to_v each

# suite -> profile (`scapre-audit plan SUITE --profile P --methods scapre,uce --limit 2`: 2
# edits each; celebrities100 8 (its smallest with a neighbour probe), imagenet-diversi50 10
# (both its profiles sweep)).
SUITES = {
    "artists100": "mace-artists",
    "art50": "scapre-table2",
    "celebrities100": "mace-celebrities",
    "imagenette10": "scapre-table1",
    "imagenet-diversi50": "scapre-table3",
    "imagenet-confuse": "scapre-table4",
    "nudity": "scapre-nsfw",
    "toyworld": "ci",
}


@pytest.mark.slow
@pytest.mark.parametrize("suite", sorted(SUITES))
def test_every_bundled_suite_on_sd15_shaped_weights(suite, tmp_path):
    from audits.run import RunRequest, run_suite

    model = Path(os.environ.get("SCAPRE_SD15_RANDOM", "/work/coord/sd15-random"))
    if not (model / "model_index.json").is_file():
        pytest.skip(f"no SD 1.5-shaped pipeline at {model}")
    summary = run_suite(
        RunRequest(
            suite=suite,
            profile=SUITES[suite],
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
    assert summary.counts["images"] == 0 and not list((summary.out / "images").glob("**/*.png"))
    assert results["stages"] == "weights" and all(r["space"] == "weights" for r in rows)
    kinds = {r["kind"] for r in rows}
    assert {"kv_shift", "kv_collateral", "kv_edit_share", "kv_recovery_residual"} <= kinds
    for r in rows:
        if r["kind"] == "kv_edit_share":
            assert r["value"] > 0.99 and r["extra"]["visibility"] == "visible"
    measured = [
        r
        for r in rows
        if r["method"] == "uce" and r["kind"] == "kv_shift" and r["concept"] is None and r["n"]
    ]
    assert measured, "no uce kv_shift row measured any prompt"
    for r in measured:  # a closed-form edit moves every K/V matrix on the erased prompts
        assert r["value"] > 0 and len(r["extra"]["per_matrix"]) == SD15_KV_MATRICES
        if r["n"] >= 2:  # an interval resamples prompts
            assert r["ci_low"] <= r["value"] <= r["ci_high"]
    timings = json.loads((summary.out / "weights" / "timings.json").read_text())
    assert timings["prompts"] > 0 and timings["text_encoder_s"] > 0
