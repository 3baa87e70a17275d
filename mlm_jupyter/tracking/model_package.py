"""Model packages: serialise a model with its flavor plus a manifest, and read it back only if its sha256 matches.

The manifest (``MLmodel.json``) says which flavor wrote the model file, the
file's sha256 and size, the signature, a small input example, the
requirements (distributions the flavor needs, with the versions installed
where the model was logged) and where it came from.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import platform
import time
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from mlm_jupyter._version import __version__
from mlm_jupyter.core.errors import IntegrityError, InvalidInputError, MlmError
from mlm_jupyter.core.signature import ModelSignature, example_to_json, infer_signature
from mlm_jupyter.tracking.flavors import LoadOptions, flavor_for, get_flavor

__all__ = ["MANIFEST_FILE", "SHA256_PROVES", "PackagedModel", "deserialise", "package_model", "requirements_for"]

MANIFEST_FILE = "MLmodel.json"
FORMAT = "mlm-model"
FORMAT_VERSION = 1
# What the sha256 of an exported folder is worth, written into its manifest and model card: whoever can
# write the folder can rewrite the model file and its manifest together.
SHA256_PROVES = ("integrity, not origin: the model file matches this manifest, but whoever could write this "
                 "folder could have rewritten both; to know where a model came from, load it from the registry "
                 "(models:/NAME/VERSION), whose recorded sha256 is the reference")


@dataclass(frozen=True)
class PackagedModel:
    """A serialised model (``data``) and its manifest."""

    data: bytes
    manifest: dict[str, Any]

    @property
    def sha256(self) -> str:
        return str(self.manifest["sha256"])


def _distribution_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


_KNOWN_DISTRIBUTIONS = {"sklearn": "scikit-learn", "xgboost": "xgboost", "lightgbm": "lightgbm", "torch": "torch",
                        "builtins": None, "__main__": None}


@functools.lru_cache(maxsize=1)
def _distributions_by_package() -> dict[str, list[str]]:
    # scanning every installed distribution takes ~2 s: do it at most once per process
    try:
        return dict(importlib.metadata.packages_distributions())
    except Exception:  # metadata of a broken environment must not stop logging a model
        return {}


def requirements_for(model: Any, distributions: Sequence[str]) -> list[str]:
    """``dist==version`` for the flavor's distributions and the package the model's class comes from."""
    names = list(distributions)
    top = type(model).__module__.split(".")[0]
    if top in _KNOWN_DISTRIBUTIONS:
        known = _KNOWN_DISTRIBUTIONS[top]
        names.extend([known] if known else [])
    else:
        names.extend(_distributions_by_package().get(top, []))
    found: dict[str, str] = {}
    for wanted in names:
        candidates = [wanted]
        if _distribution_version(wanted) is None:  # installed under another name, e.g. xgboost-cpu for xgboost
            candidates = _distributions_by_package().get(wanted.replace("-", "_"), [])
        for name in candidates:
            version = _distribution_version(name)
            if version is not None and name.lower() not in {k.lower() for k in found}:
                found[name] = version
    return [f"{name}=={version}" for name, version in found.items()]


def _signature_dict(model: Any, input_example: Any, signature: Any) -> dict[str, Any] | None:
    if isinstance(signature, ModelSignature):
        return signature.to_dict()
    if isinstance(signature, Mapping):
        return ModelSignature.from_dict(signature).to_dict()
    if signature is not None:
        raise InvalidInputError("signature= takes a ModelSignature or its dict form; or pass input_example= "
                                "to infer it")
    if input_example is None:
        return None
    output = None
    predict = getattr(model, "predict", None)
    if callable(predict):
        try:
            output = predict(input_example)
        except Exception:  # a model that cannot predict on its example still gets its input signature
            output = None
    return infer_signature(input_example, output).to_dict()


def package_model(model: Any, *, flavor: str | None = None, input_example: Any = None, signature: Any = None,
                  run_id: str | None = None, user: str | None = None) -> PackagedModel:
    """Serialise ``model`` with its flavor and describe it in a manifest."""
    module = flavor_for(model, flavor)
    try:
        data, details = module.save(model)
    except MlmError:
        raise
    except Exception as error:  # noqa: BLE001 -- pickle, skops, torch... each raise their own classes
        text = f"{type(error).__name__}: {error}"
        hint = " Functions inside a model must be defined at module level (not lambdas or nested functions)." \
            if "pickle" in text.lower() else ""
        raise InvalidInputError(
            f"cannot save this {type(model).__module__}.{type(model).__qualname__} with the {module.NAME} flavor: "
            f"{text}.{hint}", flavor=module.NAME) from error
    manifest = {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "flavor": module.NAME, "model_file": module.FILE_NAME,
        "sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
        "flavor_details": details,
        "signature": _signature_dict(model, input_example, signature),
        "input_example": example_to_json(input_example),
        "requirements": requirements_for(model, module.DISTRIBUTIONS),
        "python_version": platform.python_version(), "mlm_jupyter_version": __version__,
        "run_id": run_id, "created_at": time.time(), "created_by": user,
    }
    return PackagedModel(data, manifest)


def read_manifest(data: bytes) -> dict[str, Any]:
    """Parse a manifest, refusing files that are not one."""
    try:
        manifest = json.loads(data)
    except ValueError as error:
        raise InvalidInputError(f"{MANIFEST_FILE} is not valid JSON: {error}") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or "sha256" not in manifest:
        raise InvalidInputError(f"this is not an mlm-jupyter model manifest (no format={FORMAT!r} and sha256)")
    if int(manifest.get("format_version", 1)) > FORMAT_VERSION:
        raise InvalidInputError(f"this model was packaged by a newer mlm-jupyter (format version "
                                f"{manifest['format_version']}); upgrade mlm-jupyter to load it")
    return manifest


def deserialise(data: bytes, manifest: Mapping[str, Any], *, expected_sha256: str | None = None,
                trust_pickle: bool = False, trusted_types: Sequence[str] = ()) -> Any:
    """Rebuild the model from ``data`` after checking it hashes to the expected sha256.

    Raises:
        IntegrityError: the bytes do not match (the file was modified or corrupted).
        UntrustedModelError: a pickle without ``trust_pickle=True``, or a skops file with untrusted types.
    """
    expected = expected_sha256 or str(manifest["sha256"])
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected or actual != manifest["sha256"]:
        recorder = "the registry recorded" if expected_sha256 else f"its {MANIFEST_FILE} records"
        raise IntegrityError(
            f"refusing to load the model: its file hashes to {actual} but {recorder} {expected}. "
            "The file was modified or corrupted; log or export the model again.", expected=expected, actual=actual)
    module = get_flavor(str(manifest["flavor"]))
    try:
        return module.load(data, dict(manifest.get("flavor_details") or {}),
                           LoadOptions(trust_pickle=trust_pickle, trusted_types=tuple(trusted_types)))
    except MlmError:
        raise
    except ImportError as error:
        raise InvalidInputError(f"loading a {module.NAME} model needs {error.name or 'a missing package'}; install "
                                f"the model's requirements ({', '.join(manifest.get('requirements') or [])})") from error
    except Exception as error:
        raise InvalidInputError(f"the model file is not a readable {module.NAME} model "
                                f"({type(error).__name__}: {error})") from error


def manifest_bytes(manifest: Mapping[str, Any]) -> bytes:
    return json.dumps(manifest, indent=2, sort_keys=True, default=str).encode("utf-8")
