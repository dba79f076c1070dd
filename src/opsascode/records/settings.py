"""``opsascode.yaml``: format version, folder names, timezone and check settings."""

from __future__ import annotations

from pydantic import Field

from opsascode.records.base import FolderName, Model, TimeZoneName


class Folders(Model):
    """Folder names of the operations repository, relative to its root."""

    inventory: FolderName = Field(
        default="inventory", description="Folder of assets, clusters and teams."
    )
    policies: FolderName = Field(
        default="policies",
        description="Folder of approval rules, risk model, calendars, SLAs and other policies.",
    )
    changes: FolderName = Field(default="changes", description="Folder of change requests.")
    incidents: FolderName = Field(default="incidents", description="Folder of incidents.")
    problems: FolderName = Field(default="problems", description="Folder of problems.")

    def all(self) -> tuple[str, ...]:
        """The folders to read, without those inside another (read once, not twice)."""
        folders = list(dict.fromkeys((self.inventory, self.policies, self.changes,
                                      self.incidents, self.problems)))
        return tuple(f for f in folders
                     if not any(f.startswith(other + "/") for other in folders))


class Settings(Model):
    """Repository settings; every field has a default, and the file is optional."""

    version: int = Field(default=1, ge=1, le=1, description="Format version of the repository.")
    name: str | None = Field(default=None, description="Name of the organisation.")
    timezone: TimeZoneName = Field(default="UTC", description="Default IANA timezone for reports.")
    default_branch: str = Field(
        default="main", description="Branch that changes merge into; the default base revision."
    )
    folders: Folders = Field(
        default_factory=Folders, description="Folder names, where they differ from the defaults."
    )
    max_file_size: int = Field(
        default=10 * 1024 * 1024, ge=1, description="Files larger than this (bytes) are refused."
    )
    stale_after_days: int = Field(
        default=365, ge=1, description="Warn when `last_verified` is older than this many days."
    )
    max_alias_expansion: int = Field(
        default=100_000, ge=1,
        description="Refuse YAML whose aliases add more than this many nodes to a file.",
    )
