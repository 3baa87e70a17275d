"""The notebook widgets in a real JupyterLab and headless Chromium: the shared views, hosted in cell outputs."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

from tests.ui.conftest import REPO, artifact_path, assert_no_cell_errors, run_code
from tests.ui.theme import assert_readable, set_theme

pytestmark = pytest.mark.ui

DOCS_IMAGES = REPO / "docs" / "images"
RUNS = ".mlm-widget .mlm-runs"
COMPARE = ".mlm-widget .mlm-compare"


def _screenshot(locator, name: str) -> None:
    """A widget's screenshot as a test artifact; ``MLM_REFRESH_DOCS_IMAGES=1`` also refreshes docs/images."""
    path = artifact_path(f"widget-{name}.png")
    locator.screenshot(path=str(path))
    if os.environ.get("MLM_REFRESH_DOCS_IMAGES") == "1":
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, DOCS_IMAGES / f"widget-{name}.png")


def _names(page) -> list[str]:
    return [n.strip() for n in page.locator(f"{RUNS} tr.mlm-run .mlm-run-name").all_inner_texts()]


def _wait_first(page, name: str) -> None:
    page.wait_for_function(
        "(n) => (document.querySelector('.mlm-widget .mlm-runs tr.mlm-run .mlm-run-name') || {}).textContent === n",
        arg=name)


@pytest.fixture(scope="module")
def ui_runs(lab_server):
    """40 finished runs in experiment ui-runs: acc = i/100, lr = i/10; runs 3 and 7 log a 5,000-point 'loss'."""
    client = lab_server.client()
    try:
        for i in range(40):
            run = client.create_run("ui-runs", f"run-{i:02d}")
            client.log_params(run.id, {"lr": i / 10, "opt": "adam" if i % 2 else "sgd"})
            client.log_metric(run.id, "acc", i / 100)
            if i in (3, 7):
                steps = np.arange(5000)
                client.log_metric_batch(run.id, "loss", np.exp(-steps / (800 + 300 * i)) + 0.02 * np.sin(steps / 40))
            client.end_run(run.id)
    finally:
        client.close()


