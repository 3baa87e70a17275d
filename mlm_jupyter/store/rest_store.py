"""RestStore: the Store contract over the REST API of a Jupyter server that owns the store.

Every call is one HTTP request to the generic store endpoints under
``/mlm/api/store/`` (values travel in the ``codec`` JSON encoding). Errors
come back as ``{"code", "message", "details"}`` and are re-raised as the same
``MlmError`` class. Authentication is the server's token
(``Authorization: token ...``) plus a matching ``_xsrf`` cookie and
``X-XSRFToken`` header, which passes jupyter_server's XSRF check with or
without a token.

If the server cannot be reached, a write whose ops are all journalable goes
to the store's journal (when the store directory is on this filesystem); the
owner replays it exactly once later. Reads then raise
``StoreUnreachableError``.
"""

from __future__ import annotations

import hashlib
import io
import json
import secrets
import sys
import threading
import time
from pathlib import Path
from typing import Any, BinaryIO, Sequence
from urllib.parse import quote

import pyarrow as pa

from mlm_jupyter.core.errors import (
    InvalidInputError,
    MlmError,
    NotFoundError,
    PermissionDeniedError,
    StoreError,
    StoreUnreachableError,
    error_from_code,
)
from mlm_jupyter.store import codec, domains
from mlm_jupyter.store.contract import Store, WriteBatch
from mlm_jupyter.store.journal import Journal

__all__ = ["RestStore"]

_RETRY_TIMEOUT = 2.0  # seconds a journalable write waits while the server is known not to answer
_GET_ARGS_LIMIT = 4000  # longer read arguments go in a POST body instead of the URL


