-- Finding data on a million results, fourth pass (issue 5, session 6), SQLite dialect.
-- Append-only. Every filter of GET /api/v1/points|samples|results and its sort order served by
-- one index that yields the rows in the requested order, so that a page reads about as many
-- rows as it returns.

-- A year or date range in the identity order: the find queries split the range into calendar
-- years and walk, for each year, the year's rows in id order (the rowid is the implicit last
-- key column), then merge the years' first pages. The expression is the one the queries use.
CREATE INDEX results_year ON results(substr(sampled_on, 1, 4));
CREATE INDEX results_analyte_year ON results(analyte, substr(sampled_on, 1, 4));
CREATE INDEX results_division_year ON results(division, substr(sampled_on, 1, 4));
CREATE INDEX samples_year ON samples(substr(sampled_on, 1, 4));
-- An analyte in a county in date order (newest first).
CREATE INDEX results_analyte_division_date ON results(analyte, division, sampled_on, sample_id);
-- Samples of a county in id order.
CREATE INDEX samples_division_id ON samples(division);

-- The coverage report's "no sample since": each point's newest sampling date, kept by triggers
-- on every write of samples (insert, re-date, move to another point, delete), so that the
-- report reads the points alone instead of probing the samples of every point.
ALTER TABLE points ADD COLUMN last_sampled_on TEXT;
UPDATE points SET last_sampled_on =
    (SELECT MAX(s.sampled_on) FROM samples s WHERE s.point_code = points.code);
CREATE INDEX points_active_division ON points(retired_on, division, point_type, control_level);

CREATE TRIGGER samples_last_sampled_insert AFTER INSERT ON samples
WHEN NEW.point_code IS NOT NULL
BEGIN
    UPDATE points SET last_sampled_on = NEW.sampled_on
    WHERE code = NEW.point_code
      AND (last_sampled_on IS NULL OR last_sampled_on < NEW.sampled_on);
END;

CREATE TRIGGER samples_last_sampled_update AFTER UPDATE OF point_code, sampled_on ON samples
BEGIN
    UPDATE points SET last_sampled_on =
        (SELECT MAX(s.sampled_on) FROM samples s WHERE s.point_code = points.code)
    WHERE code IN (OLD.point_code, NEW.point_code);
END;

CREATE TRIGGER samples_last_sampled_delete AFTER DELETE ON samples
WHEN OLD.point_code IS NOT NULL
BEGIN
    UPDATE points SET last_sampled_on =
        (SELECT MAX(s.sampled_on) FROM samples s WHERE s.point_code = points.code)
    WHERE code = OLD.point_code;
END;

-- A point registered after samples that name it (a sample's point code is not a foreign key
-- everywhere) starts with their newest date.
CREATE TRIGGER points_last_sampled_insert AFTER INSERT ON points
BEGIN
    UPDATE points SET last_sampled_on =
        (SELECT MAX(s.sampled_on) FROM samples s WHERE s.point_code = NEW.code)
    WHERE code = NEW.code;
END;
