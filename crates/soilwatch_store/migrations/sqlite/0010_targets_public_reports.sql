-- Targets and public reports (issue 10), SQLite dialect. Append-only: never edit after it has shipped.

-- 目标值: a target per division, year and indicator (`farmland_safe_use_rate`, …), set by the
-- environment bureau over the work plan's defaults. The current value is here; every version,
-- whole, is also in `history` (entity 'target', key 'division/year/indicator').
CREATE TABLE targets (
    division  TEXT NOT NULL REFERENCES divisions(code),
    year      INTEGER NOT NULL,
    indicator TEXT NOT NULL,
    value     REAL NOT NULL,
    note      TEXT,
    version   INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    reason    TEXT NOT NULL,
    at        TEXT NOT NULL,
    PRIMARY KEY (division, year, indicator)
);

-- 公众举报 (like the 12369 hotline): what the public reported, where, to which county bureau;
-- `contact` is seen by the handling department only; `client_key` is a keyed hash of the
-- reporter's address (for the rate limit), never the address itself.
CREATE TABLE public_reports (
    id              INTEGER PRIMARY KEY,
    tracking        TEXT NOT NULL UNIQUE,
    division        TEXT NOT NULL REFERENCES divisions(code),
    lon             REAL,
    lat             REAL,
    address         TEXT,
    description     TEXT NOT NULL,
    contact         TEXT,
    status          TEXT NOT NULL,
    public_reply    TEXT,
    replied_at      TEXT,
    plot_code       TEXT,
    enterprise_uscc TEXT,
    client_key      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    version         INTEGER NOT NULL
);
CREATE INDEX public_reports_division ON public_reports(division, id);
CREATE INDEX public_reports_client ON public_reports(client_key, created_at);

-- Photos of a report (type and size checked before they are stored).
CREATE TABLE public_report_photos (
    report_id    INTEGER NOT NULL REFERENCES public_reports(id),
    seq          INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    bytes        BLOB NOT NULL,
    PRIMARY KEY (report_id, seq)
);

-- The handling of a report, oldest first: status changes, internal notes, the public reply.
CREATE TABLE public_report_events (
    id         INTEGER PRIMARY KEY,
    report_id  INTEGER NOT NULL REFERENCES public_reports(id),
    status     TEXT NOT NULL,
    note       TEXT,
    reply      TEXT,
    actor      TEXT NOT NULL,
    at         TEXT NOT NULL
);
CREATE INDEX public_report_events_report ON public_report_events(report_id, id);
