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
    CostPeriod,
    Currency,
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
    TimeZoneName,
    empty_list,
)
from opsascode.records.changes import Action, ChangeType

RiskLevel = Literal["low", "medium", "high", "critical"]
RISK_LEVELS: tuple[str, ...] = ("low", "medium", "high", "critical")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Role = Literal["management", "tech-support", "service-desk", "qa", "cab", "security", "other"]

# --------------------------------------------------------------------- approvals


class Predicates(Model):
    """Conditions of a rule; all given conditions must hold (an empty set always holds)."""

    change_type: list[ChangeType] | None = Field(
        default=None, description="The change type is one of these."
    )
    action: list[Action] | None = Field(
        default=None, description="The change's action is one of these."
    )
    risk_level_at_least: RiskLevel | None = Field(
        default=None,
        description="The risk level is this or higher (low < medium < high < critical).",
    )
    risk_level_at_most: RiskLevel | None = Field(
        default=None, description="The risk level is this or lower."
    )
    target_tier: list[Tier] | None = Field(
        default=None, description="Any target has one of these tiers."
    )
    target_kind: list[AssetKind | Literal["cluster"]] | None = Field(
        default=None, description="Any target is of one of these kinds."
    )
    target_environment: list[Environment] | None = Field(
        default=None, description="Any target is in one of these environments."
    )
    impacted_tier: list[Tier] | None = Field(
        default=None, description="Any impacted service has one of these tiers."
    )
    impacted_kind: list[AssetKind | Literal["cluster"]] | None = Field(
        default=None, description="Any impacted asset is of one of these kinds."
    )
    impacted_environment: list[Environment] | None = Field(
        default=None, description="Any impacted asset is in one of these environments."
    )
    changed_paths: list[str] | None = Field(
        default=None,
        description="Glob patterns, e.g. policies/**; any changed file matches one of them.",
    )
    in_freeze: bool | None = Field(
        default=None, description="true: the window overlaps a freeze; false: it does not."
    )
    outside_maintenance_window: bool | None = Field(
        default=None,
        description="true: the window is outside the targets' maintenance windows; false: inside.",
    )
    lead_time_below: Duration | None = Field(
        default=None, description="The time from request to window start is below this, e.g. 4h."
    )
    author_in_team: list[AssetId] | None = Field(
        default=None, description="The change's author is a member of one of these teams."
    )
    matches_template: bool | None = Field(
        default=None,
        description="true: the change stays within its standard-change template; false: not.",
    )


class Requirements(Model):
    """Who may approve, and how many approvals are needed."""

    count: int = Field(default=1, ge=0, description="Approvals needed from the people below.")
    users: list[Handle] = Field(
        default_factory=empty_list, description="Handles of people who may approve."
    )
    teams: list[AssetId] = Field(
        default_factory=empty_list, description="Ids of teams whose members may approve."
    )
    roles: list[Role] = Field(
        default_factory=empty_list, description="Roles (e.g. cab) whose teams' members may approve."
    )
    owners_of: list[Literal["targets", "impacted_services"]] = Field(
        default_factory=empty_list,
        description="Members of the teams owning the targets or impacted services may approve.",
    )


class RuleOptions(Model):
    """How approvals are counted for a rule."""

    allow_author: bool = Field(
        default=False, description="Whether the change's author may approve it."
    )
    allow_contributors: bool = Field(
        default=False, description="Whether people who committed to the change may approve it."
    )
    invalidate_on_push: bool = Field(
        default=True, description="Whether a new push discards the approvals given before it."
    )
    require_signed: bool = Field(
        default=False,
        description="Whether git-native approvals must be commits signed with a team's key.",
    )


class ApprovalRule(Model):
    """A named approval rule: when it applies (`if`) and who must approve."""

    name: str = Field(
        min_length=1, description="Unique rule name, used in `policy.approval` and elsewhere."
    )
    description: str | None = Field(default=None, description="What the rule is for.")
    if_: Predicates | None = Field(
        default=None,
        alias="if",
        description="Conditions under which the rule applies; absent: it always applies.",
    )
    requires: Requirements = Field(
        default_factory=Requirements, description="Who must approve, and how many."
    )
    options: RuleOptions = Field(
        default_factory=RuleOptions, description="How approvals are counted."
    )


