"""A synthetic operations repository for benchmarks: deterministic, valid, and fast to make.

``generate(root, assets=N, seed=S)`` writes an opsascode repository with N assets
(services, applications, databases, clusters, VMs, servers, network gear, ...), about
100 per file under ``inventory/<kind>/``, the teams that own them
(``inventory/teams.yaml``) and the SLAs tier 0/1 services are held to
(``policies/slas.yaml``). Optionally it adds change requests (``changes/``) and
incidents (``incidents/``), one file per record, with KPI targets
(``policies/kpi-targets.yaml``) when there are incidents, and running costs on about
40 % of the assets (``costs=True``).

Incidents carry what ``opsascode kpi`` measures: priorities, teams and assignees, SLA
clock pauses (``paused``), satisfaction ratings once closed, and outages: always on
an application, and for about half of the resolved ones also on the lower-layer asset
that caused it (a database, a VM, a server, one or two members of a cluster, storage,
network gear), so that availability propagates outages through the graph. Changes
have reviews and ``implemented_at`` once done; about one incident in five names a
change in ``caused_by``.

The dependency graph is layered (services -> applications -> middleware, databases,
clusters -> containers, VMs -> platforms, servers -> storage, load balancers ->
network, firewalls, DNS): every edge points to a lower layer (or, between two
applications, to a later one), so the graph is a DAG; about two dependencies per
asset, drawn with a skew so that a few nodes in each layer become hubs; and every
non-service asset has at least one dependent (no ``orphan-asset`` warnings).

The same (assets, seed, changes, incidents, anchor month) always gives the same
bytes. Dates are relative to the first day of the current month (``today``), so that
``last_verified`` stays recent and no ``stale-record`` warning appears. YAML is
written with string formatting, not ``yaml.dump``: 100,000 assets take ~1 s.

As a script::

    python benchmarks/synthetic.py DIR --assets 100000 [--seed 1] [--changes 2000]
        [--incidents 1000] [--costs] [--force]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

PER_FILE = 100
SCHEMA_COMMENT = "# yaml-language-server: $schema=https://opsascode.dev/schema/records.json\n"
GENERATED_FOLDERS = ("inventory", "policies", "changes", "incidents", "problems")


@dataclass(frozen=True)
class KindSpec:
    kind: str
    prefix: str  # id prefix; also the file name stem
    folder: str
    share: float  # of all assets
    rank: int  # layer: edges go from a lower rank to a higher one


KINDS: tuple[KindSpec, ...] = (
    KindSpec("service", "svc", "services", 0.02, 0),
    KindSpec("application", "app", "applications", 0.20, 1),
    KindSpec("middleware", "mw", "middleware", 0.05, 2),
    KindSpec("queue", "mq", "queues", 0.03, 2),
    KindSpec("cache", "cache", "caches", 0.03, 2),
    KindSpec("cluster", "cl", "clusters", 0.02, 2),
    KindSpec("database", "db", "databases", 0.10, 3),
    KindSpec("container", "ctr", "containers", 0.08, 4),
    KindSpec("vm", "vm", "vms", 0.25, 4),
    KindSpec("container-platform", "k8s", "platforms", 0.005, 5),
    KindSpec("server", "srv", "servers", 0.13, 6),
    KindSpec("storage", "sto", "storage", 0.03, 7),
    KindSpec("load-balancer", "lb", "load-balancers", 0.02, 7),
    KindSpec("other", "oth", "other", 0.01, 7),
    KindSpec("firewall", "fw", "firewalls", 0.01, 8),
    KindSpec("network", "net", "networks", 0.01, 8),
    KindSpec("dns", "dns", "dns", 0.005, 8),
)
SPEC = {spec.kind: spec for spec in KINDS}

# Per kind: dependency slots, each a list of (target kind, relation, weight); one
# target is drawn per slot. "database" means a database that is not a cluster member
# (members are reached through their cluster).
Slot = tuple[tuple[str, str, float], ...]
RULES: dict[str, tuple[Slot, ...]] = {
    "service": (
        (("application", "depends_on", 1.0),),
        (("application", "depends_on", 1.0),),
        (("load-balancer", "connects_through", 0.6), ("application", "uses", 0.4)),
    ),
    "application": (
        (("vm", "runs_on", 0.6), ("container", "runs_on", 0.3),
         ("container-platform", "runs_on", 0.1)),
        (("database", "stores_data_in", 0.45), ("cluster", "stores_data_in", 0.25),
         ("storage", "stores_data_in", 0.05), ("queue", "depends_on", 0.25)),
        (("middleware", "depends_on", 0.3), ("cache", "uses", 0.25),
         ("application", "depends_on", 0.25), ("load-balancer", "connects_through", 0.1),
         ("other", "uses", 0.1)),
    ),
    "middleware": (
        (("vm", "runs_on", 0.7), ("container", "runs_on", 0.3)),
        (("database", "stores_data_in", 0.5), ("storage", "backed_up_to", 0.5)),
    ),
    "queue": (
        (("vm", "runs_on", 0.6), ("container", "runs_on", 0.4)),
        (("storage", "stores_data_in", 0.6), ("network", "connects_through", 0.4)),
    ),
    "cache": (
        (("vm", "runs_on", 0.5), ("container", "runs_on", 0.5)),
        (("network", "connects_through", 0.5), ("dns", "uses", 0.5)),
    ),
    "cluster": ((("network", "connects_through", 0.7), ("load-balancer", "depends_on", 0.3)),),
    "database": (
        (("vm", "runs_on", 0.6), ("server", "runs_on", 0.4)),
        (("storage", "stores_data_in", 0.7), ("storage", "backed_up_to", 0.3)),
    ),
    "container": ((("container-platform", "hosted_on", 1.0),),),
    "vm": (
        (("server", "hosted_on", 1.0),),
        (("storage", "stores_data_in", 0.5), ("dns", "uses", 0.3), ("other", "monitored_by", 0.2)),
    ),
    "container-platform": (
        (("server", "runs_on", 1.0),),
        (("load-balancer", "connects_through", 0.5), ("storage", "stores_data_in", 0.5)),
    ),
    "server": (
        (("network", "connects_through", 0.6), ("firewall", "connects_through", 0.4)),
        (("dns", "uses", 0.5), ("storage", "backed_up_to", 0.5)),
    ),
    "storage": ((("network", "connects_through", 1.0),),),
    "load-balancer": ((("network", "connects_through", 0.5), ("firewall", "depends_on", 0.5)),),
    "other": ((("network", "connects_through", 0.7), ("dns", "uses", 0.3)),),
    "firewall": (),
    "network": (),
    "dns": (),
}

ENVIRONMENTS = ("production",) * 7 + ("staging", "staging", "test")
LIFECYCLES = ("live",) * 16 + ("building", "planned", "retiring")
LOCATIONS = ("fra1", "fra2", "ber1", "ams1", "dub1", "aws-eu-central-1", "azure-westeurope")
VENDORS = (
    "Northwind Commerce (in-house)", "Dell", "HPE", "VMware", "Red Hat", "Canonical",
    "PostgreSQL Global Development Group", "Oracle", "Microsoft", "F5", "Cisco", "Juniper",
    "NetApp", "Pure Storage", "Elastic", "Redis Ltd", "Confluent", "Amazon Web Services",
)
OTHER_TYPES = ("monitoring", "backup appliance", "hsm", "license server", "log collector")
TIERS = (0, 1, 1, 2, 2, 2, 2, 3, 3, 3)
SLA_BY_TIER = {0: "sla-gold", 1: "sla-silver", 2: "sla-bronze"}
ROLES = ("tech-support", "service-desk", "qa", "cab", "security", "management", "other")
ACTIONS = ("modify", "upgrade", "patch", "restart", "migrate", "config", "add")
EFFECTS = ("none", "degraded", "outage")
LEVELS = ("high", "medium", "low")
PRIORITY = {
    "high": {"high": "P1", "medium": "P2", "low": "P3"},
    "medium": {"high": "P2", "medium": "P3", "low": "P4"},
    "low": {"high": "P3", "medium": "P4", "low": "P4"},
}
ZONES = (UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=2)))
#: Share of the assets with a running cost (``costs=True``), and the monthly amount
#: range per kind (EUR; other kinds: 20-2,000).
COST_SHARE = 0.4
COST_RANGE = {"server": (300, 3000), "storage": (500, 8000), "network": (200, 2000),
              "firewall": (300, 3000), "load-balancer": (200, 2000), "vm": (40, 600),
              "database": (100, 2500), "container-platform": (1000, 12000),
              "service": (500, 20000), "application": (50, 1500)}
#: Where the cause of an incident lies when it is below the application (weights).
ROOT_CAUSE_KINDS = (("database", 0.28), ("vm", 0.25), ("server", 0.14), ("cluster", 0.10),
                    ("storage", 0.06), ("load-balancer", 0.05), ("container-platform", 0.04),
                    ("network", 0.03), ("firewall", 0.03), ("dns", 0.02))
PAUSE_REASONS = ("waiting for the user", "waiting for the vendor",
                 "waiting for a maintenance window")
TEMPLATES = {  # id -> (action, target kinds)
    "tpl-restart-application": ("restart", ("application",)),
    "tpl-patch-vm": ("patch", ("vm", "server")),
}


@dataclass
class Node:
    id: str
    kind: str
    index: int  # position within its kind
    deps: list[tuple[str, str]] = field(default_factory=list)  # (target id, relation)
    members: list[str] = field(default_factory=list)  # clusters only
    dependents: int = 0


@dataclass
class Model:
    nodes: dict[str, list[Node]]  # by kind, in id order
    teams: list[tuple[str, list[str]]]  # (team id, member handles)


# ------------------------------------------------------------------ the model


def kind_counts(assets: int) -> dict[str, int]:
    """How many assets of each kind; at least one of each, summing to ``assets``."""
    if assets < 2 * len(KINDS):
        raise ValueError(f"need at least {2 * len(KINDS)} assets, got {assets}")
    counts = {spec.kind: max(1, round(spec.share * assets)) for spec in KINDS}
    counts["vm"] += assets - sum(counts.values())
    counts["database"] = max(counts["database"], 3 * counts["cluster"] + 1)
    counts["vm"] += assets - sum(counts.values())
    return counts


def _skewed(rng: random.Random, n: int) -> int:
    # Mostly uniform, with one pick in four drawn from a steep power law: the first
    # few items of each pool become hubs.
    if rng.random() < 0.25:
        return int(n * rng.random() ** 6)
    return rng.randrange(n)


class _Pool:
    """Targets of one kind; hands out never-used targets first, then skewed picks."""

    def __init__(self, nodes: list[Node], rng: random.Random) -> None:
        self.nodes = nodes
        self.unused = list(range(len(nodes)))
        rng.shuffle(self.unused)
        self.rng = rng

    def pick(self, after: int = -1) -> Node | None:
        """A target; with ``after`` >= 0 only those with a larger index (same kind)."""
        if after >= len(self.nodes) - 1:
            return None
        if self.unused and self.rng.random() < 0.6:
            index = self.unused.pop()
            if index > after:
                return self.nodes[index]
            self.unused.insert(0, index)
        lo = after + 1
        return self.nodes[lo + _skewed(self.rng, len(self.nodes) - lo)]


def build_model(assets: int, seed: int) -> Model:
    rng = random.Random(seed)
    counts = kind_counts(assets)
    width = max(6, len(str(max(counts.values()))))
    nodes = {
        spec.kind: [Node(f"{spec.prefix}-{i:0{width}d}", spec.kind, i)
                    for i in range(1, counts[spec.kind] + 1)]
        for spec in KINDS
    }
    free_databases = _form_clusters(nodes, rng)
    pools = {kind: _Pool(pool, rng) for kind, pool in nodes.items()}
    pools["database"] = _Pool(free_databases, rng)
    for spec in KINDS:
        for node in nodes[spec.kind]:
            _draw_dependencies(node, RULES[spec.kind], pools, rng)
    _adopt_orphans(nodes, rng)
    team_count = max(4, assets // 1000)
    teams = [
        (f"team-{t:03d}", [f"user-{t:03d}-{m}" for m in range(1, 3 + rng.randrange(6))])
        for t in range(1, team_count + 1)
    ]
    return Model(nodes, teams)


def _form_clusters(nodes: dict[str, list[Node]], rng: random.Random) -> list[Node]:
    """Give every cluster 2-3 databases as members; return the databases left over."""
    databases = list(nodes["database"])
    rng.shuffle(databases)
    for cluster in nodes["cluster"]:
        for _ in range(2 + (rng.random() < 0.3)):
            member = databases.pop()
            cluster.members.append(member.id)
            member.dependents += 1
    return sorted(databases, key=lambda n: n.index)


def _draw_dependencies(node: Node, slots: tuple[Slot, ...], pools: dict[str, _Pool],
                       rng: random.Random) -> None:
    taken = {node.id}
    for slot in slots:
        kind, relation, _ = rng.choices(slot, weights=[w for _, _, w in slot])[0]
        target = pools[kind].pick(node.index if kind == node.kind else -1)
        if target is None or target.id in taken:
            continue
        taken.add(target.id)
        target.dependents += 1
        node.deps.append((target.id, relation))


def _adopt_orphans(nodes: dict[str, list[Node]], rng: random.Random) -> None:
    """Give every non-service asset without a dependent one, from a kind whose rules
    allow that edge (so the layering, and with it the DAG, is kept)."""
    users: dict[str, list[tuple[str, str]]] = {}
    for kind, slots in RULES.items():
        for slot in slots:
            for target, relation, _ in slot:
                users.setdefault(target, []).append((kind, relation))
    for kind, pool in nodes.items():
        if kind == "service":
            continue
        for node in pool:
            if node.dependents:
                continue
            # Databases reach this only when they are not cluster members.
            choices = users[kind]
            user_kind, relation = choices[rng.randrange(len(choices))]
            candidates = nodes[user_kind]
            if user_kind == kind:  # same kind: only an earlier one may depend on it
                candidates = candidates[: node.index - 1] or nodes["service"]
                relation = "depends_on" if candidates[0].kind == "service" else relation
            user = candidates[rng.randrange(len(candidates))]
            user.deps.append((node.id, relation))
            node.dependents += 1


# ------------------------------------------------------------------- writing


def _asset_text(node: Node, rng: random.Random, model: Model, anchor: date,
                costs: random.Random | None = None) -> str:
    spec = SPEC[node.kind]
    team = model.teams[rng.randrange(len(model.teams))][0]
    tier = TIERS[rng.randrange(len(TIERS))]
    lines = [
        f"- id: {node.id}\n  kind: {node.kind}\n"
        f"  name: {spec.kind.replace('-', ' ').title()} {node.index}\n"
        f"  owner: {team}\n  environment: {ENVIRONMENTS[rng.randrange(len(ENVIRONMENTS))]}\n"
        f"  tier: {tier}\n"
        f'  version: "{rng.randrange(1, 20)}.{rng.randrange(0, 40)}.{rng.randrange(0, 12)}"\n'
    ]
    if node.kind == "service":
        if tier in SLA_BY_TIER:
            lines.append(f"  sla: {SLA_BY_TIER[tier]}\n")
        lines.append(f"  users: {rng.randrange(50, 200_000)}\n")
    elif node.kind == "cluster":
        lines.append(f"  members: [{', '.join(node.members)}]\n"
                     f"  min_available: {1 if len(node.members) == 2 else 2}\n"
                     f"  mode: {'active-passive' if len(node.members) == 2 else 'active-active'}\n")
    elif node.kind == "other":
        lines.append(f"  type: {OTHER_TYPES[rng.randrange(len(OTHER_TYPES))]}\n")
    if node.deps:
        lines.append("  depends_on:\n")
        for target, relation in node.deps:
            if relation == "depends_on" and rng.random() < 0.7:
                lines.append(f"    - {target}\n")
            else:
                lines.append(f"    - {{id: {target}, relation: {relation}}}\n")
    verified = anchor - timedelta(days=rng.randrange(1, 200))
    lines.append(
        f"  lifecycle: {LIFECYCLES[rng.randrange(len(LIFECYCLES))]}\n"
        f"  last_verified: {verified.isoformat()}\n"
        f"  location: {LOCATIONS[rng.randrange(len(LOCATIONS))]}\n"
        f"  vendor: {VENDORS[rng.randrange(len(VENDORS))]}\n"
        f"  attributes:\n    cost_center: cc-{rng.randrange(1000):04d}\n"
        f"    replicas: {rng.randrange(1, 13)}\n"
    )
    if costs is not None and costs.random() < COST_SHARE:
        # Its own generator, so that the rest of the inventory stays the same bytes.
        low, high = COST_RANGE.get(node.kind, (20, 2000))
        period = "year" if costs.random() < 0.1 else "month"
        amount = costs.randrange(low, high) * (12 if period == "year" else 1)
        lines.append(f"  cost: {{amount: {amount}, currency: EUR, period: {period}}}\n")
    return "".join(lines)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _write_inventory(root: Path, model: Model, rng: random.Random, anchor: date,
                     costs: random.Random | None = None) -> int:
    files = 0
    for spec in KINDS:
        pool = model.nodes[spec.kind]
        for start in range(0, len(pool), PER_FILE):
            chunk = pool[start : start + PER_FILE]
            body = "\n".join(_asset_text(node, rng, model, anchor, costs) for node in chunk)
            name = f"{spec.prefix}-{start // PER_FILE + 1:04d}.yaml"
            _write(root / "inventory" / spec.folder / name,
                   f"{SCHEMA_COMMENT}\n{body}")
            files += 1
    return files


def _teams_text(model: Model, rng: random.Random) -> str:
    records = []
    for number, (team, members) in enumerate(model.teams, start=1):
        roles = sorted({ROLES[(number - 1) % len(ROLES)], ROLES[rng.randrange(len(ROLES))]})
        records.append(
            f"- id: {team}\n  kind: team\n  name: Team {number}\n"
            f"  members: [{', '.join(members)}]\n  leads: [{members[0]}]\n"
            f"  on_call: {members[-1]}\n  roles: [{', '.join(roles)}]\n"
            f"  email: {team}@example.com\n"
        )
    return SCHEMA_COMMENT + "\n".join(records)


_SLAS = (
    ("sla-gold", "Gold", "99.95", ("15m", "30m", "2h", "8h"), ("4h", "8h", "2d", "5d")),
    ("sla-silver", "Silver", "99.9", ("30m", "1h", "4h", "1d"), ("8h", "1d", "3d", "1w")),
    ("sla-bronze", "Bronze", "99.5", ("1h", "4h", "1d", "2d"), ("1d", "2d", "1w", "2w")),
)


def _slas_text() -> str:
    records = []
    for sla_id, name, availability, response, resolution in _SLAS:
        lines = [f"- id: {sla_id}\n  kind: sla\n  name: {name}\n  availability: {availability}\n"]
        for field_name, values in (("response", response), ("resolution", resolution)):
            lines.append(f"  {field_name}:\n")
            lines += [f"    P{p}: {value}\n" for p, value in enumerate(values, start=1)]
        records.append("".join(lines))
    return SCHEMA_COMMENT + "\n".join(records)


def _templates_text(owner: str) -> str:
    records = []
    for template_id, (action, kinds) in TEMPLATES.items():
        records.append(
            f"- id: {template_id}\n  kind: change-template\n"
            f"  title: Standard {action} of one {' or '.join(kinds)}\n"
            f"  actions: [{action}]\n  target_kinds: [{', '.join(kinds)}]\n"
            f"  environments: [production, staging, test]\n  max_targets: 3\n"
            f"  effects: [none, degraded]\n  risk_score: 10\n  owner: {owner}\n"
            f"  rollback_plan: Restore the previous state from the pre-change snapshot.\n"
        )
    return SCHEMA_COMMENT + "\n".join(records)


KPI_TARGETS = SCHEMA_COMMENT + """\
id: kpi-targets
kind: kpi-targets
description: Targets of the synthetic repository (benchmarks/synthetic.py).
targets:
  availability: {at_least: 99.5}
  mtta: {at_most: 30m}
  mttr: {at_most: 1d}
  change_failure_rate: {at_most: 15}
  lead_time: {at_most: 7d}
  sla_compliance: {at_least: 90}
  satisfaction: {at_least: 60}
  cost: {budget: %d, currency: EUR, period: month, within_percent: 5}
