"""Params are hyperparameters: what a %%track cell builds up (accumulators) is not a param."""

from __future__ import annotations

from mlm_jupyter.core.cell_names import analyze


def test_empty_containers_filled_later_in_the_cell_are_not_params() -> None:
    names = analyze(
        "predictions = {}\nclfs = []\nseen = set()\nn_estimators = 100\n"
        "for name in ['a', 'b']:\n    predictions[name] = 1\n    clfs.append(name)\n    seen.add(name)\n")
    assert names.literals == {"n_estimators": 100}


def test_loop_accumulators_are_not_params() -> None:
    names = analyze("total = 0\nbest = None\nlr = 0.1\nfor x in range(3):\n    total += x\n    best = x\n")
    assert names.literals == {"lr": 0.1}


def test_a_literal_recomputed_later_at_top_level_is_not_a_param() -> None:
    names = analyze("scores = []\nscores = scores + [1]\nalpha = 0.5\n")
    assert names.literals == {"alpha": 0.5}


def test_an_empty_container_left_as_set_is_still_a_param() -> None:
    names = analyze("hidden_layers = []\nmodel = make(hidden_layers)\n")
    assert names.literals == {"hidden_layers": []}
