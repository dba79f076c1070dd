"""New record files from Jinja2 templates, for ``opsascode new`` (jinja2 lives here).

A template only lays out lines and comments. Every value it prints is YAML text made
by :func:`opsascode.yamlio.dump_inline` and wrapped in :class:`YamlText`; any other
value reaching a template is refused (``TypeError``), so a forgotten dump can never
write YAML that means something else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opsascode import yamlio


class YamlText(str):
    """A YAML scalar or flow collection, or a field name: safe to print as it is."""

    __slots__ = ()


def _finalize(value: Any) -> YamlText:
    if isinstance(value, YamlText):
        return value
    raise TypeError(f"a record template printed {value!r}, which is not YAML text")


def render_record(kind: str, data: Mapping[str, Any], schema: str) -> str:
    """The file text of a new ``kind`` record holding ``data`` (in its order), with
    the editor's schema comment pointing at ``schema``."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(
        loader=PackageLoader("opsascode", "report/templates"),
        finalize=_finalize,
        undefined=StrictUndefined,
        autoescape=False,  # YAML, not HTML: values are dumped, see the module docstring
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    values = {YamlText(name): YamlText(yamlio.dump_inline(value)) for name, value in data.items()}
    return env.get_template(f"new_{kind}.yaml.j2").render(v=values, schema=YamlText(schema))
