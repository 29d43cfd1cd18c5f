-- A Citus-shaped copy of soilwatch's observation tables on plain PostgreSQL (issue 12):
-- points, samples and results hash-partitioned by county code (`division`), the way Citus would
-- shard them; divisions and analytes plain tables (Citus reference tables). PostgreSQL's
-- partitioned tables impose Citus's two rules on the schema: every primary key and unique
-- constraint includes the distribution column, and so does every foreign key between them.
CREATE TABLE divisions (code TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE analytes (code TEXT PRIMARY KEY);

CREATE TABLE points (
    code TEXT NOT NULL, name TEXT NOT NULL, point_type TEXT NOT NULL, control_level TEXT NOT NULL,
    division TEXT NOT NULL REFERENCES divisions(code), lon DOUBLE PRECISION NOT NULL,
    lat DOUBLE PRECISION NOT NULL, land_use TEXT, risk_category TEXT, established_on TEXT,
    retired_on TEXT, version BIGINT NOT NULL,
    PRIMARY KEY (division, code)
) PARTITION BY HASH (division);
CREATE TABLE samples (
    id BIGINT NOT NULL, code TEXT NOT NULL, point_code TEXT, medium TEXT NOT NULL,
    division TEXT NOT NULL REFERENCES divisions(code), sampled_on TEXT NOT NULL, land_use TEXT,
    batch_id BIGINT, version BIGINT NOT NULL,
    PRIMARY KEY (division, id),
    UNIQUE (division, code),
    FOREIGN KEY (division, point_code) REFERENCES points(division, code)
) PARTITION BY HASH (division);
CREATE TABLE results (
    id BIGINT NOT NULL, sample_id BIGINT NOT NULL, division TEXT NOT NULL, sampled_on TEXT NOT NULL,
    analyte TEXT NOT NULL REFERENCES analytes(code), value_text TEXT, value_num DOUBLE PRECISION,
    unit TEXT NOT NULL, version BIGINT NOT NULL,
    PRIMARY KEY (division, id),
    FOREIGN KEY (division, sample_id) REFERENCES samples(division, id)
) PARTITION BY HASH (division);
DO $$ BEGIN
  FOR i IN 0..7 LOOP
    EXECUTE format('CREATE TABLE points_%s PARTITION OF points FOR VALUES WITH (MODULUS 8, REMAINDER %s)', i, i);
    EXECUTE format('CREATE TABLE samples_%s PARTITION OF samples FOR VALUES WITH (MODULUS 8, REMAINDER %s)', i, i);
    EXECUTE format('CREATE TABLE results_%s PARTITION OF results FOR VALUES WITH (MODULUS 8, REMAINDER %s)', i, i);
  END LOOP;
END $$;
-- The indexes of migrations 0001, 0003, 0008 (and 0012's on results), with the county first
-- where the original has it.
CREATE INDEX points_type_division ON points(point_type, division);
CREATE INDEX samples_point_date ON samples(point_code, sampled_on);
CREATE INDEX samples_date_id ON samples(sampled_on, id);
CREATE INDEX samples_division_date ON samples(division, sampled_on, id);
CREATE INDEX samples_id ON samples(id);
CREATE INDEX results_sample_analyte ON results(sample_id, analyte, id);
CREATE INDEX results_analyte_division ON results(analyte, division, id);
CREATE INDEX results_division_date ON results(division, sampled_on, sample_id, id);

INSERT INTO divisions VALUES ('513400', '凉山州'), ('513401','西昌市'), ('513402','会理市'),
 ('513422','木里'), ('513423','盐源'), ('513424','德昌'), ('513426','会东'), ('513427','宁南'),
 ('513428','普格'), ('513429','布拖'), ('513430','金阳'), ('513431','昭觉'), ('513432','喜德'),
 ('513433','冕宁'), ('513434','越西'), ('513435','甘洛'), ('513436','美姑'), ('513437','雷波');
INSERT INTO analytes VALUES ('Cd'),('Hg'),('As'),('Pb'),('Cr'),('Cu'),('Ni'),('Zn'),('pH');

-- 17,000 points (1,000 a county), 170,000 samples (ten years), 1,530,000 results (9 analytes).
CREATE TEMP TABLE county AS
  SELECT code, row_number() OVER (ORDER BY code) - 1 AS n FROM divisions WHERE code <> '513400';
INSERT INTO points
  SELECT format('P%s%s', c.code, lpad(i::text, 5, '0')), 'p', 'basic', 'national', c.code,
         101 + c.n * 0.1 + i * 0.0001, 27 + i * 0.0001, 'paddy', NULL, '2016-01-01', NULL, 1
  FROM county c, generate_series(1, 1000) i;
INSERT INTO samples
  SELECT row_number() OVER (), format('S%s-%s', p.code, y), p.code, 'soil', p.division,
         format('%s-06-%s', y, lpad((1 + (hashtext(p.code) & 15))::text, 2, '0')), 'paddy', NULL, 1
  FROM points p, generate_series(2016, 2025) y;
INSERT INTO results
  SELECT row_number() OVER (), s.id, s.division, s.sampled_on, a.code,
         ((s.id % 97) / 100.0)::text, (s.id % 97) / 100.0, 'mg/kg', 1
  FROM samples s, analytes a;
ANALYZE;
