-- Import batches: the provenance of every imported row (file, checksum, uploader, department, time).
CREATE TABLE import_batches (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    checksum    TEXT NOT NULL,
    uploader    TEXT NOT NULL,
    department  TEXT,
    created_at  TEXT NOT NULL,
    rows_read   INTEGER NOT NULL,
    points      INTEGER NOT NULL,
    samples     INTEGER NOT NULL,
    results     INTEGER NOT NULL,
    corrections INTEGER NOT NULL,
    unchanged   INTEGER NOT NULL,
    report      TEXT NOT NULL
);
CREATE UNIQUE INDEX import_batches_checksum ON import_batches(checksum);

ALTER TABLE samples ADD COLUMN batch_id INTEGER REFERENCES import_batches(id);
ALTER TABLE results ADD COLUMN batch_id INTEGER REFERENCES import_batches(id);
ALTER TABLE points ADD COLUMN batch_id INTEGER REFERENCES import_batches(id);
CREATE INDEX samples_batch ON samples(batch_id);
CREATE INDEX results_batch ON results(batch_id);
