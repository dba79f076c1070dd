"""``opsascode init``: a new repository that validates cleanly and works end to end
(new, plan, check, approve), refusals that never lose data, and the choices."""

from __future__ import annotations

import argparse
import io
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from opsascode import cli, error_handler, yamlio
from opsascode.calendars import BusinessCalendar
from opsascode.commands.approve import approve
from opsascode.commands.init import PIN_PLACEHOLDER, init
from opsascode.commands.schema import render
from opsascode.errors import FatalError, UsageError
from opsascode.loader import load
from opsascode.records import Calendar
from opsascode.report.init import markdown_text, target_path
from opsascode.schema import schema_names
from opsascode.tree import WorkingTree
from opsascode.workspace import Options
from testing.repos import commit_as, git, identity, init_git, run_cli

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[1]
SCHEMA_COMMENT = re.compile(r"^# yaml-language-server: \$schema=(\S+)\n")
#: The files of a new repository, besides one JSON Schema per kind.
FILES = {
    ".github/workflows/gate.yml", ".github/workflows/validate.yml", ".gitignore",
    "README.md", "opsascode.yaml",
    "changes/README.md", "incidents/README.md", "problems/README.md",
    "inventory/applications.yaml", "inventory/databases.yaml", "inventory/servers.yaml",
    "inventory/services.yaml", "inventory/teams.yaml",
    "policies/approval-policy.yaml", "policies/calendars.yaml",
    "policies/change-templates.yaml", "policies/kpi-targets.yaml",
    "policies/priority-matrix.yaml", "policies/risk-model.yaml", "policies/slas.yaml",
}
OWNER = "support-lead--replace-me"
MANAGER = "ops-manager--replace-me"


@pytest.fixture(autouse=True)
def _no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSASCODE_CACHE", "0")
    monkeypatch.delenv("OPSASCODE_USER", raising=False)


def start(path: Path, *, force: bool = False, name: str | None = None,
          timezone: str | None = None, country: str | None = None) -> str:
    out = io.StringIO()
    assert init(Options(path.parent), Path(path.name), force, name, timezone, country, out,
                now=NOW) == 0
    return out.getvalue()


def written(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")
            if p.is_file() and ".git" not in p.relative_to(root).parts}


def validate(capsys: pytest.CaptureFixture[str], root: Path) -> dict[str, Any]:
    result = run_cli(capsys, "-C", str(root), "validate", "--format", "json")
    report: dict[str, Any] = result.json()
    assert result.code == (0 if report["ok"] else 1)
    return report


