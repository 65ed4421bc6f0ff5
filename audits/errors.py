"""The user-facing error type: the CLI prints its message on one line and exits with code 2."""


class AuditError(Exception):
    """An error the user can act on (bad input, missing file, refused overwrite)."""
