-- Data versioning: named datasets, their versions (one per distinct digest), and the data each run used.

CREATE TABLE datasets (
    name        VARCHAR PRIMARY KEY,
    created_at  DOUBLE NOT NULL,
    updated_at  DOUBLE NOT NULL
);

-- A new version is recorded when a dataset name is logged with a digest it never had.
CREATE TABLE dataset_versions (
    name            VARCHAR NOT NULL,
    version         INTEGER NOT NULL,          -- 1, 2, 3, ... per name, assigned in the write transaction
    digest          VARCHAR NOT NULL,          -- Fingerprint.digest (xxh3-128 hex, docs/fingerprint.md)
    kind            VARCHAR NOT NULL,          -- pandas.DataFrame | numpy.ndarray | file | directory | ...
    shape           BIGINT[],
    schema          VARCHAR,                   -- JSON {column: logical type}
    column_digests  VARCHAR,                   -- JSON {column: column digest}
    profile         VARCHAR,                   -- JSON {column: profile}
    row_sketch      VARCHAR,                   -- JSON RowSketch.to_dict(), when computed
    source          VARCHAR,                   -- the path, for files and directories
    run_id          VARCHAR,                   -- the run that first logged this version
    created_at      DOUBLE NOT NULL,
    PRIMARY KEY (name, version)
);

-- Which data a run read (direction input) or wrote (direction output).
-- The run search language compiles datasets.name / .role / .digest against dataset / role / digest.
CREATE TABLE run_inputs (
    run_id       VARCHAR NOT NULL,
    dataset      VARCHAR NOT NULL,             -- the dataset name
    role         VARCHAR NOT NULL,             -- train | test | validation | input | output | ...
    digest       VARCHAR NOT NULL,
    version      INTEGER,                      -- dataset_versions.version of (dataset, digest)
    direction    VARCHAR NOT NULL DEFAULT 'input',
    cell_id      VARCHAR,                      -- kernel capture: the notebook cell that used it
    cell_record  VARCHAR,                      -- kernel capture: cell_records.id of that execution
    logged_at    DOUBLE NOT NULL
);
