-- Notebooks renamed or moved after their cells ran: old path -> new path (absolute), in the order it happened.
-- Stored paths (kernel sessions, cell records, run links, run sources) are rewritten when a rename is recorded;
-- this table lets a kernel that still holds the old path find the current one.
CREATE TABLE notebook_renames (
    old_path    VARCHAR NOT NULL,
    new_path    VARCHAR NOT NULL,
    renamed_at  DOUBLE NOT NULL
);