def test_runs_pages_sorts_filters_keys_and_compares(page, notebook, ui_runs):
    notebook(["import mlm_jupyter as mlm\ntable = mlm.runs(experiment='ui-runs', page_size=15)\ntable"], "runs.ipynb")
    assert_no_cell_errors(page)
    runs = page.locator(RUNS)
    runs.locator("tr.mlm-run").first.wait_for()
    # one page from the server, newest first, and where it sits in the total
    assert runs.locator("tr.mlm-run").count() == 15
    assert runs.locator(".mlm-count").inner_text() == "1-15 of 40 runs"
    assert _names(page)[:2] == ["run-39", "run-38"]
    runs.locator(".mlm-next").click()
    _wait_first(page, "run-24")
    assert runs.locator(".mlm-count").inner_text() == "16-30 of 40 runs"
    # sorting happens in the store: numeric for params, and back to the first page
    runs.locator("th[data-column='params.lr']").click()
    _wait_first(page, "run-00")
    assert _names(page)[:3] == ["run-00", "run-01", "run-02"]
    runs.locator("th[data-column='params.lr']").click()
    _wait_first(page, "run-39")

    # a syntax error: the caret sits under its column, in a fixed-width font
    search = runs.locator(".mlm-search")
    search.fill("metrics.acc >")
    search.press("Enter")
    caret = runs.locator(".mlm-filter-error pre.mlm-caret")
    caret.wait_for()
    text, marker = caret.inner_text().split("\n")
    assert text == "metrics.acc >" and marker.index("^") == 13
    assert caret.evaluate("""e => { const c = document.createElement('canvas').getContext('2d');
        c.font = getComputedStyle(e).font; return c.measureText('i').width === c.measureText('M').width; }""")

    # a good filter; then the keyboard: arrows move, space selects, enter opens
    search.fill("params.lr < 1")
    search.press("Enter")
    page.wait_for_function("() => document.querySelector('.mlm-widget .mlm-runs .mlm-count').innerText === '1-10 of 10 runs'")
    _wait_first(page, "run-09")
    runs.locator("tr.mlm-run").first.click()
    for key in ["ArrowDown", "ArrowDown", "Space", "ArrowDown", "ArrowDown", "ArrowDown", "ArrowDown", "Space", "Enter"]:
        page.keyboard.press(key)
    focused = page.evaluate("() => document.activeElement.dataset.runId && document.activeElement.innerText")
    assert "run-03" in focused
    assert runs.locator("tr.mlm-run.mlm-selected .mlm-run-name").all_inner_texts() == ["run-07", "run-03"]
    assert runs.locator("tr.mlm-run:focus").evaluate("e => getComputedStyle(e).outlineStyle") != "none"
    assert "lr=0.3" in runs.locator(".mlm-run-detail").inner_text()
    assert runs.locator(".mlm-compare").count() == 0  # the widget host has no Compare button: mlm.compare(table)

    output = run_code(page, "print(sorted(table.selected) == sorted(table.frame.query(\"name in ['run-03', 'run-07']\")"
                            ".run_id), table.opened in table.selected)\ncmp = mlm.compare(table); cmp")
    assert "True True" in output.inner_text()
    chart = page.locator(f"{COMPARE} .mlm-chart[data-traces='2'][data-complete='true']")
    chart.wait_for()
    legend = {t.strip() for t in chart.locator(".u-legend .u-series .u-label").all_inner_texts()}
    assert {"run-07", "run-03"} <= legend
    assert page.locator(f"{COMPARE} .mlm-params-diff tr.mlm-differs td.mlm-key").all_inner_texts() == ["lr"]
    # zoom: drag across the plot narrows the x range; hover: the legend shows the values under the cursor
    over = chart.locator(".u-over")
    box = over.bounding_box()
    full = float(chart.get_attribute("data-x-max")) - float(chart.get_attribute("data-x-min"))
    page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    page.wait_for_function("(full) => { const c = document.querySelector('.mlm-widget .mlm-compare .mlm-chart');"
                           " return c.dataset.xMax - c.dataset.xMin < full / 2; }", arg=full)
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] / 2)
    values = chart.locator(".u-legend .u-series .u-value").all_inner_texts()
    assert any(v.strip() not in ("", "--") for v in values[1:])
    # log scale, smoothing and the time axis redraw both traces; Python sees the view's choices
    page.locator(f"{COMPARE} input.mlm-log-toggle").check()
    page.locator(f"{COMPARE} .mlm-chart[data-scale='log'][data-traces='2']").wait_for()
    page.locator(f"{COMPARE} input.mlm-smoothing").fill("0.5")
    page.locator(f"{COMPARE} .mlm-chart[data-smoothing='0.5'][data-traces='2']").wait_for()
    page.select_option(f"{COMPARE} select.mlm-axis-select", "time")
    page.locator(f"{COMPARE} .mlm-chart[data-axis='time'][data-traces='2'] canvas").wait_for()
    output = run_code(page, "print(cmp.smoothing, cmp.axis, cmp.log, type(cmp.figure).__name__, len(cmp.figure.data))")
    assert "0.5 time True Figure 3" in output.inner_text()  # two curves and the parallel coordinates
    _screenshot(page.locator(COMPARE), "compare")

    # light and dark themes: selected rows, highlighted differences and the filter error box all read
    try:
        for dark in (False, True):
            if dark:
                set_theme(page, dark=True)
            search.fill("params.lr <")
            search.press("Enter")
            runs.locator(".mlm-filter-error").wait_for()
            assert_readable(page, {"filter error": runs.locator(".mlm-filter-error .mlm-error-message"),
                                   "differing param": page.locator(f"{COMPARE} .mlm-params-diff tr.mlm-differs td"),
                                   "column header": runs.locator("th").first}, dark)
            search.fill("params.lr < 1")
            search.press("Enter")
            runs.locator("tr.mlm-run.mlm-selected").first.wait_for()
            assert_readable(page, {"selected run": runs.locator("tr.mlm-run.mlm-selected td[data-column='name']")}, dark)
            _screenshot(page.locator(RUNS), f"runs-{'dark' if dark else 'light'}")
    finally:
        set_theme(page, dark=False)


