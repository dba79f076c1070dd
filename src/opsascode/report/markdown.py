"""Markdown for pull-request pages, from Jinja2 templates (jinja2 lives here).

Every value interpolated into a template is escaped by default (``finalize``):
Markdown punctuation, HTML, and ``@mentions`` (a zero-width space after the ``@``
keeps GitHub from pinging anyone). Only values wrapped in :class:`Trusted` (text the
report built itself, such as a Mermaid diagram of validated ids) pass unchanged.
"""

from __future__ import annotations

import re
from typing import Any

# Values never start a line (the templates put them after text or in table cells),
# so list and heading markers need no escaping; these characters still do.
_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


class Trusted(str):
    """Text built by opsascode itself; not escaped again."""

    __slots__ = ()


def escape(value: Any) -> str:
    """Escape untrusted text for Markdown, HTML and mentions; one line only."""
    text = " ".join(str(value).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _SPECIAL.sub(r"\\\1", text)
    return text.replace("@", "@\u200b")


def _finalize(value: Any) -> Any:
    if isinstance(value, Trusted):
        return value
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return value
    return escape(value)


def render(template: str, **context: Any) -> str:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(
        loader=PackageLoader("opsascode", "report/templates"),
        finalize=_finalize,
        undefined=StrictUndefined,
        autoescape=False,  # escaping is Markdown-specific: done by finalize
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env.get_template(template).render(**context)
