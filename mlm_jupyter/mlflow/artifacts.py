"""``mlflow.artifacts``: download a run's artifacts (each file verified by sha256)."""

from __future__ import annotations

from mlm_jupyter.core.errors import InvalidInputError

__all__ = ["download_artifacts", "load_dict", "load_text"]


def download_artifacts(artifact_uri: str | None = None, run_id: str | None = None, artifact_path: str | None = None,
                       dst_path: str | None = None, tracking_uri: str | None = None) -> str:
    """Copy artifacts to a local folder; ``artifact_uri`` is ``runs:/<run_id>/<path>``."""
    from mlm_jupyter.mlflow.client import MlflowClient

    if artifact_uri is not None:
        if not artifact_uri.startswith("runs:/"):
            raise InvalidInputError(f"artifact_uri is runs:/<run_id>/<path> here, not {artifact_uri!r}")
        run_id, _, artifact_path = artifact_uri[len("runs:/"):].partition("/")
    if not run_id:
        raise InvalidInputError("download_artifacts needs artifact_uri='runs:/<id>/<path>' or run_id=")
    return MlflowClient(tracking_uri).download_artifacts(run_id, artifact_path or "", dst_path)


def load_text(artifact_uri: str) -> str:
    from pathlib import Path

    return Path(download_artifacts(artifact_uri)).read_text(encoding="utf-8")


def load_dict(artifact_uri: str) -> dict:  # type: ignore[type-arg]
    import json

    return dict(json.loads(load_text(artifact_uri)))
