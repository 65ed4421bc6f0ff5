"""Erasers: ScaPre and the baselines it is audited against, behind one interface.

Every eraser has a `name`, a `version`, a frozen config that round-trips through
`to_config()` / `from_config()`, and `erase(pipe, concepts)` returning an `EraserEdit` (new weights
keyed by UNet state-dict name, timings, and the label of the variant that made them). Look them
up by name in `audits.registry.ERASERS`; modules are imported only when used.
"""

from audits.erasers.base import Eraser, EraserEdit
from audits.erasers.errors import EraserError

__all__ = ["Eraser", "EraserEdit", "EraserError"]
