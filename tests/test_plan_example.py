"""The acceptance scenario of `plan` on a branch of the bundled example: a clustered
database upgrade, an asset edited without a change request, a change in the freeze."""

from __future__ import annotations

import json
from datetime import date

import pytest

from opsascode.commands.plan import make_plan
from opsascode.plan import Plan
from opsascode.report import plan as report
from opsascode.workspace import Options
from testing.example import copy_example
from testing.repos import commit_all, git, write

UPGRADE = """
id: CHG-2026-0100
kind: change
title: Upgrade the payments PostgreSQL replica pg-payments-2 to 15.10
type: normal
requester: dkrause
team: team-dba
targets: [pg-payments-2]
action: upgrade
effect: outage
requested_at: 2026-11-20T10:00:00+01:00
window: {start: 2026-12-08T22:00:00+01:00, end: 2026-12-08T23:30:00+01:00}
rollback_plan: Reinstall 15.8 from the local package cache and rejoin the replica.
"""

IN_FREEZE = """
id: CHG-2026-0101
kind: change
title: Rotate the edge load balancer certificates
type: normal
requester: dkrause
team: team-netops
targets: [cl-lb-edge]
action: config
effect: degraded
requested_at: 2026-12-01T10:00:00+01:00
window: {start: 2026-12-22T21:00:00+01:00, end: 2026-12-22T22:00:00+01:00}
rollback_plan: Restore the previous certificate bundle.
"""


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    root = copy_example(tmp_path_factory.mktemp("example"))
    git(root, "checkout", "-q", "-b", "upgrade-payments-db")
    databases = root / "inventory" / "databases.yaml"
    text = databases.read_text()
    head, _, tail = text.partition("- id: pg-payments-2")
    tail = tail.replace('version: "15.8"', 'version: "15.10"', 1)
    databases.write_text(head + "- id: pg-payments-2" + tail)
    vms = root / "inventory" / "vms.yaml"
    vms.write_text(vms.read_text().replace('  ip: "10.20.60.21"\n', '  ip: "10.20.60.99"\n'))
    write(root, {"changes/CHG-2026-0100.yaml": UPGRADE, "changes/CHG-2026-0101.yaml": IN_FREEZE})
    commit_all(root, "upgrade the payments replica")
    return make_plan(Options(root, use_cache=False), "main", None, today=date(2026, 11, 27))


def test_the_clustered_database_upgrade(plan: Plan) -> None:
    upgrade = next(c for c in plan.changes if c.change.id == "CHG-2026-0100")
    services = {s.id: s.effect for s in upgrade.radius.services}
    assert services and set(services.values()) == {"degraded"}  # the cluster keeps them up
    redundancy = next(f for f in upgrade.risk.factors if f.name == "redundancy")
    assert redundancy.points > 0 and "cl-pg-payments has no spare member left" in redundancy.reason
    assert not [c for c in upgrade.conflicts if c.kind == "freeze"]


def test_the_undeclared_edit(plan: Plan) -> None:
    assert [(p.code, p.file) for p in plan.undeclared] == [
        ("undeclared-modification", "inventory/vms.yaml")]
    assert "vm 'vm-wms-01'" in plan.undeclared[0].message
    assert "(fields: ip)" in plan.undeclared[0].message


def test_the_change_in_the_freeze(plan: Plan) -> None:
    frozen = next(c for c in plan.changes if c.change.id == "CHG-2026-0101")
    assert [c.subject for c in frozen.conflicts if c.kind == "freeze"] == [
        "year-end-freeze-2026"]
    assert next(f for f in frozen.risk.factors if f.name == "freeze").points > 0


def test_all_three_show_in_every_format(plan: Plan) -> None:
    text = report.as_text(plan)
    markdown = report.as_markdown(plan)
    document = json.loads(report.as_json(plan))
    for output in (text, markdown):
        assert "cl-pg-payments has no spare member left" in output
        assert "vm-wms-01" in output and "Undeclared modifications" in output
        assert "year-end-freeze-2026" in output
    assert [u["code"] for u in document["undeclared"]] == ["undeclared-modification"]
    kinds = {c["id"]: [x["kind"] for x in c["conflicts"]] for c in document["changes"]}
    assert "freeze" in kinds["CHG-2026-0101"]
    assert "```mermaid" in markdown
