"""A skops file cannot smuggle a non-sklearn class in under an ``sklearn.*`` name (issue 11, item 1).

The attack: take a real exported model, relabel a dangerous class that some
scikit-learn module merely imports (``threading.Thread`` is importable as
``sklearn.callback._progressbar.Thread``, ``functools.partial`` from many
modules, ...) and fix up the sha256 in the folder's manifest. The type check
must look at what the name resolves to, not at the name in the file; and
loading by store URI must trust the store's sha256, not the folder's.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import json
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from trained_models import pipeline

import mlm_jupyter as mlm
from mlm_jupyter.core.errors import IntegrityError, UntrustedModelError
from mlm_jupyter.tracking.client import MlmClient
from mlm_jupyter.tracking.flavors import sklearn_flavor


def _relabelled(foreign: type) -> tuple[str, str]:
    """An ``sklearn.*`` module that imports ``foreign`` under its own name, as (module, attribute)."""
    import sklearn  # noqa: F401 -- its submodules below are already imported by the pipeline

    for name, module in sorted(sys.modules.items()):
        if not name.startswith("sklearn.") or module is None:
            continue
        for attribute, value in sorted(vars(module).items()):
            if value is foreign:
                return name, attribute
    pytest.skip(f"no scikit-learn module imports {foreign.__qualname__} in this version")


def _forged_skops(module: str, attribute: str) -> bytes:
    """A skops file whose top-level object is ``module.attribute``, created with no state."""
    schema = {"__class__": attribute, "__module__": module, "__loader__": "ObjectNode",
              "content": {"__class__": "str", "__module__": "builtins", "__loader__": "JsonNode", "content": "null",
                          "is_json": True, "__id__": 1},
              "__id__": 2, "protocol": 2, "_skops_version": "0.16.0"}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("schema.json", json.dumps(schema))
    return out.getvalue()


def _forge_export(folder: Path, data: bytes) -> None:
    """Replace the exported model file and fix the manifest's sha256 and size, as an attacker would."""
    (folder / "model.skops").write_bytes(data)
    manifest = json.loads((folder / "MLmodel.json").read_text())
    manifest["sha256"] = hashlib.sha256(data).hexdigest()
    manifest["size"] = len(data)
    manifest["flavor_details"]["untrusted_types"] = []
    (folder / "MLmodel.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize("foreign", ["threading.Thread", "functools.partial", "operator.itemgetter",
                                     "tempfile.TemporaryDirectory"])
def test_a_foreign_class_relabelled_as_sklearn_is_refused(client: MlmClient, tmp_path: Path, foreign: str) -> None:
    module_name, _, name = foreign.rpartition(".")
    cls = getattr(importlib.import_module(module_name), name)
    model, _, _ = pipeline()
    mlm.log_model(model, name="m")
    folder = mlm.export_model("models:/m/1", tmp_path / "export")
    module, attribute = _relabelled(cls)
    _forge_export(folder, _forged_skops(module, attribute))
    with pytest.raises(UntrustedModelError, match=f"{module}.{attribute}"):  # before: created (or tried to)
        mlm.load_model(folder)
    if foreign == "threading.Thread":  # the caller can still vouch for a type by name, knowingly
        assert isinstance(mlm.load_model(folder, trusted_types=[f"{module}.{attribute}"]), cls)


def test_the_type_check_looks_at_what_a_name_resolves_to() -> None:
    import sklearn.tree

    assert sklearn_flavor.is_trusted_by_default("sklearn.tree._tree.Tree")
    assert sklearn_flavor.is_trusted_by_default("numpy.dtype")
    module, attribute = _relabelled(importlib.import_module("threading").Thread)
    assert not sklearn_flavor.is_trusted_by_default(f"{module}.{attribute}")
    # an sklearn class under an alias (not its defining module) is not its real name either
    assert not sklearn_flavor.is_trusted_by_default("sklearn.tree.DecisionTreeClassifier") or \
        sklearn.tree.DecisionTreeClassifier.__module__ == "sklearn.tree"
    for name in ("sklearn.utils._testing.TempMemmap", "sklearn.externals._packaging.version.Version",
                 "sklearn.conftest.X", "sklearn", "sklearn.", "os.system", "builtins.eval", "sklearn.utils.Bunch.x"):
        assert not sklearn_flavor.is_trusted_by_default(name), name


def test_every_type_a_real_sklearn_model_needs_still_loads(client: MlmClient) -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.gaussian_process import GaussianProcessClassifier
    from sklearn.neighbors import KNeighborsClassifier

    x, y = np.random.default_rng(0).random((40, 3)), np.arange(40) % 2
    for i, model in enumerate([RandomForestClassifier(n_estimators=2), HistGradientBoostingClassifier(max_iter=3),
                               GaussianProcessClassifier(), KNeighborsClassifier()]):
        model.fit(x, y)
        mlm.log_model(model, name=f"m{i}")
        assert mlm.load_model(f"models:/m{i}/1").predict(x).tolist() == model.predict(x).tolist()


def test_loading_by_uri_trusts_the_store_record_not_a_relogged_manifest(client: MlmClient) -> None:
    """Only the run's ``MLmodel.json`` artifact is re-logged, naming a forged model file: the run's own
    record of the model file (its ``model/model.skops`` artifact) is the reference, so the swap is refused."""
    from mlm_jupyter.store.contract import Op, WriteBatch

    model, _, _ = pipeline()
    with mlm.start_run() as run:
        mlm.log_model(model, name="m")
    forged = _forged_skops(*_relabelled(importlib.import_module("threading").Thread))
    forged_sha = client.store.put_blob(forged)
    manifest_artifact = next(a for a in mlm.get_run(run.id).artifacts if a.path == "model/MLmodel.json")
    manifest: dict[str, Any] = json.loads(client.store.read_blob(manifest_artifact.sha256))
    manifest.update(sha256=forged_sha, size=len(forged))
    manifest_bytes = json.dumps(manifest).encode()
    client.store.write(WriteBatch.of(Op("log_artifact", {"run_id": run.id, "path": "model/MLmodel.json",
                                                         "sha256": client.store.put_blob(manifest_bytes),
                                                         "size": len(manifest_bytes)})))
    with pytest.raises(IntegrityError, match="model/model.skops"):
        mlm.load_model(f"runs:/{run.id}/model", trusted_types=["threading.Thread"])


def test_an_exported_folder_says_its_hash_proves_integrity_not_origin(client: MlmClient, tmp_path: Path) -> None:
    model, _, _ = pipeline()
    mlm.log_model(model, name="m")
    folder = mlm.export_model("models:/m/1", tmp_path / "export")
    manifest = json.loads((folder / "MLmodel.json").read_text())
    assert "not" in manifest["sha256_proves"] and "origin" in manifest["sha256_proves"]
    assert "integrity, not origin" in (folder / "model_card.md").read_text()
    (folder / "model.skops").write_bytes(b"PK")
    with pytest.raises(IntegrityError) as error:
        mlm.load_model(folder)
    assert "registry" not in str(error.value)  # a folder is not the registry: the message says what it checked
    assert "MLmodel.json" in str(error.value)
