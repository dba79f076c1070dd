"""A cache of parsed YAML files keyed by git blob id, under ``.git/opsascode/``.

The key is the content hash, so an entry can never be stale for its content; the
directory name carries the format version and the PyYAML version, so an entry is
never trusted across either. Entries are unpickled with an allow-list of classes
(plain data and datetimes only), so even a tampered entry cannot run code.
"""

from __future__ import annotations

import io
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

from opsascode import FORMAT_VERSION

_ALLOWED = {
    ("datetime", "datetime"),
    ("datetime", "date"),
    ("datetime", "timezone"),
    ("datetime", "timedelta"),
    ("opsascode.yamlio", "YamlIssue"),
}


class _SafeUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in the cache")
        return super().find_class(module, name)


class ParseCache:
    """Parsed files by blob id; every failure is a miss, never an error."""

    def __init__(self, git_dir: Path) -> None:
        import yaml

        self.root = git_dir / "opsascode" / f"parsed-v{FORMAT_VERSION}-pyyaml{yaml.__version__}"

    def _path(self, blob_id: str) -> Path:
        return self.root / blob_id[:2] / blob_id[2:]

    def has(self, blob_id: str) -> bool:
        return self._path(blob_id).is_file()

    def get(self, blob_id: str) -> Any | None:
        try:
            data = self._path(blob_id).read_bytes()
            return _SafeUnpickler(io.BytesIO(data)).load()
        except Exception:  # a missing, truncated or foreign entry is a miss
            return None

    def put(self, blob_id: str, value: Any) -> None:
        path = self._path(blob_id)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
            Path(tmp).replace(path)
        except (OSError, pickle.PicklingError, RecursionError):
            pass  # the cache is an optimisation; failing to write it is not an error
