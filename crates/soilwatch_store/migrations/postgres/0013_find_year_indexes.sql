-- Finding data on a million results, fourth pass (issue 5, session 6), PostgreSQL dialect.
-- Append-only. Every filter of GET /api/v1/points|samples|results and its sort order served by
-- one index that yields the rows in the requested order, so that a page reads about as many
-- rows as it returns.

-- A year or date range in the identity order: the find queries split the range into calendar
-- years and walk, for each year, the year's rows in id order, then merge the years' first
-- pages. The expression is the one the queries use.
CREATE INDEX results_year ON results((substr(sampled_on, 1, 4)), id);
CREATE INDEX results_analyte_year ON results(analyte, (substr(sampled_on, 1, 4)), id);
CREATE INDEX results_division_year ON results(division, (substr(sampled_on, 1, 4)), id);
CREATE INDEX samples_year ON samples((substr(sampled_on, 1, 4)), id);
-- An analyte in a county in date order (newest first).
CREATE INDEX results_analyte_division_date
    ON results(analyte, division, sampled_on, sample_id, id);
-- Samples of a county, and of a batch, in id order.
CREATE INDEX samples_division_id ON samples(division, id);
CREATE INDEX samples_batch_id ON samples(batch_id, id);
DROP INDEX samples_batch;

-- The coverage report's "no sample since": each point's newest sampling date, kept by a
-- trigger on every write of samples (insert, re-date, move to another point, delete), so that
-- the report reads the points alone instead of probing the samples of every point.
ALTER TABLE points ADD COLUMN last_sampled_on TEXT;
UPDATE points p SET last_sampled_on = m.last
FROM (SELECT point_code, MAX(sampled_on) AS last FROM samples
      WHERE point_code IS NOT NULL GROUP BY point_code) m
WHERE m.point_code = p.code;
CREATE INDEX points_active_division ON points(retired_on, division, point_type, control_level);

CREATE FUNCTION samples_last_sampled() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.point_code IS NOT NULL THEN
            UPDATE points SET last_sampled_on = NEW.sampled_on
            WHERE code = NEW.point_code
              AND (last_sampled_on IS NULL OR last_sampled_on < NEW.sampled_on);
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.point_code IS NOT DISTINCT FROM OLD.point_code
       AND NEW.sampled_on = OLD.sampled_on THEN
        RETURN NEW;
    END IF;
    UPDATE points SET last_sampled_on =
        (SELECT MAX(s.sampled_on) FROM samples s WHERE s.point_code = points.code)
    WHERE code = OLD.point_code
       OR (TG_OP = 'UPDATE' AND code = NEW.point_code);
    RETURN NULL;
END;
$$;

CREATE TRIGGER samples_last_sampled AFTER INSERT OR UPDATE OR DELETE ON samples
FOR EACH ROW EXECUTE FUNCTION samples_last_sampled();

-- A point registered after samples that name it starts with their newest date.
CREATE FUNCTION points_last_sampled() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.last_sampled_on :=
        (SELECT MAX(s.sampled_on) FROM samples s WHERE s.point_code = NEW.code);
    RETURN NEW;
END;
$$;

CREATE TRIGGER points_last_sampled BEFORE INSERT ON points
FOR EACH ROW EXECUTE FUNCTION points_last_sampled();
