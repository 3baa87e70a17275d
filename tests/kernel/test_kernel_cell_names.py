"""Names read and written by a cell, and its literal assignments (core.cell_names)."""

from __future__ import annotations

from mlm_jupyter.core.cell_names import analyze


def test_reads_exclude_names_bound_earlier_in_the_cell() -> None:
    names = analyze("df = df.dropna()\nx = 1\nprint(x)")
    assert names.reads == {"df"}
    assert names.writes == {"df", "x"}


def test_item_assignment_mutates_the_object() -> None:
    names = analyze('df["a"] = df["b"] * 2')
    assert names.reads == {"df"} and names.writes == {"df"}


def test_literal_assignments_are_params() -> None:
    names = analyze("lr = 0.01\nlayers = [64, 32]\nname: str = 'rf'\nmodel = fit(X, lr=lr)\na = b = 3\nt = (1, x)")
    assert names.literals == {"lr": 0.01, "layers": [64, 32], "name": "rf", "a": 3, "b": 3}
    assert names.reads == {"fit", "X", "x"}


def test_functions_read_their_free_names_and_bind_their_name() -> None:
    names = analyze("def f(y):\n    z2 = y + z\n    return z2\nclass C(Base):\n    k = 1\n")
    assert names.reads == {"z", "Base"}
    assert names.writes == {"f", "C"}


def test_comprehension_variables_are_not_reads() -> None:
    assert analyze("[v * k for v in values]").reads == {"k", "values"}


def test_imports_with_and_for_bind_names() -> None:
    names = analyze("import numpy as np, os.path\nfrom a import b as c\nwith open(p) as fh:\n    pass\n"
                    "for i, (j, k) in items:\n    total += i")
    assert {"np", "os", "c", "fh", "i", "j", "k", "total"} <= names.writes
    assert names.reads == {"p", "items", "total"}


def test_ipython_magics_are_skipped() -> None:
    names = analyze("%%track -e exp\nimport numpy as np\na = np.ones(3)\n!ls\n%time b = a")
    assert names.parsed and names.writes == {"np", "a"}


def test_syntax_errors_give_empty_names() -> None:
    names = analyze("x = (")
    assert not names.parsed and not names.reads and not names.writes


def test_builtins_are_not_reads() -> None:
    assert analyze("print(len(range(3)))").reads == frozenset()


def test_unicode_names() -> None:
    names = analyze("données = 1\nrésultat = données * π")
    assert names.reads == {"π"} and names.writes == {"données", "résultat"}
