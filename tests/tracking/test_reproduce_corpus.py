"""The reproduction corpus (``tests/corpus``): well-formed, and one out-of-order notebook reproduced end to end.

``benchmarks/bench_reproduce.py`` runs every corpus notebook and reports the share reproduced.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
NOTEBOOKS = sorted(CORPUS.glob("*.ipynb"))


def test_the_corpus_has_twenty_varied_notebooks_each_with_one_tracked_cell() -> None:
    assert len(NOTEBOOKS) >= 20
    styles = set()
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        meta = notebook.metadata["mlm_corpus"]
        styles.add(meta["style"].split(" (")[0])
        sources = [cell.source for cell in notebook.cells]
        assert sources[0] == "%load_ext mlm_jupyter", path.name
        assert sum(source.startswith("%%track") for source in sources) == 1, path.name
        assert meta["expect"] in ("reproduced", "differs")
    assert styles == {"scikit-learn example", "Python Data Science Handbook", "plain numpy"}


@pytest.mark.slow
def test_a_notebook_run_out_of_order_reproduces(tmp_path: Path) -> None:
    from mlm_jupyter.tracking.client import MlmClient
    from mlm_jupyter.tracking.reproduce import reproduce

    path = CORPUS / "np_out_of_order_redefined.ipynb"
    notebook = nbformat.read(path, as_version=4)
    order = notebook.metadata["mlm_corpus"]["order"]
    assert order != sorted(order)
    store = tmp_path / "store"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLM_", "JPY_"))}
    env.update(MLM_STORE=str(store), MLM_NO_SERVER="1",
               PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    runner = NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    with runner.setup_kernel(env=env):
        for index in order:
            runner.execute_cell(notebook.cells[index], index)

    client = MlmClient(store)
    try:
        run_id = str(client.search_runs(experiment="corpus")["run_id"][0])
        result = reproduce(run_id, client=client, timeout=120)
        assert result.verdict == "reproduced", result.summary()
        assert client.get_run(run_id).metrics["result"] == 1980.0
    finally:
        client.close()
