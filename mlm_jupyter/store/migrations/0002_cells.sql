-- Kernel capture: cell sources, cell records, data seen per cell, notebook snapshots,
-- run <-> cell links with session history and staleness, environments and provenance.

-- Cell sources, content-addressed: a source run 100 times is stored once.
CREATE TABLE cell_sources (
    sha256  VARCHAR PRIMARY KEY,
    source  VARCHAR NOT NULL,
    size    BIGINT NOT NULL
);

-- Kernel sessions: one per kernel process (a restart starts a new session).
CREATE TABLE kernel_sessions (
    id          VARCHAR PRIMARY KEY,
    kernel_id   VARCHAR,
    notebook    VARCHAR,
    host        VARCHAR,
    pid         INTEGER,
    started_at  DOUBLE NOT NULL
);

-- One row per cell execution, tracked or not.
CREATE TABLE cell_records (
    id                VARCHAR PRIMARY KEY,
    session_id        VARCHAR NOT NULL,
    seq               BIGINT NOT NULL,        -- order of execution within the session
    execution_count   BIGINT,
    cell_id           VARCHAR,                -- sent by the front end (JupyterLab), else matched from the notebook
    cell_id_source    VARCHAR,                -- "frontend" | "matched" | NULL
    notebook          VARCHAR,
    notebook_index    INTEGER,                -- position among the notebook's code cells, when matched
    source_sha256     VARCHAR NOT NULL,
    start_time        DOUBLE NOT NULL,
    duration          DOUBLE,
    success           BOOLEAN,
    error_type        VARCHAR,
    error_message     VARCHAR,
    names_read        VARCHAR[],
    names_written     VARCHAR[],
    run_id            VARCHAR                 -- the run a %%track cell made
);

-- Fingerprints of the data values a cell read or wrote (value after the cell ran).
CREATE TABLE cell_data (
    record_id  VARCHAR NOT NULL,
    name       VARCHAR NOT NULL,
    role       VARCHAR NOT NULL,              -- "read" | "write"
    kind       VARCHAR,
    digest     VARCHAR NOT NULL,
    changed    BOOLEAN NOT NULL,              -- differs from the value this name had before in the session
    rehashed   BOOLEAN NOT NULL               -- false: the digest came from the identity cache
);

-- Notebook files as they were on disk when a run ended; the bytes live in the blob store.
CREATE TABLE notebook_snapshots (
    sha256      VARCHAR PRIMARY KEY,
    path        VARCHAR,
    size        BIGINT NOT NULL,
    created_at  DOUBLE NOT NULL
);

-- What a %%track run keeps about the cell that made it.
CREATE TABLE run_cells (
    run_id            VARCHAR PRIMARY KEY,
    record_id         VARCHAR NOT NULL,
    session_id        VARCHAR NOT NULL,
    cell_key          VARCHAR NOT NULL,       -- identifies "the same cell" across re-runs
    notebook          VARCHAR,
    notebook_sha256   VARCHAR,
    previous_run_id   VARCHAR,
    history           VARCHAR[],              -- record ids executed before it in the session, in order
    staleness         VARCHAR[],
    traceback         VARCHAR
);

-- Data a %%track run read (role input) and wrote (role output), when the data layer's run_inputs is absent.
CREATE TABLE run_cell_data (
    run_id   VARCHAR NOT NULL,
    dataset  VARCHAR NOT NULL,
    role     VARCHAR NOT NULL,
    digest   VARCHAR NOT NULL,
    kind     VARCHAR,
    fingerprint VARCHAR                       -- JSON of Fingerprint.to_dict()
);

-- Python environments, stored once per distinct content.
CREATE TABLE environments (
    digest        VARCHAR PRIMARY KEY,
    python        VARCHAR NOT NULL,
    implementation VARCHAR,
    platform      VARCHAR NOT NULL,
    packages      VARCHAR NOT NULL,           -- JSON {name: version}
    created_at    DOUBLE NOT NULL
);

CREATE TABLE run_provenance (
    run_id              VARCHAR PRIMARY KEY,
    git_commit          VARCHAR,
    git_branch          VARCHAR,
    git_remote          VARCHAR,
    git_dirty           BOOLEAN,
    git_diff_sha256     VARCHAR,
    git_diff_size       BIGINT,
    git_diff_truncated  BOOLEAN,
    git_root            VARCHAR,
    environment_digest  VARCHAR
);
