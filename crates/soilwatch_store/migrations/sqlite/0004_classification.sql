-- Farmland classification (issue 6), SQLite dialect. Append-only: never edit after it has shipped.
-- Evaluation units: parcels from files or grid cells clipped to a county (WKB, CGCS2000 lon/lat),
-- with areas computed in the Gauss–Krüger zone. Earlier versions are kept in `history`
-- (entity 'evaluation_unit').
CREATE TABLE evaluation_units (
    code       TEXT PRIMARY KEY,
    division   TEXT NOT NULL REFERENCES divisions(code),
    source     TEXT NOT NULL,
    land_use   TEXT,
    geometry   BLOB NOT NULL,
    min_lon    REAL NOT NULL,
    min_lat    REAL NOT NULL,
    max_lon    REAL NOT NULL,
    max_lat    REAL NOT NULL,
    area_mu    REAL NOT NULL,
    area_ha    REAL NOT NULL,
    origin     TEXT NOT NULL,
    version    INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX evaluation_units_division ON evaluation_units(division, code);

-- A classification run: its inputs (sample and result versions, units, ruleset, settings) and
-- a summary; the previous run of the same division for the change list.
CREATE TABLE classification_runs (
    id              INTEGER PRIMARY KEY,
    year            INTEGER NOT NULL,
    division        TEXT NOT NULL REFERENCES divisions(code),
    method          TEXT NOT NULL,
    ruleset         TEXT NOT NULL,
    settings        TEXT NOT NULL,
    inputs          TEXT NOT NULL,
    summary         TEXT NOT NULL,
    previous_run_id INTEGER REFERENCES classification_runs(id),
    actor           TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE INDEX classification_runs_division_id ON classification_runs(division, id);

-- The computed class of every unit of a run, with its evidence (JSON).
CREATE TABLE classification_results (
    run_id       INTEGER NOT NULL REFERENCES classification_runs(id),
    unit_code    TEXT NOT NULL REFERENCES evaluation_units(code),
    unit_version INTEGER NOT NULL,
    division     TEXT NOT NULL,
    class        TEXT,
    basis        TEXT NOT NULL,
    soil_class   TEXT,
    proposal     TEXT,
    area_mu      REAL NOT NULL,
    area_ha      REAL NOT NULL,
    rule         TEXT NOT NULL,
    evidence     TEXT NOT NULL,
    PRIMARY KEY (run_id, unit_code)
);

-- Reviews (confirm or override with a reason), kept apart from the computed classes; the
-- newest review of a unit in a run counts.
CREATE TABLE classification_reviews (
    id        INTEGER PRIMARY KEY,
    run_id    INTEGER NOT NULL,
    unit_code TEXT NOT NULL,
    action    TEXT NOT NULL,
    class     TEXT NOT NULL,
    reason    TEXT NOT NULL,
    actor     TEXT NOT NULL,
    at        TEXT NOT NULL,
    FOREIGN KEY (run_id, unit_code) REFERENCES classification_results(run_id, unit_code)
);
CREATE INDEX classification_reviews_run_unit ON classification_reviews(run_id, unit_code, id);

-- Areas toward the work plan's targets, per unit, year and measure; append-only (the newest row
-- of a unit, year and measure counts, earlier ones stay).
CREATE TABLE target_areas (
    id        INTEGER PRIMARY KEY,
    unit_code TEXT NOT NULL REFERENCES evaluation_units(code),
    division  TEXT NOT NULL,
    year      INTEGER NOT NULL,
    measure   TEXT NOT NULL,
    area_mu   REAL NOT NULL,
    note      TEXT,
    actor     TEXT NOT NULL,
    reason    TEXT NOT NULL,
    at        TEXT NOT NULL
);
CREATE INDEX target_areas_unit_year_measure ON target_areas(unit_code, year, measure, id);
CREATE INDEX target_areas_division_year ON target_areas(division, year);
