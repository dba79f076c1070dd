"""Self-contained HTML pages (Jinja2 with HTML autoescaping: every value from the
repository is escaped; only charts built by opsascode are marked safe)."""

from __future__ import annotations

from typing import Any


def render_html(template: str, **context: Any) -> str:
    from jinja2 import Environment, PackageLoader, StrictUndefined
    from markupsafe import Markup

    charts = context.pop("charts", {})
    env = Environment(loader=PackageLoader("opsascode", "report/templates"),
                      autoescape=True, undefined=StrictUndefined, trim_blocks=True,
                      lstrip_blocks=True)
    safe = {name: Markup(svg) for name, svg in charts.items()}
    return env.get_template(template).render(charts=safe, **context)
