"""``Loader.derive`` (a revision loaded from a close one) gives exactly what a full load
of the same tree gives: records in the same order, origins, problems, ids."""

from __future__ import annotations

import textwrap

from hypothesis import given, settings
from hypothesis import strategies as st

from opsascode.blobs import blob_id
from opsascode.git import TreeEntry
from opsascode.loader import Loader
from opsascode.records import Asset, Change, Record, Team
from opsascode.records.assets import AssetBase
from opsascode.repository import Repository
from opsascode.tree import GitTree


class MemoryTree(GitTree):
    """A tree held in memory, listed without sizes like the audit's rebuilt trees."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.rev = self.commit = "memory"
        self.label = "memory"
        self._files = files
        self._blobs = {blob_id(data): data for data in files.values()}

    def entries(self, folders: tuple[str, ...]) -> list[TreeEntry]:
        under = tuple(f"{f.rstrip('/')}/" for f in folders)
        return [TreeEntry(path, "100644", blob_id(data), 0) for path, data in self._files.items()
                if path in folders or path.startswith(under)]

    def blob(self, blob_id: str) -> bytes:
        return self._blobs[blob_id]


class SnapshotMemoryTree(MemoryTree):
    """The same, knowing all its files at once (as the audit's rebuilt revisions do):
    a derived load then compares snapshots instead of listings."""

    def snapshot(self) -> dict[str, tuple[str, str]]:
        return {path: ("100644", blob_id(data)) for path, data in self._files.items()}


def _text(text: str) -> bytes:
    return textwrap.dedent(text).lstrip("\n").encode()


SETTINGS = {"opsascode.yaml": b"version: 1\nname: Derive\n"}
TEAM = _text("""
    id: team-ops
    kind: team
    name: Ops
    members: [alice, bob]
    """)


def _db(n: int, owner: str = "team-ops") -> bytes:
    return _text(f"""
        - id: db-{n}
          kind: database
          name: Database {n}
          owner: {owner}
          environment: production
          tier: 2
        """)


#: Files a revision may hold, each in a few versions (valid, invalid, broken, ...).
POOL: dict[str, list[bytes]] = {
    "inventory/teams.yaml": [TEAM],
    "inventory/db-1.yaml": [_db(1), _db(1, "team-nobody"), b"- id: db-1\n  kind: [oops\n"],
    "inventory/db-2.yaml": [_db(2), _db(2).replace(b"tier: 2", b"tier: nine"), b""],
    "inventory/db-copy.yaml": [_db(1), _db(3)],  # db-1 again: a duplicate id
    "inventory/dbs.yml": [_db(4) + _db(5)],
    "inventory/.hidden.yaml": [_db(6)],
    "inventory/readme.md": [b"# not a record\n"],
    "inventory/scalar.yaml": [b"just text\n", b"- 1\n- 2\n"],
    "changes/CHG-1.yaml": [_text("""
        id: CHG-1
        kind: change
        title: Restart
        type: normal
        requester: alice
        team: team-ops
        targets: [db-1]
        action: restart
        effect: degraded
        window: {start: 2026-12-01T22:00:00+01:00, end: 2026-12-01T23:00:00+01:00}
        rollback_plan: start it again
        """), b"id: CHG-1\nkind: change\n"],
}

tree_files = st.fixed_dictionaries(
    {}, optional={path: st.sampled_from(versions) for path, versions in POOL.items()})


def _same(derived: Repository, full: Repository) -> None:
    assert list(derived.records.items()) == list(full.records.items())
    assert derived.origins == full.origins
    assert derived.problems == full.problems
    assert derived.invalid_ids == full.invalid_ids
    assert derived.blobs == full.blobs
    assert derived.files == full.files
    assert derived.settings == full.settings
    for path in full.blobs:
        assert derived.source(path) == full.source(path)
    for cls in (Record, AssetBase, Asset, Team, Change):  # views shared with the base
        assert list(derived.of_type(cls)) == list(full.of_type(cls)), cls
    assert derived.graph().nodes() == full.graph().nodes()
    assert [derived.graph().dependencies(n) for n in full.graph().nodes()] == [
        full.graph().dependencies(n) for n in full.graph().nodes()]


@settings(max_examples=150, deadline=None)
@given(tree_files, tree_files, tree_files, st.sampled_from([MemoryTree, SnapshotMemoryTree]))
def test_a_derived_load_is_a_full_load(first: dict[str, bytes], second: dict[str, bytes],
                                       third: dict[str, bytes], kind: type[MemoryTree]
                                       ) -> None:
    loader = Loader()
    base = loader.load(kind({**SETTINGS, **first}))
    if len(first) % 2:  # views of the base worked out before, or not
        base.graph()
        list(base.of_type(Asset))
    derived = loader.derive(base, kind({**SETTINGS, **second}))
    _same(derived, Loader().load(kind({**SETTINGS, **second})))
    again = loader.derive(derived, kind({**SETTINGS, **third}))  # a derived one's layout
    _same(again, Loader().load(kind({**SETTINGS, **third})))


def test_a_small_difference_is_derived_not_reloaded() -> None:
    loader = Loader()
    files = {**SETTINGS, "inventory/teams.yaml": TEAM,
             **{f"inventory/db-{n}.yaml": _db(n) for n in range(40)}}
    base = loader.load(MemoryTree(files))
    calls: list[object] = []
    loader.load = lambda *args, **kwargs: calls.append(args)  # type: ignore[method-assign]
    changed = {**files, "inventory/db-3.yaml": _db(3, "team-nobody")}
    derived = loader.derive(base, MemoryTree(changed))
    assert calls == []  # not a full load
    assert derived.records["db-3"].owner == "team-nobody"  # type: ignore[attr-defined]
    assert derived.records["db-4"] is base.records["db-4"]  # shared, not validated again
    del loader.load
    _same(derived, loader.load(MemoryTree(changed)))


def test_other_settings_mean_a_full_load() -> None:
    loader = Loader()
    base = loader.load(MemoryTree({**SETTINGS, "inventory/teams.yaml": TEAM}))
    other = {"opsascode.yaml": b"version: 1\nfolders: {inventory: assets}\n",
             "assets/teams.yaml": TEAM, "inventory/db-1.yaml": _db(1)}
    derived = loader.derive(base, MemoryTree(other))
    assert sorted(derived.records) == ["team-ops"]
    _same(derived, Loader().load(MemoryTree(other)))


def test_views_of_records_that_did_not_change_are_the_bases() -> None:
    loader = Loader()
    files = {**SETTINGS, "inventory/teams.yaml": TEAM,
             **{f"inventory/db-{n}.yaml": _db(n) for n in range(5)}}
    base = loader.load(MemoryTree(files))
    graph, teams = base.graph(), list(base.of_type(Team))
    only_a_change = loader.derive(base, MemoryTree({**files, "changes/CHG-1.yaml":
                                                    POOL["changes/CHG-1.yaml"][0]}))
    assert only_a_change.graph() is graph  # no asset differs: the same graph
    assert list(only_a_change.of_type(Team)) == teams
    assert [c.id for c in only_a_change.of_type(Change)] == ["CHG-1"]
    an_asset = loader.derive(base, MemoryTree({**files, "inventory/db-9.yaml": _db(9)}))
    assert an_asset.graph() is not graph
    assert "db-9" in an_asset.graph().nodes()
