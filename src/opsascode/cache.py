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
    ("opsascode.problems", "Problem"),
    ("opsascode.problems", "Level"),
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


def checks_key(repo: Any, today: Any) -> str:
    """What the checks' problems depend on: the tree's content (every file's blob id),
    its settings, the day (stale records), and the code that checks."""
    import hashlib

    digest = hashlib.sha1(usedforsecurity=False)
    for part in (str(FORMAT_VERSION), _code_digest(), str(today),
                 repo.settings.model_dump_json(), *sorted(f"{p}\0{b}" for p, b in
                                                          repo.blobs.items())):
        digest.update(part.encode() + b"\n")
    return digest.hexdigest()


def _code_digest() -> str:
    """A hash of opsascode's own source: a cached result never outlives the code."""
    import hashlib

    global _CODE
    if _CODE is None:
        digest = hashlib.sha1(usedforsecurity=False)
        for path in sorted(Path(__file__).parent.rglob("*.py")):
            digest.update(path.read_bytes())
        _CODE = digest.hexdigest()
    return _CODE


_CODE: str | None = None