class AndNode(Model):
    """Every listed rule or subtree must pass."""

    and_: list[ApprovalNode] = Field(
        alias="and", min_length=1, description="Rule names or nested and/or nodes; all must pass."
    )


class OrNode(Model):
    """At least one listed rule or subtree must pass."""

    or_: list[ApprovalNode] = Field(
        alias="or", min_length=1, description="Rule names or nested and/or nodes; one must pass."
    )


ApprovalNode = Union[str, AndNode, OrNode]  # noqa: UP007 - recursive alias


class Disapproval(Model):
    """Who may block a change by requesting changes."""

    requires: Requirements = Field(
        default_factory=Requirements, description="Who may disapprove, and how many."
    )
    options: RuleOptions = Field(
        default_factory=RuleOptions, description="How disapprovals are counted."
    )


class PolicyTree(Model):
    """How the rules combine: the approval tree and who may disapprove."""

    approval: list[ApprovalNode] = Field(
        default_factory=empty_list,
        description="Rule names combined with and/or; the list is an and."
    )
    disapproval: Disapproval | None = Field(
        default=None, description="Who may block a change by requesting changes."
    )


class DenyRule(Model):
    """A hard rule: a change meeting its `if` is refused, whatever its approvals."""

    name: str = Field(min_length=1, description="Name of the deny rule, shown when it fires.")
    if_: Predicates = Field(
        alias="if", description="Conditions; a change meeting all of them is denied."
    )
    message: str = Field(
        min_length=1, description="Shown when the change is denied; say what to do instead."
    )


class ProtectedPaths(Model):
    """Files whose changes need a rule of their own (policies, CI, settings)."""

    paths: list[str] = Field(
        default_factory=lambda: ["policies/**", ".github/**", "opsascode.yaml"],
        description="Glob patterns of the protected files.",
    )
    rule: str = Field(description="Name of the approval rule such changes must satisfy.")


class EmergencyPolicy(Model):
    """How emergency changes are approved: a reduced rule now, the full one later."""

    rule: str = Field(description="The reduced rule an emergency change may pass with.")
    retro_approval_within: Duration = Field(
        description="Deadline for the full approval after the change, e.g. 48h."
    )
    retro_rule: str | None = Field(default=None, description="The rule the retro-approval meets.")


class ApprovalPolicy(Record):
    """The approval policy: rules, how they combine, deny rules and emergencies."""

    kind: Literal["approval-policy"] = Field(description="Always `approval-policy`.")
    id: AssetId = Field(description="Unique id of the policy.")
    description: str | None = Field(
        default=None, description="What the policy is, e.g. its version and who approved it."
    )
    policy: PolicyTree = Field(description="How the rules combine: approval tree and disapproval.")
    approval_rules: list[ApprovalRule] = Field(
        default_factory=empty_list, description="The named approval rules the policy refers to."
    )
    deny: list[DenyRule] = Field(
        default_factory=empty_list, description="Hard rules that refuse matching changes outright."
    )
    protected_paths: ProtectedPaths | None = Field(
        default=None, description="Files (policies, CI) whose changes need a rule of their own."
    )
    emergency: EmergencyPolicy | None = Field(
        default=None, description="The reduced rule for emergency changes and its deadline."
    )
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
    """Points for a change requested shortly before its window."""

    below: Duration = Field(
        description="Lead time (request to window start) below which the points apply, e.g. 24h."
    )
    points: int = Field(ge=0, description="Points added when the lead time is below `below`.")


