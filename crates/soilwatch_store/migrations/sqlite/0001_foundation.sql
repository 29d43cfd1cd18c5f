-- soilwatch foundation schema (SQLite dialect). Append-only: never edit after it has shipped.
CREATE TABLE divisions (
    code            TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    name_en         TEXT,
    level           TEXT NOT NULL,
    parent          TEXT,
    center_lon      REAL,
    center_lat      REAL,
    boundary        BLOB,
    min_lon         REAL,
    min_lat         REAL,
    max_lon         REAL,
    max_lat         REAL,
    area_km2        REAL,
    boundary_source TEXT
);

CREATE TABLE analytes (
    code      TEXT PRIMARY KEY,
    name_cn   TEXT NOT NULL,
    name_en   TEXT NOT NULL,
    cas       TEXT NOT NULL,
    grp       TEXT NOT NULL,
    unit_soil TEXT NOT NULL,
    aliases   TEXT NOT NULL
);

CREATE TABLE departments (
    code     TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    level    TEXT NOT NULL,
    division TEXT NOT NULL REFERENCES divisions(code),
    version  INTEGER NOT NULL
);

CREATE TABLE points (
    code           TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    point_type     TEXT NOT NULL,
    control_level  TEXT NOT NULL,
    division       TEXT NOT NULL REFERENCES divisions(code),
    lon            REAL NOT NULL,
    lat            REAL NOT NULL,
    land_use       TEXT,
    risk_category  TEXT,
    established_on TEXT,
    retired_on     TEXT,
    version        INTEGER NOT NULL
);
CREATE INDEX points_division ON points(division);

CREATE TABLE samples (
    id           INTEGER PRIMARY KEY,
    code         TEXT NOT NULL UNIQUE,
    point_code   TEXT REFERENCES points(code),
    medium       TEXT NOT NULL,
    division     TEXT NOT NULL REFERENCES divisions(code),
    sampled_on   TEXT NOT NULL,
    land_use     TEXT,
    crop         TEXT,
    depth_top    INTEGER,
    depth_bottom INTEGER,
    lab          TEXT,
    version      INTEGER NOT NULL
);
CREATE INDEX samples_division_medium_date ON samples(division, medium, sampled_on);
CREATE INDEX samples_point ON samples(point_code);

CREATE TABLE results (
    id              INTEGER PRIMARY KEY,
    sample_id       INTEGER NOT NULL REFERENCES samples(id),
    analyte         TEXT NOT NULL REFERENCES analytes(code),
    value_text      TEXT,
    value_num       REAL,
    unit            TEXT NOT NULL,
    detection_limit TEXT,
    qualifier       TEXT NOT NULL,
    method          TEXT,
    version         INTEGER NOT NULL
);
CREATE INDEX results_sample ON results(sample_id);
CREATE INDEX results_analyte ON results(analyte);

CREATE TABLE history (
    id        INTEGER PRIMARY KEY,
    entity    TEXT NOT NULL,
    key       TEXT NOT NULL,
    version   INTEGER NOT NULL,
    operation TEXT NOT NULL,
    data      TEXT NOT NULL,
    actor     TEXT NOT NULL,
    reason    TEXT NOT NULL,
    at        TEXT NOT NULL,
    UNIQUE (entity, key, version)
);
