"""The notebook widgets in a real JupyterLab and headless Chromium: what the user sees and clicks."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

from tests.ui.conftest import REPO, artifact_path, assert_no_cell_errors, run_code

pytestmark = pytest.mark.ui

DOCS_IMAGES = REPO / "docs" / "images"


def _screenshot(locator, name: str) -> None:
    """Save a widget's screenshot as a test artifact (not committed).

    With ``MLM_REFRESH_DOCS_IMAGES=1`` it also refreshes the README's copy in docs/images; by default a test run
    leaves the checkout untouched.
    """
    path = artifact_path(f"widget-{name}.png")
    locator.screenshot(path=str(path))
    if os.environ.get("MLM_REFRESH_DOCS_IMAGES") == "1":
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, DOCS_IMAGES / f"widget-{name}.png")


def _row_names(page) -> list[str]:
    return page.locator(".mlm-runs-table .mlm-row [data-column='name']").all_inner_texts()


@pytest.fixture(scope="module")
def ui_runs(lab_server):
    """40 finished runs in experiment ui-runs: acc = i/100, lr = i/10; two of them log a 'loss' curve."""
    client = lab_server.client()
    try:
        ids = []
        for i in range(40):
            run = client.create_run("ui-runs", f"run-{i:02d}")
            client.log_params(run.id, {"lr": i / 10, "opt": "adam" if i % 2 else "sgd"})
            client.log_metric(run.id, "acc", i / 100)
            if i in (3, 7):
                steps = np.arange(5000)
                client.log_metric_batch(run.id, "loss", np.exp(-steps / (800 + 300 * i)) + 0.02 * np.sin(steps / 40))
            client.end_run(run.id)
            ids.append(run.id)
        return ids
    finally:
        client.close()


def test_runs_table_rows_sort_filter_select_and_compare(page, notebook, ui_runs):
    notebook(["import mlm_jupyter as mlm\ntable = mlm.runs(experiment='ui-runs')\ntable"], "runs_table.ipynb")
    assert_no_cell_errors(page)
    table = page.locator(".mlm-runs-table")
    table.locator(".mlm-row").first.wait_for()

    # the right rows: newest first, 40 in total, but only the visible window is in the DOM
    assert "40 runs" in table.locator(".mlm-footer").inner_text()
    assert _row_names(page)[:3] == ["run-39", "run-38", "run-37"]
    assert table.locator(".mlm-row").count() < 40
    table.locator(".mlm-viewport").evaluate("v => v.scrollTop = v.scrollHeight")
    page.wait_for_function("() => [...document.querySelectorAll('.mlm-runs-table .mlm-row')]"
                           ".some(r => r.innerText.includes('run-00'))")
    table.locator(".mlm-viewport").evaluate("v => v.scrollTop = 0")

    # sorting: by acc ascending, then descending; by the numeric param lr
    table.locator(".mlm-head[data-column='metrics.acc']").click()
    page.wait_for_function("() => document.querySelector('.mlm-runs-table .mlm-row [data-column=\"name\"]')"
                           ".innerText === 'run-00'")
    assert _row_names(page)[:2] == ["run-00", "run-01"]
    table.locator(".mlm-head[data-column='metrics.acc']").click()
    page.wait_for_function("() => document.querySelector('.mlm-runs-table .mlm-row [data-column=\"name\"]')"
                           ".innerText === 'run-39'")
    table.locator(".mlm-head[data-column='params.lr']").click()
    page.wait_for_function("() => document.querySelector('.mlm-runs-table .mlm-row [data-column=\"params.lr\"]')"
                           ".innerText === '0.0'")
    assert _row_names(page)[:3] == ["run-00", "run-01", "run-02"]  # numeric, not text, order (10 > 9)

    # a filter with a syntax error shows it inline, with the column
    box = table.locator(".mlm-filter")
    box.fill("metrics.acc >")
    box.press("Enter")
    error = table.locator(".mlm-error")
    error.wait_for(state="visible")
    assert "column 14" in error.inner_text()
    assert "^" in error.locator(".mlm-error-text").inner_text()

    # a valid filter searches the store
    box.fill("")
    box.press_sequentially("metrics.acc >= 0.3 and params.opt = 'adam'")  # real key presses: no notebook shortcut fires
    box.press("Enter")
    error.wait_for(state="hidden")
    page.wait_for_function("() => document.querySelector('.mlm-runs-table .mlm-footer').innerText"
                           ".startsWith('5 runs')")
    assert sorted(_row_names(page)) == ["run-31", "run-33", "run-35", "run-37", "run-39"]
    _screenshot(table, "runs-table")

    # the column chooser adds and removes columns
    table.locator(".mlm-columns-button").click()
    table.locator(".mlm-chooser input[data-column='run_id']").check()
    table.locator(".mlm-head[data-column='run_id']").wait_for()
    table.locator(".mlm-chooser input[data-column='params.opt']").uncheck()
    table.locator(".mlm-head[data-column='params.opt']").wait_for(state="detached")
    table.locator(".mlm-columns-button").click()

    # selecting rows reaches Python, and compare() takes the table's selection
    rows = table.locator(".mlm-row")
    rows.filter(has_text="run-33").click()
    rows.filter(has_text="run-37").click()
    page.wait_for_function("() => document.querySelector('.mlm-runs-table .mlm-footer').innerText"
                           ".includes('2 selected')")
    output = run_code(page, "print(sorted(table.selected) == sorted(table.frame.query("
                            "\"name in ['run-33', 'run-37']\").run_id)); cmp = mlm.compare(table); cmp")
    assert "True" in output.inner_text()

    figure = page.locator(".mlm-comparison .js-plotly-plot")
    figure.wait_for(timeout=60_000)
    page.wait_for_function("() => document.querySelectorAll('.mlm-comparison .legend .traces').length >= 2")
    legend = page.locator(".mlm-comparison .legend .legendtext").all_text_contents()
    assert {"run-33", "run-37"} <= {text.strip() for text in legend}
    assert page.locator(".mlm-comparison .parcoords").count() == 1
    assert page.locator(".mlm-comparison canvas").count() >= 1  # WebGL traces draw on canvases
    assert "params.lr" in page.locator(".mlm-comparison .mlm-diff-table").inner_text()
    assert_no_cell_errors(page)


def test_runs_table_refreshes_running_runs_live(page, notebook, lab_server):
    client = lab_server.client()
    try:
        running = client.create_run("ui-live", "training", owner="test")
        client.log_metric(running.id, "loss", 1.0)
        client.flush()
    finally:
        client.close()
    notebook(["import mlm_jupyter as mlm\nmlm.runs(experiment='ui-live', refresh_seconds=0.5)"], "live.ipynb")
    table = page.locator(".mlm-runs-table")
    table.locator(".mlm-row .mlm-status-running").wait_for()
    assert "1 running" in table.locator(".mlm-live").inner_text()
    client = lab_server.client()
    try:
        client.log_metric(running.id, "loss", 0.25)
        client.end_run(running.id)
        newer = client.create_run("ui-live", "next-one", owner="test")
        client.end_run(newer.id)
    finally:
        client.close()
    # no click, no cell: the table's refresh thread picks both changes up
    table.locator(".mlm-row[data-run-id='%s'] .mlm-status-finished" % running.id).wait_for(timeout=30_000)
    table.locator(".mlm-row", has_text="next-one").wait_for(timeout=30_000)
    assert table.locator(".mlm-row", has_text="training").locator("[data-column='metrics.loss']").inner_text() == "0.25"


TRACKED = """%%track -e ui-track -n {name}
lr = {lr}
for step in range(5000):
    mlm.log_metric("loss", 1 / (1 + lr * step) + 0.01 * ((step * 7919) % 13) / 13)
