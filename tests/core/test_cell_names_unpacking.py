"""Top-level literal assignments by unpacking (``lr, epochs = 0.01, 10``) are params of a %%track run too."""

from __future__ import annotations

from mlm_jupyter.core.cell_names import analyze


def test_each_unpacked_literal_is_its_own_literal() -> None:
    names = analyze("lr, epochs = 0.01, 10\n[opt, sched] = ['adam', None]\nlayers = [64, 32]")
    assert names.literals == {"lr": 0.01, "epochs": 10, "opt": "adam", "sched": None, "layers": [64, 32]}


def test_unpacking_of_computed_or_uneven_values_is_not_a_literal() -> None:
    names = analyze("a, b = values\nc, d = 1, values\ne, *f = 1, 2, 3\ng, h = 1, 2, 3")
    assert names.literals == {"c": 1}