recurring_incidents: {count: 3, days: 30}
"""


def _stamp(moment: datetime) -> str:
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


# ------------------------------------------------------- changes and incidents


def _change_text(number: int, model: Model, rng: random.Random, anchor: datetime) -> str:
    zone = ZONES[rng.randrange(len(ZONES))]
    start = (anchor + timedelta(days=rng.randrange(-300, 60), hours=rng.randrange(24))
             ).astimezone(zone)
    end = start + timedelta(minutes=30 * rng.randrange(1, 9))
    requested = start - timedelta(days=rng.randrange(1, 15), minutes=rng.randrange(600))
    kind_roll = rng.random()
    change_type = "standard" if kind_roll < 0.4 else "emergency" if kind_roll > 0.95 else "normal"
    if change_type == "standard":
        template = sorted(TEMPLATES)[rng.randrange(len(TEMPLATES))]
        action, target_kinds = TEMPLATES[template]
    else:
        template, action = None, ACTIONS[rng.randrange(len(ACTIONS))]
        target_kinds = ("application", "database", "vm", "server", "cluster", "middleware")
    pools = [model.nodes[k] for k in target_kinds]
    targets = sorted({pool[rng.randrange(len(pool))].id
                      for pool in rng.choices(pools, k=1 + rng.randrange(3))})
    team, members = model.teams[rng.randrange(len(model.teams))]
    year = start.year
    lines = [
        f"id: CHG-{year}-{number:05d}\nkind: change\n"
        f"title: {action.title()} {', '.join(targets)}\ntype: {change_type}\n"
    ]
    if template:
        lines.append(f"template: {template}\n")
    lines.append(
        f"requester: {members[0]}\nteam: {team}\nassignee: {members[-1]}\n"
        f"targets: [{', '.join(targets)}]\naction: {action}\n"
        f"effect: {EFFECTS[rng.randrange(2 if template else 3)]}\n"
        f"window:\n  start: {_stamp(start)}\n  end: {_stamp(end)}\n"
        f"requested_at: {_stamp(requested)}\n"
        f"description: {action.title()} requested by {team} (synthetic change {number}).\n"
        f"implementation_plan: Drain, {action}, verify health checks, re-enable traffic.\n"
    )
    if change_type != "standard" or rng.random() < 0.5:
        lines.append("rollback_plan: Roll back to the previous version and verify.\n")
    lines.append(_change_status(start, end, members, rng, anchor))
    return "".join(lines)


def _change_status(start: datetime, end: datetime, members: list[str], rng: random.Random,
                   anchor: datetime) -> str:
    if end >= anchor:
        return f"status: {('requested', 'approved', 'scheduled')[rng.randrange(3)]}\n"
    roll = rng.random()
    if roll < 0.08:
        return "status: cancelled\n"
    status, result = (("completed", "success") if roll < 0.82 else
                      ("completed", "success_with_issues") if roll < 0.9 else
                      ("failed", "failed") if roll < 0.95 else ("rolled_back", "rolled_back"))
    reviewed = end + timedelta(days=rng.randrange(1, 5))
    return (f"status: {status}\nimplemented_at: {_stamp(end)}\n"
            f"review:\n  result: {result}\n  reviewed_by: {members[0]}\n"
            f"  reviewed_at: {_stamp(reviewed)}\n")


def _incident_text(number: int, model: Model, rng: random.Random, anchor: datetime,
                   change_ids: list[str]) -> str:
    zone = ZONES[rng.randrange(len(ZONES))]
    detected = (anchor - timedelta(days=rng.randrange(0, 300), minutes=rng.randrange(1440))
                ).astimezone(zone)
    clock = [detected, detected + timedelta(minutes=rng.randrange(1, 30))]
    for minutes in (rng.randrange(2, 60), rng.randrange(30, 2880), rng.randrange(60, 4320)):
        clock.append(clock[-1] + timedelta(minutes=minutes))
    # An incident is open, acknowledged, resolved or closed; the recent ones less often closed.
    stage = 4 if clock[4] < anchor and rng.random() < 0.9 else rng.randrange(1, 5)
    status = ("open", "open", "acknowledged", "resolved", "closed")[stage]
    impact, urgency = LEVELS[rng.randrange(3)], LEVELS[rng.randrange(3)]
    team, members = model.teams[rng.randrange(len(model.teams))]
    service = model.nodes["service"][rng.randrange(len(model.nodes["service"]))]
    apps = model.nodes["application"]
    app = apps[rng.randrange(len(apps))]
    # Half of the resolved incidents have their cause below the application.
    roots = _root_cause(model, rng) if stage >= 3 and rng.random() < 0.5 else []
    names = ("detected_at", "reported_at", "acknowledged_at", "resolved_at", "closed_at")
    lines = [
        f"id: INC-{detected.year}-{number:05d}\nkind: incident\n"
        f"title: {app.id} errors affecting {service.id}\nstatus: {status}\n"
        f"reported_by: {members[0]}\n"
    ]
    lines += [f"{name}: {_stamp(moment)}\n" for name, moment in zip(names, clock[: stage + 1],
                                                                     strict=False)]
    lines.append(
        f"impact: {impact}\nurgency: {urgency}\npriority: {PRIORITY[impact][urgency]}\n"
        f"team: {team}\nassignee: {members[-1]}\n"
        f"affected: [{', '.join([service.id, app.id, *roots])}]\noutages:\n"
    )
    for position, root in enumerate(roots):  # resolved: every root outage has ended
        start = clock[0] - timedelta(minutes=rng.randrange(1, 20))
        if position:  # a second cluster member fails later: the overlap takes it down
            start += timedelta(minutes=rng.randrange(0, 240))
        end = max(clock[3] - timedelta(minutes=rng.randrange(0, 30)), start + timedelta(minutes=5))
        lines.append(f"  - asset: {root}\n    start: {_stamp(start)}\n    end: {_stamp(end)}\n")
    lines.append(f"  - asset: {app.id}\n    start: {_stamp(clock[0])}\n")
    if stage >= 3 or clock[3] < anchor:  # an old ticket left open: the outage is over
        lines.append(f"    end: {_stamp(clock[3])}\n")
    lines.append(f"    effect: {('outage', 'degraded')[rng.randrange(2)]}\n")
    if stage >= 2 and rng.random() < 0.25:
        lines.append(_pauses(clock[2], clock[3], rng))
    if change_ids and rng.random() < 0.2:
        lines.append(f"caused_by: {change_ids[rng.randrange(len(change_ids))]}\n")
    lines.append(f"description: Users of {service.id} see errors from {app.id}.\n")
    if stage >= 3:
        lines.append("resolution: Restarted the failing instances and added capacity.\n")
    if stage == 4:
        lines.append(f"satisfaction: {rng.randrange(1, 6)}\n")
    return "".join(lines)


def _root_cause(model: Model, rng: random.Random) -> list[str]:
    """The lower-layer asset(s) an incident's outage starts at: one asset, or one or
    two members of a cluster."""
    kind = rng.choices([k for k, _ in ROOT_CAUSE_KINDS], [w for _, w in ROOT_CAUSE_KINDS])[0]
    pool = model.nodes[kind]
    chosen = pool[rng.randrange(len(pool))]
    if kind != "cluster":
        return [chosen.id]
    return sorted(rng.sample(chosen.members, 2 if rng.random() < 0.5 else 1))


def _pauses(acknowledged: datetime, resolved: datetime, rng: random.Random) -> str:
    """One or two SLA clock pauses between acknowledgement and (planned) resolution."""
    span = int((resolved - acknowledged).total_seconds() // 60)  # at least 30 minutes
    count = 1 + (rng.random() < 0.3)
    lines = ["paused:\n"]
    for part in range(count):
        low, high = part * span // count, (part + 1) * span // count
        begin = low + rng.randrange(max(1, (high - low) // 2))
        finish = begin + 1 + rng.randrange(max(1, high - begin - 1))
        lines.append(
            f"  - start: {_stamp(acknowledged + timedelta(minutes=begin))}\n"
            f"    end: {_stamp(acknowledged + timedelta(minutes=finish))}\n"
            f"    reason: {PAUSE_REASONS[rng.randrange(len(PAUSE_REASONS))]}\n")
    return "".join(lines)


def _write_changes(root: Path, model: Model, count: int, seed: int, anchor: datetime
                   ) -> list[str]:
    """One file per change; returns the change ids."""
    rng = random.Random(f"changes-{seed}")
    ids = []
    for number in range(1, count + 1):
        text = _change_text(number, model, rng, anchor)
        change_id = text[4 : text.index("\n")]
        ids.append(change_id)
        _write(root / "changes" / f"{change_id}.yaml", text)
    return ids


def _write_incidents(root: Path, model: Model, count: int, change_ids: list[str], seed: int,
                     anchor: datetime) -> None:
    rng = random.Random(f"incidents-{seed}")
    for number in range(1, count + 1):
        text = _incident_text(number, model, rng, anchor, change_ids)
        incident_id = text[4 : text.index("\n")]
        _write(root / "incidents" / f"{incident_id}.yaml", text)


# ------------------------------------------------------------------ the entry


def anchor_date(today: date | None = None) -> date:
    """Dates are relative to the first day of ``today``'s month (default: now)."""
    return (today or date.today()).replace(day=1)


