"""opsascode: an IT operations service system as code, in git."""

from __future__ import annotations

__version__ = "0.1.0"

#: Bumped whenever the parsed-file cache or the record format changes meaning;
#: a cache written under another format version is never trusted.
FORMAT_VERSION = 1
