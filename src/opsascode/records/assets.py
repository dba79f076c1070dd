"""Configuration items: assets of every kind, clusters and teams (``inventory/``)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field, model_validator

from opsascode.records.base import (
    AssetId,
    CostPeriod,
    Currency,
    Environment,
    Handle,
    Model,
    Record,
    Tier,
    empty_list,
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
    """Running cost of an asset: an amount per month or per year."""

    amount: float = Field(
        ge=0, strict=False, description="Running cost for the period, in `currency`."
    )
    currency: Currency = "EUR"
    period: CostPeriod = Field(
        default="month", description="Period the amount covers: month or year."
    )


class AssetBase(Record):
    """Fields every configuration item has."""

    id: AssetId = Field(
        description="Unique id: 1-63 characters of [a-z0-9] separated by single - _ or ."
    )
    name: str | None = Field(default=None, description="Human-readable name.")
    description: str | None = Field(default=None, description="What the asset is and does.")
    owner: AssetId | None = Field(default=None, description="Id of the owning team.")
    environment: Environment = Field(
        default="production",
        description="Where the asset runs: production, staging, test or development.",
    )
    tier: Tier | None = Field(
        default=None, description="Criticality, 0 mission-critical .. 3 low; required for services."
    )
    version: str | None = Field(
        default=None, description="Version, always a string: quote it ('15.10')."
    )
    depends_on: list[Dependency] = Field(
        default_factory=empty_list,
        description="What this asset needs: ids, or {id, relation, description}.",
    )
    lifecycle: Lifecycle = Field(
        default="live",
        description="Lifecycle stage: planned, building, live, retiring or retired.",
    )
    last_verified: date | None = Field(
        default=None,
        strict=False,
        description="Date (YYYY-MM-DD) the record was last checked against reality.",
    )
    location: str | None = Field(
        default=None, description="Where the asset is, e.g. a data centre, site or cloud region."
    )
    vendor: str | None = Field(default=None, description="Vendor or supplier of the asset.")
    cost: Cost | None = Field(default=None, description="Running cost of this asset.")
    maintenance_windows: list[str] = Field(
        default_factory=empty_list,
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
    ] = Field(description="The asset kind; `other` needs a `type`.")
    type: str | None = Field(default=None, description="What an asset of kind `other` is.")
    ip: str | None = Field(default=None, description="IP address of the asset.")
    hostname: str | None = Field(default=None, description="Host name (FQDN) of the asset.")
    os: str | None = Field(default=None, description="Operating system, e.g. 'Debian 12'.")
    cpu: int | None = Field(default=None, ge=0, description="Number of CPU cores.")
    memory_gb: float | None = Field(default=None, ge=0, strict=False, description="Memory, in GB.")
    capacity_gb: float | None = Field(
        default=None, ge=0, strict=False, description="Storage capacity, in GB."
    )

    @model_validator(mode="after")
    def _other_needs_type(self) -> Asset:
        if self.kind == "other" and not self.type:
            raise ValueError("an asset of kind `other` needs a `type` saying what it is")
        return self


class Service(AssetBase):
    """A business service: what users see and what SLAs are about."""

    kind: Literal["service"] = Field(description="Always `service`.")
    tier: Tier = Field(description="Criticality: 0 mission-critical .. 3 low.")
    sla: AssetId | None = Field(default=None, description="Id of the SLA the service is held to.")
    users: int | None = Field(default=None, ge=0, description="Number of users (business weight).")
    peak_hours: list[str] = Field(
        default_factory=empty_list, description="Names of calendar peak windows for this service."
    )


class Cluster(AssetBase):
    """A redundant group: dependents are cut off only when fewer than
    ``min_available`` members stay available (iTop's redundancy)."""

    kind: Literal["cluster"] = Field(description="Always `cluster`.")
    members: list[AssetId] = Field(min_length=1, description="Ids of the redundant member assets.")
    min_available: int = Field(
        default=1, ge=1, description="Members that must stay up for the cluster to serve."
    )
    mode: Literal["active-active", "active-passive"] = Field(
        default="active-active",
        description="How members share the work: active-active or active-passive.",
    )


class SigningKey(Model):
    """An SSH public key with which a team member signs approval commits."""

    member: Handle = Field(description="The member the key belongs to.")
    key: str = Field(
        pattern=r"^(ssh-(ed25519|rsa)|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh.com) ",
        description="An SSH public key in authorized_keys form, used to verify signed approvals.",
    )


class Team(Record):
    """A team: members, leads and the roles approval rules refer to."""

    kind: Literal["team"] = Field(description="Always `team`.")
    id: AssetId = Field(description="Unique team id, e.g. team-dba.")
    name: str | None = Field(default=None, description="Human-readable team name.")
    description: str | None = Field(default=None, description="What the team does.")
    members: list[Handle] = Field(
        default_factory=empty_list, description="Code-host (GitHub) handles of the members."
    )
    leads: list[Handle] = Field(
        default_factory=empty_list,
        description="Handles of the team leads; they must also be members."
    )
    roles: list[
        Literal["management", "tech-support", "service-desk", "qa", "cab", "security", "other"]
    ] = Field(default_factory=empty_list, description="Roles the team plays in the service plan.")
    parent: AssetId | None = Field(default=None, description="Id of the parent team.")
    email: str | None = Field(default=None, description="Contact email address of the team.")
    chat: str | None = Field(default=None, description="Chat channel of the team, e.g. #dba.")
    on_call: Handle | None = Field(
        default=None, description="Handle of the member currently on call."
    )
    signing_keys: list[SigningKey] = Field(
        default_factory=empty_list, description="Per-member SSH keys for signed approvals."
    )
    attributes: dict[str, Any] = Field(
        default_factory=dict, description="Free-form data; not checked."
    )