def new_change(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> str:
    result = run_cli(capsys, "-C", str(root), "new", "change", "--requester", "carol",
                     "--team", "team-tech-support", *args)
    assert result.code == 0, result.err
    found = re.search(r"created (changes/\S+\.yaml)", result.out)
    assert found, result.out
    return found.group(1)


def branch_with(capsys: pytest.CaptureFixture[str], root: Path, *changes: list[str]) -> None:
    """Commit the new repository on main, then a branch where carol adds changes."""
    commit_as(root, "maintainer", "start the operations repository")
    git(root, "checkout", "-q", "-b", "work")
    for args in changes:
        new_change(capsys, root, *args)
    commit_as(root, "carol", "propose changes")


def check(capsys: pytest.CaptureFixture[str], root: Path) -> tuple[int, dict[str, Any]]:
    result = run_cli(capsys, "-C", str(root), "check", "--base", "main", "--approvals", "git",
                     "--format", "json")
    report: dict[str, Any] = result.json()
    return result.code, report


# ------------------------------------------------------- a repository that works


def test_init_writes_a_repository_that_validates_with_no_problems(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "new" / "ops"  # missing folders are made
    out = start(root)
    schemas = {f"schemas/{name}.json" for name in schema_names()}
    assert written(root) == FILES | schemas
    report = validate(capsys, root)
    assert report["counts"] == {"error": 0, "warning": 0}, report["problems"]
    assert report["records"] == 13
    assert "created inventory/teams.yaml" in out
    assert f"wrote {len(schemas)} JSON Schemas to schemas/" in out
    assert "initialised a git repository (branch main)" in out
    assert git(root, "symbolic-ref", "HEAD").strip() == "refs/heads/main"
    assert git(root, "rev-parse", "--show-toplevel").strip() == str(root.resolve())


def test_every_record_file_names_its_schema(tmp_path: Path) -> None:
    root = tmp_path / "ops"
    start(root)
    repo = load(WorkingTree(root))
    kinds = {origin.file: repo.records[i].kind for i, origin in repo.origins.items()}
    for rel in sorted(written(root)):
        if not rel.endswith(".yaml"):
            continue
        text = (root / rel).read_text(encoding="utf-8")
        found = SCHEMA_COMMENT.match(text)
        assert found, rel
        schema = (root / rel).parent / found.group(1)
        assert schema.resolve().is_file(), rel
        expected = "settings" if rel == "opsascode.yaml" else kinds[rel]
        assert schema.name == f"{expected}.json", rel


def test_the_schemas_are_those_of_opsascode_schema(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "ops"
    start(root)
    for name in schema_names():
        assert (root / "schemas" / f"{name}.json").read_text(encoding="utf-8") == render(name)
    result = run_cli(capsys, "-C", str(root), "schema", "change")
    assert result.code == 0
    assert json.loads(result.out)["$id"].endswith("/change.json")


def test_a_scaffolded_change_validates(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "ops"
    start(root)
    rel = new_change(capsys, root, "--title", "Upgrade the portal database",
                     "--targets", "db-customer-portal", "--action", "upgrade",
                     "--set", "rollback_plan=Restore the snapshot")
    assert rel.startswith("changes/CHG-")
    report = validate(capsys, root)
    assert report["counts"] == {"error": 0, "warning": 0}, report["problems"]


def test_plan_and_check_on_a_branch(tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "ops"
    start(root)
    branch_with(capsys, root, ["--title", "Upgrade the portal database",
                               "--targets", "db-customer-portal", "--action", "upgrade",
                               "--set", "rollback_plan=Restore the snapshot"])
    plan = run_cli(capsys, "-C", str(root), "plan", "--base", "main", "--format", "json")
    assert plan.code == 0, plan.out
    (change,) = plan.json()["changes"]
    assert change["risk"]["level"] == "high"  # an outage of a tier-1 service
    code, report = check(capsys, root)
    assert (code, report["status"]) == (1, "pending")  # covered by the policy: not 2
    assert all(rule.get("error") is None for rule in report["rules"])


@pytest.mark.parametrize("args", [
    ["--template", "restart-application", "--title", "Restart the portal",
     "--targets", "app-customer-portal", "--effect", "none"],
    ["--type", "emergency", "--title", "Patch the server now", "--targets", "srv-app-01",
     "--action", "patch", "--set", "rollback_plan=Boot the previous kernel"],
    ["--title", "Tune the server", "--targets", "srv-app-01", "--action", "config",
     "--effect", "none", "--set", "rollback_plan=Revert the setting"],
], ids=["standard", "emergency", "normal"])
def test_the_policy_covers_every_type_of_change(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    root = tmp_path / "ops"
    start(root)
    branch_with(capsys, root, args)
    code, report = check(capsys, root)
    assert (code, report["status"]) == (1, "pending"), report


def test_the_owners_and_management_can_approve_a_high_risk_change(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "ops"
    start(root)
    branch_with(capsys, root, ["--title", "Upgrade the portal database",
                               "--targets", "db-customer-portal", "--action", "upgrade",
                               "--set", "rollback_plan=Restore the snapshot"])
    change = (root / "changes").glob("CHG-*.yaml").__next__().stem
    for handle in (OWNER, MANAGER):
        for key, value in identity(handle).items():
            monkeypatch.setenv(key, value)
        assert approve(Options(root), change, False, handle, None, io.StringIO(),
                       now=datetime.now(UTC)) == 0
    code, report = check(capsys, root)
    assert (code, report["status"]) == (0, "approved"), report


def test_a_policy_change_needs_operations_management(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "ops"
    start(root)
    branch_with(capsys, root)
    path = root / "policies/kpi-targets.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("count: 3", "count: 4"),
                    encoding="utf-8")
    commit_as(root, "carol", "fewer problems")
    code, report = check(capsys, root)
    assert (code, report["status"]) == (1, "pending")
    assert "protected paths" in json.dumps(report)


# ------------------------------------------------------------------ refusals


def test_a_directory_with_files_is_refused_and_left_alone(tmp_path: Path) -> None:
    root = tmp_path / "ops"
    root.mkdir()
    (root / "README.md").write_text("mine\n", encoding="utf-8")
    (root / "notes.txt").write_text("mine too\n", encoding="utf-8")
    with pytest.raises(FatalError, match=r"is not empty; nothing was written\. Pass --force"
                       r".*it would replace README\.md$"):
        start(root)
    assert written(root) == {"README.md", "notes.txt"}
    assert not (root / ".git").exists()


def test_force_adds_and_replaces_but_never_deletes(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "ops"
    root.mkdir()
    (root / "README.md").write_text("mine\n", encoding="utf-8")
    (root / "notes.txt").write_text("mine too\n", encoding="utf-8")
    out = start(root, force=True)
    assert "replaced README.md" in out
    assert (root / "notes.txt").read_text(encoding="utf-8") == "mine too\n"
    assert (root / "README.md").read_text(encoding="utf-8").startswith("# ops: IT operations")
    assert validate(capsys, root)["counts"]["error"] == 0


def test_a_second_init_needs_force(tmp_path: Path) -> None:
    root = tmp_path / "ops"
    start(root)
    (root / "opsascode.yaml").write_text("version: 1\nname: Mine\n", encoding="utf-8")
    with pytest.raises(FatalError, match=r"it would replace .*opsascode\.yaml, .*, "
                       r"31 files in schemas/$"):
        start(root)
    assert (root / "opsascode.yaml").read_text(encoding="utf-8") == "version: 1\nname: Mine\n"
    assert "kept the existing git repository" in start(root, force=True)


def test_an_empty_clone_counts_as_empty(tmp_path: Path) -> None:
    root = tmp_path / "ops"
    root.mkdir()
    init_git(root)
    commit_as(root, "maintainer", "empty")
    out = start(root)
    assert "kept the existing git repository" in out
    assert git(root, "rev-list", "--count", "HEAD").strip() == "1"  # nothing committed


def test_symbolic_links_and_directories_in_the_way_are_refused_even_with_force(
        tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    root = tmp_path / "ops"
    root.mkdir()
    (root / "policies").symlink_to(elsewhere)
    (root / "README.md").mkdir()
    with pytest.raises(FatalError) as raised:
        start(root, force=True)
    message = str(raised.value)
    assert message.endswith(": README.md is not a regular file; policies is a symbolic link; "
                            "nothing was written")
    assert list(elsewhere.iterdir()) == []
    assert not (root / "inventory").exists()


def test_a_file_is_not_a_directory(tmp_path: Path) -> None:
    (tmp_path / "ops").write_text("", encoding="utf-8")
    with pytest.raises(FatalError, match=r"exists and is not a directory"):
        start(tmp_path / "ops")


def test_inside_another_repository_nothing_is_initialised(tmp_path: Path) -> None:
    init_git(tmp_path)
    out = start(tmp_path / "ops")
    assert "note: this is inside the git repository at" in out
    assert not (tmp_path / "ops" / ".git").exists()


# ------------------------------------------------------------------- choices


def calendar(root: Path) -> Calendar:
    repo = load(WorkingTree(root))
    found = repo.get("business", Calendar)
    assert found is not None
    return found


def test_timezone_and_country_reach_settings_and_calendar(tmp_path: Path) -> None:
    root = tmp_path / "ops"
    start(root, timezone="Asia/Shanghai", country="cn")
    settings, _ = yamlio.parse((root / "opsascode.yaml").read_bytes())
    assert settings["timezone"] == "Asia/Shanghai"
    found = calendar(root)
    assert (found.timezone, found.holidays.country, found.holidays.subdivision) == (
        "Asia/Shanghai", "CN", None)
    assert BusinessCalendar(found).is_holiday(date(2026, 10, 1))  # National Day
    start_of_window = found.maintenance[0].start
    assert start_of_window.isoformat() == "2026-01-01T22:00:00+08:00"


def test_a_subdivision_brings_its_own_holidays(tmp_path: Path) -> None:
    start(tmp_path / "by", timezone="Europe/Berlin", country="DE-BY")
    start(tmp_path / "de", timezone="Europe/Berlin", country="DE")
    epiphany = date(2026, 1, 6)
    assert BusinessCalendar(calendar(tmp_path / "by")).is_holiday(epiphany)
    assert not BusinessCalendar(calendar(tmp_path / "de")).is_holiday(epiphany)


def test_defaults_are_utc_no_holidays_and_the_directory_name(tmp_path: Path) -> None:
    root = tmp_path / "acme-ops"
    start(root)
    found = calendar(root)
    assert (found.timezone, found.holidays.country) == ("UTC", None)
    settings, _ = yamlio.parse((root / "opsascode.yaml").read_bytes())
    assert settings["name"] == "acme-ops"


@pytest.mark.parametrize(("option", "message"), [
    ({"timezone": "Europe/Berln"}, r"unknown timezone 'Europe/Berln' \(did you mean "
                                   r"Europe/Berlin\?\); nothing was written"),
    ({"timezone": "europe/berlin"}, r"did you mean Europe/Berlin\?"),
    ({"timezone": "../etc/passwd"}, r"unknown timezone '\.\./etc/passwd'"),
    ({"country": "XX"}, r"unknown --country 'XX': .*'XX' is not a supported ISO 3166"),
    ({"country": "DE-ZZ"}, r"unknown --country 'DE-ZZ': .*'ZZ' is not a subdivision of DE; "
                           r"use one of .*BY"),
    ({"country": ""}, r"unknown --country '': it is empty"),
    ({"name": "two\nlines"}, r"--name 'two\\nlines' must be one line of text"),
], ids=["typo", "case", "path", "country", "subdivision", "empty", "name"])
def test_bad_choices_are_usage_errors_and_write_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], option: dict[str, str],
        message: str) -> None:
    root = tmp_path / "ops"
    with pytest.raises(UsageError, match=message):
        start(root, **option)
    code = error_handler.run(lambda: start(root, **option) and 0)
    assert code == 2
    assert "opsascode: error: " in capsys.readouterr().err
    assert not root.exists()


def test_a_name_is_written_as_the_text_given(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    name = 'no: "Acme" #1 & [Ops] <b>*'
    root = tmp_path / "ops"
    start(root, name=name)
    settings, issues = yamlio.parse((root / "opsascode.yaml").read_bytes())
    assert (settings["name"], issues) == (name, [])
    title = (root / "README.md").read_text(encoding="utf-8").splitlines()[0]
    assert title == f"# {markdown_text(name)}: IT operations as code"
    assert "<b>" not in title and "[Ops]" not in title
    assert validate(capsys, root)["counts"] == {"error": 0, "warning": 0}


# ------------------------------------------------------------ the workflows


def workflow(root: Path, name: str) -> dict[str, Any]:
    document = yaml.safe_load((root / ".github/workflows" / name).read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def steps(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in document["jobs"].values() for step in job["steps"]]


def pins(path: Path) -> dict[str, str]:
    found = re.findall(r"uses:\s*([\w.-]+/[\w./-]+)@(\S+)\s+#\s*v\d+\.\d+\.\d+",
                       path.read_text(encoding="utf-8"))
    return dict(found)


def test_the_workflows_keep_the_gates_security_model(tmp_path: Path) -> None:
    root = tmp_path / "ops"
    start(root)
    gate, check_pr = workflow(root, "gate.yml"), workflow(root, "validate.yml")
    assert set(gate[True]) == {"pull_request_target", "pull_request_review", "merge_group"}
    assert set(check_pr[True]) == {"pull_request"}
    assert gate["permissions"] == {"contents": "read", "pull-requests": "read"}
    assert check_pr["permissions"] == {"contents": "read"}
    assert gate["jobs"]["gate"]["name"] == "gate"
    (step,) = steps(gate)
    assert step["uses"] == f"opsascode/opsascode@{PIN_PLACEHOLDER}"
    for document in (gate, check_pr):
        for each in steps(document):
            assert "${{" not in each.get("run", ""), each
            assert "secrets" not in json.dumps(each)


def test_the_workflows_pin_actions_as_this_repository_does(tmp_path: Path) -> None:
    root = tmp_path / "ops"
    start(root)
    ours = {**pins(ROOT / ".github/workflows/gate.yml"),
            **pins(ROOT / ".github/workflows/validate.yml")}
    theirs = {**pins(root / ".github/workflows/gate.yml"),
              **pins(root / ".github/workflows/validate.yml")}
    assert theirs.pop("opsascode/opsascode") == PIN_PLACEHOLDER
    assert theirs and all(re.fullmatch(r"[0-9a-f]{40}", ref) for ref in theirs.values())
    assert theirs == {name: ours[name] for name in theirs}
    validate_text = (root / ".github/workflows/validate.yml").read_text(encoding="utf-8")
    assert f"OPSASCODE_REF: {PIN_PLACEHOLDER}" in validate_text


# ------------------------------------------------------------------ packaging


def test_template_paths_become_repository_paths() -> None:
    assert target_path("init/github/workflows/gate.yml.j2") == ".github/workflows/gate.yml"
    assert target_path("init/gitignore.j2") == ".gitignore"
    assert target_path("init/policies/slas.yaml.j2") == "policies/slas.yaml"


def test_every_template_is_package_data() -> None:
    """pyproject's package-data globs must take every template into the wheel."""
    import tomllib

    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "tool"]["setuptools"]["package-data"]["opsascode"]
    package = ROOT / "src" / "opsascode"
    shipped = {p for pattern in patterns for p in package.glob(pattern) if p.is_file()}
    templates = {p for p in (package / "report/templates/init").rglob("*") if p.is_file()}
    assert templates and templates <= shipped
    assert not [p for p in templates if p.name.startswith(".")]  # globs skip dot files


def _cli_has_init() -> bool:
    parser = cli._parser()
    return any(isinstance(action, argparse._SubParsersAction) and "init" in action.choices
               for action in parser._actions)


@pytest.mark.skipif(not _cli_has_init(), reason="`init` is not wired into cli.py yet")
def test_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "-C", str(tmp_path), "init", "ops", "--name", "Acme",
                     "--timezone", "Europe/Berlin", "--country", "DE")
    assert result.code == 0, result.err
    assert calendar(tmp_path / "ops").holidays.country == "DE"
    assert run_cli(capsys, "-C", str(tmp_path), "init", "ops").code == 2
    assert run_cli(capsys, "-C", str(tmp_path), "init", "x", "--timezone", "Nowhere").code == 2
