"""Reproduction drawn, in Chromium: the verdict badge in the runs list and the comparison (both hosts), the
session diff of two tracked runs, and a ``Reproduction`` shown as the shared view."""

from __future__ import annotations

import pytest

from tests.ui.conftest import assert_no_cell_errors, run_code
from tests.ui.sidebar_fixtures import choose_experiment, open_sidebar

pytestmark = pytest.mark.ui

HOSTILE = '<img src=x onerror="window.__xss=1">'
SETUP = f"""from mlm_jupyter.tracking.fluent import get_client
frame = mlm.search_runs(experiment='repro-ui', order_by='attributes.start_time asc')
base, edited = list(frame.run_id)
client = get_client()
client.set_tags(base, {{'mlm.reproduced': 'differs', 'mlm.reproduced_by': edited}})
client.set_tags(edited, {{'mlm.reproduction_of': base, 'mlm.reproduction.verdict': 'differs',
                          'mlm.reproduction.difference': {HOSTILE!r}, 'mlm.reproduction.reason': 'a changed'}})
client.flush()"""


def _hover_text(locator) -> str:
    return locator.get_attribute("title") or ""


def test_reproduction_badges_session_diff_and_verdict_view(page, notebook, lab_server):
    notebook(["%load_ext mlm_jupyter", "import mlm_jupyter as mlm\na = 2",
              "%%track -e repro-ui -n base\nb = a * 3\nmlm.log_metric('b', b)"], "repro.ipynb")
    run_code(page, "a = 5")
    # edit the tracked cell in place (it keeps its cell id) and run it again: the second run
    tracked = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell").nth(2)
    tracked.locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text("%%track -e repro-ui -n edited\nb = a * 3 + 1\nmlm.log_metric('b', b)")
    page.keyboard.press("Control+Enter")
    page.wait_for_function("() => (document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell')[2]"
                           ".querySelector('.jp-InputArea-prompt') || {}).textContent?.includes('[5]')")
    run_code(page, SETUP)
    run_code(page, "mlm.runs(experiment='repro-ui')")
    assert_no_cell_errors(page)
    runs = page.locator(".mlm-widget .mlm-runs")
    badges = runs.locator("tr.mlm-run .mlm-repro")
    badges.first.wait_for()
    assert badges.count() == 2
    rerun = runs.locator("tr.mlm-run .mlm-repro[data-role='reproduction']")
    assert rerun.inner_text() == "re-run: differs" and "mlm-tone-warn" in rerun.get_attribute("class")
    assert HOSTILE in _hover_text(rerun) and "why: a changed" in _hover_text(rerun)
    original = runs.locator("tr.mlm-run .mlm-repro[data-role='original']")
    assert original.inner_text() == "differs" and "latest reproduction: run" in _hover_text(original)
    runs.locator("tr.mlm-run", has=page.locator(".mlm-repro[data-role='reproduction']")).locator(".mlm-run-name").click()  # expand: the difference as text
    assert HOSTILE in runs.locator(".mlm-run-detail .mlm-repro-detail").inner_text()
    assert page.evaluate("() => window.__xss") is None and runs.locator("img").count() == 0

    run_code(page, "cmp = mlm.compare([base, edited]); cmp")
    compare = page.locator(".mlm-widget .mlm-compare")
    compare.locator(".mlm-repro-row .mlm-repro").nth(1).wait_for()
    assert compare.locator(".mlm-repro-row .mlm-repro").count() == 2
    _check_session_diff(compare)

    output = run_code(page, "from mlm_jupyter.tracking.reproduce import Difference\n"
                            "mlm.Reproduction(run_id=base, verdict='differs', differences=(Difference('metric', 'b', 6, 16),),"
                            " reasons=('a was changed after the run',))")
    report = output.locator(".mlm-repro-report[data-verdict='differs']")
    report.wait_for()
    assert report.locator(".mlm-repro-differences td").all_inner_texts() == ["metric", "b", "6", "16"]
    assert "a was changed after the run" in report.locator(".mlm-repro-reasons").inner_text()

    # the sidebar: the same badge in its runs list, the session diff in its comparison
    open_sidebar(page, lab_server)
    choose_experiment(page, "repro-ui")
    side = page.locator("#mlm-sidebar")
    side.locator(".mlm-run .mlm-repro").nth(1).wait_for()
    # the list shows the chosen experiment only once its page arrived (until then: the previous one's runs)
    page.wait_for_function("() => { const rows = document.querySelectorAll('#mlm-sidebar tr.mlm-run');"
                           " return rows.length === 2 && [...rows].every(r => r.querySelector('.mlm-repro')); }")
    for row in reversed(side.locator("tr.mlm-run").all()):  # oldest (base) first: the baseline
        row.locator("input.mlm-run-select").check()
    side.locator("button.mlm-compare").click()
    main = page.locator(".mlm-Comparison .mlm-compare")
    main.locator(".mlm-repro-row .mlm-repro").first.wait_for()
    _check_session_diff(main)
    main.locator("select.mlm-session-scope").select_option("session")
    main.locator(".mlm-session-counts", has_text="(session)").wait_for()


def _check_session_diff(compare) -> None:
    cells = compare.locator(".mlm-session-diff .mlm-session-cell")
    cells.first.wait_for()
    changes = {c.get_attribute("data-change"): c for c in cells.all()}
    assert set(changes) == {"added", "changed"}  # a = 5 ran in between; the tracked cell was edited in place
    assert changes["added"].locator(".mlm-add").inner_text().strip() == "+ a = 5"
    tracked = compare.locator(".mlm-session-cell[data-change='changed']")
    assert tracked.locator(".mlm-diff .mlm-del").all_inner_texts() == ["- %%track -e repro-ui -n base", "- b = a * 3"]
    assert tracked.locator(".mlm-diff .mlm-add").all_inner_texts() == ["+ %%track -e repro-ui -n edited",
                                                                        "+ b = a * 3 + 1"]
    assert tracked.locator(".mlm-diff .mlm-same").all_inner_texts() == ["  mlm.log_metric('b', b)"]
