"""The JupyterLab sidebar in a real browser: icon, runs, search, comparison, promotion, missing server part."""

from __future__ import annotations

import uuid

import pytest

from tests.ui.conftest import artifact_path, assert_no_cell_errors
from tests.ui.sidebar_fixtures import (  # noqa: F401 - fixtures
    SIDEBAR_TAB,
    choose_experiment,
    lab_without_mlm,
    open_sidebar,
    run_names,
    seeded,
)

pytestmark = pytest.mark.ui


def wait_for_runs(page, names: set[str]) -> None:
    page.wait_for_function(
        """(names) => {
            const shown = [...document.querySelectorAll('#mlm-sidebar .mlm-run .mlm-run-name')].map(n => n.textContent.trim());
            return shown.length === names.length && names.every(n => shown.includes(n));
        }""", arg=sorted(names))


def test_icon_opens_the_panel_and_lists_runs_with_status(page, lab_server, seeded):
    open_sidebar(page, lab_server)
    assert page.locator(SIDEBAR_TAB).count() == 1
    choose_experiment(page, seeded.experiment)
    wait_for_runs(page, set(seeded.run_ids))
    failed = page.locator(f"#mlm-sidebar .mlm-run[data-run-id='{seeded.run_ids['rf-broken']}'] .mlm-badge")
    assert failed.inner_text().strip() == "failed"
    assert page.locator("#mlm-sidebar .mlm-count").inner_text() == "1-4 of 4 runs"


def test_search_box_filters_with_the_run_search_language(page, lab_server, seeded):
    open_sidebar(page, lab_server)
    choose_experiment(page, seeded.experiment)
    wait_for_runs(page, set(seeded.run_ids))
    search = page.locator("#mlm-sidebar input.mlm-search")
    search.fill("params.max_depth = 8 and params.lr < 0.05")
    search.press("Enter")
    wait_for_runs(page, {"rf-tuned"})
    search.fill("attributes.status = 'failed'")
    search.press("Enter")
    wait_for_runs(page, {"rf-broken"})
    # a malformed query is explained under the box instead of emptying the panel silently
    search.fill("metrics.val_auc >>> 1")
    search.press("Enter")
    page.wait_for_selector("#mlm-sidebar .mlm-filter-error")
    text, caret = page.locator("#mlm-sidebar .mlm-filter-error pre.mlm-caret").inner_text().split("\n")
    assert text == "metrics.val_auc >>> 1" and caret.index("^") + 1 == _error_column(text)
    assert "(column" not in page.locator("#mlm-sidebar .mlm-filter-error .mlm-error-message").inner_text()


def _error_column(text: str) -> int:
    from mlm_jupyter.core.errors import QuerySyntaxError
    from mlm_jupyter.core.query import compile_filter

    with pytest.raises(QuerySyntaxError) as error:
        compile_filter(text)
    return error.value.column


def test_two_selected_runs_open_a_comparison_with_chart_traces(page, lab_server, seeded):
    open_sidebar(page, lab_server)
    choose_experiment(page, seeded.experiment)
    wait_for_runs(page, set(seeded.run_ids))
    compare = page.locator("#mlm-sidebar button.mlm-compare")
    assert compare.is_disabled()
    for name in ("rf-shallow", "rf-tuned"):
        page.locator(f"#mlm-sidebar .mlm-run[data-run-id='{seeded.run_ids[name]}'] input.mlm-run-select").check()
    assert compare.is_enabled()
    compare.click()
    chart = page.locator(".mlm-Comparison .mlm-chart[data-traces='2']")
    chart.wait_for()
    assert chart.locator("canvas").count() == 1
    legend = [t.strip() for t in chart.locator(".u-legend .u-series .u-label").all_inner_texts()]
    assert {"rf-shallow", "rf-tuned"} <= set(legend)
    assert int(chart.get_attribute("data-points")) == 60
    # only differing params by default: max_depth and lr differ, criterion does not
    params = page.locator(".mlm-Comparison .mlm-params-diff")
    keys = [k.strip() for k in params.locator("td.mlm-key").all_inner_texts()]
    assert keys == ["lr", "max_depth"]
    page.locator(".mlm-Comparison input.mlm-only-diff-toggle").uncheck()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.mlm-Comparison .mlm-params-diff td.mlm-key')].length === 3")
    # log scale and time axis redraw the same two traces
    page.locator(".mlm-Comparison input.mlm-log-toggle").check()
    page.select_option(".mlm-Comparison select.mlm-axis-select", "time")
    page.locator(".mlm-Comparison .mlm-chart[data-traces='2'] canvas").wait_for()
    page.screenshot(path=str(artifact_path("sidebar-comparison.png")))