def generate(root: Path, assets: int, seed: int = 1, *, changes: int = 0, incidents: int = 0,
             today: date | None = None, costs: bool = False) -> dict[str, int]:
    """Write a synthetic repository into ``root``, which must hold none of the record
    folders yet; returns counts of what was written. ``costs``: give about 40 % of the
    assets a running cost (the rest of the bytes stay the same)."""
    root = Path(root)
    existing = [f for f in GENERATED_FOLDERS if (root / f).exists()]
    if existing:
        raise FileExistsError(f"{root} already has {', '.join(existing)}; use an empty "
                              "directory (or --force from the command line)")
    anchor = anchor_date(today)
    model = build_model(assets, seed)
    rng = random.Random(f"text-{seed}")
    root.mkdir(parents=True, exist_ok=True)
    _write(root / "opsascode.yaml",
           "# Settings of a synthetic repository made by benchmarks/synthetic.py.\n"
           f"version: 1\nname: Synthetic operations ({assets} assets, seed {seed})\n"
           "timezone: Europe/Berlin\n")
    files = _write_inventory(root, model, rng, anchor,
                             random.Random(f"costs-{seed}") if costs else None)
    _write(root / "inventory" / "teams.yaml", _teams_text(model, rng))
    _write(root / "policies" / "slas.yaml", _slas_text())
    files += 3
    moment = datetime(anchor.year, anchor.month, anchor.day, tzinfo=UTC)
    change_ids: list[str] = []
    if changes:
        _write(root / "policies" / "change-templates.yaml", _templates_text(model.teams[0][0]))
        change_ids = _write_changes(root, model, changes, seed, moment)
        files += 1 + changes
    if incidents:
        _write_incidents(root, model, incidents, change_ids, seed, moment)
        # Budget: about what the costs (``costs=True``) add up to.
        _write(root / "policies" / "kpi-targets.yaml", KPI_TARGETS % (assets * 500))
        files += incidents + 1
    return {"assets": assets, "teams": len(model.teams), "changes": changes,
            "incidents": incidents, "files": files}


