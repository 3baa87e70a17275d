"""Friendly, memorable run names such as ``brave-otter-42``."""

from __future__ import annotations

import random

__all__ = ["new_run_name"]

_ADJECTIVES = ("amber", "bold", "brave", "calm", "clever", "crisp", "daring", "eager", "fancy", "gentle",
               "golden", "happy", "jolly", "keen", "lively", "lucky", "merry", "nimble", "quiet", "rapid",
               "shiny", "silent", "snappy", "steady", "sunny", "swift", "tidy", "vivid", "witty", "zesty")
_NOUNS = ("badger", "bison", "crane", "dolphin", "falcon", "ferret", "gecko", "heron", "ibis", "koala",
          "lemur", "lynx", "marten", "narwhal", "ocelot", "otter", "panda", "puffin", "quail", "raven",
          "salmon", "seal", "sparrow", "tapir", "toucan", "walrus", "wombat", "yak", "zebra", "owl")


_rng = random.Random()  # its own stream: naming a run never moves the user's `random` sequence


def new_run_name(rng: random.Random | None = None) -> str:
    pick = rng or _rng
    return f"{pick.choice(_ADJECTIVES)}-{pick.choice(_NOUNS)}-{pick.randrange(100)}"
