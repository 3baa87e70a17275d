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
    (target / model_file).write_bytes(data)
    (target / MANIFEST_FILE).write_bytes(manifest_bytes(manifest))
    (target / "model_card.md").write_text(card, encoding="utf-8")
    (target / "requirements.txt").write_text("".join(f"{r}\n" for r in manifest.get("requirements") or []),
                                             encoding="utf-8")
    (target / "signature.json").write_text(json.dumps(manifest.get("signature"), indent=2), encoding="utf-8")
    if manifest.get("input_example") is not None:
        (target / "input_example.json").write_text(json.dumps(manifest["input_example"], default=str),
                                                   encoding="utf-8")
    return target


def read_model_dir(path: str | os.PathLike[str]) -> tuple[dict[str, Any], bytes]:
    """The manifest and model bytes of an exported directory (or of its ``MLmodel.json``)."""
    folder = Path(path)
    if folder.is_file() and folder.name == MANIFEST_FILE:
        folder = folder.parent
    manifest_path = folder / MANIFEST_FILE
    if not manifest_path.is_file():
        raise NotFoundError(f"{folder} is not an exported model: it has no {MANIFEST_FILE}. Export one with "
                            "mlm.export_model(uri, path), or load from the registry with models:/NAME@ALIAS.",
                            path=str(folder))
    manifest = read_manifest(manifest_path.read_bytes())
    model_file = str(manifest["model_file"])
    if Path(model_file).name != model_file:
        raise InvalidInputError(f"{manifest_path} names the model file {model_file!r}; it must be a plain file name")
    model_path = folder / model_file
    if not model_path.is_file():
        raise NotFoundError(f"{folder} has no {model_file} (named in its {MANIFEST_FILE})", path=str(model_path))
    return manifest, model_path.read_bytes()


def load_model_dir(path: str | os.PathLike[str], *, trust_pickle: bool = False,
                   trusted_types: Sequence[str] = ()) -> Any:
    """Load an exported model after checking its file against the manifest's sha256."""
    manifest, data = read_model_dir(path)
    return deserialise(data, manifest, trust_pickle=trust_pickle, trusted_types=trusted_types)
