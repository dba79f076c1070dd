"""What a rule may know about one change: plain values, filled by the caller."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from opsascode.approvals import Approval, PullRequestFacts
from opsascode.records import Change, Team
from opsascode.records.assets import AssetBase


@dataclass(frozen=True)
class AssetFacts:
    id: str
    kind: str
    environment: str
    tier: int | None
    owner: str | None

    @classmethod
    def of(cls, asset: AssetBase) -> AssetFacts:
        return cls(asset.id, asset.kind, asset.environment, asset.tier, asset.owner)


@dataclass
class RuleContext:
    """Facts about one change request (or, with ``change`` None, about the pull
    request as a whole, for the rule that guards protected paths)."""

    change: Change | None
    facts: PullRequestFacts
    teams: dict[str, Team]
    approvals: list[Approval] = field(default_factory=list)
    risk_level: str | None = None
    targets: list[AssetFacts] = field(default_factory=list)
    impacted: list[AssetFacts] = field(default_factory=list)
    impacted_services: list[AssetFacts] = field(default_factory=list)
    changed_paths: list[str] = field(default_factory=list)
    in_freeze: bool = False
    outside_maintenance: bool = False
    lead_time: timedelta | None = None
    matches_template: bool | None = None

    @property
    def label(self) -> str:
        return self.change.id if self.change else "the pull request"

    def teams_of(self, handle: str) -> list[str]:
        return sorted(t.id for t in self.teams.values() if handle in t.members)

    def members(self, team_ids: list[str]) -> set[str]:
        return {m for t in team_ids if t in self.teams for m in self.teams[t].members}

    def holders(self, roles: list[str]) -> set[str]:
        return {m for t in self.teams.values() if set(t.roles) & set(roles) for m in t.members}
