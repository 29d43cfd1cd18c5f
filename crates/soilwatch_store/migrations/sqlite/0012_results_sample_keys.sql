-- Results carry their sample's county and date (issue 5, third session), SQLite dialect.
-- Append-only. The results of an analyte in a county, of an analyte in a year, and of a county
-- in date order are then each found by one index of `results` alone, in the order asked, and a
-- page reads no more rows than it returns (keyset paging). Every writer fills the two columns
-- from the sample it writes the result for; samples are never re-dated, and should one be, the
-- trigger below carries the change to its results.
ALTER TABLE results ADD COLUMN division TEXT;
ALTER TABLE results ADD COLUMN sampled_on TEXT;
UPDATE results SET (division, sampled_on) =
    (SELECT s.division, s.sampled_on FROM samples s WHERE s.id = results.sample_id);

-- The rowid (the result id) is the last key column of each: the identity order within a
-- county, and the date order (date, sample, result) within an analyte or a county.
CREATE INDEX results_analyte_division ON results(analyte, division);
CREATE INDEX results_division_id ON results(division);
CREATE INDEX results_analyte_date ON results(analyte, sampled_on, sample_id);
CREATE INDEX results_division_date ON results(division, sampled_on, sample_id);

-- A writer that forgets them fails loudly instead of hiding its rows from the find queries.
CREATE TRIGGER results_need_sample_keys BEFORE INSERT ON results
WHEN NEW.division IS NULL OR NEW.sampled_on IS NULL
BEGIN
    SELECT RAISE(ABORT, 'results.division and results.sampled_on must be set (copy them from the sample)');
END;

CREATE TRIGGER samples_keys_to_results AFTER UPDATE OF division, sampled_on ON samples
BEGIN
    UPDATE results SET division = NEW.division, sampled_on = NEW.sampled_on
    WHERE sample_id = NEW.id;
END;
