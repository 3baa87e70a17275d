"""Model packaging: the requirements a model version records."""

from __future__ import annotations

import importlib.metadata

import pytest

from mlm_jupyter.tracking import model_package


def test_a_flavor_package_installed_under_another_distribution_name_is_still_required(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # e.g. `pip install xgboost-cpu` provides the `xgboost` package: the requirement must name xgboost-cpu
    monkeypatch.setattr(model_package, "_distributions_by_package", lambda: {"boosting": ["numpy"]})
    found = model_package.requirements_for(object(), ["boosting", "scipy"])
    assert found == [f"numpy=={importlib.metadata.version('numpy')}",
                     f"scipy=={importlib.metadata.version('scipy')}"]
