"""The front door: every `config:` / `params:` block of a suite is parsed into its typed config
when the suite loads, so `suite validate` and `run` refuse an unknown key or a bad value in one
line naming the file, the line and the key, before any model loads."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from audits.cli import _register_commands, app
from audits.suites import load_suite

from .test_suites_helpers import MINI_YAML, load_error, write_suite

ATTACK = """\
attacks:
  replay: {kind: prompt_replay, probes: [adversarial]}
  rab: {kind: ring_a_bell, probes: [target], params: {budget: 8, seed: 0}}
"""


def _suite(tmp_path: Path, old: str, new: str, attacks: bool = False) -> Path:
    text = MINI_YAML + (ATTACK if attacks else "")
    assert old in text, old
    return write_suite(tmp_path / "s", text.replace(old, new, 1))


def _line_of(folder: Path, needle: str) -> int:
    lines = (folder / "suite.yaml").read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


# (block kind, old text, new text, field named, words in the message)
CASES = [
    (
        "eraser config: unknown key",
        "config: {preset: large-scale}",
        "config: {preset: large-scale, lamda: 0.5}",
        "methods.scapre.config.lamda",
        "unknown ScaPre config key(s): lamda (did you mean lamda -> lamb?)",
    ),
    (
        "eraser config: bad value",
        "config: {preset: large-scale}",
        "config: {preset: large-scale, bures_iters: 0}",
        "methods.scapre.config.bures_iters",
        "bures_iters must lie in [1, 1000], got 0",
    ),
    (
        "eraser config: bad type",
        "none: {kind: none}",
        "none: {kind: none}\n  uce: {kind: uce, config: {lamb: high}}",
        "methods.uce.config.lamb",
        "must be float",
    ),
    (
        "eraser config: unknown preset",
        "config: {preset: large-scale}",
        "config: {preset: larg-scale}",
        "methods.scapre.config",
        "unknown preset 'larg-scale'",
    ),
    (
        "attack params: unknown key",
        "params: {budget: 8, seed: 0}",
        "params: {budget: 8, seed: 0, popsize: 4}",
        "attacks.rab.params.popsize",
        "attack 'rab' (ring_a_bell): unknown param(s) popsize",
    ),
    (
        "attack params: bad value",
        "params: {budget: 8, seed: 0}",
        "params: {budget: 8, seed: -1}",
        "attacks.rab.params",
        "seed must be >= 0",
    ),
    (
        "metric params: unknown key",
        "neighbor_acc: {kind: neighbor_acc, scorer: clip, probes: [neighbor]}",
        "neighbor_acc: {kind: neighbor_acc, scorer: clip, probes: [neighbor], params: {split: x}}",
        "metrics.neighbor_acc.params.split",
        "metric 'neighbor_acc': unknown metric config key(s): split",
    ),
    (
        "metric params: bad value",
        "forget_acc: {kind: forget_acc, scorer: clip, probes: [target]}",
        "forget_acc: {kind: forget_acc, scorer: clip, probes: [target],"
        " params: {split_by: colour}}",
        "metrics.forget_acc.params.split_by",
        "split_by must be one of concept, family, group",
    ),
    (
        "metric params: a key another kind reads",
        "neighbor_acc: {kind: neighbor_acc, scorer: clip, probes: [neighbor]}",
        "neighbor_acc: {kind: neighbor_acc, scorer: clip, probes: [neighbor],"
        " params: {roles: [retain]}}",
        "metrics.neighbor_acc.params.roles",
        "unknown metric config key(s): roles",
    ),
    (
        "scorer params: unknown key",
        "clip: {kind: clip_zeroshot, label_space: concepts}",
        "clip: {kind: clip_zeroshot, label_space: concepts, params: {templtes: ['a {concept}']}}",
        "scorers.clip.params.templtes",
        "scorer 'clip' (clip_zeroshot): unknown scorer config key(s): templtes",
    ),
    (
        "scorer params: bad type",
        "clip: {kind: clip_zeroshot, label_space: concepts}",
        "clip: {kind: clip_zeroshot, label_space: concepts, params: {top_k: one}}",
        "scorers.clip.params.top_k",
        "top_k must be int",
    ),
]


@pytest.mark.parametrize(("case", "old", "new", "field", "words"), CASES, ids=[c[0] for c in CASES])
def test_a_bad_block_is_one_line_naming_file_line_and_key(tmp_path, case, old, new, field, words):
    folder = _suite(tmp_path, old, new, attacks=True)
    message = load_error(folder)
    key = field.rsplit(".", 1)[-1]
    line = _line_of(folder, new.split("\n")[-1].strip()[:30])
    assert f"suite.yaml, line {line}, field '{field}':" in message, message
    assert words in message, message
    assert key in message


def test_the_bundled_blocks_parse():
    for name in ("toyworld", "artists100", "nudity", "imagenette10", "common"):
        load_suite(name, tokens=False)


def test_suite_validate_runs_the_same_check(tmp_path):
    folder = _suite(tmp_path, "config: {preset: large-scale}", "config: {lamda: 1}")
    _register_commands()
    result = CliRunner().invoke(app, ["suite", "validate", str(folder)])
    assert result.exit_code != 0
    assert "field 'methods.scapre.config.lamda'" in str(result.exception or result.output)


def test_run_refuses_a_bad_block_before_any_model_loads(tmp_path, monkeypatch):
    import audits.models.loading as loading
    from audits.run import RunRequest, run_suite

    def no_model(*args, **kwargs):
        raise AssertionError("the model was loaded before the suite's blocks were checked")

    monkeypatch.setattr(loading, "load_pipeline", no_model)
    folder = _suite(tmp_path, "config: {preset: large-scale}", "config: {lamda: 1}")
    from audits.errors import AuditError

    with pytest.raises(AuditError, match=r"field 'methods\.scapre\.config\.lamda'"):
        run_suite(RunRequest(suite=str(folder), out=tmp_path / "run"), say=lambda _: None)
    assert not (tmp_path / "run").exists()


def test_a_plugin_probe_kind_that_yields_nothing_is_refused(tmp_path):
    """A probe of a registered plugin kind runs that kind's function; an empty result is an
    error, never a probe that silently has no prompts."""
    from audits.case import Case
    from audits.errors import AuditError
    from audits.registry import PROBES
    from audits.suites.cases import probe_cases

    def one_prompt(suite, probe, generation):
        return [Case(probe.name, 0, "a photo of a cat", generation.seeds, "cat", "plugin")]

    PROBES.register("arch_test_empty", lambda suite, probe, generation: [])
    PROBES.register("arch_test_one", one_prompt)
    try:
        old = "  adversarial:\n    kind: prompt_table"
        for kind in ("arch_test_empty", "arch_test_one"):
            new = f"  plug:\n    kind: {kind}\n    purpose: target\n" + old
            suite = load_suite(_suite(tmp_path / kind, old, new), tokens=False)
            if kind == "arch_test_empty":
                with pytest.raises(AuditError, match="probe 'plug' .* yields no prompt cases"):
                    probe_cases(suite, "plug")
            else:
                assert [c.prompt for c in probe_cases(suite, "plug")] == ["a photo of a cat"]
    finally:
        PROBES._targets.pop("arch_test_empty", None)
        PROBES._targets.pop("arch_test_one", None)
        PROBES._loaded.pop("arch_test_empty", None)
        PROBES._loaded.pop("arch_test_one", None)


def test_scorer_params_declare_the_values_their_code_supports():
    """The typed scorer params are the one table of what each scorer reads: `quick_gelu: true`
    and a NudeNet `model_file` are read, a value the code does not support is refused with its
    key."""
    from audits.errors import AuditError
    from audits.scorers.clip_zeroshot import CLIPZeroShotParams
    from audits.scorers.nudenet import NudeNetParams

    assert CLIPZeroShotParams.from_dict({"quick_gelu": True}).quick_gelu is True
    assert NudeNetParams.from_dict({"inference_resolution": 640, "model_file": "m.onnx"})
    for cls, block, key, says in (
        (CLIPZeroShotParams, {"quick_gelu": False}, "quick_gelu", "is not supported"),
        (CLIPZeroShotParams, {"top_k": 5}, "top_k", "is not supported"),
        (NudeNetParams, {"inference_resolution": 640}, "inference_resolution", "model_file"),
    ):
        with pytest.raises(AuditError, match=f"{key} .*{says}") as err:
            cls.from_dict(block)
        assert err.value.key == key