"""


def test_comparison_draws_curves_and_the_code_diff_of_tracked_cells(page, notebook):
    notebook(["%load_ext mlm_jupyter\nimport mlm_jupyter as mlm",
              TRACKED.format(name="slow", lr=0.01), TRACKED.format(name="fast", lr=0.3),
              "ids = mlm.search_runs(experiment='ui-track')['run_id'].tolist()\n"
              "cmp = mlm.compare(ids, metric='loss', smoothing=0.5)\ncmp"], "compare.ipynb")
    assert_no_cell_errors(page)
    page.wait_for_function("() => document.querySelectorAll('.mlm-comparison .legend .traces').length >= 2",
                           timeout=60_000)
    # the Scattergl traces hold downsampled points (5000 logged, at most 2000 drawn)
    points = page.evaluate("() => document.querySelector('.mlm-comparison .js-plotly-plot').data"
                           ".filter(t => t.type === 'scattergl').map(t => t.x.length)")
    assert len(points) == 2 and all(100 < n <= 2000 for n in points)
    # the canvas quick view painted both curves first (hidden once plotly has drawn)
    assert page.locator(".mlm-comparison .mlm-curves-preview canvas[data-painted='2']").count() == 1
    # the cell-level code diff between the two runs' cells
    diff = page.locator(".mlm-comparison .mlm-code-diff")
    changed = diff.locator(".mlm-add, .mlm-del").all_inner_texts()
    assert any("lr = 0.01" in line for line in changed) and any("lr = 0.3" in line for line in changed)
    page.set_viewport_size({"width": 1400, "height": 1500})
    _screenshot(page.locator(".mlm-comparison"), "compare")


@pytest.fixture(scope="module")
def ui_model(lab_server):
    """Model ui-model with versions 1 (val_auc 0.80) and 2 (0.93); @production needs val_auc >= 0.9."""
    from sklearn.linear_model import LogisticRegression

    x = np.random.default_rng(0).random((40, 3))
    y = (x[:, 0] > 0.5).astype(int)
    client = lab_server.client()
    try:
        for auc in (0.80, 0.93):
            run = client.create_run("ui-registry", f"auc-{auc}")
            client.log_metric(run.id, "val_auc", auc)
            client.log_model(run.id, LogisticRegression().fit(x, y), "ui-model")
            client.end_run(run.id)
        client.set_promotion_rule("ui-model", "metric_threshold", metric="val_auc", op=">=", threshold=0.9)
    finally:
        client.close()
    return "ui-model"


def _promote(panel, version: int, reason: str) -> None:
    panel.locator(f".mlm-version-row[data-version='{version}'] .mlm-promote-button").click()
    form = panel.locator(".mlm-promote-form")
    assert form.locator(".mlm-submit").is_disabled()  # no reason, no promotion
    form.locator(".mlm-alias").fill("production")
    form.locator(".mlm-reason").fill(reason)
    form.locator(".mlm-submit").click()


def test_registry_promote_moves_the_alias_in_the_store(page, notebook, lab_server, ui_model):
    notebook(["import mlm_jupyter as mlm\npanel = mlm.registry('ui-model')\npanel"], "registry.ipynb")
    assert_no_cell_errors(page)
    panel = page.locator(".mlm-registry")
    panel.locator(".mlm-version-row").first.wait_for()

    # the gate blocks v1 and the panel says why; the store is unchanged
    _promote(panel, 1, "try the old one")
    message = panel.locator(".mlm-message-error")
    message.wait_for()
    assert "val_auc" in message.inner_text() and "short" in message.inner_text()

    # v2 passes: the click really calls the registry
    _promote(panel, 2, "best val_auc so far")
    panel.locator(".mlm-message-ok").wait_for()
    panel.locator(".mlm-version-row[data-version='2'] .mlm-badge", has_text="@production").wait_for()
    client = lab_server.client()
    try:
        assert client.get_model_version("ui-model", alias="production").version == 2
        events = client.model_events("ui-model")
    finally:
        client.close()
    assert [e.action for e in events if e.action in ("promotion_blocked", "alias_set")] == \
        ["promotion_blocked", "alias_set"]
    assert any(e.reason == "best val_auc so far" for e in events)

    # the audit trail lists both attempts
    trail = panel.locator(".mlm-history").inner_text()
    assert "alias_set" in trail and "promotion_blocked" in trail and "best val_auc so far" in trail
    _screenshot(panel, "registry")


def test_history_shows_this_sessions_cells(page, notebook):
    notebook(["%load_ext mlm_jupyter", "x = 1", "y = x + 1", "x = 5", "import mlm_jupyter as mlm\nmlm.history()"],
             "history.ipynb")
    assert_no_cell_errors(page)
    timeline = page.locator(".mlm-history")
    timeline.locator(".mlm-cell-row").first.wait_for()
    text = timeline.inner_text()
    assert "y = x + 1" in text and "x = 5" in text
    stale = timeline.locator(".mlm-cell-row.mlm-stale")
    assert stale.count() >= 1 and "y = x + 1" in stale.first.inner_text()
    _screenshot(timeline, "history")


def _set_theme(page, name: str, light: bool) -> None:
    page.locator(".lm-MenuBar-item", has_text="Settings").first.click()
    page.locator(".lm-Menu-content .lm-Menu-itemLabel").get_by_text("Theme", exact=True).hover()
    page.locator(".lm-Menu-content .lm-Menu-itemLabel").get_by_text(name, exact=True).click()
    page.wait_for_function(f"() => document.body.dataset.jpThemeLight === '{str(light).lower()}'")


def _luminance(locator) -> float:
    rgb = locator.evaluate("e => getComputedStyle(e).backgroundColor.match(/\\d+/g).slice(0, 3).map(Number)")
    return (0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]) / 255


def test_widgets_follow_the_dark_theme(page, notebook, ui_runs):
    notebook(["import mlm_jupyter as mlm\nmlm.runs(experiment='ui-runs', live=False)"], "theme.ipynb")
    table = page.locator(".mlm-runs-table")
    table.locator(".mlm-row").first.wait_for()
    assert _luminance(table) > 0.8
    _set_theme(page, "JupyterLab Dark", light=False)
    try:
        page.wait_for_function("() => { const c = getComputedStyle(document.querySelector('.mlm-runs-table'))"
                               ".backgroundColor.match(/\\d+/g).map(Number); return c[0] + c[1] + c[2] < 200; }")
        assert _luminance(table) < 0.3
        _screenshot(table, "runs-table-dark")
    finally:
        _set_theme(page, "JupyterLab Light", light=True)
