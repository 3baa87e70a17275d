"""``mlm_jupyter.<name>`` that does not exist says which public name was probably meant."""

from __future__ import annotations

import pytest

import mlm_jupyter as mlm


def test_a_near_miss_suggests_the_public_name() -> None:
    with pytest.raises(AttributeError, match="did you mean log_artifact"):
        mlm.log_artifacts  # noqa: B018 -- MLflow's name
    with pytest.raises(AttributeError, match=r"dir\(mlm_jupyter\)"):
        mlm.no_such_thing_at_all  # noqa: B018


def test_dunder_probes_stay_plain_attribute_errors() -> None:
    assert not hasattr(mlm, "__wrapped__")
