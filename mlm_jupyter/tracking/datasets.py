"""Data versioning in the client: log inputs, list datasets and versions, lineage, data diff."""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any, Sequence

from mlm_jupyter.core.errors import InvalidInputError
from mlm_jupyter.store.contract import Op, Store, WriteBatch

if TYPE_CHECKING:  # fingerprints need numpy: imported when data is logged, not with the client
    from mlm_jupyter.core.data_diff import DataDiff
    from mlm_jupyter.core.dataset_entities import Dataset, DatasetVersion, Lineage
    from mlm_jupyter.core.fingerprint import Fingerprint

__all__ = ["AUTO_SKETCH_ROWS", "DataClient"]

AUTO_SKETCH_ROWS = 2_000_000
"""``log_input`` computes the row sketch (for overlap/leakage estimates) up to this many rows by default."""

_DATA_URI = re.compile(r"^data:/(?P<name>.+?)(?:/(?P<version>\d+)|@latest)?$")
_MODEL_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:/(?P<version>\d+)|@(?P<alias>[^/]+))?$")
_RUN_URI = re.compile(r"^runs:/(?P<run_id>[^/]+)(?:/.*)?$")
_HEX = re.compile(r"^[0-9a-f]{6,32}$")


def _rows_of(obj: Any) -> int | None:
    shape = getattr(obj, "shape", None)
    if shape is not None and len(shape):
        return int(shape[0])
    return len(obj) if hasattr(obj, "__len__") and not isinstance(obj, (str, bytes, os.PathLike)) else None


