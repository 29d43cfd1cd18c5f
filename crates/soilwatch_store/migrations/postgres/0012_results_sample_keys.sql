-- Results carry their sample's county and date (issue 5, third session), PostgreSQL dialect.
-- Append-only. The results of an analyte in a county, of an analyte in a year, and of a county
-- in date order are then each found by one index of `results` alone, in the order asked, and a
-- page reads no more rows than it returns (keyset paging). Every writer fills the two columns
-- from the sample it writes the result for.
ALTER TABLE results ADD COLUMN division TEXT;
ALTER TABLE results ADD COLUMN sampled_on TEXT;
UPDATE results r SET division = s.division, sampled_on = s.sampled_on
FROM samples s WHERE s.id = r.sample_id;
ALTER TABLE results ALTER COLUMN division SET NOT NULL;
ALTER TABLE results ALTER COLUMN sampled_on SET NOT NULL;

-- The foreign key to the sample now names its county and date too, so they cannot disagree
-- with the sample (a re-dated sample carries its results along). Same cost per row as the
-- foreign key it replaces.
ALTER TABLE samples ADD CONSTRAINT samples_id_division_date UNIQUE (id, division, sampled_on);
ALTER TABLE results ADD CONSTRAINT results_sample_keys_fkey
    FOREIGN KEY (sample_id, division, sampled_on)
    REFERENCES samples(id, division, sampled_on) ON UPDATE CASCADE;
ALTER TABLE results DROP CONSTRAINT results_sample_id_fkey;

CREATE INDEX results_analyte_division ON results(analyte, division, id);
CREATE INDEX results_division_id ON results(division, id);
CREATE INDEX results_analyte_date ON results(analyte, sampled_on, sample_id, id);
CREATE INDEX results_division_date ON results(division, sampled_on, sample_id, id);
