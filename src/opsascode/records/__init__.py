"""The record model: one pydantic class per kind, discriminated by ``kind``."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, TypeAdapter

from opsascode.records.assets import ASSET_KINDS, Asset, Cluster, Service, Team
from opsascode.records.base import Record
from opsascode.records.changes import Change
from opsascode.records.incidents import Incident, Problem
from opsascode.records.policies import (
    ApprovalPolicy,
    Calendar,
    ChangeTemplate,
    KpiTargets,
    PriorityMatrix,
    RiskModel,
    Sla,
)

AnyRecord = Annotated[
    Asset
    | Service
    | Cluster
    | Team
    | Change
    | Incident
    | Problem
    | ApprovalPolicy
    | RiskModel
    | Calendar
    | PriorityMatrix
    | Sla
    | KpiTargets
    | ChangeTemplate,
    Field(discriminator="kind"),
]

#: kind -> model, for ``opsascode schema KIND`` and messages listing the kinds.
MODELS: dict[str, type[Record]] = {
    **{kind: Asset for kind in ASSET_KINDS if kind != "service"},
    "service": Service,
    "cluster": Cluster,
    "team": Team,
    "change": Change,
    "incident": Incident,
    "problem": Problem,
    "approval-policy": ApprovalPolicy,
    "risk-model": RiskModel,
    "calendar": Calendar,
    "priority-matrix": PriorityMatrix,
    "sla": Sla,
    "kpi-targets": KpiTargets,
    "change-template": ChangeTemplate,
}
KINDS: tuple[str, ...] = tuple(sorted(MODELS))

_RECORD: TypeAdapter[Any] = TypeAdapter(AnyRecord)
_RECORDS: TypeAdapter[list[Any]] = TypeAdapter(list[AnyRecord])


def records_adapter() -> TypeAdapter[list[Any]]:
    """The adapter validating a whole file's list of records in one call."""
    return _RECORDS


def record_adapter() -> TypeAdapter[Any]:
    """The adapter validating any record by its ``kind``."""
    return _RECORD


__all__ = [
    "KINDS",
    "MODELS",
    "AnyRecord",
    "ApprovalPolicy",
    "Asset",
    "Calendar",
    "Change",
    "ChangeTemplate",
    "Cluster",
    "Incident",
    "KpiTargets",
    "PriorityMatrix",
    "Problem",
    "Record",
    "RiskModel",
    "Service",
    "Sla",
    "Team",
    "record_adapter",
    "records_adapter",
]
