"""The front door for a suite's typed blocks: every method `config:` and every attack, metric
and scorer `params:` is parsed into its typed config (`scapre.fields.TypedConfig`: ScaPre's
config, the eraser configs, attack, metric and scorer params) when the suite is validated.

`load_suite` validates, so `scapre-audit suite validate` and `scapre-audit run` run exactly
these checks, and `run` runs them before any model loads. An unknown key or a bad value is one
line naming the file, the line and the key:

    suites/mine/suite.yaml, line 40, field 'methods.uce.config.lamda': unknown uce config
    key(s): lamda (did you mean lamda -> lamb?)

A kind whose implementation is missing (declared but not implemented, or a package not
installed) is not parsed here: the run's selection reports it (or `--skip-unavailable` lists
it), as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from audits.errors import AuditError
from audits.registry import ATTACKS, ERASERS, METRICS, SCORERS, Registry
from audits.suites.errors import SuiteError
from audits.suites.yaml_io import Locations


def _eraser(cls, name: str, block: dict[str, Any]) -> None:
    cls.from_config(block)


def _attack(cls, name: str, block: dict[str, Any]) -> None:
    cls.from_params(name, block)


def _metric(cls, name: str, block: dict[str, Any]) -> None:
    cls.check_params(name, block)


def _scorer(cls, name: str, block: dict[str, Any]) -> None:
    try:
        cls.params_class.from_dict(block)
    except AuditError as err:
        wrapped = AuditError(f"scorer '{name}' ({cls.kind}): {err}")
        wrapped.key = getattr(err, "key", None)  # type: ignore[attr-defined]
        raise wrapped from None


# (suite section, the block's key, registry, parse)
BLOCKS: tuple[tuple[str, str, Registry, Callable[[Any, str, dict[str, Any]], None]], ...] = (
    ("methods", "config", ERASERS, _eraser),
    ("attacks", "params", ATTACKS, _attack),
    ("metrics", "params", METRICS, _metric),
    ("scorers", "params", SCORERS, _scorer),
)


def implementation(registry: Registry, kind: str):
    """The registered class of `kind`, or None when it cannot be imported here."""
    try:
        return registry.get(kind)
    except AuditError:  # declared but not implemented, or a missing package: selection says so
        return None


def check_blocks(suite, locations: Locations) -> None:
    """Parse every typed block of `suite`; the first problem is a SuiteError at its key."""
    from scapre.errors import ScaPreError  # here: importing the suites package stays light

    for section, key, registry, parse in BLOCKS:
        for name, spec in getattr(suite, section).items():
            cls = implementation(registry, spec.kind)
            if cls is None:
                continue
            block = dict(getattr(spec, key) or {})
            try:
                parse(cls, name, block)
            except (AuditError, ScaPreError) as err:
                raise _located(locations, (section, name, key), block, err) from None


def _located(locations: Locations, path: tuple, block: dict, err: Exception) -> SuiteError:
    bad = getattr(err, "key", None)
    if bad is not None and bad in block:
        path = (*path, bad)
    message = " ".join(str(err).split())
    return locations.error(path, message)
