-- Demolition plans and mining areas (issue 8, work-plan items 21 and 22), PostgreSQL dialect.
-- Append-only: never edit after it has shipped. As in 0005, each row keeps the record as JSON
-- (`data`) with copies of the filtered fields; every version is in `history` (entity
-- `demolition_plan`, `mining_area`).

-- 拆除活动污染防治方案 of a key supervised enterprise; the division is the enterprise's.
CREATE TABLE demolition_plans (
    code            TEXT PRIMARY KEY,
    enterprise_uscc TEXT NOT NULL REFERENCES enterprises(uscc),
    division        TEXT NOT NULL REFERENCES divisions(code),
    status          TEXT NOT NULL,
    filed_on        TEXT NOT NULL,
    data            TEXT NOT NULL,
    version         BIGINT NOT NULL
);
CREATE INDEX demolition_plans_division_status ON demolition_plans(division, status);
CREATE INDEX demolition_plans_enterprise ON demolition_plans(enterprise_uscc);

-- 矿区, with whether it has associated radioactivity (伴生放射性矿, 1 = yes).
CREATE TABLE mining_areas (
    code            TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    division        TEXT NOT NULL REFERENCES divisions(code),
    enterprise_uscc TEXT,
    status          TEXT NOT NULL,
    radioactive     BIGINT NOT NULL,
    data            TEXT NOT NULL,
    version         BIGINT NOT NULL
);
CREATE INDEX mining_areas_division_status ON mining_areas(division, status);
CREATE INDEX mining_areas_enterprise ON mining_areas(enterprise_uscc);
