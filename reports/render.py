"""The jinja2 environment: every template autoescaped, every missing variable an error.

Autoescape is on for all templates (not only *.html) so a prompt such as `<script>` or a
method config with `"><img onerror=...>` can only ever show as text.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES = Path(__file__).parent / "templates"


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False, default=str)


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3g} s"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["pretty"] = _pretty
    env.filters["seconds"] = _seconds
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
