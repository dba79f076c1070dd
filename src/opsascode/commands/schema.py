"""``opsascode schema [KIND]``: print the JSON Schema."""

from __future__ import annotations

import difflib
import json
import sys
from typing import TextIO

from opsascode.errors import UsageError
from opsascode.schema import json_schema, schema_names


def schema(kind: str | None, out: TextIO | None = None) -> int:
    name = kind or "records"
    names = schema_names()
    if name not in names:
        close = difflib.get_close_matches(name, names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UsageError(f"unknown kind {name!r}{hint}; one of: {', '.join(names)}")
    print(json.dumps(json_schema(name), indent=2, sort_keys=True), file=out or sys.stdout)
    return 0
