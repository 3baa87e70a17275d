"""ServeConfig: everything ``mlm serve`` was told, passable to worker processes as JSON."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass

from mlm_jupyter.core.errors import InvalidInputError
from mlm_jupyter.core.model_entities import parse_model_uri

__all__ = ["CONFIG_ENV", "ServeConfig"]

#: worker processes read their configuration from this environment variable
CONFIG_ENV = "MLM_SERVE_CONFIG"


@dataclass(frozen=True)
class ServeConfig:
    """What to serve and how.

    Attributes:
        uri: ``models:/NAME@ALIAS`` (followed when the alias moves), ``models:/NAME/VERSION``,
            ``runs:/<id>/model`` or an exported folder.
        store: the store directory (``None``: ``MLM_STORE`` or the nearest ``.mlm/``).
        trust_pickle: allow pickle-flavor models (reading a pickle can run arbitrary code).
        trusted_types: extra types a skops file may create beyond scikit-learn's own.
        monitor: log every prediction through ``mlm.monitor``.
        shadow: a second model URI scored off the response path (e.g. ``models:/NAME@challenger``).
        poll_interval: seconds between checks of where the alias points.
        max_body_bytes: larger request bodies get a 413 before they are read.
        shadow_queue: requests waiting for the shadow model; past it they are not shadowed (counted).
    """

    uri: str
    store: str | None = None
    trust_pickle: bool = False
    trusted_types: tuple[str, ...] = ()
    monitor: bool = True
    shadow: str | None = None
    poll_interval: float = 1.0
    max_body_bytes: int = 16 * 1024 * 1024
    shadow_queue: int = 10_000

    def __post_init__(self) -> None:
        parse_model_uri(self.uri)
        if self.shadow is not None:
            if parse_model_uri(self.shadow).kind == "path":
                raise InvalidInputError(f"--shadow takes a store URI such as models:/NAME@challenger, not a "
                                        f"folder ({self.shadow!r})")
        if not self.poll_interval > 0:
            raise InvalidInputError(f"the poll interval must be positive seconds, not {self.poll_interval!r}")
        if self.max_body_bytes < 1:
            raise InvalidInputError("the request body limit must be at least one byte")

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServeConfig:
        data = json.loads(text)
        data["trusted_types"] = tuple(data.get("trusted_types") or ())
        return cls(**data)

    @classmethod
    def from_env(cls) -> ServeConfig:
        text = os.environ.get(CONFIG_ENV)
        if not text:
            raise InvalidInputError(f"{CONFIG_ENV} is not set: start the server with `mlm serve URI`")
        return cls.from_json(text)
