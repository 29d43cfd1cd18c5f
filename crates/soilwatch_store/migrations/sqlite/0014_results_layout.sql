-- Results layout for finding and importing alike (session 7), SQLite dialect. Append-only.
-- Every imported result pays for every index of `results`: migrations 0001–0013 left eleven
-- secondary indexes and a BEFORE INSERT trigger on it. Three indexes remain, each serving the
-- identity order (the result id, the rowid, is the implicit last key column):
--   results_sample_analyte (sample_id, analyte) — a sample's results, one item of a sample;
--     every query that finds samples first (dates, date orders, point-level filters, point,
--     sample code, batch) reaches the results this way;
--   results_division_id (division) — a county's results in id order;
--   results_analyte_id (analyte) — an analyte's results in id order.
-- County, date and point-level filters in date order walk `samples` (ten times fewer rows:
-- samples_division_date, samples_date_id, samples_medium_date, samples_point_date) and
-- each sample's results; a date range in id order is a condition on `results.sampled_on`
-- while walking one of the three (see `ResultsPlan` in network.rs).
DROP INDEX results_batch;
DROP INDEX results_analyte_division;
DROP INDEX results_analyte_date;
DROP INDEX results_division_date;
DROP INDEX results_year;
DROP INDEX results_analyte_year;
DROP INDEX results_division_year;
DROP INDEX results_analyte_division_date;

-- `division` and `sampled_on` stay (the writers fill them; the conformance check
-- results_carry_their_samples_county_and_date finds every result under its sample's county
-- and date after every write path); the per-row check at insert goes. A re-dated or moved
-- sample still carries its results along (samples_keys_to_results, 0012).
DROP TRIGGER results_need_sample_keys;
