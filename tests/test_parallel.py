from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from opsascode import countries, parallel
from opsascode.cache import ParseCache
from testing.repos import commit_all, git, init_git, write


def test_two_cores_give_the_same_results_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_FILES", 2)
    monkeypatch.setattr(parallel, "MIN_BYTES", 0)
    datas = [f"- id: a{i}\n  kind: server\n  n: {i}\n".encode() for i in range(9)]
    datas[4] = b"broken: [\n"
    datas[7] = b"flag: no\n"
    assert parallel._worth_a_worker(datas)
    both = parallel.parse_many(datas, 100)
    monkeypatch.setenv("OPSASCODE_WORKERS", "1")
    assert not parallel._worth_a_worker(datas)
    assert both == parallel.parse_many(datas, 100)
    assert [ok for ok, _, _ in both] == [True] * 4 + [False] + [True] * 4
    assert both[8][1] == [{"id": "a8", "kind": "server", "n": 8}]
    assert [i.code for i in both[7][2]] == ["ambiguous-scalar"]


def test_few_small_files_stay_in_this_process() -> None:
    assert not parallel._worth_a_worker([b"a: 1\n"] * 3)


# ------------------------------------------------------------- the parse ahead

YAML = {
    "inventory/a.yaml": "- id: a\n  kind: server\n",
    "changes/CHG-1.yml": "id: CHG-1\nwhen: 2026-11-20T10:00:00+01:00\nflag: no\n",
    "inventory/aliases.yaml": "base: &b {x: 1}\nother: *b\n",
    "inventory/binary.yaml": b"a: 1\n\0\n",
    "inventory/latin1.yaml": b"name: caf\xe9\n",
    "docs/readme.md": "# not YAML\n",
}


@pytest.fixture
def tip(tmp_path: Path) -> Path:
    (tmp_path / "repo").mkdir()
    root = write(init_git(tmp_path / "repo"), YAML)
    (root / "inventory/link.yaml").symlink_to("a.yaml")
    commit_all(root, "files")
    return root


def blob(root: Path, path: str) -> str:
    return git(root, "rev-parse", f"HEAD:{path}").strip()


def finished(ahead: parallel.ParseAhead, monkeypatch: pytest.MonkeyPatch,
             ids: set[str]) -> dict[str, parallel.Parsed]:
    """What the worker parsed of ``ids``, waiting for it as long as it takes."""
    monkeypatch.setattr(parallel, "AHEAD_WAIT", 60.0)
    return {b: p for b, p in ahead.results(wait=True).items() if b in ids}


def test_a_parse_ahead_gives_what_this_process_would_parse(
        tip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = {path: blob(tip, path) for path in YAML}
    ahead = parallel.ParseAhead(tip, "main")
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
    ahead = parallel.ParseAhead(root, "main")
    assert len(finished(ahead, monkeypatch, {blob(root, "policies/cal.yaml")})) == 1
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
    got = finished(parallel.ParseAhead(tip, "main", cache), monkeypatch, ids)
    assert set(got) == {blob(tip, "changes/CHG-1.yml")}
    monkeypatch.setattr(parallel, "AHEAD_MAX_BYTES", 10)
    big = parallel.ParseAhead(tip, "main")
    assert finished(big, monkeypatch, ids) == {}
    listed = big.tip()  # the files are still listed
    assert listed is not None and listed[0] == git(tip, "rev-parse", "HEAD").strip()
    assert listed[1]["inventory/link.yaml"][0] == "120000"
    assert big.tip() is None  # handed over once


def test_a_parse_ahead_of_an_unknown_revision_or_without_workers_gives_nothing(
        tip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = {blob(tip, p) for p in YAML}
    unknown = parallel.ParseAhead(tip, "no-such-branch")
    assert finished(unknown, monkeypatch, ids) == {}
    assert unknown.texts() == {}
    monkeypatch.setenv("OPSASCODE_WORKERS", "1")
    alone = parallel.ParseAhead(tip, "main")
    assert (alone.results(wait=True), alone.texts()) == ({}, {})
    alone.close()


def test_a_slow_or_failing_worker_is_not_waited_for(
        tip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def slow(*_args: object) -> object:
        time.sleep(60)
        raise AssertionError("never here")

    monkeypatch.setattr(parallel, "_parse_revision", slow)
    ahead = parallel.ParseAhead(tip, "main")
    began = time.monotonic()
    assert ahead.results(wait=False) == {}
    assert ahead.results(wait=True) == {}  # gives up after AHEAD_WAIT
    assert ahead.results(wait=True) == {}  # and waits only once
    assert ahead.texts() == {}
    ahead.close()  # stops it
    assert time.monotonic() - began < 10

    def failing(*_args: object) -> object:
        raise RuntimeError("the worker fails")

    monkeypatch.setattr(parallel, "_parse_revision", failing)
    assert finished(parallel.ParseAhead(tip, "main"), monkeypatch, {"x"}) == {}


# ------------------------------------------------------------------ a forked copy


def test_a_forked_copy_returns_its_result_or_none(monkeypatch: pytest.MonkeyPatch) -> None:
    let_go: list[int] = []
    copy = parallel.Forked(lambda: {"pid": os.getpid(), "seen": list(let_go)},
                           lambda: let_go.append(1))
    found = copy.result()
    assert found is not None and found["pid"] != os.getpid() and found["seen"] == [1]
    assert let_go == []  # ``before`` ran in the copy only

    def fails() -> None:
        raise RuntimeError("the work fails")

    assert parallel.Forked(fails, lambda: None).result() is None

    def no_fork() -> int:
        raise OSError("no more processes")

    def slow() -> None:
        time.sleep(60)

    began = time.monotonic()
    stopped = parallel.Forked(slow, lambda: None)
    stopped.close()  # a copy no longer wanted is stopped, not waited for
    assert time.monotonic() - began < 10
    assert stopped.result() is None

    monkeypatch.setattr(os, "fork", no_fork)
    assert parallel.Forked(lambda: 1, lambda: None).result() is None


def test_a_copy_that_gave_its_result_is_reaped_once_it_has_ended() -> None:
    copy = parallel.Forked(lambda: os.getpid())
    pid = copy._pid
    assert pid is not None and copy.result() == pid
    deadline = time.monotonic() + 10
    while pid in parallel._UNREAPED and time.monotonic() < deadline:
        time.sleep(0.01)
        parallel._reap_finished()
    assert pid not in parallel._UNREAPED
    with pytest.raises(ChildProcessError):  # no zombie left behind
        os.waitpid(pid, os.WNOHANG)
