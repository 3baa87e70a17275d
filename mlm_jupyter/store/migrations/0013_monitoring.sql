-- Model observation: drift thresholds per model and the row samples that serve as drift references.
CREATE TABLE monitor_thresholds (
    name        VARCHAR PRIMARY KEY,       -- the registered model
    thresholds  VARCHAR NOT NULL,          -- JSON of core.drift.DriftThresholds fields that differ from the defaults
    updated_at  DOUBLE NOT NULL,
    updated_by  VARCHAR
);

-- A bounded uniform sample of a logged dataset's rows (Parquet blob, content-addressed), by dataset digest.
CREATE TABLE dataset_samples (
    digest      VARCHAR PRIMARY KEY,
    sha256      VARCHAR NOT NULL,
    rows        BIGINT NOT NULL,           -- rows in the sample
    total_rows  BIGINT NOT NULL,           -- rows in the dataset
    created_at  DOUBLE NOT NULL
);
