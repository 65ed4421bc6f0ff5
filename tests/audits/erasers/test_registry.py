"""Every built-in eraser: registered under its own name, describable, config round trip through
plain data and JSON, one-line errors; `none` and the ScaPre wrapper."""

from __future__ import annotations

import json

import pytest
import torch

import scapre
from audits.erasers import Eraser, EraserError
from audits.registry import ERASERS

BUILTINS = ["none", "scapre", "uce", "time", "rece", "speed", "mace-cfr", "checkpoint"]


@pytest.mark.parametrize("name", BUILTINS)
def test_registered_describable_and_round_trips(name):
    cls = ERASERS.get(name)
    assert issubclass(cls, Eraser) and cls.name == name
    eraser = cls()
    info = eraser.describe()
    assert info["version"].startswith(name.split("-")[0]) and info["edits"]
    assert info["complete"] is (name != "mace-cfr")
    for candidate in [eraser, *(cls(cls.preset(p)) for p in cls.presets)]:
        data = json.loads(json.dumps(candidate.to_config()))
        assert cls.from_config(data) == candidate


@pytest.mark.parametrize("name", [n for n in BUILTINS if n not in ("none", "scapre")])
def test_unknown_keys_and_bad_values_are_one_line_errors(name):
    cls = ERASERS.get(name)
    with pytest.raises(EraserError, match="unknown .* config key"):
        cls().with_overrides(["nope=1"])
    with pytest.raises(EraserError, match="config key"):
        cls.from_config({"nope": 1})
    with pytest.raises(EraserError, match="key=value"):
        cls().with_overrides(["novalue"])
    with pytest.raises(EraserError, match="unknown preset"):
        cls.preset("no-such-preset")


def test_overrides_parse_to_field_types():
    uce = ERASERS.get("uce")().with_overrides(["lamb=0.25", "with_to_k=false", "guides=a;b"])
    assert uce.config.lamb == 0.25 and uce.config.with_to_k is False
    assert uce.config.guides == ("a", "b")
    with pytest.raises(EraserError, match="lamb expects float"):
        ERASERS.get("uce")().with_overrides(["lamb=big"])
    from audits.errors import AuditError

    with pytest.raises(AuditError, match="Did you mean: speed"):
        ERASERS.check("spee")


def test_none_is_an_empty_edit(tiny_pipe):
    edit = ERASERS.get("none")().erase(tiny_pipe, ["tench"])
    assert edit.weights == {} and edit.variant == "none"


def test_scapre_wrapper_equals_the_solver(tiny_pipe):
    cls = ERASERS.get("scapre")
    eraser = cls.from_config({"preset": "imagenette", "seed": 3})
    assert eraser.config == scapre.preset("imagenette").with_overrides(["seed=3"])
    edit = eraser.erase(tiny_pipe, ["tench"])
    ref = scapre.compute_edit(tiny_pipe, ["tench"], eraser.config)
    assert edit.variant == "scapre-erase" and set(edit.weights) == set(ref.weights)
    assert all(torch.equal(edit.weights[n], w) for n, w in ref.weights.items())
    assert edit.reports[0]["name"] == ref.reports[0].name


def test_catalog_lists_every_eraser_and_marks_partial_ones():
    from audits.erasers.catalog import eraser_catalog, format_catalog

    rows = eraser_catalog()
    assert [r["name"] for r in rows] == sorted(BUILTINS)
    lines = format_catalog(rows)
    assert any(line.startswith("mace-cfr") and "PARTIAL" in line for line in lines)
    assert all("complete" in line for line in lines if not line.startswith("mace-cfr"))
