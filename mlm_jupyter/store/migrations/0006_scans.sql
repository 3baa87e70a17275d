-- Model scans: one row per scan (the full report is a JSON blob) and one row per check of each scan.
-- The registry's promotion gate reads check_results (the latest scan of a version, else of its run).
CREATE TABLE scan_reports (
    id              VARCHAR PRIMARY KEY,
    run_id          VARCHAR,                 -- the active run when scanned, else the version's run
    model_name      VARCHAR,                 -- set when a registered version was scanned
    model_version   INTEGER,
    model_uri       VARCHAR,
    task            VARCHAR NOT NULL,        -- binary | multiclass | regression
    verdict         VARCHAR NOT NULL,        -- passed | failed (at fail_on)
    worst_severity  VARCHAR,                 -- info | low | medium | high, NULL without findings
    fail_on         VARCHAR NOT NULL,
    findings        INTEGER NOT NULL,
    report_sha256   VARCHAR NOT NULL,        -- blob: ScanReport.to_dict() as JSON (docs/scan.md)
    seconds         DOUBLE,
    created_at      DOUBLE NOT NULL,
    created_by      VARCHAR
);

CREATE TABLE check_results (
    scan_id        VARCHAR NOT NULL,
    run_id         VARCHAR,
    model_name     VARCHAR,
    model_version  INTEGER,
    name           VARCHAR NOT NULL,         -- overfitting | underfitting | bias | leakage | ...
    status         VARCHAR NOT NULL,         -- passed | warning | failed | skipped
    severity       VARCHAR,                  -- worst finding of the check, NULL without findings
    findings       INTEGER NOT NULL DEFAULT 0,
    summary        VARCHAR,
    created_at     DOUBLE NOT NULL,
    PRIMARY KEY (scan_id, name)
);
