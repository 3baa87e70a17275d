"""The PyTorch flavor: a module's ``state_dict`` in safetensors plus the class path to rebuild it.

Loading imports the class by its path and calls it with the keyword
arguments saved at log time (``init_kwargs``, from the module's
``mlm_init_kwargs`` attribute if it has one), then loads the tensors. No
pickle is involved.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

from mlm_jupyter.core.errors import InvalidInputError, UntrustedModelError

__all__ = ["DISTRIBUTIONS", "FILE_NAME", "NAME", "load", "matches", "save"]

NAME = "torch"
FILE_NAME = "model.safetensors"
DISTRIBUTIONS = ("torch", "safetensors", "numpy")


def matches(model: Any) -> bool:
    if "torch" not in sys.modules:
        return False
    import torch

    return isinstance(model, torch.nn.Module)


def save(model: Any) -> tuple[bytes, dict[str, Any]]:
    from safetensors.torch import save as save_tensors

    cls = type(model)
    if "<locals>" in cls.__qualname__ or cls.__module__ == "__main__":
        raise InvalidInputError(
            f"the torch flavor rebuilds {cls.__qualname__} by importing it, but it is defined in "
            f"{cls.__module__!r}{' inside a function' if '<locals>' in cls.__qualname__ else ''}. Move the class "
            "into an importable module, or pass flavor='pickle'.")
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    return save_tensors(state), {"class": f"{cls.__module__}:{cls.__qualname__}",
                                 "init_kwargs": dict(getattr(model, "mlm_init_kwargs", {}) or {})}


def load(data: bytes, details: dict[str, Any], options: Any) -> Any:
    import torch
    from safetensors.torch import load as load_tensors

    module_name, _, qualname = str(details["class"]).partition(":")
    target: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        target = getattr(target, part)
    if not (isinstance(target, type) and issubclass(target, torch.nn.Module)):
        # the manifest names what gets called: never call anything but a torch module class
        raise UntrustedModelError(f"the manifest names {details['class']!r}, which is not a torch.nn.Module class; "
                                  "refusing to call it", class_path=str(details["class"]))
    model = target(**dict(details.get("init_kwargs") or {}))
    model.load_state_dict(load_tensors(data))
    model.eval()
    return model
