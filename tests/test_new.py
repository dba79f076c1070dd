"""``opsascode new``: scaffolds that validate, the next free id, safe values, refusals."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opsascode import cli, yamlio
from opsascode.commands.new import collect_fields, new
from opsascode.errors import FatalError, UsageError
from opsascode.loader import load
from opsascode.scaffold import next_id
from opsascode.tree import WorkingTree
from opsascode.workspace import Options
from testing.example import copy_example
from testing.repos import MINIMAL, git, init_git, run_cli, write

NOW = datetime(2026, 11, 20, 9, 30, 15, 500_000, tzinfo=UTC)
CHANGE = {"title": "Upgrade the shop database", "team": "team-ops", "targets": "db-shop"}

TEMPLATES = """
    - id: restart-app
      kind: change-template
      title: Restart an application
      actions: [restart]
      effects: [degraded, none]
    """


@pytest.fixture(autouse=True)
def _user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSASCODE_USER", "carol")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write(tmp_path, MINIMAL)


def scaffold(root: Path, kind: str, fields: dict[str, str], *, force: bool = False,
             now: datetime = NOW) -> str:
    out = io.StringIO()
    assert new(Options(root), kind, fields, force, out, now=now) == 0
    return out.getvalue()


def read(path: Path) -> Any:
    value, issues = yamlio.parse(path.read_bytes())
    assert issues == []
    return value


def validate(capsys: pytest.CaptureFixture[str], root: Path) -> list[dict[str, Any]]:
    """The errors `opsascode validate` reports (warnings depend on the example's data)."""
    result = run_cli(capsys, "-C", str(root), "validate", "--format", "json")
    problems: list[dict[str, Any]] = result.json()["problems"]
    errors = [p for p in problems if p["level"] == "error"]
    assert result.code == (1 if errors else 0)
    return errors


# ------------------------------------------------------------------ the file


def test_new_change_is_laid_out_with_defaults_and_placeholders(repo: Path) -> None:
    out = scaffold(repo, "change", CHANGE)
    text = (repo / "changes/CHG-2026-0001.yaml").read_text(encoding="utf-8")
    assert text == textwrap.dedent("""\
        # yaml-language-server: $schema=../schemas/change.json
        id: CHG-2026-0001
        kind: change
        title: Upgrade the shop database
        type: normal  # standard | normal | emergency
        # template: patch-linux  # standard changes only: a change template in policies/
        requester: carol
        team: team-ops  # the implementing team
        # assignee: handle  # the engineer doing the work
        targets: [db-shop]
        action: modify  # add | modify | upgrade | patch | restart | migrate | decommission | config
        effect: outage  # expected effect on the targets: outage | degraded | none
        window: {start: 2026-11-21T22:00:00+00:00, end: 2026-11-21T23:00:00+00:00}
        requested_at: 2026-11-20T09:30:15+00:00
        # description: |
        #   What changes, in detail: components, versions, settings.
        # justification: Why the change is needed (the business reason).
        # implementation_plan: |
        #   1. The steps to carry out the change, one per line.
        # test_plan: |
        #   - How to verify that the change works.
        # Required for normal and emergency changes:
        # rollback_plan: |
        #   How to undo the change, and how long that takes.
        status: requested  # requested | approved | scheduled | implementing | completed | ...
        approvals: []  # written by `opsascode approve`
        """)
    assert out.splitlines() == [
        "created changes/CHG-2026-0001.yaml",
        "  to do: changes/CHG-2026-0001.yaml:2:1: change 'CHG-2026-0001' is a normal change "
        "without a rollback plan; describe how to undo it in `rollback_plan`"]


def test_uncommenting_the_placeholders_gives_valid_yaml(repo: Path) -> None:
    scaffold(repo, "change", CHANGE)
    path = repo / "changes/CHG-2026-0001.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    placeholders = ("# description:", "#   What", "# rollback_plan:", "#   How to undo")
    path.write_text("\n".join(line[2:] if line.startswith(placeholders) else line
                              for line in lines) + "\n", encoding="utf-8")
    record = read(path)
    assert record["description"].startswith("What changes")
    assert record["rollback_plan"].startswith("How to undo")


def test_the_window_starts_tomorrow_at_22_in_the_repository_timezone(repo: Path) -> None:
    # The clocks go forward in Berlin in the night to 29 March 2026.
    write(repo, {"opsascode.yaml": "timezone: Europe/Berlin\n"})
    scaffold(repo, "change", CHANGE, now=datetime(2026, 3, 28, 12, 0, tzinfo=UTC))
    text = (repo / "changes/CHG-2026-0001.yaml").read_text(encoding="utf-8")
    assert "window: {start: 2026-03-29T22:00:00+02:00, end: 2026-03-29T23:00:00+02:00}" in text
    assert "requested_at: 2026-03-28T13:00:00+01:00" in text


def test_folders_come_from_the_settings_and_are_created(repo: Path) -> None:
    write(repo, {"opsascode.yaml": "folders: {incidents: ops/incidents}\n"})
    assert scaffold(repo, "incident", {"title": "Shop is slow"}) == (
        "created ops/incidents/INC-2026-0001.yaml\n")
    text = (repo / "ops/incidents/INC-2026-0001.yaml").read_text(encoding="utf-8")
    assert text.splitlines()[0] == "# yaml-language-server: $schema=../../schemas/incident.json"


def test_each_kind_passes_validate_on_the_example(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    root = copy_example(tmp_path / "ops")
    assert validate(capsys, root) == []
    scaffold(root, "change", {"title": "Resize the payments replica", "team": "team-dba",
                              "targets": "pg-payments-2", "effect": "degraded",
                              "rollback_plan": "Resize back; 10 minutes."})
    scaffold(root, "incident", {"title": "Payments slow", "affected": "svc-payments",
                                "impact": "high", "urgency": "high", "team": "team-dba"})
    scaffold(root, "problem", {"title": "Replica lag under load", "team": "team-dba",
                               "incidents": "INC-2026-0014"})
    scaffold(root, "change", {"title": "Patch the monitoring host", "team": "team-sysops",
                              "template": "patch-linux", "targets": "vm-monitoring-01"})
    assert validate(capsys, root) == []
    assert read(root / "problems/PRB-2026-0004.yaml")["owner"] == "team-dba"
    standard = read(root / "changes/CHG-2026-0017.yaml")
    assert (standard["type"], standard["action"], standard["effect"]) == (
        "standard", "patch", "none")


def test_a_change_without_rollback_plan_has_exactly_that_one_problem(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = copy_example(tmp_path / "ops")
    scaffold(root, "change", {"title": "t", "team": "team-dba", "targets": "pg-payments-2"})
    assert [(p["file"], p["code"]) for p in validate(capsys, root)] == [
        ("changes/CHG-2026-0016.yaml", "missing-rollback-plan")]


# ---------------------------------------------------------------- the next id


def test_next_id_follows_the_highest_number_of_the_year() -> None:
    taken = ["CHG-2026-0001", "CHG-2026-0007", "chg-2026-0008", "CHG-2025-0042",
             "INC-2026-0099", "CHG-2026-0030-b", "db-shop"]
    assert next_id("change", 2026, taken) == "CHG-2026-0009"
    assert next_id("change", 2026, [*taken, "CHG-2026-12"]) == "CHG-2026-0013"
    assert next_id("change", 2027, taken) == "CHG-2027-0001"
    assert next_id("incident", 2026, taken) == "INC-2026-0100"
    assert next_id("problem", 2026, ["PRB-2026-9999"]) == "PRB-2026-10000"


def test_numbering_counts_every_record_valid_or_not_and_every_file(repo: Path) -> None:
    write(repo, {
        "changes/CHG-2026-0002.yaml": CHANGE_TEXT.format(id="CHG-2026-0002"),
        # gaps stay gaps; other years do not count
        "changes/old.yaml": CHANGE_TEXT.format(id="CHG-2025-0040"),
        # an invalid record still holds its id (here: in another folder, in a list)
        "incidents/mixed.yaml": "- id: CHG-2026-0011\n  kind: change\n  title: t\n",
        # a file named like an id holds it too
        "changes/CHG-2026-0012.yaml": "# to be written\n",
    })
    repository = load(WorkingTree(repo))
    assert "CHG-2026-0011" in repository.invalid_ids
    scaffold(repo, "change", CHANGE)
    assert read(repo / "changes/CHG-2026-0013.yaml")["id"] == "CHG-2026-0013"


CHANGE_TEXT = """\
id: {id}
kind: change
title: t
type: normal
requester: carol
team: team-ops
targets: [db-shop]
action: patch
effect: none
window: {{start: 2026-12-01T22:00:00+01:00, end: 2026-12-01T23:00:00+01:00}}
rollback_plan: r
"""


def test_the_year_is_taken_in_the_repository_timezone(repo: Path) -> None:
    write(repo, {"opsascode.yaml": "timezone: Asia/Tokyo\n"})
    scaffold(repo, "problem", {"title": "t"}, now=datetime(2026, 12, 31, 20, tzinfo=UTC))
    assert (repo / "problems/PRB-2027-0001.yaml").is_file()


# ------------------------------------------------------------------ refusals


def test_refuses_to_overwrite_without_force_and_replaces_with_it(repo: Path) -> None:
    path = write(repo, {"changes/CHG-2026-0005.yaml": CHANGE_TEXT.format(
        id="CHG-2026-0005")}) / "changes/CHG-2026-0005.yaml"
    before = path.read_bytes()
    with pytest.raises(FatalError, match=r"changes/CHG-2026-0005.yaml exists; pass --force"):
        scaffold(repo, "change", {**CHANGE, "id": "CHG-2026-0005"})
    assert path.read_bytes() == before
    out = scaffold(repo, "change", {**CHANGE, "id": "CHG-2026-0005"}, force=True)
    assert out.startswith("replaced changes/CHG-2026-0005.yaml\n")
    assert read(path)["title"] == "Upgrade the shop database"


def test_refuses_an_id_used_by_another_file_even_with_force(repo: Path) -> None:
    write(repo, {"changes/old.yaml": CHANGE_TEXT.format(id="CHG-2026-0005")})
    with pytest.raises(UsageError, match=r"taken by the record in changes/old.yaml"):
        scaffold(repo, "change", {**CHANGE, "id": "CHG-2026-0005"}, force=True)
    assert not (repo / "changes/CHG-2026-0005.yaml").exists()


def test_refuses_an_id_that_is_not_an_id(repo: Path) -> None:
    with pytest.raises(UsageError, match=r"id of problem '../x': .* is not a valid id"):
        scaffold(repo, "problem", {"title": "t", "id": "../x"})
    assert not (repo / "problems").exists()


def test_unknown_references_get_a_did_you_mean(repo: Path) -> None:
    with pytest.raises(UsageError) as raised:
        scaffold(repo, "change", {**CHANGE, "team": "team-opz", "targets": "db-shopp,team-ops"})
    assert str(raised.value).splitlines()[1:] == [
        "  team: there is no team 'team-opz' (did you mean 'team-ops'?)",
        "  targets: there is no asset 'db-shopp' (did you mean 'db-shop'?)",
        "  targets: 'team-ops' is a team, not an asset"]
    with pytest.raises(UsageError, match=r"affected: there is no asset 'svc-shp' \(did you "
                       r"mean 'svc-shop'\?\)"):
        scaffold(repo, "incident", {"title": "t", "affected": "svc-shp"})
    assert not (repo / "changes").exists()
    assert not (repo / "incidents").exists()


def test_missing_values_are_named_with_their_flags_and_nothing_is_asked(
        repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPSASCODE_USER")
    monkeypatch.setattr(sys, "stdin", _NoInput())
    with pytest.raises(UsageError) as raised:
        scaffold(repo, "change", {})
    assert str(raised.value) == (
        "a change needs --title TEXT, --requester HANDLE (or set OPSASCODE_USER, or run "
        "`git config --global opsascode.user HANDLE`), --team TEAM, --targets ID,ID; "
        "nothing was written")
    with pytest.raises(UsageError, match=r"^an incident needs --title TEXT;"):
        scaffold(repo, "incident", {})


class _NoInput(io.StringIO):
    def read(self, size: int | None = -1) -> str:
        raise AssertionError("the command read stdin")

    def readline(self, size: int | None = -1) -> str:
        raise AssertionError("the command read stdin")


def test_the_requester_comes_from_git_config(repo: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPSASCODE_USER")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    init_git(repo)
    git(repo, "config", "github.user", "dora")
    scaffold(repo, "change", CHANGE)
    git(repo, "config", "opsascode.user", "erin")
    scaffold(repo, "incident", {"title": "t"})
    assert read(repo / "changes/CHG-2026-0001.yaml")["requester"] == "dora"
    assert read(repo / "incidents/INC-2026-0001.yaml")["reported_by"] == "erin"


def test_a_bad_handle_says_where_it_came_from(repo: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSASCODE_USER", "carol smith")
    with pytest.raises(UsageError, match=r"'carol smith' \(from OPSASCODE_USER\) is not"):
        scaffold(repo, "change", CHANGE)


@pytest.mark.parametrize(("fields", "message"), [
    ({"window": "{start: 2026-12-01T22:00:00, end: 2026-12-01T23:00:00}"},
     r"window.start of change 'CHG-2026-0001' has no timezone"),
    ({"impact": "no"}, r"a change has no field 'impact'"),
    ({"rollback": "x"}, r"a change has no field 'rollback' \(did you mean 'rollback_plan'\?\)"),
    ({"kind": "incident"}, r"kind: the command chooses the kind"),
    ({"type": "urgent"}, r"type of change 'CHG-2026-0001': Input should be 'standard', "
                         r"'normal' or 'emergency'"),
    ({"window": "{start: 2026-12-01T22:00:00Z, end: 2026-12-01T21:00:00Z}"},
     r"would not pass `opsascode validate`.*\n  the window of change 'CHG-2026-0001' ends"),
    ({"targets": "[db-shop"}, r"targets: '\[db-shop' is not valid YAML"),
    ({"targets": "[db-shop, no]"}, r"targets: unquoted 'no' is ambiguous"),
    ({"requested_at": "012"}, r"requested_at: unquoted '012' is ambiguous"),
    ({"type": "standard"}, r"is a standard change but names no `template`"),
    ({"template": "restart-ap"}, r"there is no change template 'restart-ap' \(did you mean "
                                 r"'restart-app'\?\)"),
])
def test_bad_values_are_refused_and_nothing_is_written(repo: Path, fields: dict[str, str],
                                                       message: str) -> None:
    write(repo, {"policies/templates.yaml": TEMPLATES})
    with pytest.raises(UsageError, match=message):
        scaffold(repo, "change", {**CHANGE, **fields})
    assert not (repo / "changes").exists()


def test_an_unreadable_repository_is_refused(repo: Path) -> None:
    write(repo, {"inventory/broken.yaml": "- id: x\n  kind: [\n"})
    with pytest.raises(FatalError, match=r"inventory/broken.yaml:.*fix it first"):
        scaffold(repo, "problem", {"title": "t"})


# -------------------------------------------------------------- safe values


TRICKY = ["no", "yes", "on", "15.10", "012", "1e5", "1_000", "22:00", "null", "~", "true",
          "2026-12-01", "a: b #c", "# not a comment", 'say "hi"', "it's", "back\\slash",
          "[not, a, list]", "{not: a mapping}", "- item", "@here", "*alias", "&anchor",
          "!tag", "%percent", "|", ">", "Café ☕ 日本", " padded ", "---", "\u00a0nbsp",
          "\u200bzero width", "family \U0001f468\u200d\U0001f469"]


@pytest.mark.parametrize("title", TRICKY)
def test_tricky_titles_round_trip_as_strings(repo: Path, title: str) -> None:
    scaffold(repo, "incident", {"title": title})
    repository = load(WorkingTree(repo))
    assert repository.problems == []
    assert repository.records["INC-2026-0001"].title == title  # type: ignore[attr-defined]


def test_tricky_list_items_and_texts_round_trip(repo: Path) -> None:
    write(repo, {"inventory/more.yaml": "- {id: 'no', kind: database, owner: team-ops}\n"})
    description = "line one\nline two: with # and 'quotes'\n"
    scaffold(repo, "incident", {"title": "t", "affected": "[db-shop, 'no']",
                                "description": description})
    record = read(repo / "incidents/INC-2026-0001.yaml")
    assert (record["affected"], record["description"]) == (["db-shop", "no"], description)


@pytest.mark.parametrize("title", ["two\nlines", "carriage\rreturn", "nul\x00", "tab\there",
                                   "x\u2028y"])
def test_a_title_must_be_one_line(repo: Path, title: str) -> None:
    with pytest.raises(UsageError, match=r"must be one line of text"):
        scaffold(repo, "incident", {"title": title})
    assert not (repo / "incidents").exists()


@settings(max_examples=300, deadline=None)
@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.text()
    | st.floats(allow_nan=False) | st.datetimes(timezones=st.just(UTC)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8))
def test_dump_inline_reads_back_as_the_same_value_or_refuses(value: Any) -> None:
    try:
        text = yamlio.dump_inline(value)
    except ValueError:
        return  # e.g. a lone surrogate: nothing in YAML means it
    assert "\n" not in text
    assert yamlio.parse(text.encode("utf-8")) == (value, [])
    document = f"key: {text}\nnext: [{text}]\n".encode()
    assert yamlio.parse(document) == ({"key": value, "next": [value]}, [])


# ------------------------------------------------------------------- the CLI


def test_collect_fields_merges_flags_and_set() -> None:
    fields = collect_fields({"title": "t", "team": None},
                            ["rollback-plan=restore: it", "targets=[a, b]", "x="])
    assert fields == {"title": "t", "rollback_plan": "restore: it", "targets": "[a, b]",
                      "x": ""}
    with pytest.raises(UsageError, match=r"write FIELD=VALUE"):
        collect_fields({}, ["title"])
    with pytest.raises(UsageError, match=r"title is given twice"):
        collect_fields({"title": "t"}, ["title=u"])


def test_an_alias_and_its_field_together_are_refused(repo: Path) -> None:
    with pytest.raises(UsageError, match=r"owner is given twice"):
        scaffold(repo, "problem", {"title": "t", "team": "team-ops", "owner": "team-ops"})


def _cli_has_new() -> bool:
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        try:
            cli.main(["new", "--help"])
        except SystemExit as exc:
            return exc.code == 0
    return False


needs_cli = pytest.mark.skipif(not _cli_has_new(), reason="`new` is not in cli.py yet")


@needs_cli
def test_cli_writes_a_record_that_validates(repo: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "-C", str(repo), "new", "change", "--title", "no", "--team",
                     "team-ops", "--targets", "db-shop,app-shop", "--set",
                     "rollback_plan=restore the snapshot")
    assert (result.code, result.out) == (0, "created changes/CHG-2026-0001.yaml\n")
    assert validate(capsys, repo) == []


@needs_cli
def test_cli_does_not_wait_for_stdin(repo: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "opsascode", "-C", str(repo), "new", "change"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "a change needs --title TEXT" in done.stderr
    assert not (repo / "changes").exists()