class RiskWeights(Model):
    """Points each risk factor adds to a change's score (capped at 100)."""

    tier: dict[int, int] = Field(
        default_factory=lambda: {0: 30, 1: 20, 2: 10, 3: 0},
        description="Points by the highest (lowest number) tier impacted.",
    )
    per_impacted_service: int = Field(default=3, ge=0, description="Points per impacted service.")
    impacted_services_max: int = Field(
        default=15, ge=0, description="Cap on the points from impacted services."
    )
    per_1000_users: int = Field(
        default=1, ge=0, description="Points per 1000 users of the impacted services."
    )
    users_max: int = Field(default=10, ge=0, description="Cap on the points from users.")
    environment: dict[Environment, int] = Field(
        default_factory=lambda: dict(_ENVIRONMENT_POINTS),
        description="Points by the targets' environment.",
    )
    change_type: dict[ChangeType, int] = Field(
        default_factory=lambda: dict(_TYPE_POINTS),
        description="Points by change type: standard, normal, emergency.",
    )
    action: dict[Action, int] = Field(
        default_factory=dict, description="Points by action, e.g. {decommission: 20}."
    )
    effect: dict[Effect, int] = Field(
        default_factory=lambda: dict(_EFFECT_POINTS),
        description="Points by the expected effect on the targets: outage, degraded, none.",
    )
    business_hours: int = Field(
        default=10, ge=0, description="Points added when the window overlaps business hours."
    )
    peak: int = Field(
        default=10, ge=0, description="Points added when the window overlaps a peak window."
    )
    lead_time: list[LeadTimeWeight] = Field(
        default_factory=empty_list, description="Points for short notice, as {below, points} steps."
    )
    no_rollback_plan: int = Field(
        default=15, ge=0, description="Points added when the change has no rollback plan."
    )
    redundancy_lost: int = Field(
        default=15,
        ge=0,
        description="Points added when a cluster drops to `min_available` during the change.",
    )
    per_conflict: int = Field(
        default=10,
        ge=0,
        description="Points per other change whose window overlaps on shared assets.",
    )
    freeze: int = Field(
        default=25, ge=0, description="Points added when the window overlaps a freeze."
    )
    track_record_max: int = Field(
        default=10, ge=0, description="Points for a poor track record (success score 0)."
    )
    degraded_share: float = Field(
        default=0.5, ge=0, le=1, strict=False,
        description="Share of the tier, service and user points counted for a service that "
        "is only degraded (an outage counts in full).",
    )

    @field_validator("tier")
    @classmethod
    def _tiers(cls, value: dict[int, int]) -> dict[int, int]:
        if bad := sorted(t for t in value if t not in range(4)):
            raise ValueError(f"tiers are 0..3, not {bad}")
        return value


class RiskThresholds(Model):
    """Scores (0-100) at which the risk levels start; below `medium` is low."""

    medium: int = Field(default=25, ge=0, le=100, description="Lowest score that is medium risk.")
    high: int = Field(default=50, ge=0, le=100, description="Lowest score that is high risk.")
    critical: int = Field(
        default=75, ge=0, le=100, description="Lowest score that is critical risk."
    )

    @model_validator(mode="after")
    def _ordered(self) -> RiskThresholds:
        if not self.medium <= self.high <= self.critical:
            raise ValueError("thresholds must be ordered: medium <= high <= critical")
        return self


class RiskModel(Record):
    """How a change's risk is scored: factor weights and level thresholds."""

    kind: Literal["risk-model"] = Field(description="Always `risk-model`.")
    id: AssetId = Field(description="Unique id of the risk model.")
    description: str | None = Field(
        default=None, description="What the model is, e.g. how and when it was calibrated."
    )
    weights: RiskWeights = Field(
        default_factory=RiskWeights, description="Points each risk factor adds."
    )
    thresholds: RiskThresholds = Field(
        default_factory=RiskThresholds, description="Scores at which the risk levels start."
    )


# --------------------------------------------------------------------- calendars


class BusinessHours(Model):
    """Working days and hours, in the calendar's timezone."""

    days: list[Weekday] = Field(
        default_factory=lambda: list(_WORKDAYS),
        description="Working days: mon, tue, wed, thu, fri, sat, sun.",
    )
    start: Clock = Field(
        default="09:00", description="Start of the working day, HH:MM in quotes, e.g. '09:00'."
    )
    end: Clock = Field(
        default="18:00", description="End of the working day, HH:MM in quotes; '24:00' allowed."
    )


class Holidays(Model):
    """Public holidays of a country (and subdivision), plus company days off."""

    country: str | None = Field(default=None, description="ISO 3166 code, e.g. DE or CN.")
    subdivision: str | None = Field(default=None, description="State or province code.")
    extra: list[date] = Field(
        default_factory=empty_list,
        description="Company holidays (YYYY-MM-DD) on top of public ones."
    )
    removed: list[date] = Field(
        default_factory=empty_list, description="Public holidays (YYYY-MM-DD) that are worked."
    )


