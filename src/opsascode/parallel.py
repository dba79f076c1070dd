"""Parse many YAML files on two cores: the second core is otherwise idle, and parsing
is most of a cold run.

The files are split in two: a forked worker parses one half while this process
parses the other, and the worker's results come back pickled (plain data, far
cheaper to unpickle than to parse). Without ``fork`` (not on Linux), with one core,
or for a handful of files, everything is parsed here, in order.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from opsascode import yamlio

Parsed = tuple[bool, Any, list[yamlio.YamlIssue]]

#: Below these, a worker process costs more than it saves.
MIN_FILES = 8
MIN_BYTES = 2 * 1024 * 1024


def parse_one(data: bytes, max_expansion: int) -> Parsed:
    try:
        value, issues = yamlio.parse(data, max_expansion=max_expansion)
    except yamlio.YamlError as exc:
        return False, None, [exc.issue]
    return True, value, issues


def _parse_all(datas: Sequence[bytes], max_expansion: int) -> list[Parsed]:
    return [parse_one(data, max_expansion) for data in datas]


def _worth_a_worker(datas: Sequence[bytes]) -> bool:
    if not (len(datas) >= MIN_FILES and sum(map(len, datas)) >= MIN_BYTES
            and (os.cpu_count() or 1) >= 2
            and os.environ.get("OPSASCODE_WORKERS", "2") != "1"):
        return False
    import multiprocessing  # 6 ms of every start otherwise; only a big tree gets here

    return "fork" in multiprocessing.get_all_start_methods()


def parse_many(datas: Sequence[bytes], max_expansion: int) -> list[Parsed]:
    """Parse every file; results in the same order as ``datas``."""
    if not _worth_a_worker(datas):
        return _parse_all(datas, max_expansion)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    theirs, mine = datas[1::2], datas[0::2]
    context = multiprocessing.get_context("fork")
    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            future = pool.submit(_parse_all, theirs, max_expansion)
            parsed_here = _parse_all(mine, max_expansion)
            parsed_there = future.result()
    except (OSError, RuntimeError):  # no process could be started: do it all here
        return _parse_all(datas, max_expansion)
    result: list[Parsed] = []
    for index in range(len(datas)):
        result.append(parsed_here[index // 2] if index % 2 == 0 else parsed_there[index // 2])
    return result
