"""MlmServer: the Jupyter server extension app that owns the store and serves the REST API.

Configure with traitlets, e.g. ``jupyter lab --MlmServer.store=/data/.mlm``.
At load it opens the store (single writer), exports to kernels what they
need to reach it (``MLM_STORE``, ``MLM_SERVER_PID``, ``MLM_SERVER_TOKEN``)
and adds the routes; once the server listens it records its URL in the
store directory (``store.discovery``) and starts the lifecycle sweep; at
shutdown it flushes and closes the store and removes the record. A second
server started on a store that a live server already owns follows that one
(``FollowerStore``): it serves the same API through the owner, never a lock error.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from jupyter_core.utils import ensure_async
from jupyter_server.extension.application import ExtensionApp
from tornado.ioloop import PeriodicCallback
from traitlets import Float, Int, Unicode

from mlm_jupyter.core.errors import MlmError
from mlm_jupyter.server.context import LOAD_ERROR_KEY, SETTINGS_KEY, Limits, MlmContext
from mlm_jupyter.server.follower import FollowerStore
from mlm_jupyter.server.lifecycle import KERNEL_ACTIONS_SCHEMA, KernelWatcher
from mlm_jupyter.server.owner import OwnerStore
from mlm_jupyter.server.routes import handlers
from mlm_jupyter.store.discovery import discover_server_store, remove_server_record, write_server_record
from mlm_jupyter.store.location import resolve_store_dir

__all__ = ["MlmServer"]


class MlmServer(ExtensionApp):
    """The mlm-jupyter server extension."""

    name = "mlm_jupyter"
    load_other_extensions = True

    store = Unicode(
        "", config=True,
        help="Store directory this server owns. Default: MLM_STORE, else the nearest .mlm/ from the root dir.")
    artifacts = Unicode(
        "", config=True,
        help="Where artifacts and model files live: an fsspec URL (s3://bucket/prefix, gs://..., az://..., a path); "
             "the store's artifacts/ folder is then a cache. Default: MLM_ARTIFACTS, else that folder only.")
    sweep_interval = Float(
        2.0, config=True, help="Seconds between sweeps: kill runs of dead processes, replay the journal.")
    lock_timeout = Float(20.0, config=True, help="Seconds to wait for a store file another process holds.")
    max_body_bytes = Int(Limits.max_body_bytes, config=True, help="Largest JSON request body.")
    max_blob_bytes = Int(Limits.max_blob_bytes, config=True,
                         help="Largest artifact upload (streamed to disk as it arrives, never held in memory).")
    sql_max_rows = Int(Limits.sql_max_rows, config=True, help="Row limit of raw SQL.")
    sql_timeout = Float(Limits.sql_timeout_s, config=True, help="Time limit (s) of raw SQL.")
    workers = Int(8, config=True, help="Threads running store calls (reads run concurrently).")
    sql_workers = Int(2, config=True, help="Threads running callers' raw SQL (kept apart from the UI's reads).")
    kernel_shutdown_timeout = Float(
        30.0, config=True, help="Seconds to wait at server shutdown for kernels to stop and flush.")

    context: MlmContext | None = None

    def store_directory(self) -> Path:
        if self.store:
            return resolve_store_dir(self.store)
        root = Path(self.serverapp.root_dir).expanduser() if self.serverapp else Path.cwd()
        return resolve_store_dir(start=root)

    def initialize_settings(self) -> None:
        try:
            self._open_store()
        except MlmError as error:  # e.g. a script holds the file: the API says why (503), not a bare 404
            self.settings[LOAD_ERROR_KEY] = f"mlm-jupyter could not open its store: {error.message}"
            self.log.error("%s. The /mlm/api routes answer 503 with this message until the server restarts.",
                           self.settings[LOAD_ERROR_KEY])

    def _open_store(self) -> None:
        directory = self.store_directory()
        if self.artifacts:  # the store reads it when it opens (explicit setting > MLM_ARTIFACTS)
            os.environ["MLM_ARTIFACTS"] = self.artifacts
        limits = Limits(max_body_bytes=self.max_body_bytes, max_blob_bytes=self.max_blob_bytes,
                        sql_max_rows=self.sql_max_rows, sql_timeout_s=self.sql_timeout)
        owner = self._owning_server(directory)
        if owner is not None:  # another live server is the writer: go through it (no lock fight, no error)
            store: Any = FollowerStore(owner.url, owner.token, directory=directory)
        else:
            store = OwnerStore(directory, lock_timeout=self.lock_timeout, readers=self.workers)
        context = MlmContext(store, limits, self.workers, self.sql_workers)
        try:
            context.store.open()  # the single writer, from now until shutdown
        except BaseException:
            try:  # nothing half-open stays behind (no record written, no sweeps) when loading fails
                context.close()
            except Exception:
                self.log.debug("mlm-jupyter: closing the unopened store failed", exc_info=True)
            raise
        self.context = context
        self.watcher = KernelWatcher(self.context)
        self.settings[SETTINGS_KEY] = self.context
        if self.serverapp is not None:  # renames need no port: follow them from the start
            from mlm_jupyter.server.renames import CONTENTS_SCHEMA, RenameFollower

            self.rename_follower = RenameFollower(self.context, self.serverapp.root_dir)
            self.serverapp.event_logger.add_listener(schema_id=CONTENTS_SCHEMA,
                                                     listener=self.rename_follower.on_contents_action)
        self._export_environment(directory)
        if owner is not None:
            self.log.warning("mlm-jupyter: the store %s is owned by the Jupyter server at %s; this server and "
                             "its kernels reach it through that one", directory, owner.url)
        else:
            self.log.info("mlm-jupyter: owning the store %s", directory)

    @property
    def following(self) -> bool:
        """True when another server owns the store and this one goes through it."""
        return self.context is not None and isinstance(self.context.store, FollowerStore)

    def _owning_server(self, directory: Path) -> Any:
        """The live server (a ``RestStore`` on it) that already owns ``directory``, else ``None``."""
        try:
            return discover_server_store(directory)
        except Exception:
            self.log.debug("mlm-jupyter: no other server found for %s", directory, exc_info=True)
            return None

    def _export_environment(self, directory: Path) -> None:
        """What kernels started by this server inherit (os.environ is copied at kernel start)."""
        token = self.serverapp.identity_provider.token if self.serverapp else ""
        exported = {"MLM_STORE": str(directory), "MLM_SERVER_PID": str(os.getpid()),
                    "MLM_SERVER_TOKEN": token or ""}
        self._previous_env = {k: os.environ.get(k) for k in exported}
        os.environ.update(exported)

    def initialize_handlers(self) -> None:
        self.handlers.extend(handlers("/"))

    async def _start_jupyter_server_extension(self, serverapp: Any) -> None:
        """After the port is bound: record the URL, listen to kernel events, start sweeping."""
        if self.context is None:  # the extension failed to load (see the log): do not pose as the owner
            return
        try:
            if not self.following:  # the owner's record stays: scripts keep finding the writer
                self.record_server(serverapp.connection_url, serverapp.identity_provider.token or "")
        except OSError as error:  # kernels still find the server through their environment
            self.log.warning("mlm-jupyter: cannot write server.json in %s (%s); scripts on this store will "
                             "not find the server", self.context.store.directory, error)
        self._previous_env.setdefault("MLM_SERVER_URL", os.environ.get("MLM_SERVER_URL"))
        os.environ["MLM_SERVER_URL"] = serverapp.connection_url  # kernels started from now on inherit it
        serverapp.event_logger.add_listener(schema_id=KERNEL_ACTIONS_SCHEMA, listener=self.watcher.on_kernel_action)
        self._sweeper = PeriodicCallback(self.watcher.sweep, self.sweep_interval * 1000)
        self._sweeper.start()

    def record_server(self, url: str, token: str) -> None:
        """Write ``server.json`` + ``server.token`` so other processes find this server."""
        assert self.context is not None
        from mlm_jupyter import __version__

        write_server_record(self.context.store.directory, url, token, version=__version__)

    async def _shut_down_kernels_first(self) -> None:
        """Extensions stop before the server shuts its kernels down; doing it first lets their
        last writes (buffered metrics, open runs ended at exit) reach the store before it closes."""
        manager = getattr(self.serverapp, "kernel_manager", None)
        if manager is None or not list(manager.list_kernel_ids()):
            return
        try:
            await asyncio.wait_for(ensure_async(manager.shutdown_all()), timeout=self.kernel_shutdown_timeout)
        except Exception:  # the server shuts them down again; their runs are marked below
            self.log.warning("mlm-jupyter: kernels did not shut down within %.0f s", self.kernel_shutdown_timeout)

    def _kill_runs_of_live_kernels(self) -> None:
        assert self.context is not None
        manager = getattr(self.serverapp, "kernel_manager", None)
        for kernel_id in list(manager.list_kernel_ids()) if manager is not None else []:
            try:
                self.context.store.kill_owned_runs(f"kernel:{kernel_id}", "the Jupyter server shut down")
            except Exception:  # shutdown goes on; the next owner's sweep catches these runs
                self.log.exception("mlm-jupyter: could not mark the runs of kernel %s killed", kernel_id)

    async def stop_extension(self) -> None:
        """Flush and close the store, forget the record, restore the environment."""
        sweeper = getattr(self, "_sweeper", None)
        if sweeper is not None:
            sweeper.stop()
        if self.context is not None:
            await self._shut_down_kernels_first()
            remove_server_record(self.context.store.directory)
            self._kill_runs_of_live_kernels()  # extensions stop before the kernels are shut down
            self.context.close()
            self.context = None
        for key, value in getattr(self, "_previous_env", {}).items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
