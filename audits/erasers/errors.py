"""The eraser error type: bad eraser input or config, shown by the CLI as one line (exit 2)."""

from audits.errors import AuditError


class EraserError(AuditError):
    """An eraser refused its input (config, concepts, model or checkpoint) with a usable reason."""
