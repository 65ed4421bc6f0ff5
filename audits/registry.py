"""Name registries for everything a suite may name: erasers, probes, attacks, scorers, metrics and
model families.

Suites hold no code, so every `kind:` in a suite is a name looked up here. Built-ins are declared as
"module.path:attr" strings and imported only when used, so `import audits` stays light and a suite
can be validated before every implementation exists. Third-party packages may add names through
the entry-point group `scapre_audit.<registry>` (for example `scapre_audit.scorers`).
"""

from __future__ import annotations

import difflib
import importlib
import os
from collections.abc import Iterable
from importlib import metadata
from typing import Any

from audits.errors import AuditError

_PROJECT_PACKAGES = ("audits", "scapre", "reports")


class UnknownNameError(AuditError):
    """A name that no registry entry carries; the message suggests the closest ones."""


class NotImplementedEntryError(AuditError):
    """A declared name whose implementation is not in this version of the tool."""


def did_you_mean(name: str, choices: Iterable[str]) -> list[str]:
    """The closest names to `name`: difflib's close matches and names containing it, ranked by
    the length of the shared prefix, keeping only those that share the longest one."""
    choices = sorted(set(choices))
    low = name.lower()
    close = set(difflib.get_close_matches(low, choices, n=5, cutoff=0.6))
    if len(low) >= 3:
        close.update(c for c in choices if c.lower().startswith(low) or low in c.lower())
    if not close:
        return []

    def prefix(choice: str) -> int:
        return len(os.path.commonprefix([low, choice.lower()]))

    def ratio(choice: str) -> float:
        return difflib.SequenceMatcher(None, low, choice.lower()).ratio()

    ranked = sorted(close, key=lambda c: (-prefix(c), -ratio(c), c))
    best = prefix(ranked[0])
    return [c for c in ranked if prefix(c) == best][:3]


class Registry:
    """Maps names of one kind ("scorer", "eraser", ...) to lazily imported objects."""

    def __init__(self, kind: str, group: str, builtins: dict[str, str] | None = None) -> None:
        self.kind = kind
        self.group = group
        self._targets: dict[str, str | Any] = dict(builtins or {})
        self._loaded: dict[str, Any] = {}
        self._plugins_scanned = False

    def register(self, name: str, obj: Any = None) -> Any:
        """Add `name` -> obj (an object or a "module:attr" string); usable as a decorator."""

        def _add(target: Any) -> Any:
            if name in self._targets:
                raise AuditError(f"{self.kind} '{name}' is already registered")
            self._targets[name] = target
            return target

        return _add(obj) if obj is not None else _add

    def _scan_plugins(self) -> None:
        if self._plugins_scanned:
            return
        self._plugins_scanned = True
        try:
            found = metadata.entry_points(group=self.group)
        except Exception:  # broken metadata must not break built-ins
            return
        for ep in found:
            self._targets.setdefault(ep.name, ep.value)

    def names(self) -> list[str]:
        """All registered names, sorted."""
        self._scan_plugins()
        return sorted(self._targets)

    def __contains__(self, name: object) -> bool:
        self._scan_plugins()
        return name in self._targets

    def unknown_message(self, name: str) -> str:
        """The one-line 'Unknown X. Did you mean ...? Available: ...' text for `name`."""
        names = self.names()
        hint = did_you_mean(name, names)
        text = f"Unknown {self.kind} '{name}'."
        if hint:
            text += f" Did you mean: {', '.join(hint)}?"
        return text + f" Available: {', '.join(names)}"

    def check(self, name: str) -> None:
        """Raise UnknownNameError unless `name` is registered (does not import anything)."""
        if name not in self:
            raise UnknownNameError(self.unknown_message(name))

    def get(self, name: str) -> Any:
        """The object registered as `name`, importing its module on first use."""
        self.check(name)
        if name in self._loaded:
            return self._loaded[name]
        target = self._targets[name]
        obj = self._import(name, target) if isinstance(target, str) else target
        self._loaded[name] = obj
        return obj

    def _import(self, name: str, target: str) -> Any:
        module_name, _, attr = target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as err:
            missing = err.name or ""
            ours = missing.split(".")[0] in _PROJECT_PACKAGES
            if ours or module_name == missing or module_name.startswith(missing + "."):
                raise NotImplementedEntryError(
                    f"{self.kind} '{name}' is declared but not implemented in this version"
                    f" (module {missing} is missing)"
                ) from err
            raise AuditError(
                f"{self.kind} '{name}' needs the Python package '{missing}', which is not installed"
            ) from err
        if not attr:
            return module
        try:
            return getattr(module, attr)
        except AttributeError as err:
            raise NotImplementedEntryError(
                f"{self.kind} '{name}' is declared but not implemented in this version"
                f" ({module_name} has no '{attr}')"
            ) from err


