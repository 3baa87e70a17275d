"""The one answer to "who is making this request", as jupyter_server authenticated it.

Audit rows written over REST carry this identity, never the ``user`` a
client put in its request. ``request_identity(handler)`` gives:

- under JupyterHub (its identity provider; or the server's own token in a
  single-user server, which has ``JUPYTERHUB_USER``): the hub user name,
  provider ``jupyterhub``;
- with a named user from any other identity provider: that user name,
  provider ``jupyter_server:<provider class>``;
- with the plain token of a personal server (jupyter_server calls such a
  user "Anonymous ..." with a random id): whoever holds the token is the
  server's owner, so the OS user running the server,
  provider ``jupyter_server:token``.
"""

from __future__ import annotations

import getpass
import os
import re
from typing import Any

from mlm_jupyter.store.stamping import Identity

__all__ = ["request_identity", "server_os_user"]

_ANONYMOUS_ID = re.compile(r"^[0-9a-f]{32}$")


def server_os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _provider_class(handler: Any) -> type:
    provider = getattr(handler, "identity_provider", None)
    return type(provider)


def _is_anonymous(user: Any) -> bool:
    username = str(getattr(user, "username", "") or "")
    name = str(getattr(user, "name", "") or "")
    return not username or (_ANONYMOUS_ID.match(username) is not None and name.startswith("Anonymous"))


def request_identity(handler: Any) -> Identity:
    """The authenticated identity of ``handler``'s request (a jupyter_server ``JupyterHandler``)."""
    user = handler.current_user
    provider_class = _provider_class(handler)
    hub_user = os.environ.get("JUPYTERHUB_USER")
    if _is_anonymous(user):  # the server's own token: its holder is whoever the server runs for
        return Identity(hub_user, "jupyterhub") if hub_user else Identity(server_os_user(), "jupyter_server:token")
    if provider_class.__module__.split(".")[0] == "jupyterhub" or "JupyterHub" in provider_class.__name__:
        return Identity(str(user.username), "jupyterhub")
    return Identity(str(user.username), f"jupyter_server:{provider_class.__name__}")