class RestStore(Store):
    """The REST backend of the Store contract.

    Args:
        url: the server's URL including its base URL, e.g. ``http://127.0.0.1:8888/``.
        token: the server's token ("" when the server has none).
        directory: the store directory when it is on this filesystem (enables
            the journal fallback), else ``None``.
        timeout: seconds to wait for a reply to a read; writes get ``write_timeout``.
    """

    def __init__(self, url: str, token: str = "", *, directory: Path | None = None,
                 timeout: float = 60.0, write_timeout: float = 600.0) -> None:
        import requests

        self.url = url if url.endswith("/") else url + "/"
        self.api = self.url + "mlm/api/store/"
        self.token = token
        self.directory = Path(directory) if directory is not None else None
        self.journal = Journal(self.directory / "journal") if self.directory is not None else None
        self.timeout = timeout
        self.write_timeout = write_timeout
        self._journalable = domains.journalable()
        self._local = threading.local()
        self._xsrf = secrets.token_hex(16)
        self._requests = requests
        self._closed = False
        self._unreachable_until = 0.0  # after a journaled write, journalable writes wait only _RETRY_TIMEOUT

    # ------------------------------------------------------------ transport

    def _session(self) -> Any:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._requests.Session()
            if self.token:
                session.headers["Authorization"] = f"token {self.token}"
            session.headers["X-XSRFToken"] = self._xsrf
            session.cookies.set("_xsrf", self._xsrf)
            self._local.session = session
        return session

    def _request(self, method: str, path: str, *, timeout: float | None = None, api_root: bool = False,
                 **kwargs: Any) -> Any:
        if self._closed:
            raise StoreError("this store was closed; open a new one")
        try:
            try:
                response = self._session().request(method, self._base(api_root) + path,
                                                   timeout=timeout or self.timeout, **kwargs)
            except self._requests.ConnectionError:
                if not self._follow_restarted_server() or hasattr(kwargs.get("data"), "read"):
                    raise
                response = self._session().request(method, self._base(api_root) + path,
                                                   timeout=timeout or self.timeout, **kwargs)
        except self._requests.RequestException as error:
            raise StoreUnreachableError(
                f"the Jupyter server at {self.url} that owns this store does not answer ({error}). "
                "Restart the server, or set MLM_NO_SERVER=1 to open the store file directly once it is stopped.",
                url=self.url) from error
        if response.status_code >= 400:
            raise _error_from_response(response, self.url)
        return response

    def _base(self, api_root: bool) -> str:
        return self.url + "mlm/api/" if api_root else self.api

    def api_request(self, method: str, route: str, **kwargs: Any) -> Any:
        """One authenticated request to ``<server>/mlm/api/<route>`` (errors re-raised as ``MlmError``)."""
        return self._request(method, route, timeout=kwargs.pop("timeout", None), api_root=True, **kwargs)

    def _follow_restarted_server(self) -> bool:
        """If the store's owner restarted at another URL (its record says so), switch to it."""
        if self.directory is None:
            return False
        from mlm_jupyter.store.discovery import read_server_record

        record = read_server_record(self.directory)
        if record is None or (record["url"] == self.url and record["token"] == self.token):
            return False
        self.url = str(record["url"])
        self.api = self.url + "mlm/api/store/"
        self.token = str(record["token"])
        self._local = threading.local()  # new sessions carry the new token
        return True

    # ------------------------------------------------------------ contract

    def write(self, batch: WriteBatch) -> list[Any]:
        body = codec.dumps(batch.to_dict())
        journalable = self.journal is not None and all(op.kind in self._journalable for op in batch.ops)
        # Once a write went to the journal (server dead or hung), the next ones try briefly instead of
        # waiting write_timeout each: a hung server must not stall every mlm.log_param for minutes.
        retrying = journalable and time.monotonic() < self._unreachable_until
        try:
            response = self._request("POST", "write", data=body,
                                     timeout=_RETRY_TIMEOUT if retrying else self.write_timeout,
                                     headers={"Content-Type": "application/json"})
        except StoreUnreachableError as error:
            if journalable and self.journal is not None:
                if not retrying:
                    print(f"mlm-jupyter: {error.message.split(' (')[0]}; writes are kept in "
                          f"{self.journal.directory} and applied, exactly once, when the server (or the next "
                          "process to open the store) picks them up.", file=sys.stderr)
                self._unreachable_until = time.monotonic() + 60.0
                self.journal.append(batch)
                return [None] * len(batch.ops)
            raise
        self._unreachable_until = 0.0
        return list(codec.loads(response.content)["results"])

    def read(self, query: str, **args: Any) -> Any:
        encoded = json.dumps(codec.encode(args), allow_nan=False, separators=(",", ":"))
        path = f"read/{quote(query, safe='')}"
        if len(encoded) <= _GET_ARGS_LIMIT:
            response = self._request("GET", path, params={"args": encoded})
        else:
            response = self._request("POST", path, data=encoded, headers={"Content-Type": "application/json"})
        return codec.loads(response.content)["result"]

    def put_blob(self, data: bytes) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        if not self.has_blob(sha256):
            self._request("PUT", f"blobs/{sha256}", data=data, timeout=self.write_timeout,
                          headers={"Content-Type": "application/octet-stream"})
        return sha256

    def put_file(self, path: Path) -> str:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        sha256 = digest.hexdigest()
        if not self.has_blob(sha256):
            with open(path, "rb") as handle:
                self._request("PUT", f"blobs/{sha256}", data=handle, timeout=self.write_timeout,
                              headers={"Content-Type": "application/octet-stream"})
        return sha256

    def open_blob(self, sha256: str) -> BinaryIO:
        response = self._request("GET", f"blobs/{quote(sha256, safe='')}", timeout=self.write_timeout)
        return io.BytesIO(response.content)

    def has_blob(self, sha256: str) -> bool:
        try:
            self._request("HEAD", f"blobs/{quote(sha256, safe='')}")
        except NotFoundError:
            return False
        return True

    def sql(self, statement: str, params: Sequence[Any] = (), *, max_rows: int = 10_000,
            timeout_s: float = 30.0) -> pa.Table:
        body = json.dumps(codec.encode({"statement": statement, "params": list(params),
                                        "max_rows": max_rows, "timeout_s": timeout_s}), allow_nan=False)
        response = self._request("POST", "sql", data=body, timeout=timeout_s + self.timeout,
                                 headers={"Content-Type": "application/json"})
        table = codec.loads(response.content)["result"]
        return table if isinstance(table, pa.Table) else pa.table({})

    def describe(self) -> dict[str, Any]:
        described: dict[str, Any] = {"backend": "rest", "url": self.url,
                                     "directory": str(self.directory) if self.directory else None,
                                     "pending_journal": self.journal.count() if self.journal else 0}
        try:
            described["server"] = codec.loads(self._request("GET", "describe").content)
            described["reachable"] = True
        except StoreUnreachableError:
            described["reachable"] = False
        return described

    def close(self) -> None:
        session = getattr(self._local, "session", None)
        if session is not None:
            session.close()
        self._closed = True


def _error_from_response(response: Any, url: str) -> MlmError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if isinstance(body, dict) and "code" in body:
        return error_from_code(str(body["code"]), str(body.get("message", "")), body.get("details") or {})
    status = response.status_code
    text = (body.get("message") if isinstance(body, dict) else None) or response.reason or ""
    if status in (401, 403):
        return PermissionDeniedError(
            f"the Jupyter server at {url} refused the request ({status} {text}); check its token", status=status)
    if status == 404:
        return NotFoundError(
            f"{url} has no mlm-jupyter REST API ({text}). Is the server extension installed and enabled? "
            "pip install mlm-jupyter, then restart the server.", status=status)
    if status < 500:
        return InvalidInputError(f"the server rejected the request: {status} {text}", status=status)
    return StoreError(f"the server failed: {status} {text}", status=status)
