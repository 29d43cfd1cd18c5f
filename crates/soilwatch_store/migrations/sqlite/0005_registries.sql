-- Registries and workflows (issue 8), SQLite dialect. Append-only: never edit after it has shipped.
-- Each registry row keeps the record as JSON (`data`, what the API returns) with copies of the
-- fields lists are filtered on; every version, whole, is also in `history` (entity `plot`,
-- `enterprise`, `disclosure`, `remediation_project`, `manifest`, `tailings_pond`).

-- 污染地块: the boundary as WKB with its bounding box (like divisions), not in `data`.
CREATE TABLE plots (
    code       TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    division   TEXT NOT NULL REFERENCES divisions(code),
    status     TEXT NOT NULL,
    land_class INTEGER NOT NULL,
    industry   TEXT,
    boundary   BLOB,
    min_lon    REAL,
    min_lat    REAL,
    max_lon    REAL,
    max_lat    REAL,
    data       TEXT NOT NULL,
    version    INTEGER NOT NULL
);
CREATE INDEX plots_division_status ON plots(division, status);
CREATE INDEX plots_status ON plots(status);

-- 重点监管企业, keyed by the unified social credit code.
CREATE TABLE enterprises (
    uscc        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    division    TEXT NOT NULL REFERENCES divisions(code),
    industry    TEXT NOT NULL,
    status      TEXT NOT NULL,
    listed_year INTEGER NOT NULL,
    data        TEXT NOT NULL,
    version     INTEGER NOT NULL
);
CREATE INDEX enterprises_division_status ON enterprises(division, status);

-- 自行监测信息公开, one per enterprise and year (key `USCC/year`).
CREATE TABLE enterprise_disclosures (
    key          TEXT PRIMARY KEY,
    uscc         TEXT NOT NULL REFERENCES enterprises(uscc),
    year         INTEGER NOT NULL,
    disclosed_on TEXT NOT NULL,
    data         TEXT NOT NULL,
    version      INTEGER NOT NULL,
    UNIQUE (uscc, year)
);

-- 修复工程 on a registered plot; the division is the plot's.
CREATE TABLE remediation_projects (
    code      TEXT PRIMARY KEY,
    plot_code TEXT NOT NULL REFERENCES plots(code),
    division  TEXT NOT NULL REFERENCES divisions(code),
    data      TEXT NOT NULL,
    version   INTEGER NOT NULL
);
CREATE INDEX remediation_projects_plot ON remediation_projects(plot_code);
CREATE INDEX remediation_projects_division ON remediation_projects(division);

-- 转运联单: seen by the origin and the destination county (an index for each).
CREATE TABLE transfer_manifests (
    code                 TEXT PRIMARY KEY,
    project_code         TEXT NOT NULL REFERENCES remediation_projects(code),
    origin_division      TEXT NOT NULL REFERENCES divisions(code),
    destination_division TEXT NOT NULL REFERENCES divisions(code),
    departure_at         TEXT NOT NULL,
    data                 TEXT NOT NULL,
    version              INTEGER NOT NULL
);
CREATE INDEX transfer_manifests_project ON transfer_manifests(project_code, departure_at);
CREATE INDEX transfer_manifests_origin ON transfer_manifests(origin_division, departure_at);
CREATE INDEX transfer_manifests_destination ON transfer_manifests(destination_division, departure_at);

-- 尾矿库
CREATE TABLE tailings_ponds (
    code            TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    division        TEXT NOT NULL REFERENCES divisions(code),
    enterprise_uscc TEXT,
    status          TEXT NOT NULL,
    data            TEXT NOT NULL,
    version         INTEGER NOT NULL
);
CREATE INDEX tailings_ponds_division_status ON tailings_ponds(division, status);
CREATE INDEX tailings_ponds_enterprise ON tailings_ponds(enterprise_uscc);

-- A plot's survey samples through the points that watch it.
CREATE INDEX points_watched_plot ON points(watched_plot);
