"""Property-based tests: no input crashes the YAML layer, the loader or the checks.

``yamlio.parse`` may raise :class:`yamlio.YamlError` and nothing else; ``loader.load``
and the checks after it never raise at all (problems are data). Inputs are arbitrary
text and bytes, YAML dumped from generated data, mutations of that YAML, and
record-shaped documents built from the real field names, ids and kinds, so that
generated files get past the parser into pydantic and the checks. Known bugs are
pinned by their own properties at the end, each with the failing example.
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from opsascode import problems as P
from opsascode import yamlio
from opsascode.blobs import blob_id
from opsascode.checks import run_checks
from opsascode.codes import CODES
from opsascode.loader import load, locate
from opsascode.records import KINDS
from opsascode.repository import Repository
from opsascode.tree import SETTINGS_FILE, YAML_SUFFIXES, SourceFile, check_content

TODAY = dt.date(2026, 11, 27)
FAST = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
LOADER = settings(max_examples=120, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# ------------------------------------------------------------------ strategies

SMALL_INTS = st.integers(min_value=-(10**12), max_value=10**12)
ZONES = st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=8)),
                         dt.timezone(dt.timedelta(hours=-5, minutes=-30))])
DATETIMES = st.datetimes(min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(2100, 1, 1),
                         timezones=ZONES)
SCALARS = st.one_of(
    st.none(), st.booleans(), SMALL_INTS, st.floats(allow_nan=False), st.text(max_size=20),
    st.dates(min_value=dt.date(1970, 1, 1), max_value=dt.date(2100, 1, 1)), DATETIMES,
)
KEYS = st.one_of(st.text(max_size=10), SMALL_INTS, st.booleans())
VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=20,
)
YAML_PUNCTUATION = [*":-[]{}&*!|>'\"#%@,?\n\t ~<=`\\", "\r\n", "---", "...", "<<: "]


@st.composite
def dumped_yaml(draw: st.DrawFn, values: st.SearchStrategy[Any] = VALUES) -> bytes:
    """Data dumped by PyYAML in one of its styles."""
    value = draw(values)
    text = yaml.safe_dump(value, default_flow_style=draw(st.sampled_from([False, True, None])),
                          allow_unicode=draw(st.booleans()), sort_keys=False,
                          explicit_start=draw(st.booleans()))
    return text.encode("utf-8")


@st.composite
def mutated(draw: st.DrawFn, source: st.SearchStrategy[bytes]) -> bytes:
    """Valid YAML, then a few edits of the kind people and merges make."""
    text = draw(source).decode("utf-8")
    for _ in range(draw(st.integers(min_value=1, max_value=5))):
        lines = text.split("\n")
        where = draw(st.integers(min_value=0, max_value=max(len(text) - 1, 0)))
        row = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        match draw(st.sampled_from(["insert", "delete", "duplicate", "swap", "indent"])):
            case "insert":
                text = text[:where] + draw(st.sampled_from(YAML_PUNCTUATION)) + text[where:]
            case "delete":
                text = text[:where] + text[where + draw(st.integers(1, 8)):]
            case "duplicate":
                text = "\n".join([*lines[:row + 1], lines[row], *lines[row + 1:]])
            case "swap":
                other = draw(st.integers(min_value=0, max_value=len(lines) - 1))
                lines[row], lines[other] = lines[other], lines[row]
                text = "\n".join(lines)
            case _:
                lines[row] = draw(st.sampled_from(["  ", "\t", " "])) + lines[row]
                text = "\n".join(lines)
    return text.encode("utf-8")


# Record-shaped data: real field names and a small pool of ids, so references
# resolve sometimes, ids collide sometimes, and the checks have something to check.
FIELDS = [
    "id", "kind", "name", "owner", "tier", "environment", "version", "depends_on", "relation",
    "members", "min_available", "leads", "roles", "on_call", "parent", "sla", "users",
    "peak_hours", "maintenance_windows", "last_verified", "lifecycle", "attributes", "type",
    "title", "template", "requester", "team", "targets", "action", "effect", "window", "start",
    "end", "requested_at", "rollback_plan", "status", "review", "result", "incidents",
    "reported_at", "detected_at", "acknowledged_at", "resolved_at", "closed_at", "impact",
    "urgency", "priority", "affected", "outages", "paused", "asset", "caused_by", "problem",
    "opened_at", "policy", "approval", "and", "or", "approval_rules", "requires", "count",
    "teams", "users", "if", "author_in_team", "deny", "message", "max_depth", "timezone",
    "freeze", "maintenance", "peak", "rrule", "duration", "holidays", "country", "matrix",
    "notify", "availability", "calendar", "response", "actions", "weights", "thresholds",
]
IDS = ["team-a", "team-b", "svc-a", "svc-b", "db-a", "cl-a", "sla-a", "cal-a", "tpl-a",
       "CHG-1", "INC-1", "PRB-1", "rule-a", "Bad Id", ""]
WORDS = ["high", "medium", "low", "P1", "P2", "normal", "standard", "emergency", "restart",
         "outage", "none", "completed", "resolved", "closed", "production", "4h", "15m",
         "09:00", "FREQ=WEEKLY;BYDAY=SU", "FREQ=NOPE", "DE", "XX", "Europe/Berlin", "Mars/X"]
RECORD_SCALARS = st.one_of(
    st.sampled_from(IDS), st.sampled_from(KINDS), st.sampled_from(WORDS),
    st.integers(min_value=-2, max_value=6), st.booleans(), st.none(), DATETIMES,
    st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2030, 1, 1)),
    st.dates(min_value=dt.date(2010, 1, 1), max_value=dt.date(2030, 1, 1)),
)
RECORD_VALUES = st.recursive(
    RECORD_SCALARS,
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.sampled_from(FIELDS), children, max_size=4),
    max_leaves=12,
)


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    record: dict[str, Any] = {"id": draw(st.sampled_from(IDS)),
                              "kind": draw(st.sampled_from(KINDS))}
    record.update(draw(st.dictionaries(st.sampled_from(FIELDS), RECORD_VALUES, max_size=6)))
    return record


# Records of the right shape with plausible values: most of them validate, so the
# checks (references, graph, windows, policies) run on them.
HANDLES = st.sampled_from(["alice", "bob", "carol", "zed"])
TEAM_IDS = st.sampled_from(["team-a", "team-b", "svc-a"])
ASSET_IDS = st.sampled_from(["svc-a", "svc-b", "db-a", "cl-a", "team-a", "nope"])
RECORD_IDS = st.sampled_from(["CHG-1", "INC-1", "PRB-1", "svc-a", "nope"])
AWARE = st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2026, 1, 3),
                     timezones=ZONES)
LEVELS = st.sampled_from(["high", "medium", "low"])
RULE_NAMES = st.sampled_from(["r1", "r2", "r3"])
APPROVAL_TREE = st.recursive(
    RULE_NAMES,
    lambda kids: st.fixed_dictionaries({"or": st.lists(kids, max_size=3)})
    | st.fixed_dictionaries({"and": st.lists(kids, max_size=3)}),
    max_leaves=8,
)
REQUIRES = st.fixed_dictionaries({}, optional={
    "count": st.integers(0, 4), "teams": st.lists(TEAM_IDS, max_size=2),
    "users": st.lists(HANDLES, max_size=2),
    "roles": st.lists(st.sampled_from(["cab", "qa", "tech-support"]), max_size=2),
    "owners_of": st.lists(st.sampled_from(["targets", "impacted_services"]), max_size=1)})
WINDOW = st.fixed_dictionaries({"name": st.sampled_from(["w1", "w2"]), "start": AWARE}, optional={
    "end": AWARE, "duration": st.sampled_from(["1h", "2d"]),
    "rrule": st.sampled_from(["FREQ=WEEKLY;BYDAY=SU", "FREQ=DAILY;COUNT=3", "FREQ=NOPE", ""])})
SHAPED = st.one_of(
    st.fixed_dictionaries({"id": ASSET_IDS, "kind": st.sampled_from(["service", "database",
                                                                     "cluster", "vm"])},
                          optional={"owner": TEAM_IDS, "tier": st.integers(0, 3),
                                    "depends_on": st.lists(ASSET_IDS | st.fixed_dictionaries(
                                        {"id": ASSET_IDS, "relation": st.sampled_from(
                                            ["uses", "runs_on", "replicates_to"])}), max_size=3),
                                    "members": st.lists(ASSET_IDS, min_size=1, max_size=3),
                                    "min_available": st.integers(1, 4),
                                    "sla": st.sampled_from(["sla-a", "nope"]),
                                    "maintenance_windows": st.lists(st.sampled_from(["w1", "x"]),
                                                                    max_size=1),
                                    "last_verified": st.dates(dt.date(2010, 1, 1),
                                                              dt.date(2026, 1, 1))}),
    st.fixed_dictionaries({"id": TEAM_IDS, "kind": st.just("team")}, optional={
        "members": st.lists(HANDLES, max_size=3), "leads": st.lists(HANDLES, max_size=2),
        "on_call": HANDLES, "parent": TEAM_IDS,
        "roles": st.lists(st.sampled_from(["cab", "tech-support"]), max_size=2)}),
    st.fixed_dictionaries({
        "id": RECORD_IDS, "kind": st.just("change"), "title": st.just("t"),
        "type": st.sampled_from(["standard", "normal", "emergency"]), "requester": HANDLES,
        "team": TEAM_IDS, "targets": st.lists(ASSET_IDS, min_size=1, max_size=3),
        "action": st.sampled_from(["restart", "upgrade"]),
        "effect": st.sampled_from(["outage", "none"]),
        "window": st.fixed_dictionaries({"start": AWARE, "end": AWARE})}, optional={
        "template": st.sampled_from(["tpl-a", "svc-a"]), "requested_at": AWARE,
        "status": st.sampled_from(["requested", "completed"]), "rollback_plan": st.just("x"),
        "review": st.fixed_dictionaries({"result": st.just("failed"),
                                         "incidents": st.lists(RECORD_IDS, max_size=2)})}),
    st.fixed_dictionaries({
        "id": RECORD_IDS, "kind": st.just("incident"), "title": st.just("t"),
        "reported_at": AWARE, "impact": LEVELS, "urgency": LEVELS}, optional={
        "detected_at": AWARE, "acknowledged_at": AWARE, "resolved_at": AWARE,
        "closed_at": AWARE, "status": st.sampled_from(["open", "resolved", "closed"]),
        "priority": st.sampled_from(["P1", "P2", "P3", "P4"]),
        "affected": st.lists(ASSET_IDS, max_size=2), "caused_by": RECORD_IDS,
        "problem": RECORD_IDS, "team": TEAM_IDS,
        "outages": st.lists(st.fixed_dictionaries({"asset": ASSET_IDS, "start": AWARE},
                                                  optional={"end": AWARE}), max_size=2),
        "paused": st.lists(st.fixed_dictionaries({"start": AWARE, "end": AWARE}), max_size=2)}),
    st.fixed_dictionaries({"id": RECORD_IDS, "kind": st.just("problem"), "title": st.just("t"),
                           "opened_at": AWARE}, optional={
        "incidents": st.lists(RECORD_IDS, max_size=2), "fixed_by": RECORD_IDS,
        "owner": TEAM_IDS}),
    st.fixed_dictionaries({"id": st.sampled_from(["ap-1", "ap-2"]),
                           "kind": st.just("approval-policy"),
                           "policy": st.fixed_dictionaries({"approval": st.lists(
                               APPROVAL_TREE, max_size=3)}, optional={
                               "disapproval": st.fixed_dictionaries({"requires": REQUIRES})})},
                          optional={
        "max_depth": st.integers(1, 3),
        "approval_rules": st.lists(st.fixed_dictionaries({"name": RULE_NAMES}, optional={
            "requires": REQUIRES, "if": st.fixed_dictionaries({}, optional={
                "author_in_team": st.lists(TEAM_IDS, max_size=2),
                "lead_time_below": st.just("2d")})}), max_size=3),
        "emergency": st.fixed_dictionaries({"rule": RULE_NAMES,
                                            "retro_approval_within": st.just("1d")}),
        "protected_paths": st.fixed_dictionaries({"rule": RULE_NAMES})}),
    st.fixed_dictionaries({"id": st.sampled_from(["cal-a", "sla-a"]),
                           "kind": st.just("calendar")}, optional={
        "timezone": st.sampled_from(["UTC", "Europe/Berlin", "Nope/Nope"]),
        "holidays": st.fixed_dictionaries({}, optional={
            "country": st.sampled_from(["DE", "XX", "US"]),
            "subdivision": st.sampled_from(["BE", "CA", "XX"])}),
        "freeze": st.lists(st.fixed_dictionaries({"name": st.just("f"), "start": AWARE,
                                                  "end": AWARE}), max_size=2),
        "maintenance": st.lists(WINDOW, max_size=2), "peak": st.lists(WINDOW, max_size=1)}),
    st.fixed_dictionaries({"id": st.sampled_from(["sla-a", "pm-a"]), "kind": st.just("sla"),
                           "availability": st.floats(0, 100)},
                          optional={"calendar": st.sampled_from(["cal-a", "nope"])}),
    st.fixed_dictionaries({"id": st.sampled_from(["pm-a", "pm-b"]),
                           "kind": st.just("priority-matrix"),
                           "matrix": st.fixed_dictionaries({
                               level: st.fixed_dictionaries({
                                   u: st.sampled_from(["P1", "P2", "P3", "P4"])
                                   for u in ("high", "medium", "low")})
                               for level in ("high", "medium", "low")})}),
)

RECORD_FILES = dumped_yaml(st.one_of(
    records(), st.lists(records(), max_size=4), SHAPED, st.lists(SHAPED, max_size=6)))
FOLDERS = ["inventory", "policies", "changes", "incidents", "problems"]
FILE_CONTENT = st.one_of(
    RECORD_FILES, mutated(RECORD_FILES), st.binary(max_size=200),
    st.text(max_size=200).map(lambda t: t.encode("utf-8")),
)
SETTINGS_CONTENT = st.one_of(
    st.none(),
    dumped_yaml(st.dictionaries(
        st.sampled_from(["version", "name", "timezone", "max_file_size", "stale_after_days",
                         "max_alias_expansion", "default_branch", "colour"]),
        RECORD_SCALARS, max_size=3)),
    st.binary(max_size=50),
)


# ---------------------------------------------------------------- the fake tree


@dataclass
class MemoryTree:
    """The Tree protocol over a dict of paths to bytes: no disk, no git."""

    contents: dict[str, bytes] = field(default_factory=dict)
    settings: bytes | None = None
    label: str = "memory"

    def read_settings(self) -> SourceFile | None:
        if self.settings is None:
            return None
        return self._source(SETTINGS_FILE, self.settings, 10 * 1024 * 1024)

    def files(self, folders: tuple[str, ...], max_size: int) -> Iterator[SourceFile]:
        for path in sorted(self.contents):
            if path.split("/", 1)[0] in folders and path.endswith(YAML_SUFFIXES):
                yield self._source(path, self.contents[path], max_size)

    @staticmethod
    def _source(path: str, data: bytes, max_size: int) -> SourceFile:
        if len(data) > max_size:
            return SourceFile(path, "", None, P.error(path, "file-too-large", "too large",
                                                      line=1, column=1))
        bad = check_content(path, data)
        return SourceFile(path, blob_id(data), None if bad else data, bad)


@st.composite
def trees(draw: st.DrawFn) -> MemoryTree:
    names = draw(st.lists(st.tuples(st.sampled_from(FOLDERS),
                                    st.text(string.ascii_lowercase, min_size=1, max_size=3)),
                          min_size=1, max_size=5, unique=True))
    contents = {f"{folder}/{name}.yaml": draw(FILE_CONTENT) for folder, name in names}
    return MemoryTree(contents, draw(SETTINGS_CONTENT))


# ------------------------------------------------------------------- helpers


def _known_bug(data: bytes, exc: BaseException) -> bool:
    """Crashes already pinned elsewhere, tolerated here so that these broad
    properties keep looking for new ones. None are known today."""
    return False


def _parse(data: bytes) -> tuple[Any, list[yamlio.YamlIssue]] | None:
    """Parse (None when the file is refused); issues and errors must be well-formed,
    and any other exception than YamlError fails the test, unless it is a known bug."""
    try:
        value, issues = yamlio.parse(data)
    except yamlio.YamlError as exc:
        _assert_issue(exc.issue)
        return None
    except Exception as exc:
        if _known_bug(data, exc):
            return None
        raise
    for issue in issues:
        _assert_issue(issue)
    return value, issues


def _parse_strictly(data: bytes) -> None:
    """Parse; only YamlError may escape (for the properties pinning known bugs)."""
    try:
        yamlio.parse(data)
    except yamlio.YamlError as exc:
        _assert_issue(exc.issue)


def _load(tree: MemoryTree) -> Repository | None:
    try:
        return load(tree)
    except Exception as exc:
        if any(_known_bug(data, exc) for data in [*tree.contents.values(), tree.settings or b""]):
            return None
        raise


def _assert_issue(issue: yamlio.YamlIssue) -> None:
    assert issue.code in CODES, issue
    assert issue.line >= 1 and issue.column >= 1, issue
    assert issue.message and "\n" not in issue.message, issue


# -------------------------------------------------------------- the parser


@FAST
@given(st.text())
def test_parse_never_crashes_on_text(text: str) -> None:
    _parse(text.encode("utf-8"))


@FAST
@given(st.binary())
def test_parse_never_crashes_on_bytes(data: bytes) -> None:
    _parse(data)


@FAST
@given(dumped_yaml())
def test_parse_reads_dumped_data(data: bytes) -> None:
    # PyYAML writes YAML 1.1, so some strings come back reported as ambiguous,
    # but every dump is readable: no syntax error, no crash.
    parsed = _parse(data)
    assert parsed is not None, data


@FAST
@given(mutated(dumped_yaml()))
def test_parse_never_crashes_on_mutated_yaml(data: bytes) -> None:
    _parse(data)


@FAST
@given(st.from_regex(r"[-+]?[0-9]{0,3}[._:]?[0-9]{0,3}(?:[eE][-+]?[0-9])?", fullmatch=True))
def test_number_like_scalars_are_kept_or_reported(text: str) -> None:
    # The promise of yamlio's resolver: a plain scalar either means the same in YAML
    # 1.1 (PyYAML) or is reported and kept as written.
    parsed = _parse(f"v: {text}\n".encode())
    if parsed is None:
        return  # e.g. "v: -1:" is not a scalar at all
    value, issues = parsed
    if issues:
        assert [i.code for i in issues] == ["ambiguous-scalar"]
        assert value == {"v": text}


# ------------------------------------------------------------ the loader


@LOADER
@given(trees())
def test_load_and_checks_never_raise(tree: MemoryTree) -> None:
    repo = _load(tree)
    if repo is None:
        return
    for problem in repo.problems + run_checks(repo, TODAY):
        assert problem.code in CODES, problem


@LOADER
@given(trees())
def test_every_problem_points_inside_its_file(tree: MemoryTree) -> None:
    repo = _load(tree)
    if repo is None:
        return
    sources = {**tree.contents, SETTINGS_FILE: tree.settings or b""}
    for problem in repo.problems + locate(repo, run_checks(repo, TODAY)):
        data = sources[problem.file]
        # libyaml reports an error at the end of a file without a final newline on
        # the line after the last one (golden case yaml-syntax-at-end-of-file).
        last_line = data.count(b"\n") + (1 if data.endswith(b"\n") else 2)
        assert 1 <= problem.line <= last_line, problem
        assert problem.column >= 1, problem


# --------------------------------------------------------------- known bugs


@settings(max_examples=50, deadline=None)
@given(st.sampled_from(["!!int", "!!float", "!!bool", "!!timestamp"]),
       st.text(string.ascii_letters, min_size=1, max_size=8))
@example("!!int", "many")
def test_explicit_tags_never_crash(tag: str, text: str) -> None:
    _parse_strictly(f"v: {tag} {text}\n".encode())


@settings(max_examples=10, deadline=None)
@given(st.integers(min_value=4301, max_value=6000))
@example(5000)
def test_huge_integers_never_crash(digits: int) -> None:
    _parse_strictly(b"v: " + b"9" * digits + b"\n")


@settings(max_examples=10, deadline=None)
@given(st.sampled_from(["-.5", "+.5", "-.25"]))
@example("-.5")
def test_plain_numbers_mean_the_same_in_yaml_1_1(text: str) -> None:
    parsed = _parse(f"v: {text}\n".encode())
    assert parsed is not None
    value, issues = parsed
    if not issues:
        assert value == yaml.safe_load(f"v: {text}\n")
