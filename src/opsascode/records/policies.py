"""Policy records (``policies/``): approval rules, risk model, calendars, priority
matrix, SLAs, KPI targets and standard-change templates.

They are parsed and checked here; later stages evaluate them. Approval rules follow
palantir/policy-bot's shape: named rules with ``if`` predicates, ``requires`` and
``options``, combined by an ``approval`` tree of ``and``/``or``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal, Union

from pydantic import Field, field_validator, model_validator

from opsascode.records.assets import AssetKind
from opsascode.records.base import (
    AssetId,
    Clock,
    Duration,
    Effect,
    Environment,
    Handle,
    Level3,
    Model,
    Priority,
    Record,
    Tier,
    Timestamp,
)
from opsascode.records.changes import Action, ChangeType

RiskLevel = Literal["low", "medium", "high", "critical"]
RISK_LEVELS: tuple[str, ...] = ("low", "medium", "high", "critical")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Role = Literal["management", "tech-support", "service-desk", "qa", "cab", "security", "other"]

# --------------------------------------------------------------------- approvals


class Predicates(Model):
    """Conditions of a rule; all given conditions must hold (an empty set always holds)."""

    change_type: list[ChangeType] | None = None
    action: list[Action] | None = None
    risk_level_at_least: RiskLevel | None = None
    risk_level_at_most: RiskLevel | None = None
    target_tier: list[Tier] | None = Field(default=None, description="Any target has one of.")
    target_kind: list[AssetKind | Literal["cluster"]] | None = None
    target_environment: list[Environment] | None = None
    impacted_tier: list[Tier] | None = Field(
        default=None, description="Any impacted service has one of these tiers."
    )
    impacted_kind: list[AssetKind | Literal["cluster"]] | None = None
    impacted_environment: list[Environment] | None = None
    changed_paths: list[str] | None = Field(
        default=None, description="Glob patterns; any changed file matches."
    )
    in_freeze: bool | None = None
    outside_maintenance_window: bool | None = None
    lead_time_below: Duration | None = None
    author_in_team: list[AssetId] | None = None
    matches_template: bool | None = None


class Requirements(Model):
    count: int = Field(default=1, ge=0, description="Approvals needed from the people below.")
    users: list[Handle] = Field(default_factory=list)
    teams: list[AssetId] = Field(default_factory=list)
    roles: list[Role] = Field(default_factory=list)
    owners_of: list[Literal["targets", "impacted_services"]] = Field(default_factory=list)


class RuleOptions(Model):
    allow_author: bool = False
    allow_contributors: bool = False
    invalidate_on_push: bool = True
    require_signed: bool = False


class ApprovalRule(Model):
    name: str = Field(min_length=1)
    description: str | None = None
    if_: Predicates | None = Field(default=None, alias="if")
    requires: Requirements = Field(default_factory=Requirements)
    options: RuleOptions = Field(default_factory=RuleOptions)


class AndNode(Model):
    and_: list[ApprovalNode] = Field(alias="and", min_length=1)


class OrNode(Model):
    or_: list[ApprovalNode] = Field(alias="or", min_length=1)


ApprovalNode = Union[str, AndNode, OrNode]  # noqa: UP007 - recursive alias


class Disapproval(Model):
    requires: Requirements = Field(default_factory=Requirements)
    options: RuleOptions = Field(default_factory=RuleOptions)


class PolicyTree(Model):
    approval: list[ApprovalNode] = Field(
        default_factory=list, description="Rule names combined with and/or; the list is an and."
    )
    disapproval: Disapproval | None = None


class DenyRule(Model):
    name: str = Field(min_length=1)
    if_: Predicates = Field(alias="if")
    message: str = Field(min_length=1)


class ProtectedPaths(Model):
    paths: list[str] = Field(
        default_factory=lambda: ["policies/**", ".github/**", "opsascode.yaml"]
    )
    rule: str = Field(description="Name of the approval rule such changes must satisfy.")


class EmergencyPolicy(Model):
    rule: str = Field(description="The reduced rule an emergency change may pass with.")
    retro_approval_within: Duration = Field(description="Deadline for the full approval.")
    retro_rule: str | None = Field(default=None, description="The rule the retro-approval meets.")


class ApprovalPolicy(Record):
    kind: Literal["approval-policy"]
    id: AssetId
    description: str | None = None
    policy: PolicyTree
    approval_rules: list[ApprovalRule] = Field(default_factory=list)
    deny: list[DenyRule] = Field(default_factory=list)
    protected_paths: ProtectedPaths | None = None
    emergency: EmergencyPolicy | None = None
    max_depth: int = Field(default=5, ge=1, le=10, description="Cap on and/or nesting.")


AndNode.model_rebuild()
OrNode.model_rebuild()

# -------------------------------------------------------------------------- risk


_ENVIRONMENT_POINTS: dict[Environment, int] = {
    "production": 10, "staging": 2, "test": 0, "development": 0
}
_TYPE_POINTS: dict[ChangeType, int] = {"standard": 0, "normal": 5, "emergency": 15}
_EFFECT_POINTS: dict[Effect, int] = {"outage": 15, "degraded": 7, "none": 0}
_WORKDAYS: list[Weekday] = ["mon", "tue", "wed", "thu", "fri"]
_NO_EFFECT: list[Effect] = ["none"]


class LeadTimeWeight(Model):
    below: Duration
    points: int = Field(ge=0)


class RiskWeights(Model):
    tier: dict[int, int] = Field(
        default_factory=lambda: {0: 30, 1: 20, 2: 10, 3: 0},
        description="Points by the highest (lowest number) tier impacted.",
    )
    per_impacted_service: int = Field(default=3, ge=0)
    impacted_services_max: int = Field(default=15, ge=0)
    per_1000_users: int = Field(default=1, ge=0)
    users_max: int = Field(default=10, ge=0)
    environment: dict[Environment, int] = Field(
        default_factory=lambda: dict(_ENVIRONMENT_POINTS)
    )
    change_type: dict[ChangeType, int] = Field(default_factory=lambda: dict(_TYPE_POINTS))
    action: dict[Action, int] = Field(default_factory=dict)
    effect: dict[Effect, int] = Field(default_factory=lambda: dict(_EFFECT_POINTS))
    business_hours: int = Field(default=10, ge=0)
    peak: int = Field(default=10, ge=0)
    lead_time: list[LeadTimeWeight] = Field(default_factory=list)
    no_rollback_plan: int = Field(default=15, ge=0)
    redundancy_lost: int = Field(default=15, ge=0)
    per_conflict: int = Field(default=10, ge=0)
    freeze: int = Field(default=25, ge=0)
    track_record_max: int = Field(
        default=10, ge=0, description="Points for a poor track record (success score 0)."
    )

    @field_validator("tier")
    @classmethod
    def _tiers(cls, value: dict[int, int]) -> dict[int, int]:
        if bad := sorted(t for t in value if t not in range(4)):
            raise ValueError(f"tiers are 0..3, not {bad}")
        return value


class RiskThresholds(Model):
    medium: int = Field(default=25, ge=0, le=100)
    high: int = Field(default=50, ge=0, le=100)
    critical: int = Field(default=75, ge=0, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> RiskThresholds:
        if not self.medium <= self.high <= self.critical:
            raise ValueError("thresholds must be ordered: medium <= high <= critical")
        return self


class RiskModel(Record):
    kind: Literal["risk-model"]
    id: AssetId
    description: str | None = None
    weights: RiskWeights = Field(default_factory=RiskWeights)
    thresholds: RiskThresholds = Field(default_factory=RiskThresholds)


# --------------------------------------------------------------------- calendars


class BusinessHours(Model):
    days: list[Weekday] = Field(default_factory=lambda: list(_WORKDAYS))
    start: Clock = "09:00"
    end: Clock = "18:00"


class Holidays(Model):
    country: str | None = Field(default=None, description="ISO 3166 code, e.g. DE or CN.")
    subdivision: str | None = Field(default=None, description="State or province code.")
    extra: list[date] = Field(default_factory=list, description="Company holidays.")
    removed: list[date] = Field(default_factory=list, description="Public holidays worked.")


class Scope(Model):
    """Which assets a window applies to; empty means all."""

    assets: list[AssetId] = Field(default_factory=list)
    kinds: list[AssetKind | Literal["cluster"]] = Field(default_factory=list)
    environments: list[Environment] = Field(default_factory=list)
    tiers: list[Tier] = Field(default_factory=list)


class Freeze(Model):
    name: str = Field(min_length=1)
    start: Timestamp
    end: Timestamp
    reason: str | None = None
    applies_to: Scope = Field(default_factory=Scope)


class RecurringWindow(Model):
    """A window given once (start/end) or recurring (an RFC 5545 RRULE + duration)."""

    name: str = Field(min_length=1)
    start: Timestamp = Field(description="First occurrence (or the one occurrence).")
    end: Timestamp | None = Field(default=None, description="End of a one-off window.")
    rrule: str | None = Field(default=None, description="e.g. FREQ=WEEKLY;BYDAY=SU")
    duration: Duration | None = Field(default=None, description="Length of each occurrence.")
    applies_to: Scope = Field(default_factory=Scope)

    @model_validator(mode="after")
    def _shape(self) -> RecurringWindow:
        if self.rrule is None and self.end is None:
            raise ValueError("a window needs `end`, or `rrule` with `duration`")
        if self.rrule is not None and self.duration is None:
            raise ValueError("a recurring window (`rrule`) needs a `duration`")
        return self


class Calendar(Record):
    kind: Literal["calendar"]
    id: AssetId
    description: str | None = None
    timezone: str = Field(default="UTC", description="IANA zone, e.g. Europe/Berlin.")
    business_hours: BusinessHours | None = Field(
        default=None, description="Absent: the calendar is 24x7."
    )
    holidays: Holidays = Field(default_factory=Holidays)
    freeze: list[Freeze] = Field(default_factory=list)
    maintenance: list[RecurringWindow] = Field(default_factory=list)
    peak: list[RecurringWindow] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown timezone {value!r}; use an IANA name such as 'Europe/Berlin'"
            ) from None
        return value


# --------------------------------------------------------------- priority, SLAs


class PriorityMatrix(Record):
    """Priority = matrix[impact][urgency]."""

    kind: Literal["priority-matrix"]
    id: AssetId
    description: str | None = None
    matrix: dict[Level3, dict[Level3, Priority]]
    notify: dict[Priority, list[AssetId]] = Field(
        default_factory=dict, description="Teams to notify per priority."
    )

    @model_validator(mode="after")
    def _complete(self) -> PriorityMatrix:
        levels = ("high", "medium", "low")
        rows: dict[Any, Any] = dict(self.matrix)
        missing = [f"{i}/{u}" for i in levels for u in levels if u not in rows.get(i, {})]
        if missing:
            raise ValueError(f"the matrix has no priority for impact/urgency {', '.join(missing)}")
        return self

    def priority(self, impact: str, urgency: str) -> str:
        return self.matrix[impact][urgency]  # type: ignore[index]


class Sla(Record):
    kind: Literal["sla"]
    id: AssetId
    name: str | None = None
    description: str | None = None
    availability: float = Field(ge=0, le=100, strict=False, description="Target percent.")
    calendar: AssetId | None = Field(
        default=None, description="Calendar for the clocks; absent means 24x7."
    )
    response: dict[Priority, Duration] = Field(
        default_factory=dict, description="Time to acknowledge, per priority."
    )
    resolution: dict[Priority, Duration] = Field(
        default_factory=dict, description="Time to resolve, per priority."
    )


class AtLeast(Model):
    at_least: float = Field(strict=False)


class AtMostNumber(Model):
    at_most: float = Field(strict=False)


class AtMostDuration(Model):
    at_most: Duration


class CostTarget(Model):
    budget: float = Field(ge=0, strict=False)
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    period: Literal["month", "year"] = "month"
    within_percent: float = Field(default=0, ge=0, strict=False)


class KpiTargetSet(Model):
    availability: AtLeast | None = Field(default=None, description="Percent.")
    mtta: AtMostDuration | None = None
    mttr: AtMostDuration | None = None
    change_failure_rate: AtMostNumber | None = Field(default=None, description="Percent.")
    lead_time: AtMostDuration | None = None
    sla_compliance: AtLeast | None = Field(default=None, description="Percent.")
    satisfaction: AtLeast | None = Field(
        default=None, description="Percent of rated incidents rated 4 or 5."
    )
    cost: CostTarget | None = None


class KpiTargets(Record):
    kind: Literal["kpi-targets"]
    id: AssetId
    description: str | None = None
    targets: KpiTargetSet
    recurring_incidents: dict[str, int] = Field(
        default_factory=lambda: {"count": 3, "days": 30},
        description="When repeated incidents call for a problem record.",
    )


class ChangeTemplate(Record):
    """A pre-approved standard change."""

    kind: Literal["change-template"]
    id: AssetId
    title: str
    description: str | None = None
    actions: list[Action] = Field(min_length=1)
    target_kinds: list[AssetKind | Literal["cluster"]] = Field(default_factory=list)
    environments: list[Environment] = Field(default_factory=list)
    max_targets: int = Field(default=1, ge=1)
    effects: list[Effect] = Field(default_factory=lambda: list(_NO_EFFECT))
    risk_score: int = Field(default=10, ge=0, le=100, description="The score matching changes get.")
    owner: AssetId | None = None
    implementation_plan: str | None = None
    rollback_plan: str | None = None


PolicyRecord = Annotated[
    ApprovalPolicy | RiskModel | Calendar | PriorityMatrix | Sla | KpiTargets | ChangeTemplate,
    Field(discriminator="kind"),
]

#: The priority matrix used when ``policies/`` has none (impact x urgency).
DEFAULT_PRIORITY_MATRIX: dict[str, dict[str, str]] = {
    "high": {"high": "P1", "medium": "P2", "low": "P3"},
    "medium": {"high": "P2", "medium": "P3", "low": "P4"},
    "low": {"high": "P3", "medium": "P4", "low": "P4"},
}
