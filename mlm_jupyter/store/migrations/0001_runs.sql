-- Experiments, runs, params, tags, step metrics and artifacts.
CREATE TABLE experiments (
    id          VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL UNIQUE,
    created_at  DOUBLE NOT NULL
);

CREATE TABLE runs (
    id             VARCHAR PRIMARY KEY,
    experiment_id  VARCHAR NOT NULL,
    name           VARCHAR NOT NULL,
    status         VARCHAR NOT NULL,          -- running | finished | failed | killed
    status_reason  VARCHAR,
    start_time     DOUBLE NOT NULL,           -- epoch seconds, UTC
    end_time       DOUBLE,
    user_name      VARCHAR,
    parent_run_id  VARCHAR,
    source         VARCHAR,                   -- script path, notebook path, or "ipython"
    host           VARCHAR,
    pid            INTEGER,
    pid_start      DOUBLE,                    -- the owning process's start time (pid reuse guard)
    owner          VARCHAR                    -- "process" or "kernel:<kernel id>"
);

CREATE TABLE params (
    run_id     VARCHAR NOT NULL,
    key        VARCHAR NOT NULL,
    value      VARCHAR NOT NULL,
    value_num  DOUBLE,                        -- set when the value parses as a number
    PRIMARY KEY (run_id, key)
);

CREATE TABLE tags (
    run_id  VARCHAR NOT NULL,
    key     VARCHAR NOT NULL,
    value   VARCHAR NOT NULL,
    PRIMARY KEY (run_id, key)
);

-- Columnar step metrics: one row per point, no index on the hot path.
CREATE TABLE metrics (
    run_id  VARCHAR NOT NULL,
    key     VARCHAR NOT NULL,
    step    BIGINT NOT NULL,
    value   DOUBLE NOT NULL,
    time    DOUBLE NOT NULL
);

-- The latest point per (run, key), maintained on write so search never scans history.
CREATE TABLE latest_metrics (
    run_id  VARCHAR NOT NULL,
    key     VARCHAR NOT NULL,
    step    BIGINT NOT NULL,
    value   DOUBLE NOT NULL,
    time    DOUBLE NOT NULL,
    PRIMARY KEY (run_id, key)
);

CREATE TABLE artifacts (
    run_id      VARCHAR NOT NULL,
    path        VARCHAR NOT NULL,             -- the name inside the run, e.g. "plots/confusion.png"
    sha256      VARCHAR NOT NULL,
    size        BIGINT NOT NULL,
    created_at  DOUBLE NOT NULL,
    PRIMARY KEY (run_id, path)
);

-- Batches applied so far: makes every write (and journal replay) exactly-once.
CREATE TABLE applied_batches (
    id          VARCHAR PRIMARY KEY,
    applied_at  DOUBLE NOT NULL,
    results     VARCHAR
);