def edges(model: Model) -> Iterator[tuple[str, str]]:
    """Every (dependent, dependency) edge, members included (for tests and stats)."""
    for pool in model.nodes.values():
        for node in pool:
            for target, _ in node.deps:
                yield node.id, target
            for member in node.members:
                yield node.id, member


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--assets", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--changes", type=int, default=0, help="change records to add")
    parser.add_argument("--incidents", type=int, default=0, help="incident records to add")
    parser.add_argument("--today", type=date.fromisoformat, default=None,
                        help="date the data is relative to (default: today)")
    parser.add_argument("--costs", action="store_true",
                        help="give about 40 %% of the assets a running cost")
    parser.add_argument("--force", action="store_true",
                        help="delete the record folders in DIRECTORY first")
    args = parser.parse_args(argv)
    if args.force:
        for folder in GENERATED_FOLDERS:
            shutil.rmtree(args.directory / folder, ignore_errors=True)
    try:
        written = generate(args.directory, args.assets, args.seed, changes=args.changes,
                           incidents=args.incidents, today=args.today, costs=args.costs)
    except (FileExistsError, ValueError) as exc:
        print(f"synthetic: {exc}", file=sys.stderr)
        return 2
    print(", ".join(f"{value} {key}" for key, value in written.items()), f"in {args.directory}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
