-- Finding results fast on a million rows (issue 5), PostgreSQL dialect. Append-only.
-- Samples of a county in date order: "newest first" pages and date ranges inside a county.
CREATE INDEX samples_division_date ON samples(division, sampled_on, id);
-- One item of a sample: results of samples found by a sample filter narrowed to an analyte
-- with one probe per sample, the evaluation behind the exceedance filter and corrections;
-- replaces results_sample (its prefix).
CREATE INDEX results_sample_analyte ON results(sample_id, analyte, id);
DROP INDEX results_sample;
