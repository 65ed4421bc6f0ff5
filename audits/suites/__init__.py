"""Concept suites as versioned data: schema, loading with `extends:`, validation and hashing.

    suite = load_suite("imagenette10")      # a bundled name, a folder, or a suite.yaml
    suite_hash(suite)                       # identifies exactly what the suite asks
    suite.profile("scapre-table1")          # one protocol: its probes, scorers, metrics, settings

The format is described in docs/suites.md.
"""

from audits.suites.erase_sets import EraseSet, expand_erase_sets
from audits.suites.errors import SuiteError
from audits.suites.hashing import hash_payload, probe_hash, suite_hash
from audits.suites.resolve import bundled_dir, find_suite, load_suite, suite_names
from audits.suites.specs.base import SCHEMA_VERSION
from audits.suites.suite import Profile, Suite
from audits.suites.validate import validate_suite

__all__ = [
    "SCHEMA_VERSION",
    "EraseSet",
    "Profile",
    "Suite",
    "SuiteError",
    "bundled_dir",
    "expand_erase_sets",
    "find_suite",
    "hash_payload",
    "load_suite",
    "probe_hash",
    "suite_hash",
    "suite_names",
    "validate_suite",
]
