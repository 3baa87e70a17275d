"""Fluent data-versioning functions: ``mlm.log_input``, ``mlm.datasets``, ``mlm.lineage``, ``mlm.diff_data``."""

from __future__ import annotations

from typing import Any

from mlm_jupyter.core.data_diff import DataDiff
from mlm_jupyter.core.dataset_entities import Dataset, DatasetVersion, Lineage
from mlm_jupyter.core.fingerprint import Fingerprint
from mlm_jupyter.tracking import fluent

__all__ = ["dataset_versions", "datasets", "diff_data", "lineage", "log_input", "log_output"]


def log_input(obj: Any, name: str | None = None, role: str = "input", *, rows: bool | None = None) -> DatasetVersion:
    """Link data to the active run as dataset ``name`` (``role``: train, test, ...).

    Records a new version of ``name`` when its digest is new. Raises
    ``NoActiveRunError`` outside a run.
    """
    return fluent.get_client().log_input(fluent._run_id(), obj, name, role, rows=rows)


def log_output(obj: Any, name: str | None = None, role: str = "output", *, rows: bool | None = None) -> DatasetVersion:
    """Record data the active run produced (lineage then links later runs that read it to this run)."""
    return fluent.get_client().log_input(fluent._run_id(), obj, name, role, rows=rows, direction="output")


def datasets() -> list[Dataset]:
    """Every dataset in the store with its versions."""
    return fluent.get_client().datasets()


def dataset_versions(name: str) -> list[DatasetVersion]:
    """The versions of dataset ``name``, oldest first."""
    return fluent.get_client().dataset_versions(name)


def lineage(run_id_or_model_uri: str, *, depth: int = 3) -> Lineage:
    """The graph cells -> data -> runs -> models around a run id or model URI (``print()`` it to read it)."""
    return fluent.get_client().lineage(run_id_or_model_uri, depth=depth)


def diff_data(a: Any, b: Any) -> DataDiff:
    """What changed from ``a`` to ``b`` (fingerprints, digests, ``data:/name/version`` or objects).

    Objects are fingerprinted with a row sketch, so the diff includes the
    estimated row overlap; comparing objects or fingerprints needs no store.
    """
    if not isinstance(a, str) and not isinstance(b, str) and not isinstance(a, DatasetVersion) \
            and not isinstance(b, DatasetVersion):
        from mlm_jupyter.core.data_diff import diff_data as compare
        from mlm_jupyter.core.fingerprint import fingerprint as compute

        def resolve(ref: Any) -> Fingerprint:
            return ref if isinstance(ref, Fingerprint) else compute(ref, rows=True)

        return compare(resolve(a), resolve(b))
    return fluent.get_client().diff_data(a, b)
