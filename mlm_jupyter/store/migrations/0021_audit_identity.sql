-- Which identity provider vouched for the user of each audit row (issue 11, item 3):
-- "jupyterhub", "jupyter_server:<IdentityProvider class>" for writes over REST (the server stamps them),
-- "local" for an embedded store (the OS user of the process that opened the file), "journal" for writes
-- replayed from the journal (the user they carry was not checked by anyone). NULL: written before this column.
ALTER TABLE registry_events ADD COLUMN identity_provider VARCHAR;
ALTER TABLE model_loads ADD COLUMN identity_provider VARCHAR;
ALTER TABLE runs ADD COLUMN identity_provider VARCHAR;
