"""Registries: lazy built-ins, did-you-mean errors, declared-but-missing implementations."""

from __future__ import annotations

import sys

import pytest

from audits.registry import (
    ERASERS,
    METRICS,
    MODEL_FAMILIES,
    REGISTRIES,
    SCORERS,
    NotImplementedEntryError,
    Registry,
    UnknownNameError,
)


def test_unknown_name_message():
    with pytest.raises(UnknownNameError) as info:
        SCORERS.check("clip_zs")
    message = str(info.value)
    assert message.startswith("Unknown scorer 'clip_zs'. Did you mean: clip_zeroshot? Available: ")
    assert "resnet50_imagenet" in message
    with pytest.raises(UnknownNameError, match="Unknown eraser 'scpare'. Did you mean: scapre?"):
        ERASERS.get("scpare")


def test_builtin_names():
    assert {"none", "scapre", "uce", "time", "rece", "speed", "mace-cfr", "checkpoint"} <= set(
        ERASERS.names()
    )
    assert {"forget_acc", "neighbor_acc", "retain_acc", "uq", "overall_acc"} <= set(METRICS.names())
    assert "sd-v1" in MODEL_FAMILIES


def test_declared_but_missing_module_is_a_clear_error():
    registry = Registry("scorer", "scapre_audit.test", {"nudenet": "audits.not_here.nudenet:X"})
    with pytest.raises(NotImplementedEntryError) as info:
        registry.get("nudenet")
    assert str(info.value).startswith(
        "scorer 'nudenet' is declared but not implemented in this version"
    )


def test_missing_attribute_is_a_clear_error():
    registry = Registry("metric", "scapre_audit.test", {"x": "audits.registry:NoSuchThing"})
    with pytest.raises(NotImplementedEntryError, match="declared but not implemented"):
        registry.get("x")


def test_missing_third_party_package(tmp_path, monkeypatch):
    (tmp_path / "needs_pkg.py").write_text("import not_a_real_package_xyz\nX = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = Registry("scorer", "scapre_audit.test", {"q": "needs_pkg:X"})
    with pytest.raises(Exception, match="needs the Python package 'not_a_real_package_xyz'"):
        registry.get("q")
    sys.modules.pop("needs_pkg", None)


def test_register_and_lazy_load():
    registry = Registry("probe", "scapre_audit.test", {"lazy": "audits.suites.cases:render"})

    @registry.register("mine")
    def mine():
        return 1

    assert registry.get("mine") is mine
    assert registry.get("lazy")("{concept}!", "x") == "x!"
    assert registry.names() == ["lazy", "mine"]
    with pytest.raises(Exception, match="already registered"):
        registry.register("mine", mine)


@pytest.mark.parametrize("kind", sorted(set(REGISTRIES) - {"model_families"}))
def test_every_builtin_is_implemented(kind):
    """No stub behind a registry name: every built-in loads (model families are the model
    layer's, checked by its own tests)."""
    registry = REGISTRIES[kind]
    for name in registry.names():
        assert registry.get(name) is not None, name


def test_importing_suites_stays_light():
    import subprocess

    code = (
        "import sys, audits.suites, audits.registry, audits.commands.suite;"
        "print(sorted(m for m in ('torch', 'torchvision', 'transformers') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
