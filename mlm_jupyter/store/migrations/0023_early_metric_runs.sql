-- Runs that had metric points stored before the run itself was created (a journaled create replayed after
-- later points, or another writer such as a forked child logging before the creating process's first flush).
-- A create whose client says no point can precede it ("queued") skips the scan of latest_metrics for earlier
-- points (costly at a million runs); it still looks when its run is listed here, so no summary misses them.
CREATE TABLE early_metric_runs (
    run_id VARCHAR PRIMARY KEY
);
