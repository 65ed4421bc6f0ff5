"""The project's base error: a problem the user can act on. The CLI prints its message on one
line and exits with code 2. It lives here (not in `audits`) so that the report, which imports
only this package, raises the same type as the engine."""


class AuditError(Exception):
    """An error the user can act on (bad input, missing file, refused overwrite)."""


class RunFormatError(AuditError):
    """A run folder's file is missing, unreadable or does not match its schema; the message is
    one line naming the file and the field."""
