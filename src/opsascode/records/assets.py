"""Configuration items: assets of every kind, clusters and teams (``inventory/``)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field, model_validator

from opsascode.records.base import (
    AssetId,
    Environment,
    Handle,
    Model,
    Record,
    Tier,
)

#: The closed list of asset kinds; ``other`` needs a ``type``.
ASSET_KINDS: tuple[str, ...] = (
    "service",
    "application",
    "database",
    "server",
    "vm",
    "container",
    "container-platform",
    "storage",
    "network",
    "load-balancer",
    "firewall",
    "dns",
    "queue",
    "cache",
    "middleware",
    "other",
)

AssetKind = Literal[
    "service",
    "application",
    "database",
    "server",
    "vm",
    "container",
    "container-platform",
    "storage",
    "network",
    "load-balancer",
    "firewall",
    "dns",
    "queue",
    "cache",
    "middleware",
    "other",
]

#: Relation types and whether an outage of the target reaches the dependent.
#: ``impact`` (issue 3) reads this table; the README documents it.
RELATION_TYPES: dict[str, str] = {
    "depends_on": "outage",  # the dependent fails when the target fails
    "runs_on": "outage",  # software on its host (vm, server, platform)
    "hosted_on": "outage",  # a vm or container on its hypervisor / platform
    "stores_data_in": "outage",  # data on storage
    "connects_through": "outage",  # network path, load balancer, firewall
    "uses": "degraded",  # a soft dependency: the dependent degrades
    "backed_up_to": "none",  # backups: no runtime effect
    "monitored_by": "none",  # observability: no runtime effect
    "replicates_to": "none",  # a primary keeps running when its replica fails
}
RelationType = Literal[
    "depends_on",
    "runs_on",
    "hosted_on",
    "stores_data_in",
    "connects_through",
    "uses",
    "backed_up_to",
    "monitored_by",
    "replicates_to",
]

Lifecycle = Literal["planned", "building", "live", "retiring", "retired"]


class Dependency(Model):
    """One edge from this asset to something it needs."""

    id: AssetId = Field(description="The asset or cluster this asset needs.")
    relation: RelationType = Field(
        default="depends_on",
        description="How this asset uses the target; decides whether an outage propagates.",
    )
    description: str | None = Field(default=None, description="Why the dependency exists.")


def _dependency(value: Any) -> Any:
    # A bare id is shorthand for {id: ..., relation: depends_on}.
    return {"id": value} if isinstance(value, str) else value


class Cost(Model):
    amount: float = Field(ge=0, strict=False, description="Running cost for the period.")
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$", description="ISO 4217 code.")
    period: Literal["month", "year"] = Field(default="month")


class AssetBase(Record):
    """Fields every configuration item has."""

    id: AssetId
    name: str | None = Field(default=None, description="Human-readable name.")
    description: str | None = None
    owner: AssetId | None = Field(default=None, description="Id of the owning team.")
    environment: Environment = Field(default="production")
    tier: Tier | None = Field(default=None, description="Criticality; required for services.")
    version: str | None = Field(
        default=None, description="Version, always a string: quote it ('15.10')."
    )
    depends_on: list[Dependency] = Field(
        default_factory=list,
        description="What this asset needs: ids, or {id, relation, description}.",
    )
    lifecycle: Lifecycle = Field(default="live")
    last_verified: date | None = Field(
        default=None, strict=False, description="When the record was last checked against reality."
    )
    location: str | None = None
    vendor: str | None = None
    cost: Cost | None = Field(default=None, description="Running cost of this asset.")
    maintenance_windows: list[str] = Field(
        default_factory=list,
        description="Names of maintenance windows (in a calendar) that apply to this asset.",
    )
    attributes: dict[str, Any] = Field(
        default_factory=dict, description="Free-form data; not checked."
    )

    @model_validator(mode="before")
    @classmethod
    def _expand_dependencies(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("depends_on"), list):
            data = {**data, "depends_on": [_dependency(d) for d in data["depends_on"]]}
        return data

    @property
    def is_asset(self) -> bool:
        return True


class Asset(AssetBase):
    """A configuration item other than a service, cluster or team."""

    kind: Literal[
        "application",
        "database",
        "server",
        "vm",
        "container",
        "container-platform",
        "storage",
        "network",
        "load-balancer",
        "firewall",
        "dns",
        "queue",
        "cache",
        "middleware",
        "other",
    ]
    type: str | None = Field(default=None, description="What an asset of kind `other` is.")
    ip: str | None = None
    hostname: str | None = None
    os: str | None = Field(default=None, description="Operating system, e.g. 'Debian 12'.")
    cpu: int | None = Field(default=None, ge=0)
    memory_gb: float | None = Field(default=None, ge=0, strict=False)
    capacity_gb: float | None = Field(default=None, ge=0, strict=False)

    @model_validator(mode="after")
    def _other_needs_type(self) -> Asset:
        if self.kind == "other" and not self.type:
            raise ValueError("an asset of kind `other` needs a `type` saying what it is")
        return self


class Service(AssetBase):
    """A business service: what users see and what SLAs are about."""

    kind: Literal["service"]
    tier: Tier = Field(description="Criticality: 0 mission-critical .. 3 low.")
    sla: AssetId | None = Field(default=None, description="Id of the SLA the service is held to.")
    users: int | None = Field(default=None, ge=0, description="Number of users (business weight).")
    peak_hours: list[str] = Field(
        default_factory=list, description="Names of calendar peak windows for this service."
    )


class Cluster(AssetBase):
    """A redundant group: dependents are cut off only when fewer than
    ``min_available`` members stay available (iTop's redundancy)."""

    kind: Literal["cluster"]
    members: list[AssetId] = Field(min_length=1, description="The redundant members.")
    min_available: int = Field(
        default=1, ge=1, description="Members that must stay up for the cluster to serve."
    )
    mode: Literal["active-active", "active-passive"] = Field(default="active-active")


class SigningKey(Model):
    member: Handle = Field(description="The member the key belongs to.")
    key: str = Field(
        pattern=r"^(ssh-(ed25519|rsa)|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh.com) ",
        description="An SSH public key in authorized_keys form, used to verify signed approvals.",
    )


class Team(Record):
    """A team: members, leads and the roles approval rules refer to."""

    kind: Literal["team"]
    id: AssetId
    name: str | None = None
    description: str | None = None
    members: list[Handle] = Field(default_factory=list, description="Code-host handles.")
    leads: list[Handle] = Field(default_factory=list, description="Leads, also members.")
    roles: list[
        Literal["management", "tech-support", "service-desk", "qa", "cab", "security", "other"]
    ] = Field(default_factory=list, description="Roles the team plays in the service plan.")
    parent: AssetId | None = Field(default=None, description="Id of the parent team.")
    email: str | None = None
    chat: str | None = None
    on_call: Handle | None = None
    signing_keys: list[SigningKey] = Field(
        default_factory=list, description="Per-member SSH keys for signed approvals."
    )
    attributes: dict[str, Any] = Field(default_factory=dict)
