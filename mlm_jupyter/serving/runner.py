"""Running the server: uvicorn with one worker in this process, or N worker processes.

Before any port is bound the model is loaded once here, so a tampered file, a
pickle without ``--trust-pickle`` or a missing version fails the command with
a clear message instead of crash-looping workers. With ``workers > 1`` uvicorn
starts N processes, each building its own app from ``MLM_SERVE_CONFIG`` (each
follows the alias on its own). SIGTERM: uvicorn stops accepting, answers every
request in flight, then the app's lifespan drains the shadow queue and flushes
the prediction log.
"""

from __future__ import annotations

import logging
import os

from mlm_jupyter.core.errors import InvalidInputError
from mlm_jupyter.serving.config import CONFIG_ENV, ServeConfig

__all__ = ["run_server"]


def _configure_logging(level: str) -> None:
    logger = logging.getLogger("mlm.serve")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:     mlm serve: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(level.upper())


def run_server(config: ServeConfig, *, host: str = "127.0.0.1", port: int = 5001, workers: int = 1,
               log_level: str = "info", access_log: bool = False, keep_alive: float = 30.0) -> None:
    """Serve ``config`` until SIGTERM/SIGINT."""
    import uvicorn

    from mlm_jupyter.serving.app import build_app
    from mlm_jupyter.serving.state import ServingState, open_serving_client
    from mlm_jupyter.serving.served_model import load_served

    if workers < 1:
        raise InvalidInputError(f"--workers must be at least 1, not {workers}")
    _configure_logging(log_level)
    # keep-alive longer than clients' own idle expiry (httpx: 5 s), so a client never sends on a connection
    # the server is closing at that very moment (the request would fail with a reset, unseen by the server)
    common = dict(host=host, port=port, log_level=log_level, access_log=access_log, lifespan="on",
                  timeout_graceful_shutdown=None, timeout_keep_alive=int(keep_alive))
    if workers == 1:
        state = ServingState(config)
        served = state.slot.current
        logging.getLogger("mlm.serve").info("serving %s (v%s, %s) on http://%s:%s", config.uri, served.label,
                                            served.flavor, host, port)
        uvicorn.run(build_app(state), **common)  # type: ignore[arg-type]
        return
    client = open_serving_client(config.store)
    try:  # fail here, once, with the reason, rather than in every worker
        for uri in filter(None, (config.uri, config.shadow)):
            load_served(client, uri, trust_pickle=config.trust_pickle, trusted_types=config.trusted_types)
    finally:
        client.close()
    os.environ[CONFIG_ENV] = config.to_json()
    logging.getLogger("mlm.serve").info("serving %s with %d workers on http://%s:%s", config.uri, workers, host,
                                        port)
    uvicorn.run("mlm_jupyter.serving.app:create_app", factory=True, workers=workers, **common)  # type: ignore[arg-type]
