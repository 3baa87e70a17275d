"""The UI fixtures work: JupyterLab starts, a notebook opens and its cells run in a real kernel."""

from __future__ import annotations

import pytest

from tests.ui.conftest import assert_no_cell_errors, cell_outputs_text

pytestmark = pytest.mark.ui


def test_notebook_runs_cells_in_the_lab(page, notebook, lab_server):
    notebook(["import os\nprint('store=' + os.environ['MLM_STORE'])", "print(6 * 7)"], "smoke.ipynb")
    assert_no_cell_errors(page)
    text = cell_outputs_text(page)
    assert "42" in text
    assert f"store={lab_server.store_dir}" in text