class DataClient:
    """The data-versioning part of ``MlmClient`` (see ``tracking.client``)."""

    store: Store

    def _file_cache(self) -> Any:
        cache = self.__dict__.get("_mlm_file_cache")
        if cache is None:
            from mlm_jupyter.core import filehash

            directory = getattr(self.store, "directory", None)
            cache = filehash.JsonHashCache(os.path.join(directory, "filehash.json")) if directory else \
                filehash.DEFAULT_CACHE
            self.__dict__["_mlm_file_cache"] = cache
        return cache

    def fingerprint(self, obj: Any, *, rows: bool = False, profile: bool = True) -> Fingerprint:
        """``core.fingerprint.fingerprint`` with this store's persistent file-hash cache."""
        from mlm_jupyter.core.fingerprint import fingerprint

        return fingerprint(obj, rows=rows, profile=profile, cache=self._file_cache())

    def log_input(self, run_id: str | None, obj: Any, name: str | None = None, role: str = "input", *,
                  rows: bool | None = None, direction: str = "input", cell_id: str | None = None,
                  cell_record: str | None = None) -> DatasetVersion:
        """Fingerprint ``obj`` and link it to ``run_id`` as dataset ``name`` in ``role``.

        A new version of ``name`` is recorded when its digest is new for that name.

        Args:
            run_id: the run (``None``: only record the dataset version).
            obj: any object ``mlm.fingerprint`` accepts, or a ``Fingerprint``.
            name: dataset name; defaults to the file or directory name for paths.
            role: ``"train"``, ``"test"``, ``"validation"``, ... (free text).
            rows: compute the row sketch (needed for row overlap in ``diff_data``);
                default: when the data has at most ``AUTO_SKETCH_ROWS`` rows.
            direction: ``"input"`` (the run read it) or ``"output"`` (the run wrote it).
            cell_id, cell_record: the notebook cell that used it (kernel capture).

        Returns:
            The ``DatasetVersion`` (``version`` is 0 if the store was busy and the write was journaled).
        """
        from mlm_jupyter.core.dataset_entities import DatasetVersion
        from mlm_jupyter.core.fingerprint import Fingerprint, supported_kind

        source = None
        if isinstance(obj, Fingerprint):
            fp = obj
        else:
            if isinstance(obj, (str, os.PathLike)):
                source = os.path.abspath(os.fspath(obj))
                name = name or os.path.basename(source.rstrip(os.sep)) or None
            if rows is None:
                count = _rows_of(obj) if supported_kind(obj) not in (None, "path", "bytes") else None
                rows = count is not None and count <= AUTO_SKETCH_ROWS
            fp = self.fingerprint(obj, rows=bool(rows))
        if not name:
            raise InvalidInputError("log_input needs a dataset name: mlm.log_input(df, name='train')")
        if not isinstance(name, str) or not name.strip() or not name.isprintable() or len(name) > 250:
            raise InvalidInputError(f"dataset names are 1-250 printable characters (no newlines), got {name!r:.80}; "
                                    "e.g. mlm.log_input(df, name='train')")
        if not isinstance(role, str) or not role.strip() or not role.isprintable():
            raise InvalidInputError(f"role is a word such as 'train', 'test' or 'input', got {role!r:.80}")
        item = {"name": name, "role": role, "fingerprint": fp.to_dict(), "direction": direction,
                "source": source, "cell_id": cell_id, "cell_record": cell_record}
        result = self.store.write(WriteBatch.of(Op("log_inputs", {"run_id": run_id, "inputs": [item]})))[0]
        version = int(result[0]["version"]) if result else 0
        if source is None and not isinstance(obj, Fingerprint) and direction == "input":
            self._keep_reference_sample(fp.digest, obj)
        return DatasetVersion(name=name, version=version, digest=fp.digest, kind=fp.kind, shape=tuple(fp.shape),
                              fingerprint=fp, run_id=run_id, source=source)

    def _keep_reference_sample(self, digest: str, obj: Any) -> None:
        """Store a bounded row sample of a table the run read: the drift reference of models trained on it."""
        from mlm_jupyter.core.errors import MlmError
        from mlm_jupyter.tracking.reference import store_sample

        try:
            if self.store.read("dataset_sample", digest=digest) is None:
                store_sample(self.store, digest, obj)
        except (MlmError, OSError, ValueError, TypeError, ArithmeticError) as error:  # never fail the user's log
            import logging

            logging.getLogger("mlm_jupyter").debug("no reference sample kept for %s: %s", digest, error)

    def datasets(self) -> list[Dataset]:
        """Every dataset with its versions (oldest first)."""
        from mlm_jupyter.core.dataset_entities import Dataset

        return [Dataset.from_record(r) for r in self.store.read("datasets")]

    def dataset_versions(self, name: str) -> list[DatasetVersion]:
        """The versions of dataset ``name`` (oldest first)."""
        from mlm_jupyter.core.dataset_entities import DatasetVersion

        return [DatasetVersion.from_record(r) for r in self.store.read("dataset_versions", name=name)]

    def get_dataset_version(self, name: str | None = None, version: int | None = None, *,
                            digest: str | None = None) -> DatasetVersion:
        """One dataset version: by name and version (default: latest), or by digest (prefix)."""
        from mlm_jupyter.core.dataset_entities import DatasetVersion

        return DatasetVersion.from_record(self.store.read("dataset_version", name=name, version=version,
                                                          digest=digest))

    def lineage(self, run_id_or_model_uri: str, *, depth: int = 3) -> Lineage:
        """Lineage of a run (id or ``runs:/<id>``) or a model (``models:/name/3``, ``models:/name@alias``).

        Returns a ``Lineage`` (nodes + edges; ``.to_dict()`` for a widget, ``str()`` for a reading).
        """
        from mlm_jupyter.core.dataset_entities import Lineage

        ref: Any = run_id_or_model_uri
        # a Run or a ModelVersion itself (``with mlm.start_run() as run: ...; mlm.lineage(run)``)
        target = str(getattr(ref, "uri", None) or getattr(ref, "id", None) or ref)
        model = _MODEL_URI.match(target)
        if model:
            version = int(model["version"]) if model["version"] else None
            if version is None:  # an alias, @latest or a bare name: the registry's rules (latest skips archived)
                version = int(self.store.read("model_version", name=model["name"], version=None,
                                              alias=model["alias"] or "latest")["version"])
            return Lineage.from_dict(self.store.read("lineage", model=model["name"], version=version, depth=depth))
        run = _RUN_URI.match(target)
        return Lineage.from_dict(self.store.read("lineage", run_id=run["run_id"] if run else target, depth=depth))

    def _resolve_fingerprint(self, ref: Any) -> Fingerprint:
        from mlm_jupyter.core.dataset_entities import DatasetVersion
        from mlm_jupyter.core.fingerprint import Fingerprint

        if isinstance(ref, Fingerprint):
            return ref
        if isinstance(ref, DatasetVersion):
            return ref.fingerprint
        if isinstance(ref, str):
            uri = _DATA_URI.match(ref)
            if uri:
                version = int(uri["version"]) if uri["version"] else None
                return self.get_dataset_version(uri["name"], version).fingerprint
            if _HEX.match(ref) and not os.path.exists(ref):
                return self.get_dataset_version(digest=ref).fingerprint
        return self.fingerprint(ref, rows=True)

    def diff_data(self, a: Any, b: Any) -> DataDiff:
        """Compare two datasets: fingerprints, dataset versions, ``data:/name/version`` URIs, digests
        (a unique prefix is enough) or objects/paths (fingerprinted with a row sketch)."""
        from mlm_jupyter.core.data_diff import diff_data

        return diff_data(self._resolve_fingerprint(a), self._resolve_fingerprint(b))

    def log_inputs(self, run_id: str | None, items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Low-level batch form for callers that already hold fingerprints (kernel capture).

        ``items``: {name, role, fingerprint (Fingerprint or its dict), direction?, cell_id?, cell_record?}.
        """
        from mlm_jupyter.core.fingerprint import Fingerprint

        payload = []
        for item in items:
            fp = item["fingerprint"]
            payload.append({**item, "fingerprint": fp.to_dict() if isinstance(fp, Fingerprint) else dict(fp)})
        if not payload:
            return []
        result = self.store.write(WriteBatch.of(Op("log_inputs", {"run_id": run_id, "inputs": payload})))[0]
        return list(result or [])
