"""Which model a run uses (`--model`, else the profile's, else the suite's) and loading it; the
image audit, the weight-space audit and the preflight all choose it here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audits.suites.paths import model_location

if TYPE_CHECKING:
    from audits.run.engine import RunRequest
    from audits.suites import Suite


@dataclass(frozen=True)
class ModelChoice:
    id: str  # as `--model` or the suite names it: what every record says
    path: str  # where it loads from: a local folder (found from any cwd) or the hub id
    revision: str | None  # the suite's pinned revision, for a hub id the suite names
    family: str  # the family the profile or suite declares


def choose_model(req: RunRequest, suite: Suite, profile: str) -> ModelChoice:
    declared = suite.profile(profile).model  # the profile's own model, else the suite's
    assert declared is not None
    model_id = req.model or declared.id
    path = model_location(model_id, suite.root)
    revision = None if req.model or Path(path).exists() else declared.revision
    return ModelChoice(model_id, path, revision, declared.family)


def load_model(
    choice: ModelChoice, device: str, dtype: str, say: Callable[[str], None]
) -> tuple[Any, dict[str, Any]]:
    """The pipeline and its fingerprint (the run identity's `model`); a pipeline of no supported
    family is refused in one line."""
    from audits.models.loading import load_pipeline
    from audits.run.provenance import model_fingerprint

    pipe, ref = load_pipeline(choice.path, revision=choice.revision, device=device, dtype=dtype)
    ref = replace(ref, model=choice.id)  # records name the model as the suite or --model did
    check_family(pipe, choice.family, choice.id, say)
    return pipe, model_fingerprint(pipe, ref)


def check_family(pipe, declared: str, model_id: str, say: Callable[[str], None]) -> str:
    """Refuse a pipeline of no supported family (one line naming what was found); say so when
    it is not the family the suite or profile declares (a `--model` of another family)."""
    from audits.models.families import detect
    from audits.registry import MODEL_FAMILIES

    found = detect(pipe)
    expected = MODEL_FAMILIES.get(declared).structure
    if found != expected:
        say(f"note: {model_id} is a {found} pipeline; the suite declares family {declared}")
    return found
