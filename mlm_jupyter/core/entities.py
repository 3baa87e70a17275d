"""Entities returned by the API: frozen dataclasses built from store records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping

__all__ = ["Artifact", "Experiment", "Run", "RunData", "RunInfo", "RunInput", "to_datetime"]


def to_datetime(epoch: float | None) -> datetime | None:
    """Store times are epoch seconds; the API speaks timezone-aware UTC datetimes."""
    return None if epoch is None else datetime.fromtimestamp(float(epoch), tz=timezone.utc)


@dataclass(frozen=True)
class Experiment:
    id: str
    name: str
    created_at: datetime | None
    runs: int = 0
    last_run: datetime | None = None

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Experiment:
        return cls(id=record["id"], name=record["name"], created_at=to_datetime(record.get("created_at")),
                   runs=int(record.get("runs") or 0), last_run=to_datetime(record.get("last_run")))


@dataclass(frozen=True)
class Artifact:
    path: str
    sha256: str
    size: int
    created_at: datetime | None = None


@dataclass(frozen=True)
class RunInput:
    """A dataset a run used: ``(name, role, fingerprint)`` (iterable like a tuple)."""

    name: str
    role: str
    fingerprint: Any

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter((self.name, self.role, self.fingerprint))

    def __getitem__(self, index: int) -> Any:
        return (self.name, self.role, self.fingerprint)[index]

    def __len__(self) -> int:
        return 3


@dataclass(frozen=True)
class RunInfo:
    """``run.info``: the run's identity and lifecycle, under the names MLflow users know."""

    run_id: str
    run_name: str
    experiment: str
    status: str
    start_time: datetime | None
    end_time: datetime | None
    user_id: str | None
    parent_run_id: str | None

    @property
    def run_uuid(self) -> str:
        return self.run_id


@dataclass(frozen=True)
class RunData:
    """``run.data``: params, latest metrics and tags, under the names MLflow users know."""

    params: Mapping[str, str]
    metrics: Mapping[str, float]
    tags: Mapping[str, str]


@dataclass(frozen=True)
class Run:
    """One tracked run, as stored.

    ``metrics`` holds the latest value per key; ``inputs`` the datasets it used;
    ``cell`` the cell record that made it (kernel capture); ``provenance`` git
    and environment facts; ``staleness`` the reasons the run may not be
    reproducible top to bottom (empty when it is).
    """

    id: str
    name: str
    experiment: str
    status: str
    start_time: datetime | None
    end_time: datetime | None = None
    params: Mapping[str, str] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    inputs: tuple[RunInput, ...] = ()
    artifacts: tuple[Artifact, ...] = ()
    cell: Mapping[str, Any] | None = None
    provenance: Mapping[str, Any] = field(default_factory=dict)
    staleness: tuple[str, ...] = ()
    user: str | None = None
    parent_run_id: str | None = None
    source: str | None = None
    status_reason: str | None = None
    outputs: tuple[RunInput, ...] = ()
    previous_run_id: str | None = None

    @property
    def run_id(self) -> str:
        return self.id

    @property
    def info(self) -> RunInfo:
        """MLflow's ``run.info`` view (``run.info.run_id``, ``.status`` ...); the same facts as the fields."""
        return RunInfo(run_id=self.id, run_name=self.name, experiment=self.experiment, status=self.status,
                       start_time=self.start_time, end_time=self.end_time, user_id=self.user,
                       parent_run_id=self.parent_run_id)

    @property
    def data(self) -> RunData:
        """MLflow's ``run.data`` view (``run.data.params``, ``.metrics``, ``.tags``)."""
        return RunData(params=self.params, metrics=self.metrics, tags=self.tags)

    @property
    def code(self) -> str | None:
        """The source of the cell that made the run (``%%track``), when it is known."""
        return None if not self.cell else self.cell.get("source")

    @property
    def duration(self) -> float | None:
        """Seconds from start to end (``None`` while running)."""
        if self.start_time is None or self.end_time is None:
            return None
        return (self.end_time - self.start_time).total_seconds()

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Run:
        return cls(
            id=record["run_id"], name=record["name"], experiment=record["experiment"],
            status=record["status"], start_time=to_datetime(record.get("start_time")),
            end_time=to_datetime(record.get("end_time")),
            params=dict(record.get("params") or {}), metrics=dict(record.get("metrics") or {}),
            tags=dict(record.get("tags") or {}),
            inputs=tuple(_run_input(i) for i in record.get("inputs") or () if i.get("direction", "input") == "input"),
            outputs=tuple(_run_input(i) for i in record.get("inputs") or () if i.get("direction") == "output"),
            artifacts=tuple(Artifact(a["path"], a["sha256"], int(a["size"]), to_datetime(a.get("created_at")))
                            for a in record.get("artifacts") or ()),
            cell=record.get("cell"), provenance=dict(record.get("provenance") or {}),
            staleness=tuple(record.get("staleness") or ()), user=record.get("user_name"),
            parent_run_id=record.get("parent_run_id"), source=record.get("source"),
            status_reason=record.get("status_reason"), previous_run_id=record.get("previous_run_id"),
        )


def _run_input(record: Mapping[str, Any]) -> RunInput:
    fingerprint: Any = record.get("fingerprint")
    if isinstance(fingerprint, Mapping):
        try:
            from mlm_jupyter.core.fingerprint import Fingerprint  # built by the data-versioning layer

            fingerprint = Fingerprint.from_dict(dict(fingerprint))
        except ImportError:
            pass
    return RunInput(name=str(record.get("name") or record.get("dataset")), role=str(record.get("role") or "input"),
                    fingerprint=fingerprint)