@pytest.fixture(scope="module")
def ui_model(lab_server):
    """Model ui-model with versions 1 (val_auc 0.80), 2 (0.93) and 3 (0.85); @production needs val_auc >= 0.9."""
    from sklearn.linear_model import LogisticRegression

    x = np.random.default_rng(0).random((40, 3))
    y = (x[:, 0] > 0.5).astype(int)
    client = lab_server.client()
    try:
        for auc in (0.80, 0.93, 0.85):
            run = client.create_run("ui-registry", f"auc-{auc}")
            client.log_metric(run.id, "val_auc", auc)
            client.log_model(run.id, LogisticRegression().fit(x, y), "ui-model")
            client.end_run(run.id)
        client.set_promotion_rule("ui-model", "metric_threshold", metric="val_auc", op=">=", threshold=0.9)
    finally:
        client.close()
    return "ui-model"


def test_registry_refusals_keep_the_form_and_history_marks_stale_cells(page, notebook, lab_server, ui_model):
    notebook(["%load_ext mlm_jupyter", "x = 1", "y = x + 1", "x = 5", "import mlm_jupyter as mlm\nmlm.history()",
              "panel = mlm.registry('ui-model')\npanel"], "registry.ipynb")
    assert_no_cell_errors(page)
    timeline = page.locator(".mlm-widget .mlm-history")
    stale = timeline.locator("tr.mlm-cell-row.mlm-stale")
    stale.first.wait_for()
    assert "y = x + 1" in stale.first.inner_text() and "rewritten later by" in stale.first.inner_text()

    panel = page.locator(".mlm-widget .mlm-registry")
    form = panel.locator(".mlm-promote-form")
    form.wait_for()
    assert form.locator(".mlm-promote-version").input_value() == "3"  # the latest by default
    form.locator(".mlm-promote-alias").fill("production")
    form.locator(".mlm-promote-version").select_option("1")  # not the latest
    form.locator(".mlm-promote").click()
    assert "reason" in panel.locator(".mlm-promote-error").inner_text()

    def kept(reason: str) -> None:
        assert form.locator(".mlm-promote-alias").input_value() == "production"
        assert form.locator(".mlm-promote-version").input_value() == "1"
        assert form.locator(".mlm-promote-reason").input_value() == reason

    kept("")
    form.locator(".mlm-promote-reason").fill("try the old one")
    form.locator(".mlm-promote").click()
    page.wait_for_function("() => (document.querySelector('.mlm-widget .mlm-promote-error') || {}).textContent"
                           "?.includes('val_auc')")
    kept("try the old one")  # a blocked promotion leaves every field as it was
    panel.locator("tr[data-action='promotion_blocked']").wait_for()
    form.locator(".mlm-promote-version").select_option("2")
    form.locator(".mlm-promote").click()
    panel.locator(".mlm-promote-ok").wait_for()
    panel.locator("tr[data-alias='production'] .mlm-alias-version", has_text="2").wait_for()
    client = lab_server.client()
    try:
        assert client.get_model_version("ui-model", alias="production").version == 2
        actions = [e.action for e in client.model_events("ui-model") if e.action in ("promotion_blocked", "alias_set")]
    finally:
        client.close()
    assert actions == ["promotion_blocked", "alias_set"]
    parts = {"success banner": panel.locator(".mlm-promote-ok"), "stale cell": stale.locator("td").first,
             "audit trail": panel.locator("table.mlm-audit td").first}
    try:
        for dark in (False, True):
            if dark:
                set_theme(page, dark=True)
            assert_readable(page, parts, dark)
            _screenshot(panel, f"registry-{'dark' if dark else 'light'}")
    finally:
        set_theme(page, dark=False)
