"""Entities of data versioning: dataset versions, datasets and lineage graphs (frozen, JSON-friendly)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping

from mlm_jupyter.core.entities import to_datetime
from mlm_jupyter.core.fingerprint import Fingerprint

__all__ = ["Dataset", "DatasetVersion", "Lineage", "LineageEdge", "LineageNode"]


@dataclass(frozen=True)
class DatasetVersion:
    """One version of a named dataset: a distinct digest logged under that name."""

    name: str
    version: int
    digest: str
    kind: str
    shape: tuple[int, ...]
    fingerprint: Fingerprint
    created_at: datetime | None = None
    run_id: str | None = None
    source: str | None = None

    @property
    def schema(self) -> Mapping[str, str]:
        return self.fingerprint.schema

    @property
    def profile(self) -> Mapping[str, Mapping[str, Any]]:
        return self.fingerprint.profile

    @property
    def uri(self) -> str:
        """``data:/<name>/<version>``: how ``diff_data`` and ``lineage`` name it."""
        return f"data:/{self.name}/{self.version}"

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> DatasetVersion:
        fingerprint = Fingerprint.from_dict(record["fingerprint"])
        return cls(name=record["name"], version=int(record["version"]), digest=record["digest"],
                   kind=record.get("kind") or fingerprint.kind, shape=tuple(record.get("shape") or ()),
                   fingerprint=fingerprint, created_at=to_datetime(record.get("created_at")),
                   run_id=record.get("run_id"), source=record.get("source"))

    def __repr__(self) -> str:
        return (f"DatasetVersion(name={self.name!r}, version={self.version}, digest={self.digest[:12]!r}, "
                f"kind={self.kind!r}, shape={self.shape!r})")


@dataclass(frozen=True)
class Dataset:
    """A named dataset and its versions (oldest first)."""

    name: str
    versions: tuple[DatasetVersion, ...]
    created_at: datetime | None = None
    updated_at: datetime | None = None
    runs: int = 0

    @property
    def latest(self) -> DatasetVersion | None:
        return self.versions[-1] if self.versions else None

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Dataset:
        return cls(name=record["name"], versions=tuple(DatasetVersion.from_record(v) for v in record["versions"]),
                   created_at=to_datetime(record.get("created_at")),
                   updated_at=to_datetime(record.get("updated_at")), runs=int(record.get("runs") or 0))


@dataclass(frozen=True)
class LineageNode:
    """A run, data (dataset version), model (version) or cell (execution record)."""

    id: str
    type: str
    label: str
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "label": self.label, **self.details}


@dataclass(frozen=True)
class LineageEdge:
    """``source`` fed or produced ``target``; ``label`` says how (train, wrote, logged, ran, ...)."""

    source: str
    target: str
    label: str

    def to_dict(self) -> dict[str, str]:
        return {"source": self.source, "target": self.target, "label": self.label}


_ORDER = {"cell": 0, "data": 1, "run": 2, "model": 3}


@dataclass(frozen=True)
class Lineage:
    """The lineage graph: cells -> data -> runs -> models. ``str()`` / ``.text`` give a readable form."""

    root: str
    nodes: tuple[LineageNode, ...]
    edges: tuple[LineageEdge, ...]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Lineage:
        nodes = tuple(LineageNode(n["id"], n["type"], n["label"],
                                  {k: v for k, v in n.items() if k not in ("id", "type", "label")})
                      for n in data.get("nodes") or ())
        edges = tuple(LineageEdge(e["source"], e["target"], e["label"]) for e in data.get("edges") or ())
        return cls(root=str(data["root"]), nodes=nodes, edges=edges)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly: ``{"root", "nodes": [{id, type, label, ...}], "edges": [{source, target, label}]}``."""
        return {"root": self.root, "nodes": [n.to_dict() for n in self.nodes],
                "edges": [e.to_dict() for e in self.edges]}

    def node(self, node_id: str) -> LineageNode:
        return next(n for n in self.nodes if n.id == node_id)

    def of_type(self, kind: str) -> list[LineageNode]:
        """Nodes of one type: ``"run"``, ``"data"``, ``"model"`` or ``"cell"``."""
        return [n for n in self.nodes if n.type == kind]

    @property
    def text(self) -> str:
        """One line per edge, upstream first: ``data train v1 (3f2a...) --train--> run rf-baseline``."""
        labels = {n.id: n.label for n in self.nodes}
        kinds = {n.id: n.type for n in self.nodes}
        lines = [f"lineage of {labels.get(self.root, self.root)}"]
        ordered = sorted(self.edges, key=lambda e: (_ORDER.get(kinds.get(e.source, ""), 9), labels.get(e.source, ""),
                                                    labels.get(e.target, "")))
        lines += [f"  {labels.get(e.source, e.source)} --{e.label}--> {labels.get(e.target, e.target)}"
                  for e in ordered]
        if not self.edges:
            lines.append("  (no recorded data, cells or models)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.text)