def test_promotion_from_the_registry_tab_moves_the_chosen_alias_to_the_chosen_version(page, lab_server, seeded):
    if not seeded.model:
        pytest.skip("scikit-learn is needed to register a model")
    open_sidebar(page, lab_server)
    page.locator("#mlm-sidebar .lm-TabBar-tab", has_text="Registry").click()
    page.locator(f"#mlm-sidebar .mlm-model[data-model='{seeded.model}'] a.mlm-model-name").click()
    detail = page.locator(f"#mlm-sidebar .mlm-model-detail[data-model='{seeded.model}']")
    detail.wait_for()
    assert detail.locator("tr[data-alias='production'] .mlm-alias-version").inner_text().strip() == "1"
    assert detail.locator("select.mlm-promote-version").input_value() == "3"  # the latest by default
    # champion, version 2 (not the latest), no reason: refused in the panel, nothing sent, nothing reset
    detail.locator("input.mlm-promote-alias").fill("champion")
    detail.locator("select.mlm-promote-version").select_option("2")
    detail.locator("button.mlm-promote").click()
    assert "reason" in page.locator("#mlm-sidebar .mlm-promote-error").inner_text()
    assert detail.locator("input.mlm-promote-alias").input_value() == "champion"
    assert detail.locator("select.mlm-promote-version").input_value() == "2"
    detail.locator("input.mlm-promote-reason").fill("v2 beats v1 on val_auc")
    detail.locator("button.mlm-promote").click()
    page.wait_for_selector("#mlm-sidebar .mlm-promote-ok")
    assert "champion -> version 2" in page.locator("#mlm-sidebar .mlm-promote-ok").inner_text().replace("@", " ")
    page.wait_for_function(
        """(name) => {
            const cell = document.querySelector(`#mlm-sidebar .mlm-model-detail[data-model='${name}'] tr[data-alias='champion'] .mlm-alias-version`);
            return cell && cell.textContent.trim() === '2';
        }""", arg=seeded.model)
    assert "v2 beats v1 on val_auc" in page.locator("#mlm-sidebar table.mlm-audit").inner_text()
    client = lab_server.client()
    try:
        assert client.get_model_version(seeded.model, alias="champion").version == 2
        assert client.get_model_version(seeded.model, alias="production").version == 1
        history = client.model_history(seeded.model)
        assert history.iloc[-1]["reason"] == "v2 beats v1 on val_auc"
    finally:
        client.close()


def test_missing_server_extension_shows_what_to_install(page, lab_without_mlm):
    open_sidebar(page, lab_without_mlm)
    message = page.locator("#mlm-sidebar .mlm-server-message")
    message.wait_for()
    text = message.inner_text()
    assert "server extension is not installed" in text
    assert "pip install mlm-jupyter" in text
    assert page.locator("#mlm-sidebar .mlm-run").count() == 0


def test_running_run_updates_without_a_refresh(page, lab_server):
    client = lab_server.client()
    experiment = f"live-{uuid.uuid4().hex[:6]}"
    try:
        run_id = client.create_run(experiment, "live-run").id
        client.log_metric(run_id, "loss", 1.0)
        client.flush()
        open_sidebar(page, lab_server)
        choose_experiment(page, experiment)
        badge = page.locator(f"#mlm-sidebar .mlm-run[data-run-id='{run_id}'] .mlm-badge")
        badge.wait_for()
        assert badge.inner_text().strip() == "running"
        # a new run and the end of this one show up by polling alone (2 s while something runs)
        later = client.create_run(experiment, "second-run").id
        client.end_run(run_id, status="finished")
        client.end_run(later, status="failed")
        client.flush()
        page.wait_for_function(
            """(id) => { const b = document.querySelector(`#mlm-sidebar .mlm-run[data-run-id='${id}'] .mlm-badge`);
                       return b && b.textContent.trim() === 'finished'; }""", arg=run_id, timeout=15_000)
        page.locator(f"#mlm-sidebar .mlm-run[data-run-id='{later}']").wait_for(timeout=15_000)
    finally:
        client.close()


TRACKED_CELL = "%%track -e {experiment} -n run-{experiment}\nimport mlm_jupyter as mlm\nmlm.log_metric('loss', 0.5)"
PLAIN_RUN_CELL = "with mlm.start_run(experiment='{experiment}', name='run-{experiment}'):\n    mlm.log_metric('loss', 0.5)"


@pytest.mark.parametrize("cell", [TRACKED_CELL, PLAIN_RUN_CELL], ids=["track-cell", "plain-start-run"])
def test_clicking_a_run_jumps_to_the_cell_that_made_it(page, lab_server, notebook, cell):
    experiment = f"jump-{uuid.uuid4().hex[:6]}"
    notebook(["%load_ext mlm_jupyter\nimport mlm_jupyter as mlm", "x = 1", cell.format(experiment=experiment), "y = 2"],
             f"{experiment}.ipynb")
    assert_no_cell_errors(page)
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell").nth(0).click()
    page.click(SIDEBAR_TAB)
    choose_experiment(page, experiment)
    # the run name is unique to this test: the list may still show every experiment's runs for a moment
    page.locator("#mlm-sidebar .mlm-run .mlm-run-name", has_text=f"run-{experiment}").click()
    page.wait_for_function(
        """() => { const cells = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell')];
                   return cells.findIndex(c => c.classList.contains('jp-mod-active')) === 2; }""", timeout=15_000)
