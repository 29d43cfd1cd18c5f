-- The store's query shapes over the Citus-shaped copy (sim_schema.sql): how many of the 8
-- partitions (shards) each one touches. `as is` = the SQL the store runs today (file:line in
-- docs/SCALING.md), `keyed` = the same with the county equality Citus needs for a router query
-- or a co-located join.
\pset pager off
SET enable_partitionwise_join = on;
SET enable_partitionwise_aggregate = on;
\echo '== 1 find_samples, one county, newest first (network.rs find_samples_sql) as is'
EXPLAIN (COSTS OFF) SELECT s.id, s.code, p.lon, p.lat FROM samples s LEFT JOIN points p ON p.code = s.point_code
 WHERE s.division = '513401' ORDER BY s.sampled_on DESC, s.id DESC LIMIT 51;
\echo '== 1k keyed: AND p.division = s.division'
EXPLAIN (COSTS OFF) SELECT s.id, s.code, p.lon, p.lat FROM samples s LEFT JOIN points p ON p.division = s.division AND p.code = s.point_code
 WHERE s.division = '513401' ORDER BY s.sampled_on DESC, s.id DESC LIMIT 51;
\echo '== 2 find_results, one county: the county on the result (0012), joined by sample id only (network.rs ResultsPlan) as is'
EXPLAIN (COSTS OFF) SELECT r.id, s.code, r.analyte FROM results r JOIN samples s ON s.id = r.sample_id
 WHERE r.division = '513401' AND r.analyte = 'Cd' ORDER BY r.id LIMIT 51;
\echo '== 2k keyed: and s.division = r.division'
EXPLAIN (COSTS OFF) SELECT r.id, s.code, r.analyte FROM results r JOIN samples s ON s.division = r.division AND s.id = r.sample_id
 WHERE r.division = '513401' AND r.analyte = 'Cd' ORDER BY r.sampled_on, r.sample_id, r.id LIMIT 51;
\echo '== 3 the prefecture (a code range) as is: every shard, in parallel under Citus'
EXPLAIN (COSTS OFF) SELECT s.division, COUNT(*) FROM samples s WHERE s.division >= '513400' AND s.division <= '513499'
 AND s.medium = 'soil' AND s.sampled_on >= '2025-01-01' AND s.sampled_on <= '2025-12-31' GROUP BY s.division;
\echo '== 4 get_sample_by_id (sql.rs) as is: no county'
EXPLAIN (COSTS OFF) SELECT * FROM samples WHERE id = 4242;
\echo '== 4k keyed: with the county (the sample page knows it from the list row)'
EXPLAIN (COSTS OFF) SELECT * FROM samples WHERE division = '513401' AND id = 4242;
\echo '== 5 load_results (sql.rs) as is'
EXPLAIN (COSTS OFF) SELECT * FROM results WHERE sample_id = 4242 ORDER BY id;
\echo '== 6 get_point_record (network.rs) as is: by code'
EXPLAIN (COSTS OFF) SELECT * FROM points WHERE code = 'P51340100042';
\echo '== 7 coverage: points not sampled since (network.rs network_coverage) as is'
EXPLAIN (COSTS OFF) SELECT p.code, (SELECT MAX(s2.sampled_on) FROM samples s2 WHERE s2.point_code = p.code) AS last
 FROM points p WHERE p.retired_on IS NULL AND NOT EXISTS
 (SELECT 1 FROM samples s WHERE s.point_code = p.code AND s.sampled_on >= '2025-01-01') ORDER BY p.division, p.code;
\echo '== 7k keyed: the correlated subqueries also match the county'
EXPLAIN (COSTS OFF) SELECT p.code, (SELECT MAX(s2.sampled_on) FROM samples s2 WHERE s2.division = p.division AND s2.point_code = p.code) AS last
 FROM points p WHERE p.retired_on IS NULL AND NOT EXISTS
 (SELECT 1 FROM samples s WHERE s.division = p.division AND s.point_code = p.code AND s.sampled_on >= '2025-01-01') ORDER BY p.division, p.code;
\echo '== 8 sample_digests (sample_digest.rs): a year over every county, join by sample id as is'
EXPLAIN (COSTS OFF) SELECT s.id, s.division, COUNT(r.id) FROM samples s LEFT JOIN results r ON r.sample_id = s.id
 WHERE s.sampled_on >= '2025-01-01' AND s.sampled_on <= '2025-12-31' GROUP BY s.id, s.division ORDER BY s.id;
\echo '== 8k keyed: LEFT JOIN results r ON r.division = s.division AND r.sample_id = s.id'
EXPLAIN (COSTS OFF) SELECT s.id, s.division, COUNT(r.id) FROM samples s LEFT JOIN results r ON r.division = s.division AND r.sample_id = s.id
 WHERE s.sampled_on >= '2025-01-01' AND s.sampled_on <= '2025-12-31' GROUP BY s.id, s.division ORDER BY s.id;
\echo '== 3k a county list instead of a code range: only the shards holding those counties'
EXPLAIN (COSTS OFF) SELECT s.division, COUNT(*) FROM samples s WHERE s.division IN ('513401', '513402', '513422')
 AND s.medium = 'soil' AND s.sampled_on >= '2025-01-01' AND s.sampled_on <= '2025-12-31' GROUP BY s.division;
