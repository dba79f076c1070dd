from __future__ import annotations

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
