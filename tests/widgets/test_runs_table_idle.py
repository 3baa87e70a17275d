"""A runs table with nothing running refreshes less and less often (old outputs do not keep polling the store)."""

from __future__ import annotations

import time
import weakref

from mlm_jupyter.widgets.runs_table import MAX_IDLE_INTERVAL, RunsTable, _interval


def test_interval_doubles_while_quiet_and_is_capped(client):
    run = client.create_run("idle", "done")
    client.end_run(run.id)
    table = RunsTable("idle", live=False, refresh_seconds=2.0)
    ref = weakref.ref(table)
    assert [_interval(ref, quiet) for quiet in range(5)] == [2.0, 4.0, 8.0, 16.0, MAX_IDLE_INTERVAL]
    assert _interval(ref, 100) == MAX_IDLE_INTERVAL
    table.close()


def test_an_idle_table_backs_off_and_a_running_one_does_not(client):
    run = client.create_run("idle", "done")
    client.end_run(run.id)
    idle = RunsTable("idle", refresh_seconds=0.05)
    running = client.create_run("busy", "training")
    busy = RunsTable("busy", refresh_seconds=0.05)
    calls = {"idle": 0, "busy": 0}
    for name, table in (("idle", idle), ("busy", busy)):
        original = table.refresh_running

        def counting(original=original, name=name):
            calls[name] += 1
            return original()
        table.refresh_running = counting
    try:
        time.sleep(2.0)
    finally:
        idle.close()
        busy.close()
        client.end_run(running.id)
    # idle: after 0.05, 0.15, 0.35, 0.75, 1.55 s, then 3.15 s: at most 5-6 refreshes; busy: every ~0.05 s
    assert calls["idle"] <= 6
    assert calls["busy"] >= 2 * calls["idle"]
