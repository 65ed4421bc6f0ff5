"""Item 5 and item 8's `--micro-batch`: every user-supplied number is finite and within its
documented bound, checked before any work (no model is loaded for these refusals)."""

from __future__ import annotations

import pytest

from scapre import ScaPreConfig
from scapre.errors import ScaPreError
from tests.reliability.conftest import RUN_ARGS, cli, refused

OVERRIDES = [
    ("lamb=nan", "lamb"),
    ("erase_scale=inf", "erase_scale"),
    ("erase_scale=nan", "erase_scale"),
    ("noise_sigma=inf", "noise_sigma"),
    ("p=nan", "p"),
    ("mi_temperature=nan", "mi_temperature"),
    ("entropy_samples=99999999999", "entropy_samples"),
    ("res_scale=-inf", "res_scale"),
]


@pytest.mark.parametrize(("assignment", "field"), OVERRIDES)
def test_absurd_scapre_override_is_refused(assignment, field):
    with pytest.raises(ScaPreError, match=field):
        ScaPreConfig().with_overrides([assignment])


@pytest.mark.parametrize(("assignment", "field"), [OVERRIDES[0], OVERRIDES[6]])
def test_absurd_override_is_one_line_before_the_model_loads(tmp_path, assignment, field):
    # the model path does not exist: a refusal that names the field came before any loading
    result = cli(
        "erase", "--model", tmp_path / "no-model", "--concepts", "cat", "--set", assignment,
        "--out", tmp_path / "edit",
    )  # fmt: skip
    refused(result, field)
    assert not (tmp_path / "edit").exists()


def test_bounds_live_in_the_field_definitions():
    import dataclasses

    bounded = {f.name: f.metadata["bounds"] for f in dataclasses.fields(ScaPreConfig)
               if "bounds" in f.metadata}  # fmt: skip
    assert {"lamb", "erase_scale", "entropy_samples", "noise_sigma", "p"} <= set(bounded)
    for name, (low, high, _) in bounded.items():
        default = getattr(ScaPreConfig(), name)
        assert default is None or low <= default <= high, name
    with pytest.raises(ScaPreError, match="finite"):
        ScaPreConfig(lamb=float("nan"))
    with pytest.raises(ScaPreError, match=r"entropy_samples must lie in \[1, 1000\]"):
        ScaPreConfig(entropy_samples=10**11)


def test_published_presets_are_within_bounds():
    from scapre import PRESETS

    assert all(isinstance(p, ScaPreConfig) for p in PRESETS.values())


@pytest.mark.parametrize(
    ("flag", "value", "needle"),
    [("--micro-batch", "100000", "at most 256"), ("--batch-size", "0", "at least 1")],
)
def test_run_numbers_are_bounded(tmp_path, rel_suite, flag, value, needle):
    args = [a for a in RUN_ARGS if a not in ("--micro-batch", "2")]
    refused(cli("run", rel_suite, *args, flag, value, "--out", tmp_path / "r"), flag, needle)
    assert not (tmp_path / "r").exists()
