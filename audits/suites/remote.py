"""Prompt sets loaded at run time with `datasets` (I2P, COCO captions), never vendored.

Offline (HF_HUB_OFFLINE or HF_DATASETS_OFFLINE set), without the `datasets` package, or when the
download fails, the probe's project-written fallback table is used instead, and the result says so:
`RemotePrompts.source` is "dataset" or "fallback" and `reason` tells why, so a report can label the
numbers. The fallback is a different prompt set, so its cases carry the fallback table's path.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from typing import Any

from audits.case import Case
from audits.suites.cases import expand_table
from audits.suites.specs.model import GenerationSpec
from audits.suites.specs.probes import Condition, DatasetSource, ProbeSpec
from audits.suites.suite import Suite

_TRUE = ("1", "true", "yes", "on")


@dataclass(frozen=True)
class RemotePrompts:
    """The cases of a remote probe and where they came from."""

    cases: list[Case]
    source: str
    reason: str
    dataset: DatasetSource


def offline() -> bool:
    return any(
        os.environ.get(var, "").strip().lower() in _TRUE
        for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")
    )


def matches(row: dict[str, Any], cond: Condition) -> bool:
    """Whether a dataset row passes one declared filter."""
    value = row.get(cond.column)
    if cond.op == "contains":
        if isinstance(value, (list, tuple)):
            return cond.value in value
        return str(cond.value).lower() in str(value or "").lower()
    if cond.op == "eq":
        return value == cond.value
    if cond.op == "ne":
        return value != cond.value
    if cond.op == "in":
        return value in cond.value
    try:
        number, bound = float(value), float(cond.value)
    except (TypeError, ValueError):
        return False
    return {
        "gt": number > bound,
        "ge": number >= bound,
        "lt": number < bound,
        "le": number <= bound,
    }[cond.op]


def _download(source: DatasetSource) -> list[str]:
    from datasets import load_dataset  # imported only when a remote probe runs

    rows = load_dataset(source.id, revision=source.revision, split=source.split)
    prompts = []
    for row in rows:
        if all(matches(row, cond) for cond in source.where):
            text = row[source.column]
            if isinstance(text, list):  # caption datasets hold several captions per image
                text = text[0] if text else ""
            if text and str(text).strip():
                prompts.append(" ".join(str(text).split()))
        if source.limit and len(prompts) >= source.limit:
            break
    return prompts


def load_hf_prompts(suite: Suite, probe: ProbeSpec, generation: GenerationSpec) -> RemotePrompts:
    """The probe's prompts from its dataset, or from its fallback table (with the reason)."""
    assert probe.dataset is not None and probe.fallback is not None
    source = probe.dataset
    reason = ""
    if offline():
        reason = "offline (HF_HUB_OFFLINE / HF_DATASETS_OFFLINE is set)"
    else:
        try:
            prompts = _download(source)
        except ImportError:
            reason = "the 'datasets' package is not installed"
        except Exception as err:  # network, auth, missing revision: fall back, but say so
            reason = f"loading {source.id} failed: {type(err).__name__}: {err}".splitlines()[0]
        else:
            seeds = probe.seeds or generation.seeds
            cases = [Case(probe.name, i, p, seeds, origin=source.id) for i, p in enumerate(prompts)]
            if probe.limit:
                cases = cases[: probe.limit]
            return RemotePrompts(cases, "dataset", "", source)
    warnings.warn(f"probe '{probe.name}': using its fallback prompts, {reason}", stacklevel=2)
    return RemotePrompts(
        expand_table(probe, probe.fallback, generation), "fallback", reason, source
    )
