-- Typed search columns (store/domains/search_columns.py): which params and metrics of run_summaries also live
-- in a plain column of their own, named here. A filter compares such a key on its column instead of looking it
-- up in every run's map. Columns are added when a key is first written (up to a cap per kind), never dropped.
CREATE TABLE search_columns (
    kind  VARCHAR NOT NULL,            -- params (the text), params_num (the number) or metrics (the latest value)
    key   VARCHAR NOT NULL,
    name  VARCHAR NOT NULL UNIQUE,     -- the column of run_summaries
    PRIMARY KEY (kind, key)
);
