-- Departments at work (issue 9), SQLite dialect. Append-only: never edit after it has shipped.
-- Yearly submissions (campaigns per year and data kind, one submission per department owing it,
-- every state change as an event), the sharing catalogue (资源共享目录) with access requests and
-- grants, and the log of reads of non-public data.

CREATE TABLE submission_campaigns (
    id         INTEGER PRIMARY KEY,
    year       INTEGER NOT NULL,
    data_kind  TEXT NOT NULL,
    due_on     TEXT NOT NULL,
    note       TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (year, data_kind)
);

-- status: owed, received, accepted, returned. batch_id: the upload under review or accepted.
CREATE TABLE submissions (
    id          INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES submission_campaigns(id),
    department  TEXT NOT NULL REFERENCES departments(code),
    status      TEXT NOT NULL,
    batch_id    INTEGER REFERENCES import_batches(id),
    received_at TEXT,
    decided_at  TEXT,
    reasons     TEXT,
    version     INTEGER NOT NULL,
    UNIQUE (campaign_id, department)
);
CREATE INDEX submissions_department ON submissions(department);

-- Every state change of a submission: who, when, from which state to which, the batch, reasons.
CREATE TABLE submission_events (
    id            INTEGER PRIMARY KEY,
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    version       INTEGER NOT NULL,
    from_status   TEXT,
    to_status     TEXT NOT NULL,
    batch_id      INTEGER REFERENCES import_batches(id),
    reasons       TEXT,
    actor         TEXT NOT NULL,
    at            TEXT NOT NULL,
    UNIQUE (submission_id, version)
);

-- An import batch belongs to at most one submission.
CREATE TABLE submission_batches (
    batch_id      INTEGER PRIMARY KEY REFERENCES import_batches(id),
    submission_id INTEGER NOT NULL REFERENCES submissions(id)
);

-- sharing_level: unconditional, conditional, none. public: disclosed on the public portal.
CREATE TABLE catalogue_entries (
    dataset          TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    owner_department TEXT NOT NULL REFERENCES departments(code),
    sharing_level    TEXT NOT NULL,
    public           INTEGER NOT NULL,
    fields           TEXT NOT NULL,
    update_frequency TEXT NOT NULL,
    access_methods   TEXT NOT NULL,
    description      TEXT NOT NULL,
    version          INTEGER NOT NULL,
    updated_by       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);

-- Every version of a catalogue entry (JSON), with who, why and when.
CREATE TABLE catalogue_versions (
    dataset TEXT NOT NULL REFERENCES catalogue_entries(dataset),
    version INTEGER NOT NULL,
    data    TEXT NOT NULL,
    actor   TEXT NOT NULL,
    reason  TEXT NOT NULL,
    at      TEXT NOT NULL,
    PRIMARY KEY (dataset, version)
);

-- status: pending, granted, refused, revoked. expires_on: last day of a grant (none: no end).
CREATE TABLE access_requests (
    id           INTEGER PRIMARY KEY,
    dataset      TEXT NOT NULL REFERENCES catalogue_entries(dataset),
    department   TEXT NOT NULL REFERENCES departments(code),
    purpose      TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    status       TEXT NOT NULL,
    decided_by   TEXT,
    decided_at   TEXT,
    expires_on   TEXT,
    decision     TEXT
);
CREATE INDEX access_requests_department ON access_requests(department, dataset);

-- Reads of non-public data: who, which dataset, through which path, how many rows, on what basis.
CREATE TABLE data_access_log (
    id         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    department TEXT,
    dataset    TEXT NOT NULL,
    path       TEXT NOT NULL,
    row_count  INTEGER NOT NULL,
    outcome    TEXT NOT NULL,
    basis      TEXT NOT NULL
);
CREATE INDEX data_access_log_dataset ON data_access_log(dataset, id);
