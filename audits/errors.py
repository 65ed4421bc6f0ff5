"""The user-facing error type (defined in the torch-free `runfmt` package so that the report
raises the same one): the CLI prints its message on one line and exits with code 2."""

from runfmt.errors import AuditError

__all__ = ["AuditError"]
