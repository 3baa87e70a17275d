"""The ``lineage`` read: a graph of cells -> data -> runs -> models around one run or model version.

Nodes and edges are JSON-friendly dicts, so a widget can draw them and the
REST API can carry them. Tables of other domains (cell records from kernel
capture, model versions from the registry) are used when they exist; a store
without them still answers with the data and runs it knows.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from mlm_jupyter.core.errors import InvalidInputError, NotFoundError
from mlm_jupyter.store.session import Session

__all__ = ["lineage"]

MAX_PRODUCERS = 3


def _has_table(s: Session, table: str) -> bool:
    return s.one("SELECT 1 FROM information_schema.tables WHERE table_name = ?", [table]) is not None


class _Graph:
    def __init__(self) -> None:
        self.nodes: dict[str, dict[str, Any]] = {}
        self.edges: dict[tuple[str, str, str], dict[str, Any]] = {}

    def node(self, node_id: str, node_type: str, label: str, **details: Any) -> str:
        if node_id not in self.nodes:
            self.nodes[node_id] = {"id": node_id, "type": node_type, "label": label, **details}
        return node_id

    def edge(self, source: str, target: str, label: str) -> None:
        self.edges.setdefault((source, target, label), {"source": source, "target": target, "label": label})


def _run_node(s: Session, g: _Graph, run_id: str) -> str | None:
    rows = s.rows("SELECT r.id, r.name, r.status, e.name AS experiment, r.start_time FROM runs r "
                  "JOIN experiments e ON e.id = r.experiment_id WHERE r.id = ?", [run_id])
    if not rows:
        return None
    r = rows[0]
    return g.node(f"run:{run_id}", "run", f"run {r['name']}", run_id=run_id, name=r["name"],
                  experiment=r["experiment"], status=r["status"], start_time=r["start_time"])


def _data_node(s: Session, g: _Graph, name: str, digest: str, version: int | None, kind: str | None) -> str:
    shape: list[int] = []
    if version is not None:
        row = s.one("SELECT kind, shape FROM dataset_versions WHERE name = ? AND version = ?", [name, version])
        if row:
            kind, shape = row[0], list(row[1] or ())
    label = f"data {name}" + (f" v{version}" if version is not None else "") + f" ({digest[:12]})"
    return g.node(f"data:{name}:{digest}", "data", label, name=name, digest=digest, version=version, kind=kind,
                  shape=shape)


def _cell_node(s: Session, g: _Graph, record_id: str) -> str | None:
    rows = s.rows("SELECT c.id, c.execution_count, c.cell_id, c.notebook, c.start_time, src.source "
                  "FROM cell_records c LEFT JOIN cell_sources src ON src.sha256 = c.source_sha256 WHERE c.id = ?",
                  [record_id])
    if not rows:
        return None
    c = rows[0]
    first = next((line for line in (c["source"] or "").splitlines() if line.strip()), "")[:60]
    where = f" in {c['notebook']}" if c["notebook"] else ""
    label = f"cell [{c['execution_count'] if c['execution_count'] is not None else ' '}]{where}: {first}"
    return g.node(f"cell:{record_id}", "cell", label, record_id=record_id, cell_id=c["cell_id"],
                  notebook=c["notebook"], execution_count=c["execution_count"], start_time=c["start_time"])


def _run_data(s: Session, run_id: str, tables: set[str]) -> list[dict[str, Any]]:
    rows = s.rows("SELECT dataset, role, digest, version, direction, cell_record FROM run_inputs WHERE run_id = ?",
                  [run_id])
    if "run_cell_data" in tables:
        known = {(r["dataset"], r["digest"]) for r in rows}
        for d in s.rows("SELECT dataset, role, digest, kind FROM run_cell_data WHERE run_id = ?", [run_id]):
            if (d["dataset"], d["digest"]) not in known:
                rows.append({"dataset": d["dataset"], "role": d["role"], "digest": d["digest"], "version": None,
                             "direction": "input" if d["role"] in ("input", "read") else "output",
                             "cell_record": None, "kind": d["kind"]})
    return rows


def _models_of_run(s: Session, g: _Graph, run_id: str, run_node: str) -> None:
    for m in s.rows("SELECT name, version, flavor FROM model_versions WHERE run_id = ? ORDER BY name, version",
                    [run_id]):
        node = g.node(f"model:{m['name']}/{m['version']}", "model", f"model {m['name']} v{m['version']}",
                      name=m["name"], version=int(m["version"]), flavor=m["flavor"], uri=f"models:/{m['name']}/"
                      f"{m['version']}")
        g.edge(run_node, node, "logged")


def _producers(s: Session, g: _Graph, data_node: str, digest: str, tables: set[str],
               exclude_run: str) -> list[str]:
    runs = [r[0] for r in s.con.execute(
        "SELECT DISTINCT run_id FROM run_inputs WHERE digest = ? AND direction = 'output' AND run_id <> ? "
        "LIMIT ?", [digest, exclude_run, MAX_PRODUCERS]).fetchall()]
    if "cell_data" in tables:
        for (record_id,) in s.con.execute(
                "SELECT d.record_id FROM cell_data d JOIN cell_records c ON c.id = d.record_id "
                "WHERE d.digest = ? AND d.role = 'write' AND d.changed ORDER BY c.start_time DESC LIMIT ?",
                [digest, MAX_PRODUCERS]).fetchall():
            cell = _cell_node(s, g, record_id)
            if cell:
                g.edge(cell, data_node, "wrote")
    return runs


def _resolve_model(s: Session, model: str, version: int | None, alias: str | None) -> dict[str, Any]:
    if alias and _has_table(s, "model_aliases"):
        row = s.one("SELECT version FROM model_aliases WHERE name = ? AND alias = ?", [model, alias])
        if not row:
            raise NotFoundError(f"model {model!r} has no alias {alias!r}", name=model, alias=alias)
        version = int(row[0])
    sql = "SELECT name, version, run_id, flavor FROM model_versions WHERE name = ? "
    rows = s.rows(sql + ("AND version = ?" if version is not None else "ORDER BY version DESC LIMIT 1"),
                  [model, int(version)] if version is not None else [model])
    if not rows:
        raise NotFoundError(f"no model version {model!r}" + (f" {version}" if version is not None else "")
                            + "; see mlm.models()", name=model, version=version)
    return rows[0]


def lineage(s: Session, run_id: str | None = None, model: str | None = None, version: int | None = None,
            alias: str | None = None, depth: int = 3) -> dict[str, Any]:
    """Graph around a run (or a model version): its data, the runs and cells that produced that data
    (up to ``depth`` runs upstream), the cell that made the run, and the models runs logged.

    Returns ``{"root": node id, "nodes": [...], "edges": [...]}``; node types are run, data, model, cell.
    """
    tables = {t for t in ("model_versions", "model_aliases", "cell_records", "cell_data", "run_cells",
                          "run_cell_data") if _has_table(s, t)}
    g = _Graph()
    if model is not None:
        if "model_versions" not in tables:
            raise NotFoundError("this store has no model registry tables yet; log a model first", name=model)
        m = _resolve_model(s, model, version, alias)
        root = g.node(f"model:{m['name']}/{m['version']}", "model", f"model {m['name']} v{m['version']}",
                      name=m["name"], version=int(m["version"]), flavor=m["flavor"],
                      uri=f"models:/{m['name']}/{m['version']}")
        run_id = m["run_id"]
        if run_id is None:
            return {"root": root, "nodes": list(g.nodes.values()), "edges": []}
    elif run_id is None:
        raise InvalidInputError("lineage needs a run id or a model")
    first = _run_node(s, g, run_id)
    if first is None:
        raise NotFoundError(f"no run with id {run_id!r} in this store", run_id=run_id)
    root = root if model is not None else first
    queue: deque[tuple[str, int]] = deque([(run_id, 0)])
    visited: set[str] = set()
    while queue:
        current, level = queue.popleft()
        if current in visited:
            continue
        visited.add(current)
        run_node = _run_node(s, g, current)
        if run_node is None:
            continue
        if "model_versions" in tables:
            _models_of_run(s, g, current, run_node)
        if "run_cells" in tables:
            link = s.one("SELECT record_id FROM run_cells WHERE run_id = ?", [current])
            cell = _cell_node(s, g, link[0]) if link and "cell_records" in tables else None
            if cell:
                g.edge(cell, run_node, "ran")
        for item in _run_data(s, current, tables):
            data = _data_node(s, g, item["dataset"], item["digest"], item["version"], item.get("kind"))
            if item["direction"] == "output":
                g.edge(run_node, data, item["role"] if item["role"] not in ("output", "write") else "wrote")
                continue
            g.edge(data, run_node, item["role"])
            if item.get("cell_record") and "cell_records" in tables:
                cell = _cell_node(s, g, item["cell_record"])
                if cell:
                    g.edge(cell, run_node, "ran")
            for producer in _producers(s, g, data, item["digest"], tables, current):
                producer_node = _run_node(s, g, producer)
                if producer_node:
                    g.edge(producer_node, data, "wrote")
                    if level + 1 < depth:
                        queue.append((producer, level + 1))
    return {"root": root, "nodes": list(g.nodes.values()), "edges": list(g.edges.values())}
