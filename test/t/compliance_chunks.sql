-- Compliance of one statement larger than a set of deltas (20000 facility x
-- pollutant x year keys, VIOL_COMPLIANCE_CHUNK in src/compliance.c): the
-- sets go to a sort, and at the end of the statement each key is upserted
-- once, with the sum of its parts from every set; the levels, the ERA rows
-- and the announcements are done once, from how the rows were before it
-- (docs/COMPLIANCE.md, "Once per statement").
--
-- One linked facility, one INSERT ... SELECT of 20,007 samples in this
-- order: an Oil and Grease result of 20 mg/L in permit year 2005 (above the
-- annual NAL of 15), TSS at 50 mg/L in the permit years 2000 .. 21998 but
-- 150 mg/L (above the annual NAL of 100) in 2003, which make the first set
-- full; then Oil and Grease at 0 mg/L in 2005 (the average falls to 10) and
-- TSS in 21999 .. 22004, 150 mg/L in 22002.  At the end: TSS exceeded in
-- 2003 and 22002, so Level 2 since 22003; Oil and Grease exceeded in no
-- year.  Announced ("Alert" rows, writeAlerts): the two TSS years and one
-- level change, Baseline to Level 2.  Applied set by set, the first set
-- would have announced Oil and Grease 2005, and TSS Level 1 then Level 2.
BEGIN;
SELECT plan(10);

SELECT 'par_' || substr(md5('Total Suspended Solids (TSS)'), 1, 12) AS tss,
	   'par_' || substr(md5('Oil and Grease'), 1, 12) AS og \gset

\ir ../lib/compliance_reference.psql

INSERT INTO "ESMRFacility" ("facilityPlaceId", "facilityName") VALUES (7201, 'Chunks');
INSERT INTO "ESMRLocation" ("locationPlaceId", "facilityPlaceId", "locationCode", "locationType")
VALUES (720101, 7201, 'EFF-001', 'EFFLUENT_MONITORING');
INSERT INTO "Facility" ("id", "name", "esmrFacilityId") VALUES ('fac_chunks', 'Chunks Inc.', 7201);
UPDATE "ViolationSettings" SET "writeAlerts" = true;
-- the sort of the sets goes to disk
SET LOCAL work_mem = '64kB';

INSERT INTO "ESMRSample" ("id", "locationPlaceId", "parameterId", "samplingDate", "samplingTime",
						  "qualifier", "result", "units")
SELECT 'k' || s.n, 720101, s.par, s.d, '08:00', '=', s.r, 'mg/L'
  FROM (SELECT 0 AS n, :'og' AS par, date '2005-08-01' AS d, 20::numeric AS r
		UNION ALL
		SELECT y - 1999, :'tss', make_date(y, 8, 1), CASE WHEN y = 2003 THEN 150 ELSE 50 END
		  FROM generate_series(2000, 21998) AS y
		UNION ALL
		SELECT 20000, :'og', date '2006-01-15', 0
		UNION ALL
		SELECT y - 1999 + 1, :'tss', make_date(y, 8, 1), CASE WHEN y = 22002 THEN 150 ELSE 50 END
		  FROM generate_series(21999, 22004) AS y) s
 ORDER BY s.n;

SELECT is((SELECT count(*)::int FROM "ViolationCompliance"), 20006,
	'one row per permit year: 20,005 of TSS and one of Oil and Grease, more than one set of deltas');
SELECT results_eq(
	$$SELECT "pollutantKey", "permitYear", "resultCount", "average"::text FROM "ViolationCompliance"
	   WHERE "exceeded" OR "pollutantKey" = 'OIL_GREASE' ORDER BY 1, 2$$,
	$$VALUES ('OIL_GREASE', 2005, 2, '10.000000'), ('TSS', 2003, 1, '150.000000'), ('TSS', 22002, 1, '150.000000')$$,
	'exceeded: TSS 2003 and 22002; Oil and Grease 2005 averages 10 mg/L, below its NAL');
SELECT is((SELECT "level" || ' ' || "level1Year" || ' ' || "level2Year" || ' ' || "exceededYears"::text
			 FROM "ViolationEraStatus" WHERE "facilityPlaceId" = 7201 AND "pollutantKey" = 'TSS'),
	'LEVEL_2 2004 22003 {2003,22002}',
	'TSS: Level 1 from 2004, Level 2 from 22003, from years exceeded in different sets');
SELECT is((SELECT string_agg("eraLevel"::text || ' ' || "permitYear", ', ' ORDER BY "permitYear")
			 FROM "ViolationCompliance" WHERE "pollutantKey" = 'TSS' AND "permitYear" IN (2002, 2003, 2004, 22001, 22002)),
	'BASELINE 2002, LEVEL_1 2003, LEVEL_1 2004, LEVEL_1 22001, LEVEL_2 22002',
	'each year carries the level that follows it, in both sets');
SELECT is_empty($$SELECT * FROM "ViolationEraStatus" WHERE "pollutantKey" = 'OIL_GREASE'$$,
	'Oil and Grease: at Baseline, no ERA row');
SELECT results_eq(
	$$SELECT "kind"::text, count(*)::int FROM "Alert" WHERE "facilityId" = 'fac_chunks'
	   AND "kind" IN ('NAL_EXCEEDANCE', 'LEVEL_CHANGE') GROUP BY 1 ORDER BY 1$$,
	$$VALUES ('LEVEL_CHANGE', 1), ('NAL_EXCEEDANCE', 2)$$,
	'announced once for the statement: the two TSS years and one level change; not Oil and Grease 2005');
-- Oil and Grease 2005 is in the first set and in the last: one row written
-- once; the only updates are the levels of the years after TSS 2003
SELECT results_eq(
	$$SELECT n_tup_ins::int, n_tup_upd::int FROM pg_stat_xact_user_tables
	   WHERE relid = '"ViolationCompliance"'::regclass$$,
	$$SELECT 20006, count(*)::int FROM "ViolationCompliance" WHERE "eraLevel" <> 'BASELINE'$$,
	'each key upserted once for the statement (the parts of a key in several sets summed first)');
SELECT * FROM pg_temp.check_compliance('one statement of several sets');

SELECT * FROM finish();
ROLLBACK;
