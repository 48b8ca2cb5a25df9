-- bench/dashboards.sh: the inputs of the measured queries, one lookup table per
-- query, row i = 1 the busiest (its EXPLAIN is kept), every row equally likely
-- in the timed runs (pgbench: \set i random(1, n), then one primary-key lookup).
-- Reporting years are the events' labels; p_from/p_to their date range.
\set ON_ERROR_STOP on
SELECT setseed(0.5) \g /dev/null

CREATE TEMP VIEW bench_years AS
SELECT y."reportingYear" AS p_year,
       make_date(split_part(y."reportingYear", '-', 1)::int, m.start_month, 1) AS p_from,
       (make_date(split_part(y."reportingYear", '-', 1)::int, m.start_month, 1)
        + interval '1 year')::date AS p_to
  FROM (SELECT DISTINCT "reportingYear" FROM "ViolationEvent") AS y,
       (SELECT coalesce(max("reportingYearStartMonth"), 1) AS start_month
          FROM "ViolationSettings") AS m;

-- facility summary: (Facility, reporting year) with violations
CREATE TABLE bench_fy AS
SELECT row_number() OVER (ORDER BY sum(e."count") DESC, e."facilityId", y.p_year)::int AS i,
       e."facilityId" AS p_fid, y.p_year, y.p_from, y.p_to
  FROM "ViolationEvent" e JOIN bench_years y ON y.p_year = e."reportingYear"
 WHERE e."facilityId" IS NOT NULL AND e."count" > 0
 GROUP BY e."facilityId", y.p_year, y.p_from, y.p_to;

-- pollutant summary: (pollutant, reporting year) with violations
CREATE TABLE bench_py AS
SELECT row_number() OVER (ORDER BY count(*) DESC, e."pollutant", y.p_year)::int AS i,
       e."pollutant" AS p_pollutant, y.p_year, y.p_from, y.p_to
  FROM "ViolationEvent" e JOIN bench_years y ON y.p_year = e."reportingYear"
 WHERE e."count" > 0
 GROUP BY e."pollutant", y.p_year, y.p_from, y.p_to;

-- top facilities: reporting years with violations
CREATE TABLE bench_y AS
SELECT row_number() OVER (ORDER BY sum(e."count") DESC, y.p_year)::int AS i, y.p_year, y.p_from, y.p_to
  FROM "ViolationEvent" e JOIN bench_years y ON y.p_year = e."reportingYear"
 WHERE e."count" > 0
 GROUP BY y.p_year, y.p_from, y.p_to;

-- this month: the month of the latest sample (the data ends where "now" is)
CREATE TABLE bench_month AS
SELECT 1 AS i, date_trunc('month', max("samplingDate"))::date AS p_month,
       (date_trunc('month', max("samplingDate")) + interval '1 month')::date AS p_month_end
  FROM "ESMRSample";

-- drilldown: (Facility, pollutant) with a second page (more than 20
-- violations), the cursor at the 20th newest; where no pair has one (tiny
-- data sets), the first page of every pair
CREATE TABLE bench_fp AS
WITH r AS (
	SELECT "facilityId", "pollutantKey", "detectedAt", "id",
		   row_number() OVER w AS rn, count(*) OVER (PARTITION BY "facilityId", "pollutantKey") AS n
	  FROM "ViolationSample"
	 WHERE "facilityId" IS NOT NULL
	WINDOW w AS (PARTITION BY "facilityId", "pollutantKey" ORDER BY "detectedAt" DESC, "id" DESC)
)
SELECT row_number() OVER (ORDER BY n DESC, "facilityId", "pollutantKey")::int AS i,
       "facilityId" AS p_fid, "pollutantKey" AS p_pollutant,
       "detectedAt" AS p_after_date, "id" AS p_after_id, n
  FROM r WHERE rn = 20 AND n > 20;
INSERT INTO bench_fp
SELECT row_number() OVER (ORDER BY count(*) DESC, "facilityId", "pollutantKey")::int,
       "facilityId", "pollutantKey", 'infinity'::date, '', count(*)
  FROM "ViolationSample"
 WHERE "facilityId" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM bench_fp)
 GROUP BY "facilityId", "pollutantKey";

-- critical 2024: Facilities with a CRITICAL violation sampled in 2024
CREATE TABLE bench_fc AS
SELECT row_number() OVER (ORDER BY count(*) DESC, "facilityId")::int AS i, "facilityId" AS p_fid
  FROM "ViolationSample"
 WHERE "facilityId" IS NOT NULL AND "severity" = 'CRITICAL'
   AND "detectedAt" >= '2024-01-01' AND "detectedAt" < '2025-01-01'
 GROUP BY "facilityId";

-- status update: up to 100000 violations drawn at random
CREATE TABLE bench_viol AS
SELECT row_number() OVER ()::int AS i, id AS p_vid
  FROM (SELECT "id" FROM "ViolationSample" ORDER BY random() LIMIT 100000) AS v;

ALTER TABLE bench_fy ADD PRIMARY KEY (i);
ALTER TABLE bench_py ADD PRIMARY KEY (i);
ALTER TABLE bench_y ADD PRIMARY KEY (i);
ALTER TABLE bench_month ADD PRIMARY KEY (i);
ALTER TABLE bench_fp ADD PRIMARY KEY (i);
ALTER TABLE bench_fc ADD PRIMARY KEY (i);
ALTER TABLE bench_viol ADD PRIMARY KEY (i);
-- (vacuumed now, so that autovacuum does not do it during the timed runs)
VACUUM (ANALYZE) bench_fy, bench_py, bench_y, bench_month, bench_fp, bench_fc, bench_viol;
