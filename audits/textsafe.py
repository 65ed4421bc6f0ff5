"""Text from users and from files: find control characters, and show text safely on one line.

Suite text (YAML strings, CSV cells, concept names) refuses control characters, tab excepted in
prompts; anything the tool echoes (errors, progress lines) goes through `printable`, so a
carriage return or an escape sequence in a name can never rewrite the terminal or add a line.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def control_char(text: str, allow_tab: bool = True) -> str | None:
    """The first control character of `text` as an escape (`\\r`, `\\x1b`), or None. Tab is allowed
    unless `allow_tab` is False; lone surrogates (undecodable bytes) count as control characters."""
    found = _CONTROL.search(text)
    if found is None and not allow_tab and "\t" in text:
        return "\\t"
    if found is None:
        bad = next((c for c in text if "\ud800" <= c <= "\udfff"), None)
        return None if bad is None else f"\\u{ord(bad):04x}"
    return repr(found.group())[1:-1]


def printable(text: str) -> str:
    """`text` with every control character (tab and newline included) and lone surrogate shown
    as its escape, so the result is one line that a terminal displays literally."""
    return _SHOW.sub(lambda m: _escape(m.group()), text)


_SHOW = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _escape(ch: str) -> str:
    if "\ud800" <= ch <= "\udfff":
        return f"\\u{ord(ch):04x}"
    return repr(ch)[1:-1]
