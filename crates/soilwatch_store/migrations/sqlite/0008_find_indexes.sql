-- Finding results fast on a million rows (issue 5), SQLite dialect. Append-only.
-- Samples of a county in date order: "newest first" pages and date ranges inside a county
-- (the rowid, the sample id, is the last key column implicitly).
CREATE INDEX samples_division_date ON samples(division, sampled_on);
-- One item of a sample: results of samples found by a sample filter narrowed to an analyte
-- with one probe per sample, the evaluation behind the exceedance filter and corrections;
-- replaces results_sample (its prefix).
CREATE INDEX results_sample_analyte ON results(sample_id, analyte);
DROP INDEX results_sample;
