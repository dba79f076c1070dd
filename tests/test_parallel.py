from __future__ import annotations

import os
import time

import pytest

from opsascode import parallel


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


def test_a_copys_second_job_comes_back_on_its_own() -> None:
    """``then`` runs in the copy after the result is handed over: the result does not
    wait for it, and it comes back when done; a failing or unwanted one costs nothing."""
    def slowly() -> str:
        time.sleep(1.0)
        return "then"

    began = time.monotonic()
    copy = parallel.Forked(lambda: "first", then=slowly)
    assert copy.result() == "first"
    assert time.monotonic() - began < 0.9  # not held back by the second job
    assert copy.later(0.0) is None  # not yet
    assert copy.later(30.0) == "then"
    assert copy.later(0.0) is None  # taken once
    copy.close()

    def fails() -> str:
        raise RuntimeError("the second job fails")

    failed = parallel.Forked(lambda: 1, then=fails)
    assert failed.result() == 1 and failed.later(30.0) is None
    failed.close()

    def forever() -> None:
        time.sleep(60)

    began = time.monotonic()
    stopped = parallel.Forked(lambda: 2, then=forever)
    assert stopped.result() == 2
    stopped.close()  # the copy is stopped in its second job, not waited for
    assert stopped.later(0.0) is None
    assert time.monotonic() - began < 10
