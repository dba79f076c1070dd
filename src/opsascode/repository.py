"""The loaded repository: valid records by id, where each came from, and problems."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from opsascode.graph import DependencyGraph
from opsascode.problems import Loc, Problem
from opsascode.records import (
    ApprovalPolicy,
    Calendar,
    Change,
    ChangeTemplate,
    Cluster,
    Incident,
    KpiTargets,
    PriorityMatrix,
    Record,
    RiskModel,
    Service,
    Sla,
    Team,
)
from opsascode.records import (
    Problem as ProblemRecord,
)
from opsascode.records.assets import AssetBase
from opsascode.records.settings import Settings
from opsascode.tree import SourceFile

R = TypeVar("R", bound=Record)


@dataclass(frozen=True)
class Origin:
    """Where a record is defined: its file and its path inside the file."""

    file: str
    loc: Loc

    def at(self, *path: str | int) -> tuple[str, Loc]:
        return self.file, (*self.loc, *path)


@dataclass
class Repository:
    settings: Settings = field(default_factory=Settings)
    records: dict[str, Record] = field(default_factory=dict)
    origins: dict[str, Origin] = field(default_factory=dict)
    #: Ids of records that exist but failed validation: references to them are
    #: not reported again as dangling.
    invalid_ids: set[str] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)
    #: File contents (or how to read them), to recover positions of problems found
    #: later; only the files with problems are ever read again.
    sources: dict[str, bytes] = field(default_factory=dict)
    readers: dict[str, Callable[[], SourceFile]] = field(default_factory=dict)
    files: int = 0
    #: path -> git blob id of every file read: what the tree's content is.
    blobs: dict[str, str] = field(default_factory=dict)
    #: The blob id of opsascode.yaml (None: none, or not known).
    settings_blob: str | None = None
    #: The loader that read it (it holds the results of its files).
    loaded_by: object = field(default=None, repr=False, compare=False)
    #: The loader's layout of the files read (a revision derived from this one
    #: copies and patches it).
    layout: object = field(default=None, repr=False, compare=False)
    #: path -> (mode, blob id) of every file of the revision, when the tree knew them
    #: all at once (the audit's rebuilt revisions), and whether a loaded one is a link.
    snapshot: dict[str, tuple[str, str]] | None = field(default=None, repr=False,
                                                        compare=False)
    has_links: bool = field(default=False, repr=False, compare=False)

    def source(self, path: str) -> bytes | None:
        if path not in self.sources and path in self.readers:
            data = self.readers.pop(path)().data
            if data is not None:
                self.sources[path] = data
        return self.sources.get(path)

    #: Records by type and the dependency graph, worked out once when first asked
    #: for (after loading); the loader clears them if records are added later.
    _by_type: dict[type, list[Record]] = field(default_factory=dict, repr=False)
    _graph: DependencyGraph | None = field(default=None, repr=False)
    #: The repository this one was derived from and the types of the records that
    #: differ (the loader's ``derive``): views of the other types are shared.
    _like: tuple[Repository, frozenset[type]] | None = field(default=None, repr=False)

    def of_type(self, cls: type[R]) -> Iterator[R]:
        found = self._by_type.get(cls)
        if found is None:
            if self._same_as_base(cls):
                assert self._like is not None
                found = list(self._like[0].of_type(cls))
            else:
                found = [r for r in self.records.values() if isinstance(r, cls)]
            self._by_type[cls] = found
        return iter(found)  # type: ignore[arg-type]

    def graph(self) -> DependencyGraph:
        """The dependency graph of the assets (built once; shared with the revision
        this one was derived from when no asset differs)."""
        if self._graph is None:
            if self._same_as_base(AssetBase):
                assert self._like is not None
                self._graph = self._like[0].graph()
            else:
                self._graph = DependencyGraph.build(self.assets())
        return self._graph

    def _same_as_base(self, cls: type) -> bool:
        """No record of type ``cls`` differs from the base's (same records, same order)."""
        return self._like is not None and not any(issubclass(t, cls) for t in self._like[1])

    def forget_indexes(self) -> None:
        self._by_type.clear()
        self._graph = None
        self._like = None

    def get(self, record_id: str, cls: type[R]) -> R | None:
        record = self.records.get(record_id)
        return record if isinstance(record, cls) else None

    def exists(self, record_id: str) -> bool:
        return record_id in self.records or record_id in self.invalid_ids

    # Typed views used across checks and commands.
    def assets(self) -> Iterator[AssetBase]:
        return self.of_type(AssetBase)

    def services(self) -> Iterator[Service]:
        return self.of_type(Service)

    def clusters(self) -> Iterator[Cluster]:
        return self.of_type(Cluster)

    def teams(self) -> Iterator[Team]:
        return self.of_type(Team)

    def changes(self) -> Iterator[Change]:
        return self.of_type(Change)

    def incidents(self) -> Iterator[Incident]:
        return self.of_type(Incident)

    def problem_records(self) -> Iterator[ProblemRecord]:
        return self.of_type(ProblemRecord)

    def approval_policies(self) -> Iterator[ApprovalPolicy]:
        return self.of_type(ApprovalPolicy)

    def risk_models(self) -> Iterator[RiskModel]:
        return self.of_type(RiskModel)

    def calendars(self) -> Iterator[Calendar]:
        return self.of_type(Calendar)

    def priority_matrices(self) -> Iterator[PriorityMatrix]:
        return self.of_type(PriorityMatrix)

    def slas(self) -> Iterator[Sla]:
        return self.of_type(Sla)

    def kpi_targets(self) -> Iterator[KpiTargets]:
        return self.of_type(KpiTargets)

    def templates(self) -> Iterator[ChangeTemplate]:
        return self.of_type(ChangeTemplate)
