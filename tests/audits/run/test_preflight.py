"""The preflight (`scapre-audit plan`, `run --dry-run`): needs, presence and work, loading no
model; `run` stops at the same checks before loading anything."""

from __future__ import annotations

import json

import pytest

from audits.cli import main
from audits.errors import AuditError
from audits.run import RunRequest, run_suite


def _plan(capsys, *argv) -> tuple[int, str]:
    code = 0
    try:
        main(["plan", *argv])
    except SystemExit as exc:
        code = exc.code or 0
    return code, capsys.readouterr().out


def test_a_missing_model_is_named_before_anything_loads(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    import huggingface_hub.constants as constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    code, out = _plan(capsys, "imagenette10", "--methods", "scapre,uce", "--json")
    data = json.loads(out)
    assert code == 1 and not data["ready"]
    model = next(i for i in data["items"] if i["kind"] == "model")
    assert (
        model["blocking"]
        and "hf download stable-diffusion-v1-5/stable-diffusion-v1-5" in model["detail"]
    )
    coco = next(i for i in data["items"] if i["kind"] == "dataset")
    assert coco["status"] == "fallback" and coco["substitution"]
    work = data["work"]
    # 2 methods on the 'all' set and 4 sweep sets; 5 templates x 10 seeds x 10 classes etc.
    assert work["edits"] == 10 and work["edits_by_method"] == {"scapre": 5, "uce": 5}
    assert work["denoising_steps"] == work["images"] * 50
    assert work["unet_evaluations"] == 2 * work["denoising_steps"]
    assert work["gpu_hours"] == pytest.approx(work["images"] / 3600, rel=1e-9)
    # run stops at the same check, before loading anything, with the same words
    with pytest.raises(AuditError, match="not in the Hugging Face cache"):
        run_suite(RunRequest(suite="imagenette10", out=tmp_path / "o"), say=lambda s: None)
    assert not (tmp_path / "o").exists()


def test_plan_scales_with_steps_size_and_rate(tmp_path, suite_dir, capsys):
    code, out = _plan(capsys, str(suite_dir), "--json", "--device", "cpu")
    assert code == 0
    base = json.loads(out)
    assert base["ready"] and base["work"]["steps"] == 2
    code, out = _plan(
        capsys,
        str(suite_dir),
        "--json",
        "--steps",
        "4",
        "--size",
        "64",
        "--images-per-second",
        "2",
    )
    more = json.loads(out)["work"]
    assert more["images"] == base["work"]["images"]
    assert more["denoising_steps"] == 2 * base["work"]["denoising_steps"]
    # twice the steps, four times the pixels, twice the rate
    assert more["gpu_hours"] == pytest.approx(base["work"]["gpu_hours"] * 2 * 4 / 2)


def test_plan_counts_match_the_run(tmp_path, suite_dir, base_run, capsys):
    from audits.run.plan import plan_from_json
    from runfmt.atomic import read_json

    code, out = _plan(capsys, str(suite_dir), "--json", "--micro-batch", "2", "--device", "cpu")
    work = json.loads(out)["work"]
    plan = plan_from_json(read_json(base_run.out / "plan.json"))
    assert work["generated_images"] == len(list((base_run.out / "images").glob("*/*.png")))
    assert work["edits"] == len(plan.edits) - 1


def test_dry_run_prints_and_loads_nothing(tmp_path, suite_dir, capsys, monkeypatch):
    import audits.models.loading as loading

    def refuse(*a, **k):
        raise AssertionError("a model was loaded")

    monkeypatch.setattr(loading, "load_pipeline", refuse)
    try:
        main(["run", str(suite_dir), "--dry-run", "--out", str(tmp_path / "o")])
    except SystemExit as exc:
        assert not exc.code
    out = capsys.readouterr().out
    assert out.startswith("preflight: tinyaudit") and "ready: yes" in out
    assert "GPU-hour" in out
    assert not (tmp_path / "o").exists()
