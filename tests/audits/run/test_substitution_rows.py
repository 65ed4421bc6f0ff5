"""Results rows list their substitutions: offline, a remote prompt set's fallback is marked on
every number made from it, down to the report cell; an evaluator's declared substitution too."""

from __future__ import annotations

import json

from audits.run import RunRequest, run_suite
from audits.run.substitutions import evaluator_substitutions
from tests.audits.run.conftest import write_suite

CAPTIONS = """  captions:
    kind: hf_prompts
    purpose: quality
    dataset: {id: example/captions, revision: main, split: validation, column: caption}
    fallback: general.csv
    seeds: [0]
"""


def test_fallback_prompts_are_marked_on_rows_and_cells(tmp_path, tiny_pipe_dir, clip_dir):
    suite = write_suite(tmp_path / "suite" / "tinyaudit", tiny_pipe_dir, clip_dir)
    text = (suite / "suite.yaml").read_text()
    text = text.replace("scorers:\n", CAPTIONS + "scorers:\n", 1)
    text = text.replace(
        "metrics:\n",
        "metrics:\n  clip_captions: {kind: clip_score, scorer: clip_score, probes: [captions]}\n",
        1,
    )
    (suite / "suite.yaml").write_text(text)
    out = tmp_path / "run"
    run_suite(
        RunRequest(suite=str(suite), out=out, methods=["none"], limit=1, micro_batch=2),
        say=lambda s: None,
    )
    results = json.loads((out / "results.json").read_text())
    rows = {r["metric"]: r for r in results["metrics"]}
    (sub,) = rows["clip_captions"]["substitutions"]
    assert sub["kind"] == "prompts" and sub["part"] == "captions"
    assert (sub["declared"], sub["used"]) == ("example/captions", "general.csv")
    assert rows["clip_score"]["substitutions"] == []
    assert results["substitutions"] == [sub]
    page = (out / "report" / "index.html").read_text()
    assert '<sup class="subst">\u2020</sup>' in page
    assert "general.csv instead of example/captions" in page


def test_evaluator_substitutions_are_found_in_nested_identities():
    sub = {"declared": "inception", "used": "clip", "reason": "no torch-fidelity"}
    assert evaluator_substitutions({"kind": "fid", "substitution": None}, "fid") == []
    (found,) = evaluator_substitutions({"kind": "fid", "substitution": sub}, "fid")
    assert found == {"kind": "evaluator", "part": "fid", **sub}
    derived = {
        "forget_metric": {"metric": "forget_acc", "evaluator": {"kind": "clip"}},
        "quality_metric": {
            "metric": "fid_vs_base",
            "evaluator": {"kind": "fid", "substitution": sub},
        },
    }
    (found,) = evaluator_substitutions(derived)
    assert found["part"] == "fid_vs_base"
