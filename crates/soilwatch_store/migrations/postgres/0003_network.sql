-- Monitoring network and the basic database (issue 5), PostgreSQL dialect. Append-only.
-- What a point watches (enterprise or plot, free-text codes until those registries exist) and
-- when it was last moved (the old location stays in `history`).
ALTER TABLE points ADD COLUMN watched_enterprise TEXT;
ALTER TABLE points ADD COLUMN watched_plot TEXT;
ALTER TABLE points ADD COLUMN moved_on TEXT;

-- An index for every filter of GET /api/v1/points|samples|results and the coverage report.
CREATE INDEX points_type_division ON points(point_type, division);
CREATE INDEX points_control_level_division ON points(control_level, division);
CREATE INDEX points_risk_category ON points(risk_category);
CREATE INDEX points_lon_lat ON points(lon, lat);
-- Samples of a point over time (point pages, "no sample in N years"); replaces samples_point.
CREATE INDEX samples_point_date ON samples(point_code, sampled_on);
DROP INDEX samples_point;
CREATE INDEX samples_date_id ON samples(sampled_on, id);
CREATE INDEX samples_medium_date ON samples(medium, sampled_on);
-- Results of one analyte in id order (keyset paging); replaces results_analyte.
CREATE INDEX results_analyte_id ON results(analyte, id);
DROP INDEX results_analyte;