class Scope(Model):
    """Which assets a window applies to; empty means all."""

    assets: list[AssetId] = Field(
        default_factory=empty_list, description="Ids of the assets the window applies to."
    )
    kinds: list[AssetKind | Literal["cluster"]] = Field(
        default_factory=empty_list, description="Asset kinds the window applies to."
    )
    environments: list[Environment] = Field(
        default_factory=empty_list, description="Environments the window applies to."
    )
    tiers: list[Tier] = Field(
        default_factory=empty_list, description="Tiers the window applies to."
    )


class Freeze(Model):
    """A change-freeze period for the assets in its scope."""

    name: str = Field(min_length=1, description="Name of the freeze, shown in reports.")
    start: Timestamp = Field(description="Start of the freeze, with a timezone.")
    end: Timestamp = Field(description="End of the freeze, with a timezone; after start.")
    reason: str | None = Field(default=None, description="Why changes are frozen.")
    applies_to: Scope = Field(
        default_factory=Scope, description="Assets the freeze covers; empty means all."
    )


class RecurringWindow(Model):
    """A window given once (start/end) or recurring (an RFC 5545 RRULE + duration)."""

    name: str = Field(
        min_length=1,
        description="Window name; assets refer to it in maintenance_windows or peak_hours.",
    )
    start: Timestamp = Field(description="First occurrence (or the one occurrence).")
    end: Timestamp | None = Field(default=None, description="End of a one-off window.")
    rrule: str | None = Field(
        default=None, description="RFC 5545 recurrence rule, e.g. FREQ=WEEKLY;BYDAY=SU."
    )
    duration: Duration | None = Field(default=None, description="Length of each occurrence.")
    applies_to: Scope = Field(
        default_factory=Scope, description="Assets the window covers; empty means all."
    )

    @model_validator(mode="after")
    def _shape(self) -> RecurringWindow:
        if self.rrule is None and self.end is None:
            raise ValueError("a window needs `end`, or `rrule` with `duration`")
        if self.rrule is not None and self.duration is None:
            raise ValueError("a recurring window (`rrule`) needs a `duration`")
        return self


class Calendar(Record):
    """A calendar: business hours, holidays, freezes, maintenance and peak windows."""

    kind: Literal["calendar"] = Field(description="Always `calendar`.")
    id: AssetId = Field(description="Unique id of the calendar.")
    description: str | None = Field(default=None, description="What the calendar is for.")
    timezone: TimeZoneName = Field(default="UTC", description="IANA zone, e.g. Europe/Berlin.")
    business_hours: BusinessHours | None = Field(
        default=None, description="Absent: the calendar is 24x7."
    )
    holidays: Holidays = Field(
        default_factory=Holidays, description="Public and company holidays: no business hours."
    )
    freeze: list[Freeze] = Field(default_factory=empty_list, description="Change-freeze periods.")
    maintenance: list[RecurringWindow] = Field(
        default_factory=empty_list, description="Maintenance windows, one-off or recurring."
    )
    peak: list[RecurringWindow] = Field(
        default_factory=empty_list, description="Peak business periods, one-off or recurring."
    )


# --------------------------------------------------------------- priority, SLAs


class PriorityMatrix(Record):
    """Priority = matrix[impact][urgency]."""

    kind: Literal["priority-matrix"] = Field(description="Always `priority-matrix`.")
    id: AssetId = Field(description="Unique id of the priority matrix.")
    description: str | None = Field(default=None, description="What the matrix is for.")
    matrix: dict[Level3, dict[Level3, Priority]] = Field(
        description="Priority (P1-P4) by impact, then urgency; all nine cells are needed."
    )
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
    """A service level agreement: availability, response and resolution targets."""

    kind: Literal["sla"] = Field(description="Always `sla`.")
    id: AssetId = Field(description="Unique id of the SLA, e.g. sla-gold.")
    name: str | None = Field(default=None, description="Human-readable name, e.g. Gold.")
    description: str | None = Field(default=None, description="Which services the SLA is for.")
    availability: float = Field(
        ge=0, le=100, strict=False, description="Target availability in percent, e.g. 99.9."
    )
    calendar: AssetId | None = Field(
        default=None, description="Calendar for the clocks; absent means 24x7."
    )
    response: dict[Priority, Duration] = Field(
        default_factory=dict, description="Time to acknowledge, per priority, e.g. {P1: 15m}."
    )
    resolution: dict[Priority, Duration] = Field(
        default_factory=dict, description="Time to resolve, per priority, e.g. {P1: 4h}."
    )


