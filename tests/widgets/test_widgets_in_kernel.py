"""The widgets in a real ipykernel (nbclient): models build, sync state, and display with their fallbacks."""

from __future__ import annotations

import nbformat
from nbclient import NotebookClient

CELLS = [
    "%load_ext mlm_jupyter\nimport mlm_jupyter as mlm",
    """client = mlm.get_client()
ids = []
for i in range(3):
    run = client.create_run("kernel", f"k{i}")
    client.log_params(run.id, {"lr": i})
    client.log_metric_batch(run.id, "loss", [1.0 / (1 + i + s) for s in range(1000)])
    client.end_run(run.id)
    ids.append(run.id)""",
    """table = mlm.runs(experiment="kernel")
assert list(table.frame["name"]) == ["k2", "k1", "k0"], table.frame
table.filter = "params.lr >= 1"
assert list(table.frame["name"]) == ["k2", "k1"]
table.selected = ids[1:]
table""",
    "cmp = mlm.compare(table)\nassert cmp.run_ids == ids[1:] and cmp.metric == 'loss'\ncmp",
    "timeline = mlm.history()\nassert any('mlm.runs' in c['source'] for c in timeline.cells)\ntimeline",
    "%mlm runs kernel",
]


def test_widgets_build_and_display_in_a_real_kernel(store_dir, tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    NotebookClient(notebook, timeout=180, kernel_name="python3", store_widget_state=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [cell.outputs for cell in notebook.cells]
    errors = [o for cell in outputs for o in cell if o.output_type == "error"]
    assert not errors, errors
    for index in (2, 3, 4, 5):
        data = outputs[index][-1]["data"]
        assert "application/vnd.jupyter.widget-view+json" in data
        assert "text/html" in data  # the nbviewer / GitHub fallback
    assert "k2" in outputs[2][-1]["data"]["text/html"]
    assert "Comparison of 2 runs" in outputs[3][-1]["data"]["text/plain"]
    state = notebook.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    tables = [m["state"] for m in state.values() if m["state"].get("filter") == "params.lr >= 1"]
    assert tables and tables[0]["selected"]
