"""``opsascode schema [KIND] [--output-dir DIR]``: print or write the JSON Schemas."""

from __future__ import annotations

import difflib
import json
import sys
from pathlib import Path
from typing import TextIO

from opsascode import atomic
from opsascode.errors import UsageError
from opsascode.schema import json_schema, schema_names


def render(name: str) -> str:
    return json.dumps(json_schema(name), indent=2, sort_keys=True) + "\n"


def schema(kind: str | None, output_dir: Path | None = None, out: TextIO | None = None) -> int:
    names = schema_names()
    if output_dir is not None:
        if kind is not None:
            raise UsageError("give either KIND or --output-dir, not both")
        for name in names:
            atomic.write_text(output_dir / f"{name}.json", render(name))
        print(f"wrote {len(names)} schemas to {output_dir}", file=out or sys.stdout)
        return 0
    name = kind or "records"
    if name not in names:
        close = difflib.get_close_matches(name, names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UsageError(f"unknown kind {name!r}{hint}; one of: {', '.join(names)}")
    (out or sys.stdout).write(render(name))
    return 0
