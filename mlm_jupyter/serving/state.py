"""ServingState: what one worker process serves (primary and shadow slots, followers, prediction log, store)."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from mlm_jupyter.core.model_entities import parse_model_uri
from mlm_jupyter.serving.alias_follower import AliasFollower
from mlm_jupyter.serving.config import ServeConfig
from mlm_jupyter.serving.observation import NullLog, PredictionLog, open_prediction_log
from mlm_jupyter.serving.served_model import ModelSlot, ServedModel, load_served
from mlm_jupyter.serving.shadow import ShadowScorer

__all__ = ["ServingState", "open_serving_client"]

log = logging.getLogger("mlm.serve")

# a worker releases the DuckDB file this soon after each poll, so promotions from other processes get in
_HOLD_SECONDS = 0.05


def open_serving_client(store: str | os.PathLike[str] | None) -> Any:
    """A client on the store: through its Jupyter server if one owns it, else the DuckDB file held briefly."""
    from mlm_jupyter.store.discovery import discover_server_store
    from mlm_jupyter.store.duckdb_store import DuckDbStore
    from mlm_jupyter.store.location import resolve_store_dir
    from mlm_jupyter.tracking.client import MlmClient

    path = resolve_store_dir(store)
    backend = discover_server_store(path) or DuckDbStore(path, hold_seconds=_HOLD_SECONDS)
    return MlmClient(backend)


class AliasReader:
    """Where ``NAME@ALIAS`` points, read from the store only when the store may have changed.

    For a DuckDB store, any change to an alias rewrites ``mlm.duckdb`` or its WAL (or adds a journal
    file), so a poll first compares their size and mtime with the last read: an idle store costs a few
    ``stat`` calls per poll instead of opening the database (which also runs migrations and recovery).
    Through a server (REST store) every poll asks the server.
    """

    def __init__(self, client: Any, name: str, alias: str) -> None:
        self.client = client
        self.name = name
        self.alias = alias
        directory = getattr(client.store, "directory", None)
        path = getattr(client.store, "path", None)
        self._files = [Path(path), Path(f"{path}.wal"), Path(directory) / "journal"] \
            if directory is not None and path is not None else []
        self._seen: tuple[Any, ...] | None = None
        self._version: int | None = None
        self.reads = 0

    def _signature(self) -> tuple[Any, ...]:
        found: list[tuple[int, int] | None] = []
        for file in self._files:
            try:
                stat = file.stat()
                found.append((stat.st_mtime_ns, stat.st_size))
            except OSError:
                found.append(None)
        return tuple(found)

    def __call__(self) -> int:
        signature = self._signature() if self._files else None
        if self._version is not None and signature is not None and signature == self._seen:
            return self._version
        self.reads += 1
        self._version = int(self.client.get_model_version(self.name, alias=self.alias).version)
        self._seen = signature
        return self._version


class ServingState:
    """Loads the model(s) of ``config`` and keeps them current.

    ``start()`` begins following aliases; ``stop()`` stops following, drains the
    shadow queue and flushes the prediction log (uvicorn calls it after the last
    request in flight has been answered).
    """

    def __init__(self, config: ServeConfig, client: Any = None) -> None:
        self.config = config
        self.client = client if client is not None else open_serving_client(config.store)
        self.slot, self.follower = self._slot_for(config.uri, "primary")
        self.shadow_slot: ModelSlot | None = None
        self.shadow_follower: AliasFollower | None = None
        self.predictions: PredictionLog = open_prediction_log(self.client, config.monitor)
        self.shadow: ShadowScorer | None = None
        if config.shadow:
            self.shadow_slot, self.shadow_follower = self._slot_for(config.shadow, "shadow")
            self.shadow = ShadowScorer(self.shadow_slot, self.predictions, config.shadow_queue)

    def _load(self, uri: str, alias: str | None = None) -> ServedModel:
        return load_served(self.client, uri, trust_pickle=self.config.trust_pickle,
                           trusted_types=self.config.trusted_types, alias=alias)

    def _slot_for(self, uri: str, label: str) -> tuple[ModelSlot, AliasFollower | None]:
        slot = ModelSlot(self._load(uri))
        parsed = parse_model_uri(uri)
        if parsed.kind != "models" or parsed.alias is None:
            return slot, None  # a version number, a run or a folder never moves
        name, alias = str(parsed.name), str(parsed.alias)
        where = AliasReader(self.client, name, alias)

        def load(version: int) -> ServedModel:
            return self._load(f"models:/{name}/{version}", alias=alias)

        return slot, AliasFollower(slot, where, load, self.config.poll_interval, label=f"{name}@{alias} ({label})")

    def start(self) -> None:
        for follower in (self.follower, self.shadow_follower):
            if follower is not None:
                follower.start()

    def stop(self) -> None:
        for follower in (self.follower, self.shadow_follower):
            if follower is not None:
                follower.stop()
        if self.shadow is not None:
            self.shadow.close()
        self.predictions.close()
        try:
            self.client.close()
        except Exception as error:  # noqa: BLE001 -- shutting down must finish
            log.error("closing the store failed (%s: %s)", type(error).__name__, error)

    def metadata(self) -> dict[str, Any]:
        served = self.slot.current
        data = served.metadata()
        data["following"] = self.follower is not None
        data["monitored"] = not isinstance(self.predictions, NullLog) and served.monitor_uri is not None
        data["worker_pid"] = os.getpid()
        if self.shadow_slot is not None and self.shadow is not None:
            data["shadow"] = {**self.shadow_slot.current.metadata(), "scored": self.shadow.scored,
                              "skipped": self.shadow.skipped, "failed": self.shadow.failed}
        return data