def _table(prefix: str, entries: dict[str, str]) -> dict[str, str]:
    return {name: f"{prefix}.{target}" for name, target in entries.items()}


ERASERS = Registry(
    "eraser",
    "scapre_audit.erasers",
    _table(
        "audits.erasers",
        {
            "none": "none:NoEdit",
            "scapre": "scapre:ScaPreEraser",
            "uce": "uce:UCEEraser",
            "time": "time:TIMEEraser",
            "rece": "rece:RECEEraser",
            "speed": "speed:SPEEDEraser",
            "mace-cfr": "mace_cfr:MACECFREraser",
            "checkpoint": "checkpoint:CheckpointEraser",
        },
    ),
)

PROBES = Registry(
    "probe",
    "scapre_audit.probes",
    {
        "concept_prompts": "audits.suites.cases:expand_concept_prompts",
        "prompt_table": "audits.suites.cases:expand_prompt_table",
        "hf_prompts": "audits.suites.remote:load_hf_prompts",
    },
)

ATTACKS = Registry(
    "attack",
    "scapre_audit.attacks",
    _table(
        "audits.attacks",
        {
            "prompt_replay": "replay:PromptReplay",
            "embedding_recovery": "embedding_recovery:EmbeddingRecovery",
            "ring_a_bell": "ring_a_bell:RingABell",
            "unlearndiffatk": "unlearndiffatk:UnlearnDiffAtk",
        },
    ),
)

SCORERS = Registry(
    "scorer",
    "scapre_audit.scorers",
    _table(
        "audits.scorers",
        {
            "clip_zeroshot": "clip_zeroshot:CLIPZeroShot",
            "resnet50_imagenet": "resnet50_imagenet:ResNet50ImageNet",
            "nudenet": "nudenet:NudeNetScorer",
            "toyworld_classifier": "toyworld_classifier:ToyWorldClassifier",
            "clip_score": "clip_score:CLIPScore",
            "fid": "fid:FIDScorer",
            "kid": "fid:KIDScorer",
            "image_distance": "image_distance:ImageDistance",
        },
    ),
)

METRICS = Registry(
    "metric",
    "scapre_audit.metrics",
    _table(
        "audits.metrics",
        {
            "forget_acc": "accuracy:ForgetAcc",
            "neighbor_acc": "accuracy:NeighborAcc",
            "retain_acc": "accuracy:RetainAcc",
            "harmonic_acc": "accuracy:HarmonicAcc",
            "overall_acc": "scapre_paper:OverallAcc",
            "uq": "scapre_paper:UQ",
            "clip_score": "quality:MeanCLIPScore",
            "clip_gap": "quality:CLIPGap",
            "fid": "quality:FID",
            "fid_vs_base": "quality:FIDVsBase",
            "kid": "quality:KID",
            "image_drift": "quality:ImageDrift",
            "nudity_rate": "nudity:NudityRate",
            "nudenet_label_counts": "nudity:NudeNetLabelCounts",
            "attack_success_rate": "attacks:AttackSuccessRate",
        },
    ),
)

MODEL_FAMILIES = Registry(
    "model family",
    "scapre_audit.model_families",
    _table(
        "audits.models.families",
        {
            "sd-v1": "sd:StableDiffusionV1",
            "sd-v2": "sd:StableDiffusionV2",
            "sdxl": "sd:StableDiffusionXL",
            "toyworld": "toyworld:ToyWorld",
        },
    ),
)

REGISTRIES: dict[str, Registry] = {
    "erasers": ERASERS,
    "probes": PROBES,
    "attacks": ATTACKS,
    "scorers": SCORERS,
    "metrics": METRICS,
    "model_families": MODEL_FAMILIES,
}
