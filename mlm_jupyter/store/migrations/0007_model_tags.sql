-- Tags on registered models (version 0) and on model versions (version >= 1): MLflow's registry tags.
CREATE TABLE model_tags (
    name     VARCHAR NOT NULL,
    version  INTEGER NOT NULL,
    key      VARCHAR NOT NULL,
    value    VARCHAR NOT NULL,
    PRIMARY KEY (name, version, key)
);
