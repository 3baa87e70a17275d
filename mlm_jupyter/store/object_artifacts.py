"""Artifacts in object storage: blobs at ``<url>/<sha[:2]>/<sha256>`` in any fsspec location.

``MLM_ARTIFACTS=s3://bucket/prefix`` (or ``gs://``, ``az://``, a path; on a
server ``--MlmServer.artifacts=``) keeps artifact and model files there; the
store's own ``artifacts/`` folder is the local cache. A blob is uploaded in
streamed chunks (multipart on S3) with progress reported, and only after the
upload succeeded does it count as stored: a failure raises ``StoreError`` and
leaves no cached copy, so no run records an artifact that is not there.
Every download is hashed while it streams and refused (``IntegrityError``)
unless it matches its sha256, before it enters the cache.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlm_jupyter.core.errors import IntegrityError, InvalidInputError, NotFoundError, StoreError

__all__ = ["CHUNK_BYTES", "ObjectArtifacts", "Progress", "artifacts_location"]

CHUNK_BYTES = 8 << 20  # S3 multipart parts must be >= 5 MiB (except the last)
Progress = Callable[[str, int, int], None]  # (sha256, bytes done, bytes total)
log = logging.getLogger("mlm_jupyter")


def artifacts_location(explicit: str | None = None) -> str | None:
    """The object-storage URL for artifacts: ``explicit``, else ``MLM_ARTIFACTS``; ``None`` for the local folder."""
    value = explicit if explicit is not None else os.environ.get("MLM_ARTIFACTS", "")
    return value.strip() or None


def _log_progress(sha256: str, done: int, total: int) -> None:
    if total >= 4 * CHUNK_BYTES:
        log.info("mlm-jupyter: uploading %s: %d of %d MiB", sha256[:12], done >> 20, total >> 20)


class ObjectArtifacts:
    """Content-addressed blobs in an fsspec filesystem, with a local cache folder in front.

    Args:
        url: ``s3://bucket/prefix``, ``gs://...``, ``az://...``, ``memory://...`` or a local path.
        cache: the local folder (the store's ``artifacts/``); blobs enter it only once verified.
        progress: called after each uploaded chunk; default logs large uploads.
        storage_options: passed to fsspec (credentials, ``endpoint_url``, ...); S3 also reads
            ``MLM_S3_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL`` for S3-compatible services.
    """

    def __init__(self, url: str, cache: Path, *, progress: Progress | None = None,
                 storage_options: dict[str, Any] | None = None) -> None:
        try:
            import fsspec
        except ImportError:
            raise InvalidInputError(f"MLM_ARTIFACTS={url!r} needs fsspec (and s3fs for s3://): "
                                    "pip install 'mlm-jupyter[s3]'") from None
        options = dict(storage_options or {})
        protocol = url.split("://", 1)[0] if "://" in url else "file"
        endpoint = os.environ.get("MLM_S3_ENDPOINT_URL") or os.environ.get("AWS_ENDPOINT_URL")
        if protocol in ("s3", "s3a") and endpoint:
            options.setdefault("client_kwargs", {}).setdefault("endpoint_url", endpoint)
        try:
            self.fs, root = fsspec.core.url_to_fs(url, **options)
        except (ImportError, ValueError) as error:
            raise InvalidInputError(f"cannot use {url!r} for artifacts: {error}. For s3:// install s3fs "
                                    "(pip install 'mlm-jupyter[s3]').") from None
        self.url = url
        self.root = str(root).rstrip("/")
        self.cache = Path(cache)
        self.progress = progress or _log_progress

    def _remote(self, sha256: str) -> str:
        return f"{self.root}/{sha256[:2]}/{sha256}"

    def exists(self, sha256: str) -> bool:
        try:
            return bool(self.fs.exists(self._remote(sha256)))
        except Exception as error:  # noqa: BLE001 -- a vanished bucket or network error: say where
            raise StoreError(f"cannot reach the artifact store {self.url} ({type(error).__name__}: {error})",
                             url=self.url) from error

    def upload(self, sha256: str, local: Path) -> None:
        """Upload ``local`` (whose content hashes to ``sha256``) in chunks; raises ``StoreError`` on failure."""
        if self.exists(sha256):
            return
        total = local.stat().st_size
        remote = self._remote(sha256)
        done = 0
        try:
            protocols = self.fs.protocol if isinstance(self.fs.protocol, tuple) else (self.fs.protocol,)
            if {"file", "local"} & set(protocols):  # object stores have no folders (and must not make buckets)
                self.fs.makedirs(remote.rpartition("/")[0], exist_ok=True)
            with open(local, "rb") as source, self.fs.open(remote, "wb", block_size=CHUNK_BYTES) as target:
                for chunk in iter(lambda: source.read(CHUNK_BYTES), b""):
                    target.write(chunk)
                    done += len(chunk)
                    self.progress(sha256, done, total)
        except Exception as error:  # noqa: BLE001 -- any failure: the blob does not count as stored
            self._forget(remote)
            raise StoreError(
                f"uploading artifact {sha256[:12]} ({total:,} bytes) to {self.url} failed after {done:,} bytes "
                f"({type(error).__name__}: {error}); nothing was recorded as stored. Check that the bucket "
                "exists and is writable, then log it again.", url=self.url, sha256=sha256) from error

    def _forget(self, remote: str) -> None:
        try:
            if self.fs.exists(remote):
                self.fs.rm(remote)
        except Exception:  # noqa: BLE001 -- the bucket itself may be gone
            log.debug("mlm-jupyter: could not remove a partial upload %s", remote, exc_info=True)

    def fetch(self, sha256: str, target: Path) -> Path:
        """Download a blob into the cache at ``target``, verifying its sha256 while it streams."""
        remote = self._remote(sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        handle = tempfile.NamedTemporaryFile(dir=target.parent, delete=False)
        try:
            with handle, self.fs.open(remote, "rb", block_size=CHUNK_BYTES) as source:
                for chunk in iter(lambda: source.read(CHUNK_BYTES), b""):
                    digest.update(chunk)
                    handle.write(chunk)
        except FileNotFoundError:
            os.unlink(handle.name)
            raise NotFoundError(f"no blob {sha256} in {self.url}", sha256=sha256) from None
        except Exception as error:  # noqa: BLE001
            os.unlink(handle.name)
            raise StoreError(f"downloading artifact {sha256[:12]} from {self.url} failed "
                             f"({type(error).__name__}: {error})", url=self.url) from error
        actual = digest.hexdigest()
        if actual != sha256:
            os.unlink(handle.name)
            raise IntegrityError(f"artifact {sha256} in {self.url} is corrupt: its content hashes to {actual}. "
                                 "It was changed in the bucket; restore it or log it again.",
                                 expected=sha256, actual=actual)
        os.replace(handle.name, target)
        return target

    def describe(self) -> dict[str, Any]:
        return {"artifacts": self.url, "artifact_cache": str(self.cache)}
