"""The files of a new operations repository, for ``opsascode init`` (jinja2 lives here).

Every file comes from a template under ``templates/init/``: its path there, less
``.j2``, is its path in the new repository, except that ``github/`` becomes
``.github/`` and ``gitignore`` becomes ``.gitignore`` (package data leaves out names
starting with a dot). Templates only lay out lines and comments: every value they
print must be :class:`Verbatim`, text already made safe for the file it goes into
(YAML dumped by :func:`opsascode.yamlio.dump_inline`, Markdown escaped by
:func:`markdown_text`); anything else is refused with ``TypeError``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from opsascode import yamlio

TEMPLATES = "init/"
_SUFFIX = ".j2"
_RENAMED = (("github/", ".github/"), ("gitignore", ".gitignore"))
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


class Verbatim(str):
    """Text that is safe to print as it is in the file a template makes."""

    __slots__ = ()


def _finalize(value: Any) -> Verbatim:
    if isinstance(value, Verbatim):
        return value
    raise TypeError(f"a repository template printed {value!r}, which is not Verbatim text")


def yaml_values(values: Mapping[str, Any]) -> dict[str, Verbatim]:
    """Each value as one line of YAML that reads back as exactly that value."""
    return {name: Verbatim(yamlio.dump_inline(value)) for name, value in values.items()}


def markdown_text(text: str) -> Verbatim:
    """Plain text for Markdown: no emphasis, links, headings, HTML or tables from it."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", text).replace("&", "&amp;")
    return Verbatim(escaped)


def target_path(template: str) -> str:
    """Where the file of a template (``init/github/workflows/gate.yml.j2``) goes."""
    path = template.removeprefix(TEMPLATES).removesuffix(_SUFFIX)
    for old, new in _RENAMED:
        if path.startswith(old):
            return new + path.removeprefix(old)
    return path


def render_repository(context: Mapping[str, Any]) -> dict[str, str]:
    """Every templated file of a new repository: path -> text, sorted by path."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(
        loader=PackageLoader("opsascode", "report/templates"),
        finalize=_finalize,
        undefined=StrictUndefined,
        autoescape=False,  # YAML, Markdown and workflows: values are made safe beforehand
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    names = env.list_templates(filter_func=lambda name: name.startswith(TEMPLATES)
                               and name.endswith(_SUFFIX))
    files = {target_path(name): env.get_template(name).render(context) for name in names}
    return dict(sorted(files.items()))
