-- Model registry: models, versions, aliases, promotion rules, the audit trail and model loads.
CREATE TABLE registered_models (
    name         VARCHAR PRIMARY KEY,
    description  VARCHAR,
    created_at   DOUBLE NOT NULL,
    updated_at   DOUBLE NOT NULL,
    created_by   VARCHAR
);

-- Version numbers count 1, 2, 3, ... per name; assigned inside the write transaction.
CREATE TABLE model_versions (
    name             VARCHAR NOT NULL,
    version          INTEGER NOT NULL,
    run_id           VARCHAR,                 -- the run that produced it (NULL when registered from a file)
    sha256           VARCHAR NOT NULL,        -- content address of the serialised model file
    size             BIGINT,
    flavor           VARCHAR NOT NULL,        -- sklearn | xgboost | lightgbm | torch | pickle
    signature        VARCHAR,                 -- JSON
    requirements     VARCHAR,                 -- JSON list of "dist==version"
    manifest_sha256  VARCHAR,                 -- the MLmodel.json manifest blob
    card_sha256      VARCHAR,                 -- the rendered model card (markdown) blob
    source           VARCHAR,                 -- the URI it was registered from
    status           VARCHAR NOT NULL,        -- ready | archived
    description      VARCHAR,
    created_at       DOUBLE NOT NULL,
    created_by       VARCHAR,
    PRIMARY KEY (name, version)
);

-- An alias points to one version at a time; moving it is one UPDATE in a transaction.
CREATE TABLE model_aliases (
    name     VARCHAR NOT NULL,
    alias    VARCHAR NOT NULL,
    version  INTEGER NOT NULL,
    set_at   DOUBLE NOT NULL,
    set_by   VARCHAR,
    PRIMARY KEY (name, alias)
);

CREATE TABLE promotion_rules (
    name        VARCHAR NOT NULL,
    alias       VARCHAR NOT NULL,
    rule_id     VARCHAR NOT NULL,             -- kind or kind:metric
    rule        VARCHAR NOT NULL,             -- JSON of core.promotion.PromotionRule
    created_at  DOUBLE NOT NULL,
    created_by  VARCHAR,
    PRIMARY KEY (name, alias, rule_id)
);

-- Append-only audit trail: no store operation updates or deletes these rows.
CREATE SEQUENCE registry_event_ids START 1;
CREATE TABLE registry_events (
    id          BIGINT PRIMARY KEY DEFAULT nextval('registry_event_ids'),
    time        DOUBLE NOT NULL,
    user_name   VARCHAR,
    model       VARCHAR NOT NULL,
    version     INTEGER,
    action      VARCHAR NOT NULL,
    alias       VARCHAR,
    from_value  VARCHAR,
    to_value    VARCHAR,
    reason      VARCHAR,
    forced      BOOLEAN NOT NULL DEFAULT false,
    details     VARCHAR                       -- JSON
);

-- Which version was loaded, by whom and where (for monitoring).
CREATE TABLE model_loads (
    time       DOUBLE NOT NULL,
    user_name  VARCHAR,
    model      VARCHAR,
    version    INTEGER,
    run_id     VARCHAR,
    sha256     VARCHAR NOT NULL,
    uri        VARCHAR NOT NULL,
    host       VARCHAR,
    pid        INTEGER
);
