"""A small but complete operations repository for plan, check and kpi tests."""

from __future__ import annotations

TEAMS = """
- id: team-ops
  kind: team
  members: [olga, oscar]
  leads: [olga]
  roles: [management]
- id: team-dba
  kind: team
  members: [dora, dan]
  leads: [dora]
  roles: [tech-support]
- id: team-cab
  kind: team
  members: [carl, cora, chris]
  roles: [cab]
"""

ASSETS = """
- id: svc-pay
  kind: service
  name: Payments
  owner: team-ops
  tier: 0
  sla: sla-gold
  users: 20000
  depends_on: [app-pay]
- id: svc-report
  kind: service
  owner: team-ops
  tier: 2
  users: 300
  depends_on: [app-report]
- id: app-pay
  kind: application
  owner: team-ops
  depends_on: [cl-db]
- id: app-report
  kind: application
  owner: team-ops
  depends_on: [{id: cl-db, relation: uses}]
- id: cl-db
  kind: cluster
  owner: team-dba
  members: [db-1, db-2]
  min_available: 1
- id: db-1
  kind: database
  owner: team-dba
  version: "15.4"
  maintenance_windows: [db-sunday]
  depends_on: [{id: srv-1, relation: runs_on}]
- id: db-2
  kind: database
  owner: team-dba
  version: "15.4"
  maintenance_windows: [db-sunday]
  depends_on: [{id: srv-2, relation: runs_on}]
- id: srv-1
  kind: server
  owner: team-dba
  version: "12"
- id: srv-2
  kind: server
  owner: team-dba
  version: "12"
"""

POLICIES = {
    "policies/slas.yaml": """
        - id: sla-gold
          kind: sla
          availability: 99.9
          calendar: business
          response: {P1: 15m, P2: 1h, P3: 4h, P4: 1d}
          resolution: {P1: 4h, P2: 8h, P3: 3d, P4: 1w}
        """,
    "policies/calendar.yaml": """
        id: business
        kind: calendar
        timezone: Europe/Berlin
        business_hours: {days: [mon, tue, wed, thu, fri], start: "09:00", end: "18:00"}
        holidays: {country: DE, subdivision: BE}
        freeze:
          - name: year-end
            start: 2026-12-18T00:00:00+01:00
            end: 2027-01-04T00:00:00+01:00
        maintenance:
          - name: db-sunday
            start: 2026-01-04T02:00:00+01:00
            rrule: FREQ=WEEKLY;BYDAY=SU
            duration: 4h
        """,
    "policies/templates.yaml": """
        - id: restart-db
          kind: change-template
          title: Restart one database node
          actions: [restart]
          target_kinds: [database]
          effects: [outage, degraded]
          risk_score: 10
        """,
}


def files() -> dict[str, str]:
    return {"inventory/teams.yaml": TEAMS, "inventory/assets.yaml": ASSETS, **POLICIES}


def change(change_id: str, **fields: str) -> str:
    """A change request file; fields override the defaults (YAML snippets)."""
    values = {
        "title": "Upgrade db-2",
        "type": "normal",
        "requester": "dora",
        "team": "team-dba",
        "targets": "[db-2]",
        "action": "upgrade",
        "effect": "outage",
        "requested_at": "2026-11-20T10:00:00+01:00",
        "window": "{start: 2026-12-06T02:30:00+01:00, end: 2026-12-06T04:00:00+01:00}",
        "rollback_plan": "reinstall the previous packages",
        "status": "requested",
        **fields,
    }
    body = "".join(f"{key}: {value}\n" for key, value in values.items() if value != "~")
    return f"id: {change_id}\nkind: change\n{body}"


APPROVAL_POLICY = """
id: approvals
kind: approval-policy
approval_rules:
  - name: low risk
    if: {risk_level_at_most: low}
    requires: {count: 1, owners_of: [targets]}
  - name: medium or high risk
    if: {risk_level_at_least: medium}
    requires: {count: 2, roles: [cab]}
  - name: critical risk
    if: {risk_level_at_least: critical}
    requires: {count: 1, roles: [management]}
  - name: emergency duty manager
    if: {change_type: [emergency]}
    requires: {count: 1, roles: [management]}
  - name: emergency retro
    if: {change_type: [emergency]}
    requires: {count: 2, roles: [cab]}
  - name: policy change
    requires: {count: 2, teams: [team-ops]}
policy:
  approval:
    - or:
        - emergency duty manager
        - and: [low risk, medium or high risk, critical risk]
deny:
  - name: nothing in the freeze
    if: {in_freeze: true, change_type: [normal, standard]}
    message: no normal changes during the year-end freeze
protected_paths:
  paths: ["policies/**", ".github/**"]
  rule: policy change
emergency:
  rule: emergency duty manager
  retro_approval_within: 48h
  retro_rule: emergency retro
"""

#: Thresholds that put the estate's typical changes at known levels.
RISK_MODEL = """
id: risk
kind: risk-model
thresholds: {medium: 30, high: 50, critical: 80}
"""


def gated_files() -> dict[str, str]:
    return {**files(), "policies/approvals.yaml": APPROVAL_POLICY,
            "policies/risk.yaml": RISK_MODEL}
