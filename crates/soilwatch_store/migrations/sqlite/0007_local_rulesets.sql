-- Local rulesets (地方标准): a prefecture's stricter values over a national soil ruleset, kept as
-- the CSV the bureau filed, recompiled and checked against the national values on every use.
CREATE TABLE local_rulesets (
    id         TEXT PRIMARY KEY,
    base       TEXT NOT NULL,
    name       TEXT NOT NULL,
    version    TEXT NOT NULL,
    csv        TEXT NOT NULL,
    created_by TEXT NOT NULL,
    reason     TEXT NOT NULL,
    created_at TEXT NOT NULL
);