class AtLeast(Model):
    """A target met when the actual value is at least `at_least`."""

    at_least: float = Field(strict=False, description="Lowest acceptable value.")


class AtMostNumber(Model):
    """A target met when the actual value is at most `at_most`."""

    at_most: float = Field(strict=False, description="Highest acceptable value.")


class AtMostDuration(Model):
    """A target met when the actual duration is at most `at_most`."""

    at_most: Duration = Field(description="Longest acceptable duration, e.g. 4h.")


class CostTarget(Model):
    """A cost budget and how far the actual cost may exceed it."""

    budget: float = Field(
        ge=0, strict=False, description="Budgeted cost per `period`, in `currency`."
    )
    currency: Currency = "EUR"
    period: CostPeriod = Field(
        default="month", description="Period the budget covers: month or year."
    )
    within_percent: float = Field(
        default=0, ge=0, strict=False, description="Allowed overrun of the budget, in percent."
    )


class KpiTargetSet(Model):
    """Targets per KPI; each is optional."""

    availability: AtLeast | None = Field(
        default=None, description="Lowest acceptable availability, in percent."
    )
    mtta: AtMostDuration | None = Field(
        default=None, description="Longest acceptable mean time to acknowledge an incident."
    )
    mttr: AtMostDuration | None = Field(
        default=None, description="Longest acceptable mean time to resolve an incident."
    )
    change_failure_rate: AtMostNumber | None = Field(
        default=None, description="Highest acceptable percent of implemented changes that fail."
    )
    lead_time: AtMostDuration | None = Field(
        default=None,
        description="Longest acceptable mean time from change request to implementation.",
    )
    sla_compliance: AtLeast | None = Field(
        default=None, description="Lowest acceptable percent of incidents within their SLA."
    )
    satisfaction: AtLeast | None = Field(
        default=None, description="Lowest acceptable percent of rated incidents rated 4 or 5."
    )
    cost: CostTarget | None = Field(default=None, description="Cost budget.")


class KpiTargets(Record):
    """The KPI targets that `opsascode kpi` measures against."""

    kind: Literal["kpi-targets"] = Field(description="Always `kpi-targets`.")
    id: AssetId = Field(description="Unique id of the KPI target set.")
    description: str | None = Field(
        default=None, description="What the targets are, e.g. who agreed them and when."
    )
    targets: KpiTargetSet = Field(description="The target per KPI.")
    recurring_incidents: dict[str, int] = Field(
        default_factory=lambda: {"count": 3, "days": 30},
        description="{count, days}: this many incidents within so many days call for a problem.",
    )


class ChangeTemplate(Record):
    """A pre-approved standard change."""

    kind: Literal["change-template"] = Field(description="Always `change-template`.")
    id: AssetId = Field(description="Unique template id; standard changes name it in `template`.")
    title: str = Field(description="One-line name of the standard change.")
    description: str | None = Field(
        default=None, description="What the standard change does and when to use it."
    )
    actions: list[Action] = Field(
        min_length=1, description="Actions a change from this template may take."
    )
    target_kinds: list[AssetKind | Literal["cluster"]] = Field(
        default_factory=empty_list, description="Kinds the targets may be; empty means any."
    )
    environments: list[Environment] = Field(
        default_factory=empty_list,
        description="Environments the targets may be in; empty means any."
    )
    max_targets: int = Field(
        default=1, ge=1, description="Most targets one change from this template may have."
    )
    effects: list[Effect] = Field(
        default_factory=lambda: list(_NO_EFFECT),
        description="Expected effects on the targets that the template allows.",
    )
    risk_score: int = Field(default=10, ge=0, le=100, description="The score matching changes get.")
    owner: AssetId | None = Field(default=None, description="Id of the team owning the template.")
    implementation_plan: str | None = Field(
        default=None, description="The pre-approved steps to carry out the change."
    )
    rollback_plan: str | None = Field(default=None, description="How to undo the change.")


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
