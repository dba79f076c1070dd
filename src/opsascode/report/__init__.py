"""Reporters: turn results into text, JSON, GitHub annotations (and later Markdown).

Reporters never decide anything; they only render. Untrusted text (ids, titles,
messages quoting YAML values) is escaped for the medium it goes to.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import datetime, timedelta
from typing import Any


def plain(value: Any) -> Any:
    """JSON-ready: durations as seconds, times as ISO text, dataclasses as objects
    (field by field, without copying them first), tuples as lists, sets as sorted
    lists."""
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, datetime):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    return value
