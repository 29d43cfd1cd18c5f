-- Results layout for finding and importing alike (session 7), PostgreSQL dialect. Append-only.
-- Every imported result pays for every index of `results`: migrations 0001–0013 left eleven
-- secondary indexes on it. Three remain, each ending with the result id (the identity order):
--   results_sample_analyte (sample_id, analyte, id) — a sample's results, one item of a
--     sample; every query that finds samples first (dates, date orders, point-level filters,
--     point, sample code, batch) reaches the results this way;
--   results_division_id (division, id) — a county's results in id order;
--   results_analyte_id (analyte, id) — an analyte's results in id order.
-- County, date and point-level filters in date order walk `samples` (ten times fewer rows)
-- and each sample's results; a date range in id order is a condition on `results.sampled_on`
-- while walking one of the three (see `ResultsPlan` in network.rs). The foreign key
-- (sample_id, division, sampled_on) → samples ON UPDATE CASCADE (0012) stays.
DROP INDEX results_batch;
DROP INDEX results_analyte_division;
DROP INDEX results_analyte_date;
DROP INDEX results_division_date;
DROP INDEX results_year;
DROP INDEX results_analyte_year;
DROP INDEX results_division_year;
DROP INDEX results_analyte_division_date;
