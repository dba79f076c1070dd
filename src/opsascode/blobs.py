"""Git blob ids: the content hash that keys the parsed-file cache."""

from __future__ import annotations

import hashlib


def blob_id(data: bytes) -> str:
    """The id git gives a blob with this content (``git hash-object``)."""
    header = b"blob %d\0" % len(data)
    return hashlib.sha1(header + data, usedforsecurity=False).hexdigest()
