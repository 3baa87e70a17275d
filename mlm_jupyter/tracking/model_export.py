"""Exported models: a self-contained directory that loads with ``load_model(path)`` and no store.

Layout::

    <path>/MLmodel.json        manifest: flavor, model file, sha256, signature, requirements, origin
    <path>/model.<ext>         the serialised model (skops, safetensors, xgboost JSON, ...)
    <path>/model_card.md       the model card
    <path>/requirements.txt    what the flavor needs, pinned to the versions it was logged with
    <path>/signature.json      inputs and outputs
    <path>/input_example.json  a few input rows (when an example was logged)
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

from mlm_jupyter.core.errors import AlreadyExistsError, InvalidInputError, NotFoundError
from mlm_jupyter.core.safe_files import read_own_file, write_replacing
from mlm_jupyter.tracking.model_package import (
    MANIFEST_FILE,
    deserialise,
    manifest_bytes,
    read_manifest,
)

__all__ = ["load_model_dir", "read_model_dir", "write_model_dir"]


def write_model_dir(path: str | os.PathLike[str], data: bytes, manifest: Mapping[str, Any], card: str,
                    *, overwrite: bool = False) -> Path:
    """Write the package to ``path`` (a new or empty directory unless ``overwrite``)."""
    target = Path(path)
    if target.exists() and (not target.is_dir() or (any(target.iterdir()) and not overwrite)):
        raise AlreadyExistsError(f"{target} exists and is not an empty directory; pick a new path or pass "
                                 "overwrite=True", path=str(target))
    target.mkdir(parents=True, exist_ok=True)
    model_file = str(manifest["model_file"])
    if Path(model_file).name != model_file:
        raise InvalidInputError(f"manifest names the model file {model_file!r}; it must be a plain file name")
    files = {model_file: data, MANIFEST_FILE: manifest_bytes(manifest), "model_card.md": card.encode("utf-8"),
             "requirements.txt": "".join(f"{r}\n" for r in manifest.get("requirements") or []).encode("utf-8"),
             "signature.json": json.dumps(manifest.get("signature"), indent=2).encode("utf-8")}
    if manifest.get("input_example") is not None:
        files["input_example.json"] = json.dumps(manifest["input_example"], default=str).encode("utf-8")
    for name, content in files.items():
        if (target / name).is_dir() and not (target / name).is_symlink():
            raise AlreadyExistsError(f"{target / name} is a folder; remove it or export to a new path",
                                     path=str(target / name))
    for name, content in files.items():  # each file replaces what was there: a symlink is never written through
        write_replacing(target / name, content)
    return target


def read_model_dir(path: str | os.PathLike[str]) -> tuple[dict[str, Any], bytes]:
    """The manifest and model bytes of an exported directory (or of its ``MLmodel.json``)."""
    folder = Path(path)
    if folder.is_file() and folder.name == MANIFEST_FILE:
        folder = folder.parent
    manifest_path = folder / MANIFEST_FILE
    if not os.path.lexists(manifest_path):
        raise NotFoundError(f"{folder} is not an exported model: it has no {MANIFEST_FILE}. Export one with "
                            "mlm.export_model(uri, path), or load from the registry with models:/NAME@ALIAS.",
                            path=str(folder))
    manifest = read_manifest(read_own_file(folder, MANIFEST_FILE, "the manifest of an exported model"))
    model_file = str(manifest["model_file"])
    if Path(model_file).name != model_file:
        raise InvalidInputError(f"{manifest_path} names the model file {model_file!r}; it must be a plain file name")
    # a model file linked out of the folder is refused before it is read, so no error shows another file's hash
    return manifest, read_own_file(folder, model_file, f"the model file named in its {MANIFEST_FILE}")


def load_model_dir(path: str | os.PathLike[str], *, trust_pickle: bool = False,
                   trusted_types: Sequence[str] = ()) -> Any:
    """Load an exported model after checking its file against the manifest's sha256."""
    manifest, data = read_model_dir(path)
    return deserialise(data, manifest, trust_pickle=trust_pickle, trusted_types=trusted_types)
