"""The parse-ahead worker: what it parses, reads and lists of a revision, and what
the audit's process gets when it is slow, fails or cannot start."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from opsascode import countries, parallel, parseahead
from opsascode.cache import ParseCache
from testing.repos import commit_all, git, init_git, write

YAML = {
    "inventory/a.yaml": "- id: a\n  kind: server\n",
    "changes/CHG-1.yml": "id: CHG-1\nwhen: 2026-11-20T10:00:00+01:00\nflag: no\n",
    "inventory/aliases.yaml": "base: &b {x: 1}\nother: *b\n",
    "inventory/binary.yaml": b"a: 1\n\0\n",
    "inventory/latin1.yaml": b"name: caf\xe9\n",
    "docs/readme.md": "# not YAML\n",
}


@pytest.fixture(autouse=True)
def closed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every worker a test starts is closed after it (its files and pipe with it)."""
    made: list[parseahead.ParseAhead] = []
    start = parseahead.ParseAhead.__init__

    def init(self: parseahead.ParseAhead, *args: Any) -> None:
        start(self, *args)
        made.append(self)

    monkeypatch.setattr(parseahead.ParseAhead, "__init__", init)
    yield
    for ahead in made:
        ahead.close()


@pytest.fixture
def tip(tmp_path: Path) -> Path:
    (tmp_path / "repo").mkdir()
    root = write(init_git(tmp_path / "repo"), YAML)
    (root / "inventory/link.yaml").symlink_to("a.yaml")
    commit_all(root, "files")
    return root


def blob(root: Path, path: str) -> str:
    return git(root, "rev-parse", f"HEAD:{path}").strip()


def finished(ahead: parseahead.ParseAhead, monkeypatch: pytest.MonkeyPatch,
             ids: set[str]) -> dict[str, parallel.Parsed]:
    """What the worker parsed of ``ids``, waiting for it as long as it takes."""
    monkeypatch.setattr(parseahead, "AHEAD_WAIT", 60.0)
    return {b: p for b, p in ahead.results(wait=True).items() if b in ids}


def test_a_parse_ahead_gives_what_this_process_would_parse(
        tip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = {path: blob(tip, path) for path in YAML}
    ahead = parseahead.ParseAhead(tip, "main")
    got = finished(ahead, monkeypatch, set(ids.values()))
    plain = ("inventory/a.yaml", "changes/CHG-1.yml")
    assert got == {ids[p]: parallel.parse_one((tip / p).read_bytes(), 100) for p in plain}
    assert [i.code for i in got[ids["changes/CHG-1.yml"]][2]] == ["ambiguous-scalar"]
    # Aliases (their limit is a setting), binary and non-UTF-8 files are read, not parsed.
    texts = ahead.texts()
    assert texts == {ids[p]: (tip / p).read_bytes() for p in YAML if p.endswith((".yaml", ".yml"))
                     and p != "docs/readme.md"}
    assert ahead.texts() == {}  # handed over once
    assert ahead.results(wait=True) == {}  # and the results once
    ahead.close()


def test_a_parse_ahead_answers_for_the_holidays_of_the_tip_calendars(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker asks the holidays library about the tip's calendars; once its
    results are taken, this process knows the answers without loading the library."""
    (tmp_path / "repo").mkdir()
    root = write(init_git(tmp_path / "repo"), {
        "policies/cal.yaml": "- id: business\n  kind: calendar\n  holidays: "
                             "{country: DE, subdivision: ZZ}\n",
        "policies/other.yaml": "id: x\nkind: calendar\nholidays: {country: XX}\n"})
    commit_all(root, "calendars")
    monkeypatch.setattr(countries, "_KNOWN", {})
    ahead = parseahead.ParseAhead(root, "main")
    assert len(finished(ahead, monkeypatch, {blob(root, "policies/cal.yaml")})) == 1
    assert ahead.holidays(wait=True)  # its second job, handed over on its own
    assert not ahead.holidays(wait=True)  # once
    assert set(countries._KNOWN) == {("DE", None), ("DE", "ZZ"), ("XX", None)}
    assert countries._KNOWN[("DE", None)] is None
    assert "not a subdivision of DE" in (countries._KNOWN[("DE", "ZZ")] or "")
    assert "not a supported" in (countries._KNOWN[("XX", None)] or "")
    monkeypatch.setattr(countries, "_asked", None)  # never asked again here
    assert countries.holiday_error("DE", "ZZ") == countries._KNOWN[("DE", "ZZ")]
    ahead.close()


def test_a_parse_ahead_skips_cached_files_and_gives_up_on_big_trees(
        tip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = ParseCache(tmp_path / "cache")
    cached = blob(tip, "inventory/a.yaml")
    cache.put(cached, (True, [], []))
    ids = {blob(tip, p) for p in YAML}
    got = finished(parseahead.ParseAhead(tip, "main", cache), monkeypatch, ids)
    assert set(got) == {blob(tip, "changes/CHG-1.yml")}
    monkeypatch.setattr(parseahead, "AHEAD_MAX_BYTES", 10)
    big = parseahead.ParseAhead(tip, "main")
    assert finished(big, monkeypatch, ids) == {}
    listed = big.tip()  # the files are still listed
    assert listed is not None and listed[0] == git(tip, "rev-parse", "HEAD").strip()
    assert listed[1]["inventory/link.yaml"][0] == "120000"
    assert big.tip() is None  # handed over once


def test_a_parse_ahead_of_an_unknown_revision_or_without_workers_gives_nothing(
        tip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = {blob(tip, p) for p in YAML}
    unknown = parseahead.ParseAhead(tip, "no-such-branch")
    assert finished(unknown, monkeypatch, ids) == {}
    assert unknown.texts() == {}
    monkeypatch.setenv("OPSASCODE_WORKERS", "1")
    alone = parseahead.ParseAhead(tip, "main")
    assert (alone.results(wait=True), alone.texts()) == ({}, {})
    alone.close()


def test_a_slow_or_failing_worker_is_not_waited_for(
        tip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def slow(*_args: object) -> object:
        time.sleep(60)
        raise AssertionError("never here")

    monkeypatch.setattr(parseahead, "_parse_revision", slow)
    ahead = parseahead.ParseAhead(tip, "main")
    began = time.monotonic()
    assert ahead.results(wait=False) == {}
    assert ahead.results(wait=True) == {}  # gives up after AHEAD_WAIT
    assert ahead.results(wait=True) == {}  # and waits only once
    assert ahead.texts() == {}
    ahead.close()  # stops it
    assert time.monotonic() - began < 10

    def failing(*_args: object) -> object:
        raise RuntimeError("the worker fails")

    monkeypatch.setattr(parseahead, "_parse_revision", failing)
    assert finished(parseahead.ParseAhead(tip, "main"), monkeypatch, {"x"}) == {}


